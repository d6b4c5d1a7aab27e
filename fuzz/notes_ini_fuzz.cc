// fuzz_notes_ini — feeds the notes.ini reader and writer (base/notes_ini.h).
//
// Input: a notes.ini file. The target parses it and checks the contract: Serialize()
// gives back the input byte for byte; Set of an existing name rewrites only that line and
// Get then returns the new value; Remove makes Get fail; a reparse of the serialized
// result reads the same settings. Wildcard matching runs on the names found. Seeds:
// fuzz/corpus/notes_ini/ (notes.ini.sample and the test files).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "base/notes_ini.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<notesd::IniProblem> problems;
  notesd::NotesIni ini = notesd::NotesIni::Parse(text, &problems);
  if (ini.Serialize() != text) std::abort();  // untouched lines byte for byte

  std::vector<notesd::IniEntry> entries = ini.Entries();
  for (std::size_t i = 0; i < entries.size() && i < 16; ++i) {
    const notesd::IniEntry& entry = entries[i];
    (void)notesd::WildcardMatch(entry.value, entry.name);
    (void)notesd::WildcardMatch(entry.name, entry.value);
    notesd::NotesIni copy = ini;
    copy.Set(entry.name, "fuzz value");
    auto got = copy.Get(entry.name);
    if (!got || *got != "fuzz value") std::abort();
    std::vector<notesd::IniProblem> again;
    notesd::NotesIni reparsed = notesd::NotesIni::Parse(copy.Serialize(), &again);
    auto reread = reparsed.Get(entry.name);
    if (!reread || *reread != "fuzz value") std::abort();
    copy.Remove(entry.name);
    if (copy.Get(entry.name)) std::abort();
  }
  ini.Set("FuzzNewKey", "1");
  if (ini.Get("fuzznewkey") != std::optional<std::string>("1")) std::abort();
  return 0;
}
