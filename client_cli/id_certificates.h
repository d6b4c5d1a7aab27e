// client_cli/id_certificates.h — the Internet certificates of the user's ID: merging
// what the server holds into the ID (`notes id sync`, and the quiet sync at the start of
// every authenticated command), choosing one to export, and exporting it with the Notes
// key as PKCS#12 (`notes id export --pkcs12`).
//
// Pure functions over an IdFile in memory: the caller loads and saves the ID (atomically,
// with the same password). No network and no terminal here, so all of it is unit-tested.
//
// SECURITY: certificates from the server are not trusted blindly: only a certificate
// over this ID's own Notes public key is merged (a server cannot make the user sign
// with a key they do not hold), and a root is added to the ID's trusted certificates
// only when it is self-signed and issued one of the merged certificates. The PKCS#12
// holds the Notes private key: it is protected by a password the caller gives, and the
// caller writes it with mode 0600.
#pragma once

#include <string>
#include <vector>

#include "pki/id_file.h"
#include "base/status.h"

namespace notesd::client {

// What MergeInternetCertificates did.
struct CertificateMerge {
  std::vector<std::string> added;        // one line per certificate added (AddedLine)
  std::vector<std::string> ignored;      // one line per certificate not over the Notes key, or unreadable
  std::vector<std::string> roots_added;  // subjects of roots added to the trusted certificates
  int already_present = 0;               // certificates the ID already held
  bool default_set = false;              // the newest added became the default
  bool Changed() const { return !added.empty() || !roots_added.empty() || default_set; }
};

// Merges the server's Internet certificates of the ID's owner (`certificates_pem`, the
// Person's UserCertificate list, newest first) and the roots of their issuers
// (`roots_pem`) into `id`:
//  - a certificate whose public key is the ID's Notes key, and that the ID lacks, is
//    added (oldest first, so the newest ends last, as IdFile keeps them);
//  - any other certificate is left out and reported in `ignored`;
//  - a self-signed root that issued an added or held certificate is added to the
//    trusted certificates unless present;
//  - when the ID had no certificate marked default, the newest added one is marked.
// Never fails: unreadable entries are reported in `ignored`.
CertificateMerge MergeInternetCertificates(IdFile& id, const std::vector<std::string>& certificates_pem,
                                           const std::vector<std::string>& roots_pem);

// "Added Internet certificate CN=Jane Doe,O=Acme issued by Acme-Corp-Email (serial 4F...)".
std::string AddedLine(X509* cert);

// The certificate `notes id export-cert` / `export` use: with `serial_hex` non-empty the
// one with that serial (case-insensitive; NotFound naming it), else the default
// (IdFile::DefaultInternetCertificate). NotFound "your ID holds no Internet certificate"
// when there is none. Borrowed from `id`.
Result<const InternetCertificate*> PickInternetCertificate(const IdFile& id, const std::string& serial_hex);

// The issuer chain of `cert` from the ID's trusted certificates (intermediates, then
// the root), without `cert` itself; empty when the issuer is unknown. Up-referenced.
std::vector<X509Ptr> IssuerChain(const IdFile& id, X509* cert);

enum class Pkcs12Cipher {
  kAes256,      // PBES2: PBKDF2-HMAC-SHA256 + AES-256-CBC, SHA-256 MAC (OpenSSL 3's defaults)
  kLegacy3Des,  // PBE-SHA1-3DES for key and certificates, SHA-1 MAC (gpgsm 2.2, older mail programs)
};

// A DER PKCS#12 (PFX) holding `entry`'s certificate, the key it certifies
// (IdFile::PrivateKeyFor) and `chain`, with friendly name = the certificate's subject
// CN, encrypted under `password` (must not be empty: InvalidArgument). Internal on
// OpenSSL failure (details in the message).
Result<std::string> ExportPkcs12(const IdFile& id, const InternetCertificate& entry, const std::vector<X509Ptr>& chain,
                                 const std::string& password, Pkcs12Cipher cipher);

}  // namespace notesd::client
