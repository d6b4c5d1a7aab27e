// client_cli/client_context.h — the client data directory, its notes.ini, password
// sources and loading the user's ID: what every `notes` command starts from.
//
// client_cli owns the `notes` program: the command line (notes_cli.*), one file per
// command group (cmd_db, cmd_id, cmd_setup, cmd_people, cmd_admin, cmd_certifier,
// cmd_person_certs, cmd_mail, cmd_contacts), the client data directory (this file), and
// the one connection to the home server (home_server_client.*: HTTPS with mutual TLS, the
// server identified by its Notes name). The ID's Internet certificates (sync from the
// server, export) are in id_certificates.*; the local names.nsf (contacts and
// cross-certificates) in contacts_store.*, S/MIME mail in mail_smime.*. It uses core and
// smime; it reaches the server over the network, never by linking.
//
// Client data directory: `--client-dir DIR`, else $NOTESD_CLIENT, else ~/.notesd
// (mode 0700). It holds:
//   user.id    the user's ID file (mode 0600), named by KeyFileName
//   notes.ini  the client settings (kClientConfigKeys below)
//
// Exit status of every command: 0 ok; 1 the operation failed (the server said no, wrong
// password, not found...); 2 usage error; 3 the server cannot be reached (or could not be
// verified). Errors go to stderr as `notes: <message>`. With --json a command prints one
// JSON document on stdout whenever it has an answer (also an answer that is a failure,
// exit 1), and nothing on stdout otherwise; errors are never JSON (notes_cli.cc's footer).
//
// SECURITY: passwords come from --password, NOTESD_PASSWORD, --password-file or a
// terminal prompt with echo off, in that order; they are never written anywhere.
#pragma once

#include <array>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/config_keys.h"
#include "pki/hier_name.h"
#include "pki/id_file.h"
#include "base/notes_ini.h"
#include "base/status.h"

namespace notesd::client {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnreachable = 3;

// The client notes.ini keys (owner "Client"). None needs a restart: every command
// reads the file afresh.
inline constexpr ConfigKey kClientKeyFileName{"KeyFileName",
                                              ConfigType::kText,
                                              "user.id",
                                              0,
                                              0,
                                              "The user's ID file, relative to the client data directory or absolute",
                                              "Client",
                                              false};
inline constexpr ConfigKey kClientHomeServer{
    "HomeServer",
    ConfigType::kText,
    "",
    0,
    0,
    "Canonical name of the home server (CN=Acme01/O=Acme), learned from its certificate by `notes setup`",
    "Client",
    false};
inline constexpr ConfigKey kClientHomeServerAddress{
    "HomeServerAddress", ConfigType::kText, "", 0, 0, "host:port of the home server's HTTPS API", "Client", false};
inline constexpr std::array<ConfigKey, 3> kClientConfigKeys = {kClientKeyFileName, kClientHomeServer,
                                                               kClientHomeServerAddress};

// ---- Passwords ----------------------------------------------------------------------

// Names one password for messages: what it unlocks and where it may come from.
struct PasswordKind {
  std::string what = "password";      // "password", "certifier password"
  std::string option = "--password";  // the command-line option
  std::string environment = "NOTESD_PASSWORD";
  std::string prompt = "Password: ";  // shown on the terminal
};

// The sources of one password, in precedence order.
struct PasswordInputs {
  std::optional<std::string> option;          // --password
  std::optional<std::string> environment;     // the environment variable, if set
  std::optional<std::filesystem::path> file;  // --password-file: its first line
  bool terminal = false;                      // stdin is a terminal: prompt
};

// Asks for a password on the terminal; returns what was typed (no line ending).
using PromptFn = std::function<Result<std::string>(const std::string& prompt)>;

// Picks the first source present: option, environment, file, terminal prompt.
// InvalidArgument "no password given (use --password, NOTESD_PASSWORD or a terminal)"
// (with kind's words) when there is none; NotFound / IOError naming an unreadable file.
Result<std::string> ResolvePassword(const PasswordInputs& inputs, const PasswordKind& kind, const PromptFn& prompt);

// As ResolvePassword without a file source, for a NEW password: a terminal prompt asks
// twice and refuses two different answers (InvalidArgument).
Result<std::string> ResolveNewPassword(const PasswordInputs& inputs, const PasswordKind& kind, const PromptFn& prompt);

// A new Internet password (`notes admin person set-internet-password`, `notes id
// internet-password`): with `from_stdin` the first line of standard input (a script's
// pipe; refused when stdin is a terminal), else asked twice on the terminal through
// `prompt` (ResolveNewPassword). Never an option or an environment variable, so it cannot
// end up in argv, /proc/<pid>/environ or a shell history. InvalidArgument when there is
// no source or the two answers differ; Unavailable when stdin is empty.
Result<std::string> NewInternetPassword(bool from_stdin, const PromptFn& prompt);

// Reads one line from stdin with echo off (termios), prompting on stderr.
Result<std::string> PromptOnTerminal(const std::string& prompt);
bool StdinIsTerminal();
// The value of an environment variable, nullopt when unset (set but empty is "").
std::optional<std::string> EnvValue(const char* name);

// ---- Client settings (notes.ini) ---------------------------------------------------

struct ClientSettings {
  std::string key_file_name = kClientKeyFileName.default_value;
  HierName home_server;             // empty until `notes setup`
  std::string home_server_address;  // "host:port"; empty until `notes setup`
};

// Reads the client keys from an ini. Missing keys keep their defaults; a HomeServer that
// is not a valid name is InvalidArgument naming the key.
Result<ClientSettings> ReadClientSettings(const NotesIni& ini);
// Sets the three keys in `ini`, keeping every other line.
void WriteClientSettings(const ClientSettings& settings, NotesIni& ini);

// ---- The client data directory ------------------------------------------------------

// The client directory: `option` if given, else $NOTESD_CLIENT, else $HOME/.notesd.
// InvalidArgument when none can be found (no HOME).
Result<std::filesystem::path> ResolveClientDir(const std::optional<std::string>& option,
                                               const std::optional<std::string>& env_client,
                                               const std::optional<std::string>& env_home);

// The global options every command shares.
struct GlobalOptions {
  std::optional<std::string> client_dir;     // --client-dir
  std::optional<std::string> password;       // --password
  std::optional<std::string> password_file;  // --password-file
  bool no_sync = false;                      // --no-sync: skip the quiet ID sync of OpenHomeSession
};

// One command's view of the client: the directory, its settings, the user's password and
// ID. Cheap to make; reads files only when asked. Not thread-safe (one command, one
// thread).
class ClientContext {
 public:
  explicit ClientContext(GlobalOptions options, PromptFn prompt = PromptOnTerminal);

  // The client directory (ResolveClientDir with the real environment).
  Result<std::filesystem::path> ClientDir() const;
  std::filesystem::path NotesIniPath() const;  // requires ClientDir().ok()

  // The client notes.ini. NotFound "no client set up in DIR: run `notes setup ...`"
  // when the file is absent.
  Result<ClientSettings> LoadSettings() const;
  // As LoadSettings, and also requires HomeServer and HomeServerAddress.
  Result<ClientSettings> LoadHomeServerSettings() const;
  // Creates the client directory if needed and sets its mode to 0700.
  Status EnsureClientDir() const;
  // Creates the directory (mode 0700) if needed and writes notes.ini atomically,
  // keeping lines other than the client keys.
  Status SaveSettings(const ClientSettings& settings) const;

  // The user's ID path: `explicit_path` if given, else KeyFileName of the client
  // notes.ini (relative to the directory), else DIR/user.id.
  Result<std::filesystem::path> IdPath(const std::optional<std::string>& explicit_path) const;

  // The user's password from the global sources (PasswordKind defaults).
  Result<std::string> UserPassword(const std::string& prompt) const;
  // Loads an ID file with the user's password; errors as IdFile::Load.
  Result<IdFile> LoadId(const std::filesystem::path& path) const;

  // Resolves another password (certifier, new ID) from its option and environment
  // variable, or the terminal.
  Result<std::string> OtherPassword(const std::optional<std::string>& option, const PasswordKind& kind) const;
  Result<std::string> NewPassword(const std::optional<std::string>& option, const PasswordKind& kind) const;

  const GlobalOptions& options() const { return options_; }

 private:
  GlobalOptions options_;
  PromptFn prompt_;
};

}  // namespace notesd::client
