// client_cli/cmd_people.cc — `notes people show NAME` (a Person record from the home
// server's directory) and `notes people list` (every person, a page at a time).
#include <algorithm>
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

constexpr std::size_t kListPage = 500;

// Name, Internet address, certificates: one line each, columns aligned over the page.
void PrintPeopleLines(std::ostream& out, const nlohmann::json& people) {
  std::size_t name_width = 4;
  for (const nlohmann::json& person : people)
    name_width = std::max(name_width, Sanitize(JsonText(person, "abbreviated")).size());
  name_width = std::min<std::size_t>(name_width, 48);
  auto pad = [](std::string text, std::size_t width) {
    if (text.size() < width) text.append(width - text.size(), ' ');
    return text;
  };
  for (const nlohmann::json& person : people) {
    std::size_t certificates = person.value("internet_certificates", 0);
    out << pad(Sanitize(JsonText(person, "abbreviated")), name_width) << "  "
        << pad(Sanitize(JsonText(person, "internet_address")), 32) << "  " << certificates
        << (certificates == 1 ? " certificate" : " certificates") << "\n";
  }
}

// Every person, page by page, so a directory of 100,000 is never one answer in memory.
int RunList(const PeopleOptions& options) {
  ClientContext context(*options.global);
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  nlohmann::json all = nlohmann::json::array();
  std::string after;
  std::size_t count = 0;
  do {
    std::string path = "/api/v1/people?limit=" + std::to_string(kListPage);
    if (!after.empty()) path += "&after=" + UrlEncode(after);
    Result<nlohmann::json> page = session->server->Get(path);
    if (!page.ok()) return ReportFailure(page.status());
    const nlohmann::json& people = (*page)["people"];
    count += people.size();
    if (options.json) {
      for (const nlohmann::json& person : people) all.push_back(person);
    } else {
      PrintPeopleLines(std::cout, people);
    }
    after = JsonText(*page, "next");
  } while (!after.empty());
  if (options.json) {
    PrintJson(std::cout, all);
  } else {
    std::cout << count << (count == 1 ? " person\n" : " people\n");
  }
  return kExitOk;
}

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

  CLI::App* list = people->add_subcommand("list", "List every person: name, Internet address, certificates");
  list->add_flag("--json", options->json, "Print JSON (one array of every person)");
  OnRun(list, line, [options] { return RunList(*options); });
}

}  // namespace notesd::client
