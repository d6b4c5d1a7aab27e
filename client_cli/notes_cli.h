// client_cli/notes_cli.h — the `notes` command line: global options, subcommand wiring,
// how failures become exit codes, and the helpers the command groups share.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "client_cli/client_context.h"
#include "client_cli/home_server_client.h"
#include "core/id_file.h"
#include "core/status.h"

namespace notesd::client {

// What parsing produced: the global options and the chosen command's action.
struct CommandLine {
  GlobalOptions global;
  std::function<int()> run;  // set by the selected leaf subcommand; returns the exit code
};

// Runs the `notes` program (argv as main's); returns the exit code. Never throws.
int RunNotes(int argc, char** argv);

// One registration function per command group (cmd_*.cc).
void AddDbCommands(CLI::App& app, CommandLine& line);      // notes db info|list|show
void AddIdCommands(CLI::App& app, CommandLine& line);      // notes id show|password
void AddSetupCommands(CLI::App& app, CommandLine& line);   // notes setup, notes whoami
void AddPeopleCommands(CLI::App& app, CommandLine& line);  // notes people show
void AddAdminCommands(CLI::App& app, CommandLine& line);   // notes admin console|register
void AddMailCommands(CLI::App& app, CommandLine& line);    // notes mail send|list|read
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
struct HomeSession {
  ClientSettings settings;
  IdFile id;
  std::unique_ptr<HomeServerClient> server;
};
Result<HomeSession> OpenHomeSession(const ClientContext& context);

}  // namespace notesd::client
