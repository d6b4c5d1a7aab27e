// client_cli/cmd_people.cc — `notes people show NAME`: a Person record from the home
// server's directory.
#include <iostream>
#include <memory>

#include "client_cli/cli_output.h"
#include "client_cli/notes_cli.h"

namespace notesd::client {

namespace {

struct PeopleOptions {
  GlobalOptions* global = nullptr;
  std::string name;
  bool json = false;
};

int RunShow(const PeopleOptions& options) {
  ClientContext context(*options.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  Result<nlohmann::json> person = session->server->Get("/api/v1/people/lookup?name=" + UrlEncode(options.name));
  if (!person.ok()) return ReportFailure(person.status());
  if (options.json) {
    PrintJson(std::cout, *person);
  } else {
    PrintPerson(std::cout, *person);
  }
  return kExitOk;
}

}  // namespace

void AddPeopleCommands(CLI::App& app, CommandLine& line) {
  CLI::App* people = app.add_subcommand("people", "Person records in the home server's directory");
  people->require_subcommand(1);
  auto options = std::make_shared<PeopleOptions>();
  options->global = &line.global;
  CLI::App* show = people->add_subcommand("show", "Show one Person record");
  show->add_option("NAME", options->name, "Full, abbreviated or short name, or Internet address")->required();
  show->add_flag("--json", options->json, "Print JSON (the record as the server sends it)");
  OnRun(show, line, [options] { return RunShow(*options); });
}

}  // namespace notesd::client
