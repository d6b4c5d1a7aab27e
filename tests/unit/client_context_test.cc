// tests/unit/client_context_test.cc — the `notes` client's data directory: password
// sources and their precedence, the client notes.ini, the ID path, exit codes of the
// command line.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "client_cli/client_context.h"
#include "client_cli/notes_cli.h"
#include "pki/crypto.h"

namespace notesd::client {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    auto random = RandomBytes(8);
    path_ = fs::temp_directory_path() / ("notesd-client-test-" + HexEncode(random.ok() ? *random : "x"));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Sets (or unsets, with nullptr) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) saved_ = old;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (saved_) {
      setenv(name_, saved_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

void WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// A prompt that answers from a list and records what it was asked.
struct FakeTerminal {
  std::vector<std::string> answers;
  std::vector<std::string> asked;
  PromptFn Fn() {
    return [this](const std::string& prompt) -> Result<std::string> {
      asked.push_back(prompt);
      if (asked.size() > answers.size()) return Status::InvalidArgument("no more answers");
      return answers[asked.size() - 1];
    };
  }
};

TEST_CASE("password sources: option, then environment, then file, then terminal", "[client]") {
  TempDir dir;
  WriteText(dir.path() / "pw", "from-file\nsecond line\n");
  struct Row {
    bool option, env, file, terminal;
    std::string expected;
  };
  Row row = GENERATE(Row{true, true, true, true, "from-option"}, Row{false, true, true, true, "from-env"},
                     Row{false, false, true, true, "from-file"}, Row{false, false, false, true, "typed"},
                     Row{true, false, false, false, "from-option"}, Row{false, true, false, false, "from-env"});
  PasswordInputs inputs;
  if (row.option) inputs.option = "from-option";
  if (row.env) inputs.environment = "from-env";
  if (row.file) inputs.file = dir.path() / "pw";
  inputs.terminal = row.terminal;
  FakeTerminal terminal{{"typed"}, {}};
  Result<std::string> password = ResolvePassword(inputs, PasswordKind{}, terminal.Fn());
  INFO(password.status().ToString());
  REQUIRE(password.ok());
  CHECK(*password == row.expected);
  CHECK(terminal.asked.size() == (row.expected == "typed" ? 1u : 0u));
}

TEST_CASE("password sources: an empty option or variable is a password, not a missing one", "[client]") {
  PasswordInputs inputs;
  inputs.option = "";
  inputs.environment = "env";
  REQUIRE(ResolvePassword(inputs, PasswordKind{}, nullptr).ok());
  CHECK(ResolvePassword(inputs, PasswordKind{}, nullptr).value().empty());
  inputs.option.reset();
  inputs.environment = "";
  CHECK(ResolvePassword(inputs, PasswordKind{}, nullptr).value().empty());
}

TEST_CASE("password sources: no source at all names every way to give one", "[client]") {
  Result<std::string> password = ResolvePassword(PasswordInputs{}, PasswordKind{}, nullptr);
  REQUIRE_FALSE(password.ok());
  CHECK(password.status().code() == StatusCode::kInvalidArgument);
  CHECK(password.status().message() == "no password given (use --password, NOTESD_PASSWORD or a terminal)");

  PasswordKind certifier{"certifier password", "--certifier-password", "NOTESD_CERTIFIER_PASSWORD", "Certifier: "};
  CHECK(ResolvePassword(PasswordInputs{}, certifier, nullptr).status().message() ==
        "no certifier password given (use --certifier-password, NOTESD_CERTIFIER_PASSWORD or a terminal)");
}

TEST_CASE("password file: first line without its ending; a missing file is named", "[client]") {
  TempDir dir;
  WriteText(dir.path() / "crlf", "s3cret\r\nnext\r\n");
  WriteText(dir.path() / "bare", "no-newline");
  PasswordInputs inputs;
  inputs.file = dir.path() / "crlf";
  CHECK(ResolvePassword(inputs, PasswordKind{}, nullptr).value() == "s3cret");
  inputs.file = dir.path() / "bare";
  CHECK(ResolvePassword(inputs, PasswordKind{}, nullptr).value() == "no-newline");
  inputs.file = dir.path() / "missing";
  Result<std::string> missing = ResolvePassword(inputs, PasswordKind{}, nullptr);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == StatusCode::kNotFound);
  CHECK_THAT(missing.status().message(), Catch::Contains("password file") && Catch::Contains("missing"));
}

TEST_CASE("new password: the terminal asks twice and refuses two different answers", "[client]") {
  PasswordInputs inputs;
  inputs.terminal = true;
  FakeTerminal same{{"abc", "abc"}, {}};
  CHECK(ResolveNewPassword(inputs, PasswordKind{}, same.Fn()).value() == "abc");
  CHECK(same.asked.size() == 2);
  FakeTerminal differ{{"abc", "abd"}, {}};
  Result<std::string> refused = ResolveNewPassword(inputs, PasswordKind{}, differ.Fn());
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.status().message(), Catch::Contains("do not match"));
  inputs.option = "given";
  CHECK(ResolveNewPassword(inputs, PasswordKind{}, nullptr).value() == "given");
}

TEST_CASE("ClientContext reads the user's password from NOTESD_PASSWORD after --password", "[client]") {
  ScopedEnv env("NOTESD_PASSWORD", "env-secret");
  GlobalOptions options;
  CHECK(ClientContext(options, nullptr).UserPassword("p: ").value() == "env-secret");
  options.password = "option-secret";
  CHECK(ClientContext(options, nullptr).UserPassword("p: ").value() == "option-secret");
}

TEST_CASE("client directory: --client-dir, then NOTESD_CLIENT, then ~/.notesd", "[client]") {
  CHECK(ResolveClientDir("/a", "/b", "/home/u").value() == fs::path("/a"));
  CHECK(ResolveClientDir(std::nullopt, "/b", "/home/u").value() == fs::path("/b"));
  CHECK(ResolveClientDir(std::nullopt, std::nullopt, "/home/u").value() == fs::path("/home/u/.notesd"));
  CHECK(ResolveClientDir(std::nullopt, "", "/home/u").value() == fs::path("/home/u/.notesd"));
  CHECK_FALSE(ResolveClientDir(std::nullopt, std::nullopt, std::nullopt).ok());
}

TEST_CASE("client notes.ini: the three keys round-trip and other lines are kept", "[client]") {
  NotesIni ini = NotesIni::Parse("[Notes]\n; my comment\nFoo=bar\nhomeserver=CN=Old/O=Acme\n", nullptr);
  ClientSettings settings;
  settings.home_server = HierName::Parse("CN=Acme01/O=Acme").value();
  settings.home_server_address = "127.0.0.1:8585";
  WriteClientSettings(settings, ini);
  std::string text = ini.Serialize();
  CHECK_THAT(text, Catch::Contains("; my comment\nFoo=bar\nhomeserver=CN=Acme01/O=Acme\n"));
  CHECK_THAT(text, Catch::Contains("KeyFileName=user.id"));
  CHECK_THAT(text, Catch::Contains("HomeServerAddress=127.0.0.1:8585"));

  Result<ClientSettings> read = ReadClientSettings(NotesIni::Parse(text, nullptr));
  REQUIRE(read.ok());
  CHECK(read->key_file_name == "user.id");
  CHECK(read->home_server == settings.home_server);
  CHECK(read->home_server_address == "127.0.0.1:8585");
}

TEST_CASE("client notes.ini: defaults when empty, a bad HomeServer is refused naming the key", "[client]") {
  Result<ClientSettings> empty = ReadClientSettings(NotesIni::Parse("", nullptr));
  REQUIRE(empty.ok());
  CHECK(empty->key_file_name == "user.id");
  CHECK(empty->home_server.empty());

  Result<ClientSettings> bad = ReadClientSettings(NotesIni::Parse("HomeServer=CN=/O=Acme\n", nullptr));
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Catch::Contains("HomeServer"));
}

TEST_CASE("ClientContext saves notes.ini in a 0700 directory and reads it back", "[client]") {
  TempDir dir;
  GlobalOptions options;
  options.client_dir = (dir.path() / "client").string();
  ClientContext context(options, nullptr);

  Result<ClientSettings> before = context.LoadSettings();
  REQUIRE_FALSE(before.ok());
  CHECK(before.status().code() == StatusCode::kNotFound);
  CHECK_THAT(before.status().message(), Catch::Contains("notes setup"));

  ClientSettings settings;
  settings.home_server = HierName::Parse("CN=Acme01/O=Acme").value();
  settings.home_server_address = "localhost:8585";
  REQUIRE(context.SaveSettings(settings).ok());
  struct stat info {};
  REQUIRE(::stat((dir.path() / "client").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0700);

  Result<ClientSettings> after = context.LoadHomeServerSettings();
  REQUIRE(after.ok());
  CHECK(after->home_server.Abbreviated() == "Acme01/Acme");
  CHECK(after->home_server_address == "localhost:8585");
  CHECK(context.IdPath(std::nullopt).value() == dir.path() / "client" / "user.id");
  CHECK(context.IdPath("/elsewhere/x.id").value() == fs::path("/elsewhere/x.id"));
}

TEST_CASE("ClientContext: KeyFileName may name another file, relative or absolute", "[client]") {
  TempDir dir;
  GlobalOptions options;
  options.client_dir = dir.path().string();
  ClientContext context(options, nullptr);
  WriteText(dir.path() / "notes.ini", "KeyFileName=ids/jane.id\n");
  CHECK(context.IdPath(std::nullopt).value() == dir.path() / "ids" / "jane.id");
  WriteText(dir.path() / "notes.ini", "KeyFileName=/abs/jane.id\n");
  CHECK(context.IdPath(std::nullopt).value() == fs::path("/abs/jane.id"));
  Result<ClientSettings> no_server = context.LoadHomeServerSettings();
  REQUIRE_FALSE(no_server.ok());
  CHECK_THAT(no_server.status().message(), Catch::Contains("HomeServer"));
}

int Run(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return RunNotes(static_cast<int>(args.size()), argv.data());
}

TEST_CASE("notes exit codes: usage 2, failure 1, help and version 0", "[client]") {
  TempDir dir;
  std::string client_dir = (dir.path() / "client").string();
  ScopedEnv no_password("NOTESD_PASSWORD", nullptr);
  CHECK(Run({"notes"}) == kExitUsage);
  CHECK(Run({"notes", "no-such-command"}) == kExitUsage);
  CHECK(Run({"notes", "db", "show", "x.nsf", "not-an-id"}) == kExitUsage);
  CHECK(Run({"notes", "admin", "register", "--certifier-id", "c.id"}) == kExitUsage);
  CHECK(Run({"notes", "--version"}) == kExitOk);
  CHECK(Run({"notes", "db", "info", (dir.path() / "missing.nsf").string()}) == kExitFailed);
  CHECK(Run({"notes", "whoami", "--client-dir", client_dir}) == kExitFailed);
  CHECK(Run({"notes", "--client-dir", client_dir, "id", "show"}) == kExitFailed);
}

}  // namespace
}  // namespace notesd::client
