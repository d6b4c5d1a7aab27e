// client_cli/notes_cli.h — the `notes` command line: global options, subcommand wiring,
// how failures become exit codes, and the helpers the command groups share.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "client_cli/client_context.h"
#include "client_cli/id_certificates.h"
#include "client_cli/home_server_client.h"
#include "pki/id_file.h"
#include "base/status.h"

namespace notesd::client {

// What parsing produced: the global options and the chosen command's action.
struct CommandLine {
  GlobalOptions global;
  std::function<int()> run;  // set by the selected leaf subcommand; returns the exit code
};

// Runs the `notes` program (argv as main's); returns the exit code. Never throws.
int RunNotes(int argc, char** argv);

// One registration function per command group (cmd_*.cc).
void AddDbCommands(CLI::App& app, CommandLine& line);     // notes db info|list|show
void AddIdCommands(CLI::App& app, CommandLine& line);     // notes id show|password|sync|certificates|export-cert|export
void AddSetupCommands(CLI::App& app, CommandLine& line);  // notes setup, notes whoami
void AddPeopleCommands(CLI::App& app, CommandLine& line);    // notes people show
void AddAdminCommands(CLI::App& app, CommandLine& line);     // notes admin console|register|...
void AddMailCommands(CLI::App& app, CommandLine& line);      // notes mail send|list|read
void AddContactsCommands(CLI::App& app, CommandLine& line);  // notes contacts ... (local names.nsf)

// Makes `sub` the selected command's action when it is parsed.
void OnRun(CLI::App* sub, CommandLine& line, std::function<int()> action);
// Adds an option that fills `target` only when given.
CLI::Option* AddOptional(CLI::App* sub, const std::string& name, std::optional<std::string>& target,
                         const std::string& description);

// Prints "notes: <message>" on stderr and returns the exit code for the status:
// kExitUnreachable for Unavailable (a transport failure), else kExitFailed.
int ReportFailure(const Status& status);
// Prints "notes: <message>" on stderr and returns kExitUsage.
int ReportUsage(const std::string& message);

// A connection to the home server for one command: the client settings, the user's ID
// (loaded with the user's password) and a client checking the server by HomeServer.
//
// Unless `sync` is false or --no-sync was given, it then does what Notes does at every
// authentication: fetches the user's Internet certificates (GET /api/v1/me/certificates)
// and merges those over the ID's Notes key into the ID file (SyncIdFile), printing one
// line on stderr only when something was added. A failed sync is a warning on stderr,
// never a failure of the command.
struct HomeSession {
  ClientSettings settings;
  std::filesystem::path id_path;
  IdFile id;
  std::unique_ptr<HomeServerClient> server;
};
// `password_out`, when given, receives the ID's password (for a command that saves the ID).
Result<HomeSession> OpenHomeSession(const ClientContext& context, bool sync = true,
                                    std::string* password_out = nullptr);

// Fetches GET /api/v1/me/certificates and merges it into `session.id`
// (MergeInternetCertificates); when anything changed, saves the ID atomically at
// session.id_path with `password` (mode 0600). Errors: the server's, or IOError from
// saving (the file is then unchanged).
Result<CertificateMerge> SyncIdFile(HomeSession& session, const std::string& password);

}  // namespace notesd::client
