// client_cli/cmd_setup.cc — `notes setup` (connect a client directory to its home
// server) and `notes whoami` (who the home server says you are).
//
// Setup writes nothing until the server has been reached, verified and has recognised
// the ID: a failed setup leaves the client directory as it was.
#include <iostream>
#include <memory>

#include "client_cli/cli_output.h"
#include "client_cli/notes_cli.h"

namespace notesd::client {

namespace {

namespace fs = std::filesystem;

struct SetupOptions {
  GlobalOptions* global = nullptr;
  std::string id_file;
  std::string server_address;
  bool replace = false;
  bool json = false;
};

bool SameFile(const fs::path& a, const fs::path& b) {
  std::error_code error;
  return fs::equivalent(a, b, error) && !error;
}

// Refuses to overwrite a different ID already in the client directory, unless asked.
Status CheckTargetId(const fs::path& source, const std::string& bytes, const fs::path& target, bool replace) {
  std::error_code error;
  if (replace || !fs::exists(target, error) || SameFile(source, target)) return Status::Ok();
  Result<std::string> existing = ReadWholeFile(target);
  if (existing.ok() && *existing == bytes) return Status::Ok();
  return Status::AlreadyExists(target.string() + " already holds another ID file; use --replace to overwrite it");
}

// Asks the server who we are, and checks it knows this ID by the ID's own name.
Result<nlohmann::json> WhoAmIAs(HomeServerClient& server, const IdFile& id) {
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json reply, server.Get("/api/v1/whoami"));
  Result<HierName> name = HierName::Parse(JsonText(reply, "name"));
  if (!name.ok() || !(*name == id.name()))
    return Status::PermissionDenied(server.ServerLabel() + " knows this connection as '" + JsonText(reply, "name") +
                                    "', not as " + id.name().Abbreviated());
  return reply;
}

Status InstallId(const ClientContext& context, const fs::path& source, const std::string& bytes) {
  NOTESD_RETURN_IF_ERROR(context.EnsureClientDir());
  NOTESD_ASSIGN_OR_RETURN(fs::path dir, context.ClientDir());
  if (SameFile(source, dir / "user.id")) return Status::Ok();
  return WriteFileAtomic(dir / "user.id", bytes, 0600);
}

int RunSetup(const SetupOptions& options) {
  ClientContext context(*options.global);
  Result<ServerAddress> address = ParseServerAddress(options.server_address);
  if (!address.ok()) return ReportUsage(address.status().message());
  Result<fs::path> dir = context.ClientDir();
  if (!dir.ok()) return ReportFailure(dir.status());

  Result<std::string> bytes = ReadWholeFile(options.id_file);
  if (!bytes.ok()) return ReportFailure(bytes.status());
  Status target_ok = CheckTargetId(options.id_file, *bytes, *dir / "user.id", options.replace);
  if (!target_ok.ok()) return ReportFailure(target_ok);
  Result<std::string> password = context.UserPassword("Password for " + options.id_file + ": ");
  if (!password.ok()) return ReportFailure(password.status());
  Result<IdFile> id = IdFile::Decode(*bytes, *password, options.id_file);
  if (!id.ok()) return ReportFailure(id.status());

  HomeServerOptions server_options;
  server_options.address = *address;
  Result<std::unique_ptr<HomeServerClient>> server = HomeServerClient::Create(*id, server_options);
  if (!server.ok()) return ReportFailure(server.status());
  Result<nlohmann::json> whoami = WhoAmIAs(**server, *id);
  if (!whoami.ok()) return ReportFailure(whoami.status());
  HierName server_name = (*server)->server_name();
  if (server_name.empty()) return ReportFailure(Status::Internal("the server's name could not be read"));

  Status installed = InstallId(context, options.id_file, *bytes);
  if (!installed.ok()) return ReportFailure(installed);
  Status saved = context.SaveSettings({"user.id", server_name, address->ToString()});
  if (!saved.ok()) return ReportFailure(saved);

  if (options.json) {
    PrintJson(std::cout, {{"server", server_name.Canonical()},
                          {"server_abbreviated", server_name.Abbreviated()},
                          {"server_address", address->ToString()},
                          {"user", id->name().Canonical()},
                          {"user_abbreviated", id->name().Abbreviated()},
                          {"client_dir", dir->string()}});
  } else {
    std::cout << "Connected to " << server_name.Abbreviated() << " as " << id->name().Abbreviated() << "\n";
  }
  return kExitOk;
}

int RunWhoAmI(const GlobalOptions& global, bool json) {
  ClientContext context(global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  Result<nlohmann::json> reply = session->server->Get("/api/v1/whoami");
  if (!reply.ok()) return ReportFailure(reply.status());
  if (json) {
    PrintJson(std::cout, *reply);
    return kExitOk;
  }
  PrintFields(std::cout, {{"Name", JsonText(*reply, "name")},
                          {"Abbreviated", JsonText(*reply, "abbreviated")},
                          {"Short name", JsonText(*reply, "short_name")},
                          {"Internet address", JsonText(*reply, "internet_address")},
                          {"Administrator", YesNo(JsonBool(*reply, "administrator"))},
                          {"Server", AbbreviatedName(JsonText(*reply, "server"))}});
  return kExitOk;
}

}  // namespace

void AddSetupCommands(CLI::App& app, CommandLine& line) {
  auto options = std::make_shared<SetupOptions>();
  options->global = &line.global;
  CLI::App* setup = app.add_subcommand(
      "setup",
      "Connect this client to its home server: copy your ID in as user.id, verify the server, write notes.ini");
  setup->add_option("--id", options->id_file, "Your ID file")->required();
  setup->add_option("--server-address", options->server_address, "The home server's HTTPS API, HOST:PORT")->required();
  setup->add_flag("--replace", options->replace, "Overwrite a different user.id already in the client directory");
  setup->add_flag("--json", options->json, "Print JSON");
  OnRun(setup, line, [options] { return RunSetup(*options); });

  auto json = std::make_shared<bool>(false);
  CLI::App* whoami = app.add_subcommand("whoami", "Who the home server says you are");
  whoami->add_flag("--json", *json, "Print JSON");
  GlobalOptions* global = &line.global;
  OnRun(whoami, line, [global, json] { return RunWhoAmI(*global, *json); });
}

}  // namespace notesd::client
