// client_cli/cmd_internet_password.cc — `notes admin person set-internet-password` and
// `notes id internet-password` (contract in cmd_internet_password.h).
#include "client_cli/cmd_internet_password.h"

#include <iostream>
#include <memory>

#include "client_cli/cli_output.h"

namespace notesd::client {

namespace {

struct InternetPasswordOptions {
  GlobalOptions* global = nullptr;
  std::string name;  // empty: the caller's own
  bool password_stdin = false;
  bool json = false;
};

int RunSetInternetPassword(const InternetPasswordOptions& options) {
  ClientContext context(*options.global);
  // The session first: its ID password may be asked on the terminal too, and a wrong
  // one should fail before the new password is typed twice.
  Result<HomeSession> session = OpenHomeSession(context);
  if (!session.ok()) return ReportFailure(session.status());
  Result<std::string> password = NewInternetPassword(options.password_stdin, PromptOnTerminal);
  if (!password.ok()) return ReportFailure(password.status());
  const bool own = options.name.empty();
  std::string path =
      own ? "/api/v1/me/internet-password" : "/api/v1/admin/people/" + UrlEncode(options.name) + "/internet-password";
  Result<nlohmann::json> reply = session->server->Put(path, {{"password", *password}});
  if (!reply.ok()) return ReportFailure(reply.status());
  if (options.json) {
    PrintJson(std::cout, *reply);
    return kExitOk;
  }
  std::string name = JsonText(*reply, "name");
  std::cout << (own ? "Your Internet password" : "The Internet password of " + Sanitize(name)) << " has been set ("
            << Sanitize(JsonText(*reply, "changed")) << ").\n";
  return kExitOk;
}

}  // namespace

void AddSetInternetPasswordCommand(CLI::App* admin_person, CommandLine& line) {
  auto options = std::make_shared<InternetPasswordOptions>();
  options->global = &line.global;
  CLI::App* sub =
      admin_person->add_subcommand("set-internet-password",
                                   "Set or reset a person's Internet password (IMAP, POP3, SMTP AUTH; administrators)");
  sub->add_option("NAME", options->name, "Full, abbreviated or short name, or Internet address")->required();
  sub->add_flag("--password-stdin", options->password_stdin,
                "Read the new password from the first line of standard input (default: asked twice)");
  sub->add_flag("--json", options->json, "Print JSON");
  OnRun(sub, line, [options] { return RunSetInternetPassword(*options); });
}

void AddOwnInternetPasswordCommand(CLI::App* id, CommandLine& line) {
  auto options = std::make_shared<InternetPasswordOptions>();
  options->global = &line.global;
  CLI::App* sub = id->add_subcommand("internet-password",
                                     "Set your own Internet password (IMAP, POP3, SMTP AUTH) on the home server");
  sub->add_flag("--password-stdin", options->password_stdin,
                "Read the new password from the first line of standard input (default: asked twice)");
  sub->add_flag("--json", options->json, "Print JSON");
  OnRun(sub, line, [options] { return RunSetInternetPassword(*options); });
}

}  // namespace notesd::client
