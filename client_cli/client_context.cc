// client_cli/client_context.cc — the client data directory, client notes.ini, password
// sources and loading the user's ID.
#include "client_cli/client_context.h"

#include "base/terminal.h"

#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <system_error>

namespace notesd::client {

namespace fs = std::filesystem;

namespace {

std::string NoPasswordMessage(const PasswordKind& kind) {
  return "no " + kind.what + " given (use " + kind.option + ", " + kind.environment + " or a terminal)";
}

// The first line of a password file, without its line ending.
Result<std::string> ReadPasswordFile(const fs::path& path) {
  Result<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status().WithContext("password file");
  std::string line = text->substr(0, text->find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

const char* kSetupHint = "run `notes setup --id FILE --server-address HOST:PORT` first";

}  // namespace

// ---- Passwords ----------------------------------------------------------------------

Result<std::string> ResolvePassword(const PasswordInputs& inputs, const PasswordKind& kind, const PromptFn& prompt) {
  if (inputs.option) return *inputs.option;
  if (inputs.environment) return *inputs.environment;
  if (inputs.file) return ReadPasswordFile(*inputs.file);
  if (inputs.terminal && prompt) return prompt(kind.prompt);
  return Status::InvalidArgument(NoPasswordMessage(kind));
}

Result<std::string> ResolveNewPassword(const PasswordInputs& inputs, const PasswordKind& kind, const PromptFn& prompt) {
  if (inputs.option) return *inputs.option;
  if (inputs.environment) return *inputs.environment;
  if (!inputs.terminal || !prompt) return Status::InvalidArgument(NoPasswordMessage(kind));
  NOTESD_ASSIGN_OR_RETURN(std::string first, prompt(kind.prompt));
  NOTESD_ASSIGN_OR_RETURN(std::string second, prompt("Again, to confirm: "));
  if (first != second) return Status::InvalidArgument("the two " + kind.what + "s typed do not match");
  return first;
}

Result<std::string> NewInternetPassword(bool from_stdin, const PromptFn& prompt) {
  if (from_stdin) {
    if (StdinIsTerminal())
      return Status::InvalidArgument("--password-stdin reads a pipe; on a terminal leave it out and type the password");
    Result<std::string> line = ReadSecretLine();
    if (!line.ok()) return Status::Unavailable("--password-stdin: no Internet password on standard input");
    return line;
  }
  if (!StdinIsTerminal() || !prompt)
    return Status::InvalidArgument(
        "no Internet password given: type it on a terminal, or pipe it with --password-stdin");
  PasswordInputs inputs;
  inputs.terminal = true;
  PasswordKind kind{"Internet password", "--password-stdin", "", "New Internet password: "};
  return ResolveNewPassword(inputs, kind, prompt);
}

bool StdinIsTerminal() { return ::isatty(STDIN_FILENO) == 1; }

std::optional<std::string> EnvValue(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

Result<std::string> PromptOnTerminal(const std::string& prompt) {
  std::fputs(prompt.c_str(), stderr);
  std::fflush(stderr);
  termios saved{};
  bool restore = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  bool got = static_cast<bool>(std::getline(std::cin, line));
  if (restore) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  if (!got) return Status::InvalidArgument("no password typed (end of input)");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// ---- Client settings ----------------------------------------------------------------

Result<ClientSettings> ReadClientSettings(const NotesIni& ini) {
  ClientSettings settings;
  // An empty KeyFileName= means the default, as a missing one does.
  std::string key_file = ConfigText(ini, kClientKeyFileName);
  settings.key_file_name = key_file.empty() ? kClientKeyFileName.default_value : key_file;
  if (std::string server = ConfigText(ini, kClientHomeServer); !server.empty()) {
    Result<HierName> name = HierName::Parse(server);
    if (!name.ok()) return name.status().WithContext("client notes.ini HomeServer");
    settings.home_server = std::move(name).value();
  }
  settings.home_server_address = ConfigText(ini, kClientHomeServerAddress);
  return settings;
}

void WriteClientSettings(const ClientSettings& settings, NotesIni& ini) {
  ini.Set(kClientKeyFileName.name, settings.key_file_name);
  ini.Set(kClientHomeServer.name, settings.home_server.Canonical());
  ini.Set(kClientHomeServerAddress.name, settings.home_server_address);
}

// ---- The client data directory ------------------------------------------------------

Result<fs::path> ResolveClientDir(const std::optional<std::string>& option,
                                  const std::optional<std::string>& env_client,
                                  const std::optional<std::string>& env_home) {
  if (option && !option->empty()) return fs::path(*option);
  if (env_client && !env_client->empty()) return fs::path(*env_client);
  if (env_home && !env_home->empty()) return fs::path(*env_home) / ".notesd";
  return Status::InvalidArgument("no client directory: use --client-dir or set NOTESD_CLIENT (HOME is not set)");
}

ClientContext::ClientContext(GlobalOptions options, PromptFn prompt)
    : options_(std::move(options)), prompt_(std::move(prompt)) {}

Result<fs::path> ClientContext::ClientDir() const {
  return ResolveClientDir(options_.client_dir, EnvValue("NOTESD_CLIENT"), EnvValue("HOME"));
}

fs::path ClientContext::NotesIniPath() const {
  Result<fs::path> dir = ClientDir();
  return dir.ok() ? *dir / "notes.ini" : fs::path("notes.ini");
}

Result<ClientSettings> ClientContext::LoadSettings() const {
  NOTESD_ASSIGN_OR_RETURN(fs::path dir, ClientDir());
  Result<NotesIni> ini = NotesIni::Load(dir / "notes.ini", nullptr);
  if (!ini.ok() && ini.status().code() == StatusCode::kNotFound)
    return Status::NotFound("no client set up in " + dir.string() + ": " + kSetupHint);
  if (!ini.ok()) return ini.status();
  return ReadClientSettings(*ini);
}

Result<ClientSettings> ClientContext::LoadHomeServerSettings() const {
  NOTESD_ASSIGN_OR_RETURN(ClientSettings settings, LoadSettings());
  if (settings.home_server.empty() || settings.home_server_address.empty())
    return Status::NotFound("the client notes.ini names no home server (HomeServer, HomeServerAddress): " +
                            std::string(kSetupHint));
  return settings;
}

Status ClientContext::EnsureClientDir() const {
  NOTESD_ASSIGN_OR_RETURN(fs::path dir, ClientDir());
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) return Status::IOError("cannot create client directory " + dir.string() + ": " + error.message());
  if (::chmod(dir.c_str(), 0700) != 0)
    return Status::IOError("cannot set permissions of client directory " + dir.string());
  return Status::Ok();
}

Status ClientContext::SaveSettings(const ClientSettings& settings) const {
  NOTESD_RETURN_IF_ERROR(EnsureClientDir());
  NOTESD_ASSIGN_OR_RETURN(fs::path dir, ClientDir());
  NotesIni ini;
  Result<NotesIni> existing = NotesIni::Load(dir / "notes.ini", nullptr);
  if (existing.ok()) {
    ini = std::move(existing).value();
  } else if (existing.status().code() != StatusCode::kNotFound) {
    return existing.status();
  }
  WriteClientSettings(settings, ini);
  return ini.SaveAtomic(dir / "notes.ini");
}

Result<fs::path> ClientContext::IdPath(const std::optional<std::string>& explicit_path) const {
  if (explicit_path && !explicit_path->empty()) return fs::path(*explicit_path);
  NOTESD_ASSIGN_OR_RETURN(fs::path dir, ClientDir());
  std::string key_file = "user.id";
  if (Result<ClientSettings> settings = LoadSettings(); settings.ok()) key_file = settings->key_file_name;
  fs::path path(key_file);
  return path.is_absolute() ? path : dir / path;
}

Result<std::string> ClientContext::UserPassword(const std::string& prompt) const {
  PasswordInputs inputs;
  inputs.option = options_.password;
  inputs.environment = EnvValue("NOTESD_PASSWORD");
  if (options_.password_file) inputs.file = fs::path(*options_.password_file);
  inputs.terminal = StdinIsTerminal();
  PasswordKind kind;
  kind.prompt = prompt;
  return ResolvePassword(inputs, kind, prompt_);
}

Result<IdFile> ClientContext::LoadId(const fs::path& path) const {
  std::error_code error;
  if (!fs::exists(path, error)) return Status::NotFound("no ID file " + path.string());
  NOTESD_ASSIGN_OR_RETURN(std::string password, UserPassword("Password for " + path.string() + ": "));
  return IdFile::Load(path, password);
}

namespace {
// Where a password of `kind` may come from: the option, its environment variable, a terminal.
PasswordInputs InputsFor(const std::optional<std::string>& option, const PasswordKind& kind) {
  PasswordInputs inputs;
  inputs.option = option;
  inputs.environment = EnvValue(kind.environment.c_str());
  inputs.terminal = StdinIsTerminal();
  return inputs;
}
}  // namespace

Result<std::string> ClientContext::OtherPassword(const std::optional<std::string>& option,
                                                 const PasswordKind& kind) const {
  return ResolvePassword(InputsFor(option, kind), kind, prompt_);
}

Result<std::string> ClientContext::NewPassword(const std::optional<std::string>& option,
                                               const PasswordKind& kind) const {
  return ResolveNewPassword(InputsFor(option, kind), kind, prompt_);
}

}  // namespace notesd::client
