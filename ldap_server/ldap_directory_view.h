// ldap_server/ldap_directory_view.h — Domino's LDAP view of names.nsf: how Person and
// Group documents become LDAP entries, the root DSE and the minimal subschema.
//
// People: `cn=Jane Doe,ou=Sales,o=Acme` (the hierarchical name, most specific first) with
// objectClass top/person/organizationalPerson/inetOrgPerson/dominoPerson, cn (common name
// and the full names), sn, givenName, uid (short name), mail (Internet address),
// userCertificate;binary (each Internet certificate valid at `now`, DER) and
// userSMIMECertificate (one PKCS#7 certs-only bundle of them). Revoked certificates are gone
// from the Person document already (ca_task's RevokeCertificates removes them), expired or
// not-yet-valid ones are left out here. Never published: the Internet password hash.
// Groups: `cn=<ListName>,<naming context>` with objectClass top/groupOfNames/dominoGroup,
// cn and member (members that are hierarchical names as DNs, others as cn=<name>).
//
// Thread safety: pure functions.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "directory/directory.h"
#include "ldap/ldap_entry.h"
#include "pki/hier_name.h"

namespace notesd::ldap {

// "CN=Jane Doe/OU=Sales/O=Acme/C=US" -> "cn=Jane Doe,ou=Sales,o=Acme,c=US".
std::string NameToDn(const HierName& name);
// The Notes name a bind DN stands for: "cn=Jane Doe,o=Acme" -> "CN=Jane Doe/O=Acme"; text
// without '=' (a mail address, a short name) is returned as it is, and so is the value of a
// first RDN uid= or mail= ("uid=jdoe,o=Acme" -> "jdoe").
std::string DnToNotesName(std::string_view dn);
// The naming context of the organisation of `server` ("o=Acme"; with country "o=Acme,c=US").
std::string NamingContext(const HierName& server);

// `with_certificates` false: without userCertificate;binary and userSMIMECertificate (for
// filters that name neither). `with_bundle` false: without userSMIMECertificate (for a
// search that neither asks for it nor filters on it: building the PKCS#7 parses each
// certificate, which OpenSSL 3 makes the dearest part of an entry). The certificates'
// DER and validity are read without a full parse.
Entry PersonEntry(const Person& person, std::time_t now, bool with_certificates = true, bool with_bundle = true);
Entry GroupEntry(const Group& group, std::string_view naming_context);
Entry OrganizationEntry(std::string_view naming_context);
Entry RootDse(const std::vector<std::string>& naming_contexts);
inline constexpr const char* kSubschemaDn = "cn=schema";
Entry Subschema();

}  // namespace notesd::ldap
