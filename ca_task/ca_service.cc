#include "ca_task/ca_service.h"

#include <openssl/x509.h>

#include "base/ascii.h"
#include "ca_task/ca_handlers.h"
#include "ca_task/person_certificates.h"
#include "ca_task/server_id_wrap.h"
#include "base/json_body.h"
#include "pki/crypto.h"
#include "pki/x509_certs.h"

namespace notesd {

namespace {

// The caller first, then the typed names, without repeats.
std::vector<std::string> WithCaller(const std::string& caller, const std::vector<std::string>& names) {
  std::vector<std::string> all = {caller};
  for (const std::string& name : names)
    if (!EqualsIgnoreCase(name, caller)) all.push_back(name);
  return all;
}

}  // namespace

CaService::CaService(DatabaseSet& databases, std::filesystem::path data_dir, Directory& directory,
                     AdminRequestsDb& requests, HierName server_name, const Clock& clock)
    : databases_(databases),
      data_dir_(std::move(data_dir)),
      directory_(directory),
      requests_(requests),
      server_name_(std::move(server_name)),
      clock_(clock) {}

// ---------------------------------------------------------------------------- certifiers

Result<CaService::PostedCertifier> CaService::RequestCertifier(const Person& caller, nlohmann::json order) {
  if (auto use = order.find("use_ca_process"); use != order.end() && use->is_boolean() && !use->get<bool>())
    return Status::InvalidArgument("notesd creates only Internet certifiers that use the CA process");
  if (std::string server = JsonStringField(order, "server"); !server.empty()) {
    auto named = HierName::Parse(server);
    if (!named.ok() || !(*named == server_name_))
      return Status::InvalidArgument("the CA process for this request runs on " + server_name_.Abbreviated() +
                                     ", not '" + server + "'");
  }
  std::string caller_name = caller.name.Canonical();
  NOTESD_ASSIGN_OR_RETURN(std::vector<std::string> caa, ResolveRoleNames(directory_, JsonStringList(order, "caa")));
  NOTESD_ASSIGN_OR_RETURN(std::vector<std::string> ra, ResolveRoleNames(directory_, JsonStringList(order, "ra")));
  order["caa"] = WithCaller(caller_name, caa);
  order["ra"] = WithCaller(caller_name, ra);
  NOTESD_ASSIGN_OR_RETURN(InternetCertifierSpec spec, InternetCertifierSpec::FromJson(order));

  std::string certifier_password = JsonStringField(order, "certifier_password");
  std::string activation_password = JsonStringField(order, "activation_password");
  std::string local_copy_password = JsonStringField(order, "local_copy_password");
  if (spec.protection == CertifierProtection::kPassword && certifier_password.empty())
    return Status::InvalidArgument("encrypting the certifier ID with a password needs 'certifier_password'");
  if (spec.protection == CertifierProtection::kServerId && spec.require_activation && activation_password.empty())
    return Status::InvalidArgument("'require_activation_password' needs 'activation_password'");
  if (spec.local_copy && local_copy_password.empty())
    return Status::InvalidArgument("a local copy of the certifier ID needs 'local_copy_password'");

  // Refuse now what AdminP would refuse later.
  HierName name = spec.NotesName();
  NOTESD_ASSIGN_OR_RETURN(std::optional<InternetCertifierDocument> existing,
                          FindInternetCertifier(directory_, name.Canonical()));
  if (existing || directory_.FindCertifier(spec.common_name).ok())
    return Status::AlreadyExists("a certifier named " + name.Abbreviated() + " already exists");
  std::error_code error;
  if (std::filesystem::exists(data_dir_ / spec.icl_file, error))
    return Status::AlreadyExists("the database " + spec.icl_file + " already exists on " + server_name_.Abbreviated());
  if (std::filesystem::exists(data_dir_ / spec.IdFileName(), error))
    return Status::AlreadyExists("the certifier ID file " + spec.IdFileName() + " already exists on " +
                                 server_name_.Abbreviated());
  NOTESD_ASSIGN_OR_RETURN(std::vector<AdminRequest> earlier, requests_.ForTarget(name.Canonical()));
  for (const AdminRequest& other : earlier)
    if (other.IsPending() && EqualsIgnoreCase(other.type, kRequestCreateInternetCertifier))
      return Status::AlreadyExists("certifier " + name.Abbreviated() + " is already requested (request " + other.unid +
                                   ")");

  AdminRequest posted;
  posted.type = kRequestCreateInternetCertifier;
  posted.author = caller_name;
  posted.server = server_name_.Canonical();
  spec.ToRequest(posted);
  // Secrets are wrapped at once to the server's certificate: only the wrap is stored.
  NOTESD_ASSIGN_OR_RETURN(ServerDocument server, directory_.FindServer(server_name_.Canonical()));
  NOTESD_ASSIGN_OR_RETURN(X509Ptr server_certificate, CertificateFromPem(server.certificate_pem));
  for (const auto& [secret_name, value] :
       {std::pair<const char*, const std::string&>{kSecretCertifierPassword, certifier_password},
        {kSecretActivationPassword, activation_password},
        {kSecretLocalCopyPassword, local_copy_password}}) {
    if (value.empty()) continue;
    NOTESD_ASSIGN_OR_RETURN(posted.secrets[secret_name], WrapSecret(value, server_certificate.get()));
  }
  NOTESD_ASSIGN_OR_RETURN(AdminRequest stored, requests_.Post(posted));
  return PostedCertifier{std::move(stored), std::move(spec)};
}

Result<std::vector<InternetCertifierDocument>> CaService::ListCertifiers() {
  return ListInternetCertifiers(directory_);
}

Result<InternetCertifierDocument> CaService::FindCertifier(const std::string& name) {
  NOTESD_ASSIGN_OR_RETURN(std::optional<InternetCertifierDocument> doc, FindInternetCertifier(directory_, name));
  if (!doc) return Status::NotFound("no Internet certifier '" + name + "' in the directory");
  return std::move(*doc);
}

Result<AdminRequest> CaService::ChangeRoles(const Person& caller, const std::string& certifier,
                                            const std::optional<std::vector<std::string>>& caa_typed,
                                            const std::optional<std::vector<std::string>>& ra_typed) {
  NOTESD_ASSIGN_OR_RETURN(InternetCertifierDocument doc, FindCertifier(certifier));
  NOTESD_RETURN_IF_ERROR(RequireCertifierRole(directory_, doc, caller, CertifierRole::kCaa));
  std::vector<std::string> caa = doc.caa;
  std::vector<std::string> ra = doc.ra;
  if (caa_typed) {
    NOTESD_ASSIGN_OR_RETURN(caa, ResolveRoleNames(directory_, *caa_typed));
  }
  if (ra_typed) {
    NOTESD_ASSIGN_OR_RETURN(ra, ResolveRoleNames(directory_, *ra_typed));
  }
  if (caa.empty() || ra.empty()) return Status::InvalidArgument("a certifier needs at least one CAA and one RA");

  AdminRequest posted;
  posted.type = kRequestModifyCaConfiguration;
  posted.author = caller.name.Canonical();
  posted.server = doc.ca_server.empty() ? server_name_.Canonical() : doc.ca_server;
  posted.target = doc.base.name.Canonical();
  posted.SetParam(kParamCertifier, doc.base.name.Canonical());
  posted.SetParamList(kParamCaa, caa);
  posted.SetParamList(kParamRa, ra);
  return requests_.Post(posted);
}

// ------------------------------------------------------------------------ AdminP requests

Result<std::vector<AdminRequest>> CaService::ListRequests(const std::string& filter_text) {
  std::string filter = ToLowerAscii(filter_text);
  NOTESD_ASSIGN_OR_RETURN(std::vector<AdminRequest> all, requests_.List());
  if (filter != "all" && filter != "pending") NOTESD_RETURN_IF_ERROR(ParseRequestStatus(filter).status());
  std::vector<AdminRequest> kept;
  for (AdminRequest& item : all) {
    bool keep = filter == "all" ||
                (filter == "pending" ? item.IsPending() : EqualsIgnoreCase(filter, RequestStatusName(item.status)));
    if (keep) kept.push_back(std::move(item));
  }
  return kept;
}

Result<CaService::RequestDetail> CaService::ShowRequest(const Person& caller, const std::string& unid) {
  RequestDetail detail;
  NOTESD_ASSIGN_OR_RETURN(detail.request, requests_.Get(unid));
  NOTESD_ASSIGN_OR_RETURN(detail.responses, requests_.Responses(detail.request.unid));
  bool author = EqualsIgnoreCase(detail.request.author, caller.name.Canonical());
  for (auto it = detail.responses.rbegin(); it != detail.responses.rend(); ++it) {
    auto copy = it->binary_results.find(kResultLocalCopy);
    if (it->outcome != RequestStatus::kDone || copy == it->binary_results.end()) continue;
    if (author) {
      detail.local_copy = copy->second;
      detail.local_copy_file = detail.request.Param("LocalCopyFile");
    } else {
      detail.local_copy_withheld = true;
    }
    break;
  }
  return detail;
}

// ---------------------------------------------------------------- people's certificates

Result<CaService::PostedBatch> CaService::RequestCertificates(const Person& caller, const std::string& certifier_name,
                                                              const PeopleSelector& selector,
                                                              std::int64_t validity_years) {
  NOTESD_ASSIGN_OR_RETURN(InternetCertifierDocument certifier, FindCertifier(certifier_name));
  NOTESD_RETURN_IF_ERROR(RequireCertifierRole(directory_, certifier, caller, CertifierRole::kRa));
  if (validity_years < kPersonCertMinYears || validity_years > kPersonCertMaxYears)
    return Status::InvalidArgument("'validity_years' must be a whole number from " +
                                   std::to_string(kPersonCertMinYears) + " to " + std::to_string(kPersonCertMaxYears));
  // Every person is checked before anything is posted: a first pass checks, a second
  // posts. Neither holds the people: they are read a page at a time, and the requests are
  // posted in chunks of kPostChunk, each chunk one durable transaction (a crash while
  // posting leaves whole chunks, which AdminP carries out; the batch's count says how
  // many were posted).
  std::string ca_server = certifier.ca_server.empty() ? server_name_.Canonical() : certifier.ca_server;
  auto make_request = [&](const Person& person) {
    return MakeAddInternetCertificateRequest(directory_, certifier, person, caller, ca_server,
                                             static_cast<int>(validity_years));
  };
  NOTESD_RETURN_IF_ERROR(
      ForEachSelectedPerson(directory_, selector, [&](const Person& person) { return make_request(person).status(); }));
  NOTESD_ASSIGN_OR_RETURN(std::string random, RandomBytes(12));
  PostedBatch posted{HexEncode(random), 0, certifier.base.name};
  std::vector<AdminRequest> chunk;
  auto post_chunk = [&]() -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::vector<AdminRequest> stored, requests_.PostMany(chunk, posted.batch));
    posted.count += stored.size();
    chunk.clear();
    return Status::Ok();
  };
  NOTESD_RETURN_IF_ERROR(ForEachSelectedPerson(directory_, selector, [&](const Person& person) -> Status {
    NOTESD_ASSIGN_OR_RETURN(AdminRequest made, make_request(person));
    chunk.push_back(std::move(made));
    return chunk.size() == kPostChunk ? post_chunk() : Status::Ok();
  }));
  if (!chunk.empty()) NOTESD_RETURN_IF_ERROR(post_chunk());
  return posted;
}

Result<CaService::BatchReport> CaService::ShowBatch(const Person& caller, bool caller_is_administrator,
                                                    const std::string& batch) {
  // The batch's requests carry their author (ProxyAuthor): no table of authors is kept.
  // A poll reads one request, the counts and the failures, never the whole batch.
  NOTESD_ASSIGN_OR_RETURN(std::optional<AdminRequest> first, requests_.FirstOfBatch(batch));
  if (!caller_is_administrator) {
    std::string author = first ? first->author : std::string();
    if (!EqualsIgnoreCase(author, caller.name.Canonical()))
      return Status::PermissionDenied(caller.name.Abbreviated() + " is neither an administrator of " +
                                      server_name_.Abbreviated() + " nor the author of batch " + batch);
  }
  BatchReport report;
  NOTESD_ASSIGN_OR_RETURN(report.counts, requests_.BatchProgress(batch));
  if (report.counts.total == 0)
    return Status::NotFound("no batch " + batch + " in the Administration Requests database");
  NOTESD_ASSIGN_OR_RETURN(std::vector<AdminRequest> failed, requests_.FinallyFailedInBatch(batch));
  for (const AdminRequest& item : failed) report.failures.push_back({item.unid, item.target, item.error});
  return report;
}

Result<CaService::Revocation> CaService::Revoke(const Person& caller, const std::string& certifier_name,
                                                const RevocationTarget& typed,
                                                const std::optional<std::string>& reason_text) {
  NOTESD_ASSIGN_OR_RETURN(InternetCertifierDocument certifier, FindCertifier(certifier_name));
  if (!HasCertifierRole(directory_, certifier, caller, CertifierRole::kRa) &&
      !HasCertifierRole(directory_, certifier, caller, CertifierRole::kCaa))
    return Status::PermissionDenied(
        caller.name.Abbreviated() + " is neither a " + CertifierRoleName(CertifierRole::kRa) + " nor a " +
        CertifierRoleName(CertifierRole::kCaa) + " of certifier " + certifier.base.name.Abbreviated());
  if (typed.serial_hex.empty() == typed.person.empty())
    return Status::InvalidArgument("give exactly one of 'serial' and 'person'");
  int reason = 0;
  if (reason_text) {
    NOTESD_ASSIGN_OR_RETURN(reason, ParseRevocationReason(*reason_text));
  }
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<IclDatabase> icl,
                          OpenIcl(databases_, data_dir_ / certifier.base.icl_file, false));
  RevocationTarget target;
  if (!typed.serial_hex.empty()) {
    target.serial_hex = typed.serial_hex;
  } else {
    NOTESD_ASSIGN_OR_RETURN(Person found, directory_.FindPerson(typed.person));
    target.person = found.name.Canonical();
  }
  Revocation revocation{certifier.base.name, {}};
  NOTESD_ASSIGN_OR_RETURN(revocation.revoked, RevokeCertificates(directory_, *icl, certifier, target, reason,
                                                                 static_cast<std::time_t>(clock_.NowSeconds())));
  return revocation;
}

Result<CaService::OwnCertificates> CaService::CertificatesOf(const Person& person) {
  NOTESD_ASSIGN_OR_RETURN(std::vector<InternetCertifierDocument> certifiers, ListInternetCertifiers(directory_));
  std::vector<X509Ptr> roots;
  std::vector<const std::string*> root_pems;
  for (const InternetCertifierDocument& doc : certifiers) {
    Result<X509Ptr> root = CertificateFromPem(doc.base.certificate_pem);
    if (!root.ok()) continue;
    roots.push_back(std::move(root).value());
    root_pems.push_back(&doc.base.certificate_pem);
  }
  OwnCertificates own;
  std::vector<bool> sent(roots.size(), false);
  for (const std::string& pem : person.internet_certificates_pem) {
    own.certificates.push_back(pem);
    Result<X509Ptr> cert = CertificateFromPem(pem);
    if (!cert.ok()) continue;
    for (std::size_t i = 0; i < roots.size(); ++i) {
      if (sent[i] || X509_check_issued(roots[i].get(), cert->get()) != X509_V_OK) continue;
      sent[i] = true;
      own.roots.push_back(*root_pems[i]);
    }
  }
  return own;
}

}  // namespace notesd
