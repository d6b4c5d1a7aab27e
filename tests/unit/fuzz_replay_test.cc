// Replays the fuzz targets' inputs (fuzz/, issue 9) in the ordinary test run: every seed
// in fuzz/corpus/<target>/ and every input that once crashed a target, kept in
// fuzz/regressions/<target>/ with the fix. The targets' entry points are compiled into
// this binary under the names NotesdFuzz_<target> (tests/CMakeLists.txt); a target
// aborts on a broken invariant, so a regression fails the run (and the sanitized build
// reports memory errors and undefined behaviour on the same inputs).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" {
int NotesdFuzz_smtp_session(const std::uint8_t*, std::size_t);
int NotesdFuzz_smime_read(const std::uint8_t*, std::size_t);
int NotesdFuzz_cert_import(const std::uint8_t*, std::size_t);
int NotesdFuzz_id_file(const std::uint8_t*, std::size_t);
int NotesdFuzz_notes_ini(const std::uint8_t*, std::size_t);
int NotesdFuzz_console(const std::uint8_t*, std::size_t);
int NotesdFuzz_hier_name(const std::uint8_t*, std::size_t);
int NotesdFuzz_api_body(const std::uint8_t*, std::size_t);
int NotesdFuzz_imap_command(const std::uint8_t*, std::size_t);
int NotesdFuzz_pop3_command(const std::uint8_t*, std::size_t);
int NotesdFuzz_ldap_message(const std::uint8_t*, std::size_t);
}

namespace {

using FuzzEntry = int (*)(const std::uint8_t*, std::size_t);

struct Target {
  const char* name;
  FuzzEntry entry;
};

// Every file under fuzz/<kind>/<target>/, sorted.
std::vector<std::filesystem::path> Inputs(const char* kind, const char* target) {
  std::vector<std::filesystem::path> files;
  std::filesystem::path dir = std::filesystem::path(NOTESD_FUZZ_DIR) / kind / target;
  if (!std::filesystem::is_directory(dir)) return files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("fuzz seeds and saved crashes replay cleanly through every fuzz target", "[fuzz]") {
  const Target target =
      GENERATE(Target{"smtp_session", NotesdFuzz_smtp_session}, Target{"smime_read", NotesdFuzz_smime_read},
               Target{"cert_import", NotesdFuzz_cert_import}, Target{"id_file", NotesdFuzz_id_file},
               Target{"notes_ini", NotesdFuzz_notes_ini}, Target{"console", NotesdFuzz_console},
               Target{"hier_name", NotesdFuzz_hier_name}, Target{"api_body", NotesdFuzz_api_body},
               Target{"imap_command", NotesdFuzz_imap_command}, Target{"pop3_command", NotesdFuzz_pop3_command},
               Target{"ldap_message", NotesdFuzz_ldap_message});
  std::vector<std::filesystem::path> seeds = Inputs("corpus", target.name);
  CAPTURE(target.name);
  CHECK(!seeds.empty());  // every target has a seed corpus
  for (const char* kind : {"corpus", "regressions"}) {
    for (const std::filesystem::path& file : Inputs(kind, target.name)) {
      std::ifstream in(file, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      INFO(file.string());
      CHECK(target.entry(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()) == 0);
    }
  }
}
