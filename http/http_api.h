// http/http_api.h — the client API's endpoints (see http/http_task.h for the
// contract): routes onto the services. Each handler parses the request, calls one
// service (the directory, ca_task/ca_service.h, router/mail_service.h) and renders the
// answer as JSON; its Status becomes an HTTP status and a JSON {"error"} in one place
// (Reply), which logs refusals with the caller's name. Authentication (the client
// certificate against the Person document) and the administrator check are here.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <memory>

#include "pki/hier_name.h"
#include "base/json_body.h"
#include "task/task.h"
#include "directory/directory.h"

namespace notesd {

class CaService;
class InternetPasswords;
class MailService;

class HttpApi {
 public:
  // All references must outlive the API (the HTTP task makes the services at Start over
  // the databases it takes from the server's set, and keeps them until Stop).
  HttpApi(TaskContext& context, Directory& directory, CaService& ca, MailService& mail, InternetPasswords& passwords,
          HierName server_name);
  void Install(httplib::Server& server);

 private:
  struct Caller {
    Person person;
    bool administrator = false;
  };
  using Handler = std::function<Result<nlohmann::json>(const Caller&, const httplib::Request&, int* status)>;

  // Authenticates the request's client certificate against the directory, runs `handler`,
  // and writes the reply. `admin_only` refuses non-administrators with 403.
  httplib::Server::Handler Guarded(Handler handler, bool admin_only);
  Result<Caller> Authenticate(const httplib::Request& request);
  void Reply(const httplib::Request& request, httplib::Response& response, const Caller* caller,
             const Result<nlohmann::json>& result, int success_status);

  Result<nlohmann::json> WhoAmI(const Caller& caller);
  Result<nlohmann::json> LookupPerson(const httplib::Request& request);
  Result<nlohmann::json> ListPeople(const httplib::Request& request);
  Result<nlohmann::json> RemoteConsole(const Caller& caller, const httplib::Request& request);
  Result<nlohmann::json> TrackMail(const httplib::Request& request);
  Result<nlohmann::json> RegisterPerson(const Caller& caller, const httplib::Request& request);
  Result<nlohmann::json> DeletePerson(const Caller& caller, const httplib::Request& request);

  // Mail (http/http_mail_api.cc): the caller deposits into mail.box and reads their
  // own mail file.
  void InstallMailEndpoints(httplib::Server& server);
  Result<nlohmann::json> MailDeposit(const Caller& caller, const httplib::Request& request);
  Result<nlohmann::json> MailList(const Caller& caller, const httplib::Request& request);
  Result<nlohmann::json> MailRead(const Caller& caller, const httplib::Request& request);
  Result<nlohmann::json> MailDelete(const Caller& caller, const httplib::Request& request);
  Result<nlohmann::json> MailMove(const Caller& caller, const httplib::Request& request);
  Result<nlohmann::json> MailFolders(const Caller& caller);
  Result<nlohmann::json> MailFolderChange(const Caller& caller, const httplib::Request& request);

  // AdminP requests and Internet certifiers (http/http_ca_api.cc): administrators post
  // requests (the author is the caller); only a certifier's CAAs may change its roles.
  void InstallCaEndpoints(httplib::Server& server);
  Result<nlohmann::json> PostInternetCertifier(const Caller& caller, const httplib::Request& request);
  Result<nlohmann::json> ListAdminRequests(const httplib::Request& request);
  Result<nlohmann::json> ShowAdminRequest(const Caller& caller, const httplib::Request& request);
  Result<nlohmann::json> ListCertifiers();
  Result<nlohmann::json> ShowCertifier(const httplib::Request& request);
  Result<nlohmann::json> ChangeCertifierRoles(const Caller& caller, const httplib::Request& request);

  // People's Internet certificates (http/http_cert_api.cc): RAs request them for many
  // people at once (one AdminP batch) and revoke them; each user fetches their own.
  void InstallCertEndpoints(httplib::Server& server);
  Result<nlohmann::json> AddInternetCertificates(const Caller& caller, const httplib::Request& request);
  Result<nlohmann::json> ShowBatch(const Caller& caller, const httplib::Request& request);
  Result<nlohmann::json> RevokeCertificate(const Caller& caller, const httplib::Request& request);
  Result<nlohmann::json> MyCertificates(const Caller& caller);

  // Internet passwords (http/http_password_api.cc): administrators set anyone's, each
  // person their own (directory/internet_password.h).
  void InstallPasswordEndpoints(httplib::Server& server);
  Result<nlohmann::json> SetInternetPassword(const Caller& caller, const httplib::Request& request);
  Result<nlohmann::json> SetOwnInternetPassword(const Caller& caller, const httplib::Request& request);

  TaskContext& context_;
  Directory& directory_;
  CaService& ca_;
  MailService& mail_;
  InternetPasswords& passwords_;
  HierName server_name_;
};

// The Person document as the API returns it.
nlohmann::json PersonJson(const Person& person);
// ParseJsonBody (a request body as a JSON object) is in base/json_body.h.

}  // namespace notesd
