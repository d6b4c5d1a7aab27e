#include <charconv>
#include "http/http_api.h"

#include "base/time_text.h"
#include "router/message_tracking.h"

#include <openssl/ssl.h>

#include <optional>

#include "pki/crypto.h"
#include "pki/openssl_handles.h"
#include "pki/x509_certs.h"
#include "base/ascii.h"
#include "base/display_text.h"
#include "base/json_body.h"

namespace notesd {

namespace {

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kUnavailable: return 503;
    default: return 500;
  }
}

Result<std::string> RequiredString(const nlohmann::json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || !it->is_string() || it->get<std::string>().empty())
    return Status::InvalidArgument(std::string("missing or empty string field '") + field + "'");
  return it->get<std::string>();
}

std::string OptionalString(const nlohmann::json& body, const char* field) {
  auto it = body.find(field);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

nlohmann::json PersonJson(const Person& person) {
  return {{"name", person.name.Canonical()},
          {"abbreviated", person.name.Abbreviated()},
          {"first_name", person.first_name},
          {"last_name", person.last_name},
          {"short_name", person.short_name},
          {"internet_address", person.internet_address},
          {"mail_server", person.mail_server},
          {"mail_file", person.mail_file},
          {"certificate", person.notes_certificate_pem},
          {"internet_certificates", person.internet_certificates_pem}};
}

HttpApi::HttpApi(TaskContext& context, Directory& directory, CaService& ca, MailService& mail,
                 InternetPasswords& passwords, HierName server_name)
    : context_(context),
      directory_(directory),
      ca_(ca),
      mail_(mail),
      passwords_(passwords),
      server_name_(std::move(server_name)) {}

void HttpApi::Install(httplib::Server& server) {
  server.Get("/api/v1/whoami",
             Guarded([this](const Caller& c, const httplib::Request&, int*) { return WhoAmI(c); }, false));
  server.Get("/api/v1/people",
             Guarded([this](const Caller&, const httplib::Request& r, int*) { return ListPeople(r); }, false));
  server.Get("/api/v1/people/lookup",
             Guarded([this](const Caller&, const httplib::Request& r, int*) { return LookupPerson(r); }, false));
  server.Post("/api/v1/admin/console",
              Guarded([this](const Caller& c, const httplib::Request& r, int*) { return RemoteConsole(c, r); }, true));
  server.Post("/api/v1/admin/people", Guarded(
                                          [this](const Caller& c, const httplib::Request& r, int* status) {
                                            *status = 201;
                                            return RegisterPerson(c, r);
                                          },
                                          true));
  server.Delete("/api/v1/admin/people",
                Guarded([this](const Caller& c, const httplib::Request& r, int*) { return DeletePerson(c, r); }, true));
  server.Get("/api/v1/admin/mail/track",
             Guarded([this](const Caller&, const httplib::Request& r, int*) { return TrackMail(r); }, true));
  InstallMailEndpoints(server);
  InstallCaEndpoints(server);
  InstallCertEndpoints(server);
  InstallPasswordEndpoints(server);
  server.set_exception_handler(
      [this](const httplib::Request& request, httplib::Response& response, const std::exception_ptr& ep) {
        std::string what = "unknown error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        context_.Log().Log("HTTP Server", "500 " + request.method + " " + request.path + ": " + what);
        response.status = 500;
        response.set_content(nlohmann::json{{"error", "internal error"}}.dump(), "application/json");
      });
  server.set_error_handler([](const httplib::Request&, httplib::Response& response) {
    if (!response.body.empty()) return;
    std::string message = response.status == 404   ? "no such endpoint"
                          : response.status == 413 ? "request body too large"
                                                   : "request refused";
    response.set_content(nlohmann::json{{"error", message}}.dump(), "application/json");
  });
}

httplib::Server::Handler HttpApi::Guarded(Handler handler, bool admin_only) {
  return
      [this, handler = std::move(handler), admin_only](const httplib::Request& request, httplib::Response& response) {
        context_.Stats().Counter("HTTP.Requests")++;
        Result<Caller> caller = Authenticate(request);
        if (!caller.ok()) {
          Reply(request, response, nullptr, caller.status(), 200);
          return;
        }
        if (admin_only && !caller->administrator) {
          Reply(request, response, &*caller,
                Status::PermissionDenied(caller->person.name.Abbreviated() + " is not an administrator of " +
                                         server_name_.Abbreviated()),
                200);
          return;
        }
        std::string canonical = caller->person.name.Canonical();
        context_.Sessions().Seen("HTTPS", canonical, caller->person.mail_file, request.remote_addr);
        if (std::optional<std::string> broadcast = context_.Sessions().TakeBroadcast(canonical))
          response.set_header(kBroadcastHeader, EscapeForDisplay(*broadcast));
        int success_status = 200;
        Result<nlohmann::json> result = handler(*caller, request, &success_status);
        Reply(request, response, &*caller, result, success_status);
      };
}

Result<HttpApi::Caller> HttpApi::Authenticate(const httplib::Request& request) {
  if (!request.ssl) return Status::PermissionDenied("a client certificate is required");
  X509Ptr peer(SSL_get1_peer_certificate(request.ssl));
  if (!peer) return Status::PermissionDenied("a client certificate is required");
  auto name = HierName::FromX509Name(X509_get_subject_name(peer.get()));
  if (!name.ok()) return Status::PermissionDenied("the client certificate's subject is not a Notes name");
  auto person = directory_.FindPerson(name->Canonical());
  if (!person.ok())
    return Status::PermissionDenied("no Person document for " + name->Abbreviated() + " in the directory");
  if (!PublicKeyPemMatches(person->public_key_pem, peer.get()))
    return Status::PermissionDenied("the certificate of " + name->Abbreviated() +
                                    " does not match the Person document (replaced or revoked)");
  Caller caller{std::move(person).value(), false};
  auto server = directory_.FindServer(server_name_.Canonical());
  caller.administrator = server.ok() && directory_.IsAdministrator(*server, caller.person);
  return caller;
}

void HttpApi::Reply(const httplib::Request& request, httplib::Response& response, const Caller* caller,
                    const Result<nlohmann::json>& result, int success_status) {
  if (result.ok()) {
    response.status = success_status;
    response.set_content(result->dump(), "application/json");
    return;
  }
  context_.Stats().Counter("HTTP.Refused")++;
  response.status = HttpStatusFor(result.status());
  response.set_content(nlohmann::json{{"error", result.status().message()}}.dump(), "application/json");
  std::string who = caller ? caller->person.name.Abbreviated() : std::string("unauthenticated client");
  context_.Log().Log("HTTP Server", std::to_string(response.status) + " " + request.method + " " + request.path +
                                        " from " + who + " (" + request.remote_addr +
                                        "): " + result.status().message());
}

Result<nlohmann::json> HttpApi::WhoAmI(const Caller& caller) {
  return nlohmann::json{{"name", caller.person.name.Canonical()}, {"abbreviated", caller.person.name.Abbreviated()},
                        {"short_name", caller.person.short_name}, {"internet_address", caller.person.internet_address},
                        {"administrator", caller.administrator},  {"server", server_name_.Canonical()}};
}

Result<nlohmann::json> HttpApi::LookupPerson(const httplib::Request& request) {
  if (!request.has_param("name")) return Status::InvalidArgument("missing query parameter 'name'");
  NOTESD_ASSIGN_OR_RETURN(Person person, directory_.FindPerson(request.get_param_value("name")));
  return PersonJson(person);
}

// A page of the directory: ?limit=N (1..1000, default 100) &after=<next of the page before>.
Result<nlohmann::json> HttpApi::ListPeople(const httplib::Request& request) {
  std::size_t limit = 100;
  if (request.has_param("limit")) {
    const std::string text = request.get_param_value("limit");
    std::size_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > 1000)
      return Status::InvalidArgument("query parameter 'limit' must be a number from 1 to 1000");
    limit = value;
  }
  NOTESD_ASSIGN_OR_RETURN(Directory::PeoplePage page,
                          directory_.ListPeoplePage(request.get_param_value("after"), limit));
  nlohmann::json people = nlohmann::json::array();
  for (const Person& person : page.people) {
    people.push_back({{"name", person.name.Canonical()},
                      {"abbreviated", person.name.Abbreviated()},
                      {"short_name", person.short_name},
                      {"internet_address", person.internet_address},
                      {"internet_certificates", person.internet_certificates_pem.size()}});
  }
  return nlohmann::json{{"people", std::move(people)}, {"next", page.next}};
}

// GET /api/v1/admin/mail/track?from=&to=&subject=&since=RFC 3339 or YYYY-MM-DD: Message
// Tracking's records (router/message_tracking.h), oldest first, at most 200.
Result<nlohmann::json> HttpApi::TrackMail(const httplib::Request& request) {
  TrackingQuery query;
  query.from = request.get_param_value("from");
  query.to = request.get_param_value("to");
  query.subject = request.get_param_value("subject");
  if (request.has_param("since")) {
    NOTESD_ASSIGN_OR_RETURN(query.since, ParseTrackingTime(request.get_param_value("since")));
  }
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<TrackingStore> tracking,
                          OpenTrackingStore(context_.Databases(), context_.DataDir()));
  NOTESD_ASSIGN_OR_RETURN(std::vector<TrackingEvent> events, tracking->Query(query));
  nlohmann::json out = nlohmann::json::array();
  for (const TrackingEvent& e : events)
    out.push_back({{"time", Rfc3339FromMicros(e.time)},
                   {"event", e.event},
                   {"message_id", e.message_id},
                   {"unid", e.unid},
                   {"sender", e.sender},
                   {"recipient", e.recipient},
                   {"from", e.from},
                   {"subject", e.subject},
                   {"detail", e.detail}});
  return nlohmann::json{{"events", std::move(out)}};
}

Result<nlohmann::json> HttpApi::RemoteConsole(const Caller& caller, const httplib::Request& request) {
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(request.body));
  NOTESD_ASSIGN_OR_RETURN(std::string command, RequiredString(body, "command"));
  bool ok = false;
  NOTESD_ASSIGN_OR_RETURN(std::string output,
                          context_.ExecuteRemoteConsoleCommand(command, caller.person.name.Abbreviated(), "HTTP", &ok));
  return nlohmann::json{{"ok", ok}, {"output", output}};
}

Result<nlohmann::json> HttpApi::DeletePerson(const Caller& caller, const httplib::Request& request) {
  if (!request.has_param("name")) return Status::InvalidArgument("missing query parameter 'name'");
  NOTESD_ASSIGN_OR_RETURN(Person person, directory_.FindPerson(request.get_param_value("name")));
  if (person.name == caller.person.name) return Status::InvalidArgument("you cannot delete your own Person document");
  NOTESD_RETURN_IF_ERROR(directory_.DeletePerson(person.name.Canonical()));
  context_.Log().Log("HTTP Server",
                     caller.person.name.Abbreviated() + " deleted the Person document of " + person.name.Abbreviated());
  return nlohmann::json{{"deleted", person.name.Canonical()}};
}

Result<nlohmann::json> HttpApi::RegisterPerson(const Caller& caller, const httplib::Request& request) {
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(request.body));
  NOTESD_ASSIGN_OR_RETURN(std::string name_text, RequiredString(body, "name"));
  NOTESD_ASSIGN_OR_RETURN(std::string certificate_pem, RequiredString(body, "certificate"));
  NOTESD_ASSIGN_OR_RETURN(HierName name, HierName::Parse(name_text));
  NOTESD_ASSIGN_OR_RETURN(X509Ptr certificate, CertificateFromPem(certificate_pem));

  // The certificate must be a Notes certificate for exactly this name from our
  // organisation's certifier (the roots the directory's Certifier documents hold).
  auto subject = HierName::FromX509Name(X509_get_subject_name(certificate.get()));
  if (!subject.ok() || !(*subject == name))
    return Status::InvalidArgument("the certificate's subject does not match the name " + name.Abbreviated());
  NOTESD_ASSIGN_OR_RETURN(std::vector<CertifierDocument> certifiers, directory_.ListCertifiers());
  // Self-signed Notes certifiers are the roots; OU certifiers below them are intermediates.
  std::vector<X509Ptr> held;
  std::vector<X509*> roots, intermediates;
  for (const CertifierDocument& certifier : certifiers) {
    if (certifier.type != "Notes") continue;
    auto parsed = CertificateFromPem(certifier.certificate_pem);
    if (!parsed.ok()) continue;
    held.push_back(std::move(parsed).value());
    (IsSelfSigned(held.back().get()) ? roots : intermediates).push_back(held.back().get());
  }
  Status chained = VerifyChain(certificate.get(), roots, intermediates,
                               static_cast<std::time_t>(context_.GetClock().NowSeconds()), CertPurpose::kTlsClient);
  if (!chained.ok())
    return Status::InvalidArgument("the certificate is not from this organisation's certifier: " + chained.message());

  Person person;
  person.name = name;
  person.first_name = OptionalString(body, "first_name");
  person.last_name = OptionalString(body, "last_name");
  person.short_name = OptionalString(body, "short_name");
  person.internet_address = OptionalString(body, "internet_address");
  person.mail_server = server_name_.Canonical();
  person.mail_file = OptionalString(body, "mail_file");
  if (person.mail_file.empty() && !person.short_name.empty()) person.mail_file = "mail/" + person.short_name + ".nsf";
  person.notes_certificate_pem = certificate_pem;
  NOTESD_ASSIGN_OR_RETURN(person.public_key_pem, PublicKeyToPem(X509_get0_pubkey(certificate.get())));
  NOTESD_ASSIGN_OR_RETURN(Person stored, directory_.RegisterPerson(person));
  context_.Log().Log("HTTP Server", caller.person.name.Abbreviated() + " registered " + stored.name.Abbreviated());
  return PersonJson(stored);
}

}  // namespace notesd
