// server/http_ca_api.cc — the client API's AdminP and Internet certifier endpoints
// (contract in server/http_task.h): what Domino Administrator's "Configuration /
// Registration / Internet Certifier" and the Administration Requests database do.
//
// Posting a Create Internet Certifier request only validates it and stores it in
// admin4.nsf: AdminP makes the certifier later (TELL ADMINP PROCESS ALL hurries it), so
// TELL CA STAT does not list it before. The author of every request is the
// authenticated caller; the caller is always made both CAA and RA of a new certifier.
// SECURITY: passwords in a request body (certifier, activation, local copy) are wrapped
// at once to the server's certificate (CMS, ca_task/server_id_wrap.h) and only the wrap
// is stored; they are never logged nor returned. The local certifier ID copy is returned
// only to the request's author.
#include <httplib.h>

#include <filesystem>

#include "ca_task/ca_handlers.h"
#include "ca_task/certifier_document.h"
#include "ca_task/internet_certifier.h"
#include "ca_task/server_id_wrap.h"
#include "pki/crypto.h"
#include "directory/admin_requests.h"
#include "base/json_body.h"
#include "server/http_api.h"
#include "base/ascii.h"
#include "pki/base64.h"

namespace notesd {

namespace {

// The caller first, then the typed names, without repeats.
std::vector<std::string> WithCaller(const std::string& caller, const std::vector<std::string>& names) {
  std::vector<std::string> all = {caller};
  for (const std::string& name : names)
    if (!EqualsIgnoreCase(name, caller)) all.push_back(name);
  return all;
}

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
  server.Post("/api/v1/admin/requests/internet-certifier", Guarded(
                                                               [this](const Caller& c, const httplib::Request& r, int* status) {
                                                                 *status = 202;
                                                                 return PostInternetCertifier(c, r);
                                                               },
                                                               true));
  server.Get("/api/v1/admin/requests",
             Guarded([this](const Caller&, const httplib::Request& r, int*) { return ListAdminRequests(r); }, true));
  server.Get(R"(/api/v1/admin/requests/([0-9A-Fa-f]{32}))",
             Guarded([this](const Caller& c, const httplib::Request& r, int*) { return ShowAdminRequest(c, r); }, true));
  server.Get("/api/v1/certifiers", Guarded([this](const Caller&, const httplib::Request&, int*) { return ListCertifiers(); }, false));
  server.Get(R"(/api/v1/certifiers/(.+))",
             Guarded([this](const Caller&, const httplib::Request& r, int*) { return ShowCertifier(r); }, false));
  server.Post(R"(/api/v1/admin/certifiers/(.+)/roles)", Guarded(
                                                            [this](const Caller& c, const httplib::Request& r, int* status) {
                                                              *status = 202;
                                                              return ChangeCertifierRoles(c, r);
                                                            },
                                                            false));
}

Result<nlohmann::json> HttpApi::PostInternetCertifier(const Caller& caller, const httplib::Request& request) {
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(request.body));
  if (auto use = body.find("use_ca_process"); use != body.end() && use->is_boolean() && !use->get<bool>())
    return Status::InvalidArgument("notesd creates only Internet certifiers that use the CA process");
  if (std::string server = JsonStringField(body, "server"); !server.empty()) {
    auto named = HierName::Parse(server);
    if (!named.ok() || !(*named == server_name_))
      return Status::InvalidArgument("the CA process for this request runs on " + server_name_.Abbreviated() + ", not '" + server + "'");
  }
  std::string caller_name = caller.person.name.Canonical();
  NOTESD_ASSIGN_OR_RETURN(std::vector<std::string> caa, ResolveRoleNames(directory_, JsonStringList(body, "caa")));
  NOTESD_ASSIGN_OR_RETURN(std::vector<std::string> ra, ResolveRoleNames(directory_, JsonStringList(body, "ra")));
  body["caa"] = WithCaller(caller_name, caa);
  body["ra"] = WithCaller(caller_name, ra);
  NOTESD_ASSIGN_OR_RETURN(InternetCertifierSpec spec, InternetCertifierSpec::FromJson(body));

  std::string certifier_password = JsonStringField(body, "certifier_password");
  std::string activation_password = JsonStringField(body, "activation_password");
  std::string local_copy_password = JsonStringField(body, "local_copy_password");
  if (spec.protection == CertifierProtection::kPassword && certifier_password.empty())
    return Status::InvalidArgument("encrypting the certifier ID with a password needs 'certifier_password'");
  if (spec.protection == CertifierProtection::kServerId && spec.require_activation && activation_password.empty())
    return Status::InvalidArgument("'require_activation_password' needs 'activation_password'");
  if (spec.local_copy && local_copy_password.empty())
    return Status::InvalidArgument("a local copy of the certifier ID needs 'local_copy_password'");

  // Refuse now what AdminP would refuse later.
  HierName name = spec.NotesName();
  NOTESD_ASSIGN_OR_RETURN(std::optional<InternetCertifierDocument> existing, FindInternetCertifier(directory_, name.Canonical()));
  if (existing || directory_.FindCertifier(spec.common_name).ok())
    return Status::AlreadyExists("a certifier named " + name.Abbreviated() + " already exists");
  std::error_code error;
  if (std::filesystem::exists(context_.DataDir() / spec.icl_file, error))
    return Status::AlreadyExists("the database " + spec.icl_file + " already exists on " + server_name_.Abbreviated());
  if (std::filesystem::exists(context_.DataDir() / spec.IdFileName(), error))
    return Status::AlreadyExists("the certifier ID file " + spec.IdFileName() + " already exists on " + server_name_.Abbreviated());
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<AdminRequestsDb> requests, OpenSharedAdminRequests(context_.DataDir()));
  NOTESD_ASSIGN_OR_RETURN(std::vector<AdminRequest> earlier, requests->ForTarget(name.Canonical()));
  for (const AdminRequest& other : earlier)
    if (other.IsPending() && EqualsIgnoreCase(other.type, kRequestCreateInternetCertifier))
      return Status::AlreadyExists("certifier " + name.Abbreviated() + " is already requested (request " + other.unid + ")");

  AdminRequest posted;
  posted.type = kRequestCreateInternetCertifier;
  posted.author = caller_name;
  posted.server = server_name_.Canonical();
  spec.ToRequest(posted);
  NOTESD_ASSIGN_OR_RETURN(ServerDocument server, directory_.FindServer(server_name_.Canonical()));
  NOTESD_ASSIGN_OR_RETURN(X509Ptr server_certificate, CertificateFromPem(server.certificate_pem));
  for (const auto& [secret_name, value] : {std::pair<const char*, const std::string&>{kSecretCertifierPassword, certifier_password},
                                          {kSecretActivationPassword, activation_password},
                                          {kSecretLocalCopyPassword, local_copy_password}}) {
    if (value.empty()) continue;
    NOTESD_ASSIGN_OR_RETURN(posted.secrets[secret_name], WrapSecret(value, server_certificate.get()));
  }
  NOTESD_ASSIGN_OR_RETURN(AdminRequest stored, requests->Post(posted));
  context_.Log().Log("HTTP Server", caller.person.name.Abbreviated() + " posted '" + stored.type + "' for " + stored.target +
                                        " (request " + stored.unid + ")");
  nlohmann::json reply = RequestJson(stored);
  reply["certifier"] = spec.ToJson();
  return reply;
}

Result<nlohmann::json> HttpApi::ListAdminRequests(const httplib::Request& request) {
  std::string filter = request.has_param("status") ? ToLowerAscii(request.get_param_value("status")) : "all";
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<AdminRequestsDb> requests, OpenSharedAdminRequests(context_.DataDir()));
  NOTESD_ASSIGN_OR_RETURN(std::vector<AdminRequest> all, requests->List());
  if (filter != "all" && filter != "pending") NOTESD_RETURN_IF_ERROR(ParseRequestStatus(filter).status());
  nlohmann::json list = nlohmann::json::array();
  for (const AdminRequest& item : all) {
    bool keep = filter == "all" || (filter == "pending" ? item.IsPending() : EqualsIgnoreCase(filter, RequestStatusName(item.status)));
    if (keep) list.push_back(RequestJson(item));
  }
  return nlohmann::json{{"requests", list}};
}

Result<nlohmann::json> HttpApi::ShowAdminRequest(const Caller& caller, const httplib::Request& request) {
  std::string unid = request.matches[1];
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<AdminRequestsDb> requests, OpenSharedAdminRequests(context_.DataDir()));
  NOTESD_ASSIGN_OR_RETURN(AdminRequest found, requests->Get(unid));
  NOTESD_ASSIGN_OR_RETURN(std::vector<AdminResponse> responses, requests->Responses(found.unid));
  nlohmann::json reply = RequestJson(found);
  nlohmann::json list = nlohmann::json::array();
  for (const AdminResponse& response : responses) list.push_back(ResponseJson(response));
  reply["responses"] = list;
  bool author = EqualsIgnoreCase(found.author, caller.person.name.Canonical());
  for (auto it = responses.rbegin(); it != responses.rend(); ++it) {
    auto copy = it->binary_results.find(kResultLocalCopy);
    if (it->outcome != RequestStatus::kDone || copy == it->binary_results.end()) continue;
    if (author) {
      reply["local_copy_id_base64"] = Base64Flat(copy->second);
      reply["local_copy_file"] = found.Param("LocalCopyFile");
    } else {
      reply["local_copy_note"] = "the local certifier ID copy is given only to the request's author";
    }
    break;
  }
  return reply;
}

Result<nlohmann::json> HttpApi::ListCertifiers() {
  NOTESD_ASSIGN_OR_RETURN(std::vector<InternetCertifierDocument> certifiers, ListInternetCertifiers(directory_));
  nlohmann::json list = nlohmann::json::array();
  for (const InternetCertifierDocument& doc : certifiers) list.push_back(CertifierJson(doc));
  return nlohmann::json{{"certifiers", list}};
}

Result<nlohmann::json> HttpApi::ShowCertifier(const httplib::Request& request) {
  std::string name = request.matches[1];
  NOTESD_ASSIGN_OR_RETURN(std::optional<InternetCertifierDocument> doc, FindInternetCertifier(directory_, name));
  if (!doc) return Status::NotFound("no Internet certifier '" + name + "' in the directory");
  return CertifierJson(*doc);
}

Result<nlohmann::json> HttpApi::ChangeCertifierRoles(const Caller& caller, const httplib::Request& request) {
  std::string name = request.matches[1];
  NOTESD_ASSIGN_OR_RETURN(std::optional<InternetCertifierDocument> doc, FindInternetCertifier(directory_, name));
  if (!doc) return Status::NotFound("no Internet certifier '" + name + "' in the directory");
  NOTESD_RETURN_IF_ERROR(RequireCertifierRole(directory_, *doc, caller.person, CertifierRole::kCaa));
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(request.body));
  std::vector<std::string> caa = doc->caa;
  std::vector<std::string> ra = doc->ra;
  if (body.contains("caa")) {
    NOTESD_ASSIGN_OR_RETURN(caa, ResolveRoleNames(directory_, JsonStringList(body, "caa")));
  }
  if (body.contains("ra")) {
    NOTESD_ASSIGN_OR_RETURN(ra, ResolveRoleNames(directory_, JsonStringList(body, "ra")));
  }
  if (caa.empty() || ra.empty()) return Status::InvalidArgument("a certifier needs at least one CAA and one RA");

  AdminRequest posted;
  posted.type = kRequestModifyCaConfiguration;
  posted.author = caller.person.name.Canonical();
  posted.server = doc->ca_server.empty() ? server_name_.Canonical() : doc->ca_server;
  posted.target = doc->base.name.Canonical();
  posted.SetParam(kParamCertifier, doc->base.name.Canonical());
  posted.SetParamList(kParamCaa, caa);
  posted.SetParamList(kParamRa, ra);
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<AdminRequestsDb> requests, OpenSharedAdminRequests(context_.DataDir()));
  NOTESD_ASSIGN_OR_RETURN(AdminRequest stored, requests->Post(posted));
  context_.Log().Log("HTTP Server", caller.person.name.Abbreviated() + " posted '" + stored.type + "' for " + stored.target +
                                        " (request " + stored.unid + ")");
  return RequestJson(stored);
}

}  // namespace notesd
