// ca_task/ca_service.h — the CA service: what a front end (the HTTP client API today;
// a web console or LDAP later) may ask of the CA, with every rule that goes with it,
// and no protocol in it.
//
// Owns the rules of:
//   - certifiers: posting a Create Internet Certifier request (the spec validated, the
//     names of its CAAs and RAs resolved with the author made both, the certifier, its
//     ICL and ID file refused when they exist or are already requested, the passwords
//     wrapped at once to the server's certificate so only the wrap is stored), listing
//     and showing certifiers, posting a Modify CA Configuration (CAAs only);
//   - AdminP requests: listing them by status; showing one with its responses, where
//     only the request's author receives the local certifier ID copy;
//   - people's Internet certificates: requesting them for a selection of people (RAs
//     only; every person checked before anything is posted, then one AdminP batch in one
//     transaction), following a batch (administrators and the batch's author, which is
//     the author stored in its requests), revoking (RAs and CAAs), and a person's own
//     certificates with the roots that issued them.
// Delegates: selection to directory/people_selection.h, request building to
// ca_task/person_certificates.h and internet_certifier.h, storage to admin4.nsf
// (adminp/admin_requests.h) and the ICLs. It never reads a private key: certificates are
// signed later by the CA task's handlers through CaKeyring::WithSigner, whose
// CertifierSigner::Sign is the one signing call.
//
// SECURITY: passwords given to RequestCertifier are never logged, stored in clear or
// returned. Every call names the authenticated caller (a Person of the directory);
// whether the caller is an administrator of the server is the front end's finding
// (the Server document's administrators) and is passed in where it matters.
// Errors: the Status codes of base/status.h, with messages meant for the caller
// (PermissionDenied naming the missing role, NotFound naming what is missing, ...).
// Thread safety: all methods may be called from any thread at once.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "adminp/admin_requests.h"
#include "base/clock.h"
#include "base/status.h"
#include "ca_task/certifier_document.h"
#include "ca_task/icl_database.h"
#include "ca_task/internet_certifier.h"
#include "ca_task/person_certificates.h"
#include "directory/directory.h"
#include "directory/people_selection.h"
#include "pki/hier_name.h"
#include "store/database_set.h"

namespace notesd {

class CaService {
 public:
  // All references must outlive the service. `data_dir` is where certifier ID files and
  // ICLs live; `server_name` the server whose CA process carries requests out.
  CaService(DatabaseSet& databases, std::filesystem::path data_dir, Directory& directory, AdminRequestsDb& requests,
            HierName server_name, const Clock& clock);

  // ---- certifiers ----
  // What RequestCertifier posts: the spec's fields (InternetCertifierSpec::FromJson) plus
  // "use_ca_process" (false is refused), "server" (must be this server when given),
  // and the secrets "certifier_password", "activation_password", "local_copy_password".
  struct PostedCertifier {
    AdminRequest request;
    InternetCertifierSpec spec;
  };
  // Validates and posts a Create Internet Certifier request by `caller`. InvalidArgument
  // for a bad spec or a missing password the spec needs; AlreadyExists when the
  // certifier, its ICL or ID file exists or the same certifier is already requested.
  Result<PostedCertifier> RequestCertifier(const Person& caller, nlohmann::json order);
  Result<std::vector<InternetCertifierDocument>> ListCertifiers();
  // NotFound "no Internet certifier 'X' in the directory".
  Result<InternetCertifierDocument> FindCertifier(const std::string& name);
  // Posts a Modify CA Configuration by `caller`, who must be a CAA of the certifier
  // (PermissionDenied). A role list not given keeps the certifier's current one; both
  // must end up non-empty (InvalidArgument).
  Result<AdminRequest> ChangeRoles(const Person& caller, const std::string& certifier,
                                   const std::optional<std::vector<std::string>>& caa,
                                   const std::optional<std::vector<std::string>>& ra);

  // ---- AdminP requests ----
  // "all" (every request), "pending" (AdminRequest::IsPending) or a status name
  // (InvalidArgument otherwise); oldest first.
  Result<std::vector<AdminRequest>> ListRequests(const std::string& filter);
  struct RequestDetail {
    AdminRequest request;
    std::vector<AdminResponse> responses;  // oldest first
    // The newest Done attempt's local certifier ID copy, for the request's author only;
    // `local_copy_withheld` when there is one and the caller is not the author.
    std::optional<std::string> local_copy;
    std::string local_copy_file;
    bool local_copy_withheld = false;
  };
  Result<RequestDetail> ShowRequest(const Person& caller, const std::string& unid);

  // ---- people's certificates ----
  static constexpr std::size_t kPostChunk = 1024;
  struct PostedBatch {
    std::string batch;  // the batch id (24 hex characters)
    std::size_t count = 0;
    HierName certifier;
  };
  // Posts one "Add Internet Certificate to Person Record" request per person `selector`
  // names, by `caller`, who must be an RA of the certifier. Every person is checked
  // (MakeAddInternetCertificateRequest) before anything is posted; then the requests go
  // into admin4.nsf with one batch id, kPostChunk per transaction, so memory does not
  // grow with the selection (a crash while posting leaves whole chunks posted, which
  // AdminP carries out). validity_years outside
  // kPersonCertMinYears..kPersonCertMaxYears: InvalidArgument.
  Result<PostedBatch> RequestCertificates(const Person& caller, const std::string& certifier,
                                          const PeopleSelector& selector, std::int64_t validity_years);
  struct BatchFailure {
    std::string unid, target, error;
  };
  struct BatchReport {
    AdminRequestsDb::BatchCounts counts;
    std::vector<BatchFailure> failures;  // finally failed requests
  };
  // How far a batch has got. Only administrators (`caller_is_administrator`) and the
  // batch's author may see it (PermissionDenied); NotFound for an unknown batch.
  Result<BatchReport> ShowBatch(const Person& caller, bool caller_is_administrator, const std::string& batch);
  // Revokes one certificate by serial or a person's certificates (RevocationTarget) of
  // the certifier, by `caller`, an RA or CAA of it (PermissionDenied). `reason`: an RFC
  // 5280 name or number (ParseRevocationReason); none is unspecified (0). Revoked at the
  // server clock's time.
  struct Revocation {
    HierName certifier;
    std::vector<IssuedCertificate> revoked;
  };
  Result<Revocation> Revoke(const Person& caller, const std::string& certifier, const RevocationTarget& target,
                            const std::optional<std::string>& reason);
  struct OwnCertificates {
    std::vector<std::string> certificates;  // the person's, PEM, newest first
    std::vector<std::string> roots;         // the roots of the certifiers that issued them, PEM
  };
  Result<OwnCertificates> CertificatesOf(const Person& person);

 private:
  DatabaseSet& databases_;
  std::filesystem::path data_dir_;
  Directory& directory_;
  AdminRequestsDb& requests_;
  HierName server_name_;
  const Clock& clock_;
};

}  // namespace notesd
