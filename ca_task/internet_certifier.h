// ca_task/internet_certifier.h — what an Internet certifier is made of, and making one.
//
// Owns: the options of Domino Administrator's "Register a new Internet certifier that
// uses the CA process" (InternetCertifierSpec: names, ICL file, ID protection,
// activation, roles, key, validity, CRL settings, local copy), their validation, their
// form as AdminP request parameters and as client API JSON, the certifier's X.509
// subject, and the making of its self-signed root and certifier ID
// (MakeInternetCertifier). Delegates certificate issue to pki/x509_certs.h and the ID
// file to pki/id_file.h.
//
// The root certificate: v3, self-signed with SHA-256, basicConstraints CA:TRUE
// (critical), keyUsage keyCertSign + cRLSign (critical), subjectKeyIdentifier; the
// subject is CN plus the optional OU (most specific last in the DN), O, L, ST, C and
// emailAddress. A HierName holds only CN/OU/O/C, so the subject is built as an X509_NAME
// here and the certifier's Notes name (NotesName) keeps the parts a HierName can hold.
//
// The certifier ID's password ("ID password" below):
//   server-id protection, no activation:  hex of 32 random bytes (R), R being kept
//                                        CMS-wrapped to server.id in the ICL
//   server-id protection, activation A:  hex(R) + ":" + A — both server.id and the
//                                        activation password are needed
//   password protection P:               P itself, and activation is implied (A = P)
// SECURITY: every field comes from an administrator over the client API: lengths,
// characters and file names are checked (no path outside the data directory, no
// reserved database name).
// Thread safety: plain values and pure functions.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pki/crypto.h"
#include "pki/hier_name.h"
#include "pki/id_file.h"
#include "pki/openssl_handles.h"
#include "base/status.h"
#include "adminp/admin_requests.h"

namespace notesd {

enum class CertifierProtection { kServerId, kPassword };
// "ServerID" / "Password"; Parse also takes "server-id", "server id", "password".
const char* CertifierProtectionName(CertifierProtection protection);
Result<CertifierProtection> ParseCertifierProtection(std::string_view text);

// Names of the secret parameters of a Create Internet Certifier request.
inline constexpr char kSecretCertifierPassword[] = "CertifierPassword";
inline constexpr char kSecretActivationPassword[] = "ActivationPassword";
inline constexpr char kSecretLocalCopyPassword[] = "LocalCopyPassword";
// Result names of a done Create Internet Certifier request.
inline constexpr char kResultLocalCopy[] = "LocalCopyID";  // binary: the encrypted ID copy

struct InternetCertifierSpec {
  std::string common_name;             // required
  std::vector<std::string> org_units;  // most specific first, as in a Notes name
  std::string organization;
  std::string locality;
  std::string state;
  std::string country;  // two letters
  std::string email;
  std::string icl_file;  // relative to the data directory, "*.nsf"
  CertifierProtection protection = CertifierProtection::kServerId;
  bool require_activation = false;
  KeySpec key = KeySpec::Rsa2048();
  int validity_years = 10;       // 1..50
  int crl_duration_days = 7;     // how long each CRL is valid, 1..365
  int crl_interval_hours = 24;   // between regular CRLs, 1..8760, less than the duration
  std::vector<std::string> caa;  // canonical names (people or groups)
  std::vector<std::string> ra;
  bool local_copy = false;
  std::string local_copy_file;  // the client's file name, recorded only

  // Checks every field (InvalidArgument naming the field and the rule).
  Status Validate() const;
  // CN, OUs, O and C as a Notes name; just the CN when OU or C come without an O
  // (a HierName needs an O for them).
  HierName NotesName() const;
  // The full X.509 subject, RFC order: C, ST, L, O, OU (least specific first), CN,
  // emailAddress. Internal on OpenSSL failure.
  Result<X509NamePtr> SubjectName() const;
  // "<CN>.id" with characters other than letters, digits, '.', '_' and '-' made '_'.
  std::string IdFileName() const;

  // As AdminP request parameters (no secrets) and back. FromRequest validates.
  void ToRequest(AdminRequest& request) const;
  static Result<InternetCertifierSpec> FromRequest(const AdminRequest& request);
  // From the client API's JSON body (see http/http_api.h); roles are taken as given
  // (the API resolves them). Secrets in the body are ignored here. Validates.
  static Result<InternetCertifierSpec> FromJson(const nlohmann::json& body);
  nlohmann::json ToJson() const;
};

// Checks an ICL file name: relative, "*.nsf", each path part of letters, digits, '.',
// '_', '-', no "..", not a database notesd uses for something else (names.nsf,
// admin4.nsf, log.nsf, mail.box). InvalidArgument naming the rule.
Status ValidateIclFileName(const std::string& icl_file);

// The ID password for a protection (see the top of this file).
std::string CertifierIdPassword(CertifierProtection protection, const std::string& random_hex,
                                const std::string& certifier_password, const std::string& activation_password,
                                bool require_activation);

// A new Internet certifier: its certifier ID (root certificate + key) made at `now`.
struct NewInternetCertifier {
  IdFile id;
  std::string random_hex;  // R for server-id protection; "" otherwise
};
// Generates the key and the self-signed root (valid from an hour before `now` for
// `validity_years`), and the certifier ID holding them (kind certifier, trusting its
// own root, properties "certifier_type"="Internet", "subject", "icl_file").
Result<NewInternetCertifier> MakeInternetCertifier(const InternetCertifierSpec& spec, std::time_t now);

}  // namespace notesd
