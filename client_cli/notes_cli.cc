// client_cli/notes_cli.cc — builds the `notes` command line, runs the chosen command and
// turns failures into exit codes.
#include "client_cli/notes_cli.h"

#include <exception>
#include <iostream>

#include "client_cli/cli_output.h"

namespace notesd::client {

namespace {

const char* kFooter =
    "Exit status: 0 ok; 1 the operation failed (the server said no, wrong password, not found...);\n"
    "2 usage error (unknown command or option, missing argument); 3 cannot reach the server (or it\n"
    "could not be verified). Errors are `notes: <message>` on stderr.\n"
    "--json (on every command that prints data): one JSON document on stdout whenever there is an\n"
    "answer, also one that is a failure (exit 1: a refused console command, a tampered message,\n"
    "failed requests of a batch); with no answer stdout stays empty. Errors are never JSON.\n"
    "--help works on every command (`notes admin requests list --help`); --version here.\n"
    "Password of your ID: --password, else $NOTESD_PASSWORD, else --password-file, else a prompt\n"
    "on the terminal. Client directory: --client-dir, else $NOTESD_CLIENT, else ~/.notesd.\n"
    "Commands that talk to the server first add new Internet certificates the server holds for\n"
    "you to your ID file (one line on stderr when they do); --no-sync skips that.";

void AddGlobalOptions(CLI::App& app, CommandLine& line) {
  AddOptional(&app, "--client-dir", line.global.client_dir,
              "Client data directory (default: $NOTESD_CLIENT, else ~/.notesd)");
  AddOptional(&app, "--password", line.global.password, "Password of your ID file (default: $NOTESD_PASSWORD)");
  AddOptional(&app, "--password-file", line.global.password_file,
              "Read the password of your ID file from the first line of FILE");
  app.add_flag("--no-sync", line.global.no_sync,
               "Do not merge new Internet certificates from the server into your ID at the start");
}

// The deepest command the parser had chosen (the program itself when none).
const CLI::App* ChosenCommand(const CLI::App& app) {
  const CLI::App* chosen = &app;
  for (bool deeper = true; deeper;) {
    deeper = false;
    for (const CLI::App* sub : chosen->get_subcommands()) {
      chosen = sub;
      deeper = true;
      break;
    }
  }
  return chosen;
}

int ParseFailure(CLI::App& app, const CLI::ParseError& error) {
  if (error.get_exit_code() == 0) return app.exit(error);  // --help, --version
  // CLI11 says "A subcommand is required" for `notes frob`; name the word it did not know.
  const CLI::App* chosen = ChosenCommand(app);
  std::string where;
  for (const CLI::App* at = chosen; at != nullptr; at = at->get_parent())
    where = (at == &app ? "notes" : at->get_name()) + (where.empty() ? "" : " " + where);
  std::vector<std::string> extra = app.remaining(/*recurse=*/true);
  if (!chosen->get_subcommands({}).empty() && chosen->get_subcommands().empty() && !extra.empty() &&
      !extra.front().starts_with("-")) {
    std::string known;
    for (const CLI::App* sub : chosen->get_subcommands({})) known += (known.empty() ? "" : ", ") + sub->get_name();
    std::cerr << "notes: unknown command '" << extra.front() << "' for `" << where << "` (one of: " << known
              << ")\nRun `" << where << " --help` for more information.\n";
    return kExitUsage;
  }
  std::cerr << "notes: " << error.what() << "\nRun `" << where << " --help` for more information.\n";
  return kExitUsage;
}

}  // namespace

void OnRun(CLI::App* sub, CommandLine& line, std::function<int()> action) {
  sub->callback([&line, action = std::move(action)] { line.run = action; });
}

CLI::Option* AddOptional(CLI::App* sub, const std::string& name, std::optional<std::string>& target,
                         const std::string& description) {
  return sub->add_option_function<std::string>(
      name, [&target](const std::string& value) { target = value; }, description);
}

int ReportFailure(const Status& status) {
  std::cerr << "notes: " << status.message() << "\n";
  return status.code() == StatusCode::kUnavailable ? kExitUnreachable : kExitFailed;
}

int ReportUsage(const std::string& message) {
  std::cerr << "notes: " << message << "\n";
  return kExitUsage;
}

Result<HomeSession> OpenHomeSession(const ClientContext& context, bool sync, std::string* password_out) {
  HomeSession session;
  NOTESD_ASSIGN_OR_RETURN(session.settings, context.LoadHomeServerSettings());
  NOTESD_ASSIGN_OR_RETURN(ServerAddress address, ParseServerAddress(session.settings.home_server_address));
  NOTESD_ASSIGN_OR_RETURN(session.id_path, context.IdPath(std::nullopt));
  std::error_code error;
  if (!std::filesystem::exists(session.id_path, error))
    return Status::NotFound("no ID file " + session.id_path.string());
  NOTESD_ASSIGN_OR_RETURN(std::string password,
                          context.UserPassword("Password for " + session.id_path.string() + ": "));
  NOTESD_ASSIGN_OR_RETURN(session.id, IdFile::Load(session.id_path, password));
  if (password_out) *password_out = password;
  HomeServerOptions options;
  options.address = address;
  options.expected_server = session.settings.home_server;
  NOTESD_ASSIGN_OR_RETURN(session.server, HomeServerClient::Create(session.id, options));
  if (sync && !context.options().no_sync) {
    Result<CertificateMerge> merged = SyncIdFile(session, password);
    // An unreachable server is left for the command itself to report.
    if (!merged.ok() && merged.status().code() != StatusCode::kUnavailable) {
      std::cerr << "notes: warning: your ID file was not synchronised with the server: " << merged.status().message()
                << "\n";
    } else if (merged.ok() && !merged->added.empty()) {
      std::cerr << "notes: " << merged->added.size() << " new Internet certificate(s) added to your ID file "
                << "(see `notes id certificates`)\n";
    }
  }
  return session;
}

Result<CertificateMerge> SyncIdFile(HomeSession& session, const std::string& password) {
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json reply, session.server->Get("/api/v1/me/certificates"));
  std::vector<std::string> certificates, roots;
  for (const char* field : {"certificates", "roots"}) {
    auto it = reply.find(field);
    if (it == reply.end() || !it->is_array()) continue;
    for (const nlohmann::json& item : *it) {
      // Entries are PEM strings or {"certificate": PEM, ...} objects.
      std::string pem = item.is_string() ? item.get<std::string>() : JsonText(item, "certificate");
      if (!pem.empty()) (std::string_view(field) == "roots" ? roots : certificates).push_back(std::move(pem));
    }
  }
  CertificateMerge merge = MergeInternetCertificates(session.id, certificates, roots);
  if (merge.Changed()) NOTESD_RETURN_IF_ERROR(session.id.Save(session.id_path, password));
  return merge;
}

int RunNotes(int argc, char** argv) {
  CLI::App app{"notes — the notesd client: your ID file, local databases, the directory, administration", "notes"};
  app.set_version_flag("--version", std::string("notes (notesd) ") + NOTESD_VERSION);
  app.footer(kFooter);
  app.fallthrough();  // global options may also follow the subcommand
  app.require_subcommand(1);
  CommandLine line;
  AddGlobalOptions(app, line);
  AddDbCommands(app, line);
  AddIdCommands(app, line);
  AddSetupCommands(app, line);
  AddPeopleCommands(app, line);
  AddAdminCommands(app, line);
  AddMailCommands(app, line);
  AddContactsCommands(app, line);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return ParseFailure(app, error);
  }
  if (!line.run) return ReportUsage("no command given; run `notes --help`");
  try {
    return line.run();
  } catch (const std::exception& error) {
    std::cerr << "notes: internal error: " << error.what() << "\n";
    return kExitFailed;
  }
}

}  // namespace notesd::client
