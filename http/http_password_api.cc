// http/http_password_api.cc — the client API's endpoints for Internet passwords
// (contract in http/http_task.h): an administrator sets or resets anyone's (Domino
// Administrator's "Set Internet Password"), a person changes their own. Each handler
// parses the JSON body, calls InternetPasswords::SetPassword (directory/internet_password.h:
// the rules, the Argon2id hash, the Person's HTTPPassword) and renders the answer.
// SECURITY: the password is in the request body only; it is never logged or echoed, and a
// refusal's message names the rule, not the password.
#include <httplib.h>

#include "base/json_body.h"
#include "base/time_text.h"
#include "directory/internet_password.h"
#include "http/http_api.h"

namespace notesd {

namespace {

// The body's "password": a string (the rules, including "not empty", are the service's).
Result<std::string> PasswordField(const httplib::Request& request) {
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(request.body));
  auto it = body.find("password");
  if (it == body.end() || !it->is_string()) return Status::InvalidArgument("missing string field 'password'");
  return it->get<std::string>();
}

nlohmann::json Changed(const Person& person) {
  return {{"name", person.name.Canonical()},
          {"changed", FormatMicros(person.http_password_change_date, "%Y-%m-%dT%H:%M:%SZ")}};
}

}  // namespace

void HttpApi::InstallPasswordEndpoints(httplib::Server& server) {
  server.Put(R"(/api/v1/admin/people/(.+)/internet-password)",
             Guarded([this](const Caller& c, const httplib::Request& r, int*) { return SetInternetPassword(c, r); },
                     true));
  server.Put("/api/v1/me/internet-password",
             Guarded([this](const Caller& c, const httplib::Request& r, int*) { return SetOwnInternetPassword(c, r); },
                     false));
}

Result<nlohmann::json> HttpApi::SetInternetPassword(const Caller& caller, const httplib::Request& request) {
  NOTESD_ASSIGN_OR_RETURN(std::string password, PasswordField(request));
  NOTESD_ASSIGN_OR_RETURN(Person person,
                          passwords_.SetPassword(request.matches[1].str(), password, caller.person.name.Abbreviated()));
  return Changed(person);
}

Result<nlohmann::json> HttpApi::SetOwnInternetPassword(const Caller& caller, const httplib::Request& request) {
  NOTESD_ASSIGN_OR_RETURN(std::string password, PasswordField(request));
  NOTESD_ASSIGN_OR_RETURN(Person person, passwords_.SetPassword(caller.person.name.Canonical(), password,
                                                                caller.person.name.Abbreviated() + " (own password)"));
  return Changed(person);
}

}  // namespace notesd
