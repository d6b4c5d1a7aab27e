// http/http_cert_api.cc — the client API's endpoints for people's Internet
// certificates (contract in http/http_task.h): Domino Administrator's "People / Add
// Internet Certificate", the certifier's revocation, the batch progress of AdminP
// requests, and what a Notes client fetches at authentication (its own certificates).
// Routes onto the CA service (ca_task/ca_service.h), which selects the people (through
// the directory's directory/people_selection.h), authorises (RAs request, RAs and CAAs
// revoke, administrators and the author follow a batch) and posts one AdminP batch.
// SECURITY: refusals are logged with the caller's name (HttpApi::Reply). Certificates
// and roots are public data; no private key is ever read here.
#include <httplib.h>

#include <cstdint>
#include <optional>

#include "ca_task/ca_service.h"
#include "ca_task/person_certificates.h"
#include "base/json_body.h"
#include "http/http_api.h"
#include "base/ascii.h"

namespace notesd {

void HttpApi::InstallCertEndpoints(httplib::Server& server) {
  server.Post(R"(/api/v1/admin/certifiers/(.+)/certificates)",
              Guarded(
                  [this](const Caller& c, const httplib::Request& r, int* status) {
                    *status = 202;
                    return AddInternetCertificates(c, r);
                  },
                  false));
  server.Get(R"(/api/v1/admin/requests/batches/([0-9A-Za-z_-]+))",
             Guarded([this](const Caller& c, const httplib::Request& r, int*) { return ShowBatch(c, r); }, false));
  server.Post(R"(/api/v1/admin/certifiers/(.+)/revoke)",
              Guarded([this](const Caller& c, const httplib::Request& r, int*) { return RevokeCertificate(c, r); },
                      false));
  server.Get("/api/v1/me/certificates",
             Guarded([this](const Caller& c, const httplib::Request&, int*) { return MyCertificates(c); }, false));
}

Result<nlohmann::json> HttpApi::AddInternetCertificates(const Caller& caller, const httplib::Request& request) {
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(request.body));
  std::int64_t validity_years = kPersonCertDefaultYears;
  if (auto it = body.find("validity_years"); it != body.end() && !it->is_null())
    // Read as 64-bit (get<int>() would wrap 4294967298 to 2); unsigned values beyond
    // INT64_MAX read back negative. Not a whole number: 0, which the service refuses
    // with the range it accepts.
    validity_years = it->is_number_integer() ? it->get<std::int64_t>() : 0;
  PeopleSelector selector;
  selector.all = body.contains("all") && body["all"].is_boolean() && body["all"].get<bool>();
  selector.people = JsonStringList(body, "people");
  selector.groups = JsonStringList(body, "groups");
  selector.ou = body.contains("ou") && body["ou"].is_string() ? body["ou"].get<std::string>() : std::string();
  NOTESD_ASSIGN_OR_RETURN(CaService::PostedBatch posted,
                          ca_.RequestCertificates(caller.person, request.matches[1], selector, validity_years));
  context_.Log().Log("HTTP Server", caller.person.name.Abbreviated() + " posted " + std::to_string(posted.count) +
                                        " '" + kRequestAddInternetCertificate + "' requests for certifier " +
                                        posted.certifier.Abbreviated() + " (batch " + posted.batch + ")");
  return nlohmann::json{{"batch", posted.batch}, {"count", posted.count}, {"certifier", posted.certifier.Canonical()}};
}

Result<nlohmann::json> HttpApi::ShowBatch(const Caller& caller, const httplib::Request& request) {
  std::string batch = request.matches[1];
  NOTESD_ASSIGN_OR_RETURN(CaService::BatchReport report, ca_.ShowBatch(caller.person, caller.administrator, batch));
  const AdminRequestsDb::BatchCounts& counts = report.counts;
  nlohmann::json reply = {{"batch", batch},
                          {"total", counts.total},
                          {"done", counts.done},
                          {"failed", counts.failed},
                          {"pending", counts.pending}};
  nlohmann::json failures = nlohmann::json::array();
  for (const CaService::BatchFailure& failure : report.failures)
    failures.push_back({{"unid", failure.unid}, {"target", failure.target}, {"error", failure.error}});
  reply["failures"] = failures;
  return reply;
}

Result<nlohmann::json> HttpApi::RevokeCertificate(const Caller& caller, const httplib::Request& request) {
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(request.body));
  RevocationTarget target;
  target.serial_hex = body.contains("serial") && body["serial"].is_string() ? body["serial"].get<std::string>() : "";
  target.person = body.contains("person") && body["person"].is_string() ? body["person"].get<std::string>() : "";
  std::optional<std::string> reason;
  if (auto it = body.find("reason"); it != body.end() && !it->is_null()) {
    if (it->is_number_integer()) {
      reason = std::to_string(it->get<int>());
    } else if (it->is_string()) {
      reason = it->get<std::string>();
    } else {
      return Status::InvalidArgument("'reason' must be a reason name or number");
    }
  }
  NOTESD_ASSIGN_OR_RETURN(CaService::Revocation done, ca_.Revoke(caller.person, request.matches[1], target, reason));
  nlohmann::json list = nlohmann::json::array();
  for (const IssuedCertificate& item : done.revoked) {
    list.push_back({{"serial", item.serial_hex}, {"subject", item.subject}});
    context_.Log().Log("HTTP Server", caller.person.name.Abbreviated() + " revoked certificate " + item.serial_hex +
                                          " (" + item.subject + ") of certifier " + done.certifier.Abbreviated());
  }
  return nlohmann::json{{"revoked", list}, {"certifier", done.certifier.Canonical()}};
}

Result<nlohmann::json> HttpApi::MyCertificates(const Caller& caller) {
  NOTESD_ASSIGN_OR_RETURN(CaService::OwnCertificates own, ca_.CertificatesOf(caller.person));
  return nlohmann::json{{"name", caller.person.name.Canonical()},
                        {"certificates", own.certificates},
                        {"roots", own.roots}};
}

}  // namespace notesd
