// ca_task/certifier_document.h — the Certifier document of an Internet certifier in
// names.nsf, and the CA roles it records.
//
// Owns: the Internet-certifier items of a Certifier document beyond directory/'s
// CertifierDocument, written in the same one transaction as the document itself (so a
// crash never leaves a document without its roles or its AdminP request UNID):
//   (directory's items) CertifierName, CertificateType "Internet", Certificate (PEM
//       root), IssuedBy (its own name: a root), ICLFile
//   CertifierSubject         the root's full X.509 subject (RFC 2253)
//   CAAdministrators         names (people or groups) who may change the configuration
//   RegistrationAuthorities  names who may approve certificate requests and revoke
//   CAServer                 the server whose CA task runs the certifier
//   CertifierIDFile          the certifier ID file, relative to the data directory
//   AdminPRequestUNID        the Create Internet Certifier request that made it
// Roles are enforced by the server (client API, AdminP handlers): only CAAs may change
// a certifier's configuration or roles; only RAs may ask for (and revoke) people's
// Internet certificates (person_certificates.h). Refusals are PermissionDenied naming the person, the role and the
// certifier. Thread safety: functions over a Directory, which is thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "directory/directory.h"

namespace notesd {

struct InternetCertifierDocument {
  CertifierDocument base;  // type "Internet"
  std::string subject;
  std::vector<std::string> caa;
  std::vector<std::string> ra;
  std::string ca_server;
  std::string id_file;
  std::string request_unid;
};

// By canonical/abbreviated/common name (as Directory::FindCertifier). nullopt when no
// Certifier document has that name; InvalidArgument when it is a Notes certifier or the
// name is ambiguous.
Result<std::optional<InternetCertifierDocument>> FindInternetCertifier(Directory& directory, std::string_view name);
// Every Internet certifier, in name order.
Result<std::vector<InternetCertifierDocument>> ListInternetCertifiers(Directory& directory);
// Creates the document, or updates the one with the same canonical name, in one
// transaction. An existing document made by another AdminP request (a different
// request UNID, or a Notes certifier) is AlreadyExists, unless `allow_update` (role
// changes by Modify CA Configuration).
Result<InternetCertifierDocument> PutInternetCertifier(Directory& directory, const InternetCertifierDocument& document,
                                                       bool allow_update = false);

enum class CertifierRole { kCaa, kRa };
const char* CertifierRoleName(CertifierRole role);  // "CA administrator (CAA)" / "registration authority (RA)"
// True when `person` is named in the role's list, directly or through a group.
bool HasCertifierRole(Directory& directory, const InternetCertifierDocument& certifier, const Person& person,
                      CertifierRole role);
// Ok, or PermissionDenied "Jane Doe/Acme is not a registration authority (RA) of
// certifier Acme-Corp-Email".
Status RequireCertifierRole(Directory& directory, const InternetCertifierDocument& certifier, const Person& person,
                            CertifierRole role);

// Resolves typed names (people or groups) to what role lists store: a person's canonical
// name, or a group's name. NotFound naming the first unknown name.
Result<std::vector<std::string>> ResolveRoleNames(Directory& directory, const std::vector<std::string>& typed);

}  // namespace notesd
