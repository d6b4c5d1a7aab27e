// http/http_ca_api.cc — the client API's AdminP and Internet certifier endpoints
// (contract in http/http_task.h): what Domino Administrator's "Configuration /
// Registration / Internet Certifier" and the Administration Requests database do.
// Routes onto the CA service (ca_task/ca_service.h), which holds every rule: posting a
// Create Internet Certifier request only validates it and stores it in admin4.nsf
// (AdminP makes the certifier later; TELL ADMINP PROCESS ALL hurries it), the caller is
// made both CAA and RA, passwords are wrapped at once to the server's certificate, and
// the local certifier ID copy goes only to the request's author.
// SECURITY: the request body holds passwords: it is handed to the service and never
// logged.
#include <httplib.h>

#include <optional>

#include "ca_task/ca_service.h"
#include "base/json_body.h"
#include "http/http_api.h"
#include "base/ascii.h"
#include "pki/base64.h"

namespace notesd {

namespace {

nlohmann::json ResponseJson(const AdminResponse& response) {
  nlohmann::json results = nlohmann::json::object();
  for (const auto& [name, value] : response.results) results[name] = value;
  nlohmann::json binary = nlohmann::json::array();
  for (const auto& [name, value] : response.binary_results) binary.push_back(name);
  return {{"unid", response.unid},
          {"attempt", response.attempt},
          {"outcome", RequestStatusName(response.outcome)},
          {"error", response.error},
          {"started", IsoTime(response.started)},
          {"finished", IsoTime(response.finished)},
          {"results", results},
          {"binary_results", binary}};
}

nlohmann::json RequestJson(const AdminRequest& request) {
  nlohmann::json parameters = nlohmann::json::object();
  for (const auto& [name, values] : request.parameters)
    parameters[name] = values.size() == 1 ? nlohmann::json(values.front()) : nlohmann::json(values);
  return {{"unid", request.unid},
          {"type", request.type},
          {"proxy_action", request.proxy_action},
          {"status", RequestStatusName(request.status)},
          {"timing", TimingClassName(request.timing)},
          {"target", request.target},
          {"author", request.author},
          {"server", request.server},
          {"attempts", request.attempts},
          {"created", IsoTime(request.created)},
          {"started", IsoTime(request.started)},
          {"finished", IsoTime(request.finished)},
          {"retry_at", IsoTime(request.retry_at)},
          {"error", request.error},
          {"parameters", parameters}};
}

nlohmann::json CertifierJson(const InternetCertifierDocument& doc) {
  return {{"name", doc.base.name.Canonical()},
          {"abbreviated", doc.base.name.Abbreviated()},
          {"type", doc.base.type},
          {"subject", doc.subject},
          {"certificate", doc.base.certificate_pem},
          {"icl_file", doc.base.icl_file},
          {"id_file", doc.id_file},
          {"ca_server", doc.ca_server},
          {"caa", doc.caa},
          {"ra", doc.ra},
          {"request_unid", doc.request_unid}};
}

}  // namespace

void HttpApi::InstallCaEndpoints(httplib::Server& server) {
  server.Post("/api/v1/admin/requests/internet-certifier",
              Guarded(
                  [this](const Caller& c, const httplib::Request& r, int* status) {
                    *status = 202;
                    return PostInternetCertifier(c, r);
                  },
                  true));
  server.Get("/api/v1/admin/requests",
             Guarded([this](const Caller&, const httplib::Request& r, int*) { return ListAdminRequests(r); }, true));
  server.Get(R"(/api/v1/admin/requests/([0-9A-Fa-f]{32}))",
             Guarded([this](const Caller& c, const httplib::Request& r, int*) { return ShowAdminRequest(c, r); },
                     true));
  server.Get("/api/v1/certifiers",
             Guarded([this](const Caller&, const httplib::Request&, int*) { return ListCertifiers(); }, false));
  server.Get(R"(/api/v1/certifiers/(.+))",
             Guarded([this](const Caller&, const httplib::Request& r, int*) { return ShowCertifier(r); }, false));
  server.Post(R"(/api/v1/admin/certifiers/(.+)/roles)",
              Guarded(
                  [this](const Caller& c, const httplib::Request& r, int* status) {
                    *status = 202;
                    return ChangeCertifierRoles(c, r);
                  },
                  false));
}

Result<nlohmann::json> HttpApi::PostInternetCertifier(const Caller& caller, const httplib::Request& request) {
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(request.body));
  NOTESD_ASSIGN_OR_RETURN(CaService::PostedCertifier posted, ca_.RequestCertifier(caller.person, std::move(body)));
  const AdminRequest& stored = posted.request;
  context_.Log().Log("HTTP Server", caller.person.name.Abbreviated() + " posted '" + stored.type + "' for " +
                                        stored.target + " (request " + stored.unid + ")");
  nlohmann::json reply = RequestJson(stored);
  reply["certifier"] = posted.spec.ToJson();
  return reply;
}

Result<nlohmann::json> HttpApi::ListAdminRequests(const httplib::Request& request) {
  std::string filter = request.has_param("status") ? request.get_param_value("status") : "all";
  NOTESD_ASSIGN_OR_RETURN(std::vector<AdminRequest> requests, ca_.ListRequests(filter));
  nlohmann::json list = nlohmann::json::array();
  for (const AdminRequest& item : requests) list.push_back(RequestJson(item));
  return nlohmann::json{{"requests", list}};
}

Result<nlohmann::json> HttpApi::ShowAdminRequest(const Caller& caller, const httplib::Request& request) {
  NOTESD_ASSIGN_OR_RETURN(CaService::RequestDetail detail, ca_.ShowRequest(caller.person, request.matches[1]));
  nlohmann::json reply = RequestJson(detail.request);
  nlohmann::json list = nlohmann::json::array();
  for (const AdminResponse& response : detail.responses) list.push_back(ResponseJson(response));
  reply["responses"] = list;
  if (detail.local_copy) {
    reply["local_copy_id_base64"] = Base64Flat(*detail.local_copy);
    reply["local_copy_file"] = detail.local_copy_file;
  } else if (detail.local_copy_withheld) {
    reply["local_copy_note"] = "the local certifier ID copy is given only to the request's author";
  }
  return reply;
}

Result<nlohmann::json> HttpApi::ListCertifiers() {
  NOTESD_ASSIGN_OR_RETURN(std::vector<InternetCertifierDocument> certifiers, ca_.ListCertifiers());
  nlohmann::json list = nlohmann::json::array();
  for (const InternetCertifierDocument& doc : certifiers) list.push_back(CertifierJson(doc));
  return nlohmann::json{{"certifiers", list}};
}

Result<nlohmann::json> HttpApi::ShowCertifier(const httplib::Request& request) {
  NOTESD_ASSIGN_OR_RETURN(InternetCertifierDocument doc, ca_.FindCertifier(request.matches[1]));
  return CertifierJson(doc);
}

Result<nlohmann::json> HttpApi::ChangeCertifierRoles(const Caller& caller, const httplib::Request& request) {
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(request.body));
  std::optional<std::vector<std::string>> caa, ra;
  if (body.contains("caa")) caa = JsonStringList(body, "caa");
  if (body.contains("ra")) ra = JsonStringList(body, "ra");
  NOTESD_ASSIGN_OR_RETURN(AdminRequest stored, ca_.ChangeRoles(caller.person, request.matches[1], caa, ra));
  context_.Log().Log("HTTP Server", caller.person.name.Abbreviated() + " posted '" + stored.type + "' for " +
                                        stored.target + " (request " + stored.unid + ")");
  return RequestJson(stored);
}

}  // namespace notesd
