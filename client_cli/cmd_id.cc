// client_cli/cmd_id.cc — `notes id show|password`: what an ID file holds, and changing
// its password atomically.
#include <iostream>
#include <memory>

#include "client_cli/cli_output.h"
#include "client_cli/id_view.h"
#include "client_cli/notes_cli.h"

namespace notesd::client {

namespace {

namespace fs = std::filesystem;

struct IdOptions {
  GlobalOptions* global = nullptr;
  std::optional<std::string> id_file;       // --id
  std::optional<std::string> new_password;  // --new-password
  bool json = false;
};

int RunShow(const IdOptions& options) {
  ClientContext context(*options.global);
  Result<fs::path> path = context.IdPath(options.id_file);
  if (!path.ok()) return ReportFailure(path.status());
  Result<IdFile> id = context.LoadId(*path);
  if (!id.ok()) return ReportFailure(id.status());
  if (options.json) {
    PrintJson(std::cout, IdToJson(*id, *path));
  } else {
    std::cout << IdToText(*id, *path);
  }
  return kExitOk;
}

int RunPassword(const IdOptions& options) {
  ClientContext context(*options.global);
  Result<fs::path> path = context.IdPath(options.id_file);
  if (!path.ok()) return ReportFailure(path.status());
  std::error_code error;
  if (!fs::exists(*path, error)) return ReportFailure(Status::NotFound("no ID file " + path->string()));
  Result<std::string> old_password = context.UserPassword("Old password for " + path->string() + ": ");
  if (!old_password.ok()) return ReportFailure(old_password.status());
  PasswordKind kind{"new password", "--new-password", "NOTESD_NEW_ID_PASSWORD", "New password: "};
  Result<std::string> new_password = context.NewPassword(options.new_password, kind);
  if (!new_password.ok()) return ReportFailure(new_password.status());
  Status changed = IdFile::ChangePassword(*path, *old_password, *new_password);
  if (!changed.ok()) return ReportFailure(changed);
  std::cout << "The password of " << path->string() << " has been changed.\n";
  return kExitOk;
}

}  // namespace

void AddIdCommands(CLI::App& app, CommandLine& line) {
  CLI::App* id = app.add_subcommand("id", "Your ID file: names, keys, certificates, password");
  id->require_subcommand(1);
  auto options = std::make_shared<IdOptions>();
  options->global = &line.global;

  CLI::App* show = id->add_subcommand(
      "show", "Names, key, Notes certificate, trusted roots, cross-certificates and Internet certificates");
  AddOptional(show, "--id", options->id_file, "The ID file (default: the client directory's user.id)");
  show->add_flag("--json", options->json, "Print JSON");
  OnRun(show, line, [options] { return RunShow(*options); });

  CLI::App* password = id->add_subcommand("password", "Change the password of an ID file (atomically)");
  AddOptional(password, "--id", options->id_file, "The ID file (default: the client directory's user.id)");
  AddOptional(password, "--new-password", options->new_password,
              "The new password (default: $NOTESD_NEW_ID_PASSWORD, else asked twice on the terminal)");
  OnRun(password, line, [options] { return RunPassword(*options); });
}

}  // namespace notesd::client
