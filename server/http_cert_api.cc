// server/http_cert_api.cc — the client API's endpoints for people's Internet
// certificates (contract in server/http_task.h): Domino Administrator's "People / Add
// Internet Certificate", the certifier's revocation, the batch progress of AdminP
// requests, and what a Notes client fetches at authentication (its own certificates).
//
// Adding certificates resolves the whole selection with one pass over the directory
// (ListPeople) and a few group look-ups, validates every person before anything is
// posted (one refusal posts nothing), then stores all requests in one transaction
// (AdminRequestsDb::PostMany), so 10,000 people cost one read pass and one write.
// AdminP issues the certificates later (TELL ADMINP PROCESS PEOPLE hurries it).
// SECURITY: only RAs of the certifier may request certificates; RAs and CAAs may
// revoke; refusals are logged with the caller's name. Certificates and roots are public
// data; no private key is ever read here.
#include <httplib.h>
#include <openssl/x509.h>

#include <cstdint>
#include <ctime>
#include <unordered_map>
#include <unordered_set>

#include "ca_task/certifier_document.h"
#include "ca_task/icl_database.h"
#include "ca_task/person_certificates.h"
#include "pki/crypto.h"
#include "pki/x509_certs.h"
#include "directory/admin_requests.h"
#include "base/json_body.h"
#include "server/http_api.h"
#include "base/ascii.h"

namespace notesd {

namespace {

// The part of a name below its CN, as typed: "/Sales/Acme" or "OU=Sales/O=Acme"
// becomes "sales/acme" (lower case, abbreviated, no leading slash).
std::string OuPath(std::string text) {
  text = ToLowerAscii(TrimSpaces(text));
  while (!text.empty() && text.front() == '/') text.erase(0, 1);
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('/', start);
    std::string part = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (std::size_t eq = part.find('='); eq != std::string::npos) part = part.substr(eq + 1);
    if (!part.empty()) out += (out.empty() ? "" : "/") + part;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

// A person's name below the CN, as OuPath makes it ("sales/acme").
std::string PersonOuPath(const Person& person) {
  std::string abbreviated = ToLowerAscii(person.name.Abbreviated());
  std::size_t slash = abbreviated.find('/');
  return slash == std::string::npos ? std::string() : abbreviated.substr(slash + 1);
}

bool UnderOu(const Person& person, const std::string& ou_path) {
  std::string path = PersonOuPath(person);
  return path == ou_path || (path.size() > ou_path.size() && path.compare(path.size() - ou_path.size(), ou_path.size(), ou_path) == 0 &&
                             path[path.size() - ou_path.size() - 1] == '/');
}

// The people a request body selects, each once, in the order first selected.
class PeopleSelection {
 public:
  explicit PeopleSelection(std::vector<Person> people) : people_(std::move(people)), chosen_(people_.size(), false) {
    for (std::size_t i = 0; i < people_.size(); ++i) {
      for (const std::string& name : people_[i].FullNames()) index_.emplace(ToLowerAscii(name), i);
      if (!people_[i].short_name.empty()) index_.emplace(ToLowerAscii(people_[i].short_name), i);
      if (!people_[i].internet_address.empty()) index_.emplace(ToLowerAscii(people_[i].internet_address), i);
    }
  }

  // NotFound naming the name.
  Status AddPerson(const std::string& name) {
    auto it = index_.find(ToLowerAscii(TrimSpaces(name)));
    if (it == index_.end()) return Status::NotFound("no person '" + name + "' in the directory");
    Choose(it->second);
    return Status::Ok();
  }

  // Members that are neither a person nor a group are skipped (stale entries, as
  // Domino's group expansion does); nested groups are expanded, cycles cut.
  Status AddGroup(Directory& directory, const std::string& name) {
    std::unordered_set<std::string> seen;
    Result<Group> group = directory.FindGroup(name);
    if (!group.ok()) return Status::NotFound("no group '" + name + "' in the directory");
    ExpandGroup(directory, *group, seen);
    return Status::Ok();
  }

  // NotFound when nobody is under the path.
  Status AddOu(const std::string& ou) {
    std::string path = OuPath(ou);
    if (path.empty()) return Status::InvalidArgument("'ou' must name an OU/O path such as /Sales/Acme");
    std::size_t before = order_.size();
    for (std::size_t i = 0; i < people_.size(); ++i)
      if (UnderOu(people_[i], path)) Choose(i);
    bool any_under = order_.size() > before;
    for (std::size_t i = 0; i < people_.size() && !any_under; ++i) any_under = UnderOu(people_[i], path);
    if (!any_under) return Status::NotFound("no person under '" + ou + "' in the directory");
    return Status::Ok();
  }

  void AddAll() {
    for (std::size_t i = 0; i < people_.size(); ++i) Choose(i);
  }

  std::vector<const Person*> Chosen() const {
    std::vector<const Person*> out;
    out.reserve(order_.size());
    for (std::size_t i : order_) out.push_back(&people_[i]);
    return out;
  }

 private:
  void Choose(std::size_t i) {
    if (chosen_[i]) return;
    chosen_[i] = true;
    order_.push_back(i);
  }

  void ExpandGroup(Directory& directory, const Group& group, std::unordered_set<std::string>& seen) {
    if (!seen.insert(ToLowerAscii(group.name)).second) return;
    for (const std::string& member : group.members) {
      if (auto it = index_.find(ToLowerAscii(member)); it != index_.end()) {
        Choose(it->second);
      } else if (Result<Group> nested = directory.FindGroup(member); nested.ok()) {
        ExpandGroup(directory, *nested, seen);
      }
    }
  }

  std::vector<Person> people_;
  std::vector<bool> chosen_;
  std::vector<std::size_t> order_;
  std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace

void HttpApi::InstallCertEndpoints(httplib::Server& server) {
  server.Post(R"(/api/v1/admin/certifiers/(.+)/certificates)", Guarded(
                                                                   [this](const Caller& c, const httplib::Request& r, int* status) {
                                                                     *status = 202;
                                                                     return AddInternetCertificates(c, r);
                                                                   },
                                                                   false));
  server.Get(R"(/api/v1/admin/requests/batches/([0-9A-Za-z_-]+))",
             Guarded([this](const Caller& c, const httplib::Request& r, int*) { return ShowBatch(c, r); }, false));
  server.Post(R"(/api/v1/admin/certifiers/(.+)/revoke)",
              Guarded([this](const Caller& c, const httplib::Request& r, int*) { return RevokeCertificate(c, r); }, false));
  server.Get("/api/v1/me/certificates",
             Guarded([this](const Caller& c, const httplib::Request&, int*) { return MyCertificates(c); }, false));
}

Result<nlohmann::json> HttpApi::AddInternetCertificates(const Caller& caller, const httplib::Request& request) {
  std::string name = request.matches[1];
  NOTESD_ASSIGN_OR_RETURN(std::optional<InternetCertifierDocument> certifier, FindInternetCertifier(directory_, name));
  if (!certifier) return Status::NotFound("no Internet certifier '" + name + "' in the directory");
  NOTESD_RETURN_IF_ERROR(RequireCertifierRole(directory_, *certifier, caller.person, CertifierRole::kRa));
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(request.body));
  int validity_years = kPersonCertDefaultYears;
  if (auto it = body.find("validity_years"); it != body.end() && !it->is_null()) {
    // Compared as 64-bit: get<int>() would wrap 4294967298 to 2 and pass the check.
    // Unsigned values beyond INT64_MAX read back negative and fail the lower bound.
    if (!it->is_number_integer() || it->get<std::int64_t>() < kPersonCertMinYears ||
        it->get<std::int64_t>() > kPersonCertMaxYears)
      return Status::InvalidArgument("'validity_years' must be a whole number from " + std::to_string(kPersonCertMinYears) +
                                     " to " + std::to_string(kPersonCertMaxYears));
    validity_years = it->get<int>();
  }
  bool all = body.contains("all") && body["all"].is_boolean() && body["all"].get<bool>();
  std::vector<std::string> people = JsonStringList(body, "people");
  std::vector<std::string> groups = JsonStringList(body, "groups");
  std::string ou = body.contains("ou") && body["ou"].is_string() ? body["ou"].get<std::string>() : std::string();
  if (people.empty() && groups.empty() && ou.empty() && !all)
    return Status::InvalidArgument("select people: 'people', 'groups', 'ou' or 'all'");

  // One pass over the directory, then the selection in memory.
  NOTESD_ASSIGN_OR_RETURN(std::vector<Person> everyone, directory_.ListPeople());
  PeopleSelection selection(std::move(everyone));
  for (const std::string& person : people) NOTESD_RETURN_IF_ERROR(selection.AddPerson(person));
  for (const std::string& group : groups) NOTESD_RETURN_IF_ERROR(selection.AddGroup(directory_, group));
  if (!ou.empty()) NOTESD_RETURN_IF_ERROR(selection.AddOu(ou));
  if (all) selection.AddAll();
  std::vector<const Person*> chosen = selection.Chosen();
  if (chosen.empty()) return Status::NotFound("the selection names nobody");

  // Every person is checked before anything is posted.
  std::string ca_server = certifier->ca_server.empty() ? server_name_.Canonical() : certifier->ca_server;
  std::vector<AdminRequest> requests;
  requests.reserve(chosen.size());
  for (const Person* person : chosen) {
    NOTESD_ASSIGN_OR_RETURN(AdminRequest made, MakeAddInternetCertificateRequest(directory_, *certifier, *person, caller.person,
                                                                                 ca_server, validity_years));
    requests.push_back(std::move(made));
  }
  NOTESD_ASSIGN_OR_RETURN(std::string random, RandomBytes(12));
  std::string batch = HexEncode(random);
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<AdminRequestsDb> admin_requests, OpenSharedAdminRequests(context_.DataDir()));
  NOTESD_ASSIGN_OR_RETURN(std::vector<AdminRequest> stored, admin_requests->PostMany(requests, batch));
  {
    std::lock_guard<std::mutex> lock(batch_mutex_);
    batch_authors_[batch] = caller.person.name.Canonical();
  }
  context_.Log().Log("HTTP Server", caller.person.name.Abbreviated() + " posted " + std::to_string(stored.size()) + " '" +
                                        kRequestAddInternetCertificate + "' requests for certifier " +
                                        certifier->base.name.Abbreviated() + " (batch " + batch + ")");
  return nlohmann::json{{"batch", batch}, {"count", stored.size()}, {"certifier", certifier->base.name.Canonical()}};
}

Result<nlohmann::json> HttpApi::ShowBatch(const Caller& caller, const httplib::Request& request) {
  std::string batch = request.matches[1];
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<AdminRequestsDb> admin_requests, OpenSharedAdminRequests(context_.DataDir()));
  if (!caller.administrator) {
    // The author may follow their own batch. Batches made before a restart are looked
    // up in admin4.nsf (a scan: rare).
    std::string author;
    {
      std::lock_guard<std::mutex> lock(batch_mutex_);
      if (auto it = batch_authors_.find(batch); it != batch_authors_.end()) author = it->second;
    }
    if (author.empty()) {
      NOTESD_ASSIGN_OR_RETURN(std::vector<AdminRequest> all, admin_requests->List());
      for (const AdminRequest& item : all)
        if (item.Param(kParamBatchId) == batch) {
          author = item.author;
          break;
        }
    }
    if (!EqualsIgnoreCase(author, caller.person.name.Canonical()))
      return Status::PermissionDenied(caller.person.name.Abbreviated() + " is neither an administrator of " +
                                      server_name_.Abbreviated() + " nor the author of batch " + batch);
  }
  NOTESD_ASSIGN_OR_RETURN(AdminRequestsDb::BatchCounts counts, admin_requests->BatchProgress(batch));
  if (counts.total == 0) return Status::NotFound("no batch " + batch + " in the Administration Requests database");
  nlohmann::json reply = {
      {"batch", batch}, {"total", counts.total}, {"done", counts.done}, {"failed", counts.failed}, {"pending", counts.pending}};
  nlohmann::json failures = nlohmann::json::array();
  if (counts.failed > 0) {
    NOTESD_ASSIGN_OR_RETURN(std::vector<AdminRequest> failed, admin_requests->List(RequestStatus::kFailed));
    for (const AdminRequest& item : failed)
      if (item.retry_at == 0 && item.Param(kParamBatchId) == batch)
        failures.push_back({{"unid", item.unid}, {"target", item.target}, {"error", item.error}});
  }
  reply["failures"] = failures;
  return reply;
}

Result<nlohmann::json> HttpApi::RevokeCertificate(const Caller& caller, const httplib::Request& request) {
  std::string name = request.matches[1];
  NOTESD_ASSIGN_OR_RETURN(std::optional<InternetCertifierDocument> certifier, FindInternetCertifier(directory_, name));
  if (!certifier) return Status::NotFound("no Internet certifier '" + name + "' in the directory");
  if (!HasCertifierRole(directory_, *certifier, caller.person, CertifierRole::kRa) &&
      !HasCertifierRole(directory_, *certifier, caller.person, CertifierRole::kCaa))
    return Status::PermissionDenied(caller.person.name.Abbreviated() + " is neither a " + CertifierRoleName(CertifierRole::kRa) +
                                    " nor a " + CertifierRoleName(CertifierRole::kCaa) + " of certifier " +
                                    certifier->base.name.Abbreviated());
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(request.body));
  std::string serial = body.contains("serial") && body["serial"].is_string() ? body["serial"].get<std::string>() : "";
  std::string person = body.contains("person") && body["person"].is_string() ? body["person"].get<std::string>() : "";
  if (serial.empty() == person.empty()) return Status::InvalidArgument("give exactly one of 'serial' and 'person'");
  int reason = 0;
  if (auto it = body.find("reason"); it != body.end() && !it->is_null()) {
    if (it->is_number_integer()) {
      NOTESD_ASSIGN_OR_RETURN(reason, ParseRevocationReason(std::to_string(it->get<int>())));
    } else if (it->is_string()) {
      NOTESD_ASSIGN_OR_RETURN(reason, ParseRevocationReason(it->get<std::string>()));
    } else {
      return Status::InvalidArgument("'reason' must be a reason name or number");
    }
  }
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<IclDatabase> icl,
                          IclDatabase::OpenShared(context_.DataDir() / certifier->base.icl_file, false));
  RevocationTarget target;
  if (!serial.empty()) {
    target.serial_hex = serial;
  } else {
    NOTESD_ASSIGN_OR_RETURN(Person found, directory_.FindPerson(person));
    target.person = found.name.Canonical();
  }
  NOTESD_ASSIGN_OR_RETURN(std::vector<IssuedCertificate> revoked,
                          RevokeCertificates(directory_, *icl, *certifier, target, reason, std::time(nullptr)));
  nlohmann::json list = nlohmann::json::array();
  for (const IssuedCertificate& item : revoked) {
    list.push_back({{"serial", item.serial_hex}, {"subject", item.subject}});
    context_.Log().Log("HTTP Server", caller.person.name.Abbreviated() + " revoked certificate " + item.serial_hex + " (" +
                                          item.subject + ") of certifier " + certifier->base.name.Abbreviated());
  }
  return nlohmann::json{{"revoked", list}, {"certifier", certifier->base.name.Canonical()}};
}

Result<nlohmann::json> HttpApi::MyCertificates(const Caller& caller) {
  NOTESD_ASSIGN_OR_RETURN(std::vector<InternetCertifierDocument> certifiers, ListInternetCertifiers(directory_));
  std::vector<X509Ptr> roots;
  std::vector<const std::string*> root_pems;
  for (const InternetCertifierDocument& doc : certifiers) {
    Result<X509Ptr> root = CertificateFromPem(doc.base.certificate_pem);
    if (!root.ok()) continue;
    roots.push_back(std::move(root).value());
    root_pems.push_back(&doc.base.certificate_pem);
  }
  nlohmann::json certificates = nlohmann::json::array();
  nlohmann::json issuers = nlohmann::json::array();
  std::vector<bool> sent(roots.size(), false);
  for (const std::string& pem : caller.person.internet_certificates_pem) {
    certificates.push_back(pem);
    Result<X509Ptr> cert = CertificateFromPem(pem);
    if (!cert.ok()) continue;
    for (std::size_t i = 0; i < roots.size(); ++i) {
      if (sent[i] || X509_check_issued(roots[i].get(), cert->get()) != X509_V_OK) continue;
      sent[i] = true;
      issuers.push_back(*root_pems[i]);
    }
  }
  return nlohmann::json{{"name", caller.person.name.Canonical()}, {"certificates", certificates}, {"roots", issuers}};
}

}  // namespace notesd
