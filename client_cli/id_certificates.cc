// client_cli/id_certificates.cc — merging the server's Internet certificates into the
// ID, and exporting one as PKCS#12.
#include "client_cli/id_certificates.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "pki/crypto.h"
#include "base/notes_ini.h"
#include "pki/x509_certs.h"
#include "smime/cert_import.h"
#include "base/ascii.h"

namespace notesd::client {

namespace {

std::string IssuedByText(X509* cert) {
  std::string common_name = IssuerCommonName(cert);
  return common_name.empty() ? IssuerText(cert) : common_name;
}

bool Issued(X509* issuer, X509* subject) { return X509_check_issued(issuer, subject) == X509_V_OK; }

std::string Fingerprint(X509* cert) {
  Result<std::string> fingerprint = CertificateFingerprint(cert, DigestAlgorithm::kSha256);
  return fingerprint.ok() ? *fingerprint : std::string();
}

bool HasMarkedDefault(const IdFile& id) {
  for (const InternetCertificate& entry : id.internet_certificates())
    if (entry.is_default) return true;
  return false;
}

}  // namespace

std::string AddedLine(X509* cert) {
  return "Added Internet certificate " + SubjectText(cert) + " issued by " + IssuedByText(cert) + " (serial " +
         SerialHex(cert) + ")";
}

CertificateMerge MergeInternetCertificates(IdFile& id, const std::vector<std::string>& certificates_pem,
                                           const std::vector<std::string>& roots_pem) {
  CertificateMerge merge;
  bool had_default = HasMarkedDefault(id);
  X509* newest_added = nullptr;
  // The server lists newest first; the ID keeps newest last.
  for (auto it = certificates_pem.rbegin(); it != certificates_pem.rend(); ++it) {
    Result<X509Ptr> cert = CertificateFromPem(*it);
    if (!cert.ok()) {
      merge.ignored.push_back("an unreadable certificate (" + cert.status().message() + ")");
      continue;
    }
    X509* raw = cert->get();
    if (!PublicKeysEqual(X509_get0_pubkey(raw), id.notes_key())) {
      merge.ignored.push_back(SubjectText(raw) + " (serial " + SerialHex(raw) +
                              "): it certifies another key than your ID's Notes key");
      continue;
    }
    std::string line = AddedLine(raw);
    Status added = id.AddInternetCertificate(std::move(cert).value());
    if (added.ok()) {
      merge.added.push_back(std::move(line));
      newest_added = id.internet_certificates().back().certificate.get();
    } else if (added.code() == StatusCode::kAlreadyExists) {
      ++merge.already_present;
    } else {
      merge.ignored.push_back(added.message());
    }
  }

  // Roots that issued a certificate the ID now holds.
  for (const std::string& pem : roots_pem) {
    Result<X509Ptr> root = CertificateFromPem(pem);
    if (!root.ok() || !IsSelfSigned(root->get())) continue;
    bool issued_one = false;
    for (const InternetCertificate& entry : id.internet_certificates())
      issued_one = issued_one || Issued(root->get(), entry.certificate.get());
    if (!issued_one) continue;
    std::string subject = SubjectText(root->get());
    if (id.AddTrustedCertificate(std::move(root).value())) merge.roots_added.push_back(subject);
  }

  if (!had_default && newest_added != nullptr) {
    merge.default_set = id.SetDefaultInternetCertificate(Fingerprint(newest_added)).ok();
  }
  return merge;
}

Result<const InternetCertificate*> PickInternetCertificate(const IdFile& id, const std::string& serial_hex) {
  if (id.internet_certificates().empty())
    return Status::NotFound("your ID holds no Internet certificate (run `notes id sync`)");
  if (serial_hex.empty()) return id.DefaultInternetCertificate();
  for (const InternetCertificate& entry : id.internet_certificates())
    if (EqualsIgnoreCase(SerialHex(entry.certificate.get()), serial_hex)) return &entry;
  return Status::NotFound("your ID holds no Internet certificate with serial " + serial_hex);
}

std::vector<X509Ptr> IssuerChain(const IdFile& id, X509* cert) {
  std::vector<X509Ptr> chain;
  X509* current = cert;
  // A short walk: a chain longer than the trusted list would be a loop.
  for (std::size_t step = 0; step < id.trusted_certificates().size() && !IsSelfSigned(current); ++step) {
    X509* issuer = nullptr;
    for (const X509Ptr& candidate : id.trusted_certificates())
      if (candidate.get() != current && Issued(candidate.get(), current)) issuer = candidate.get();
    if (issuer == nullptr) break;
    chain.push_back(UpRef(issuer));
    current = issuer;
  }
  return chain;
}

namespace {

// One PKCS#12 file: the key, its certificate and `ca`, encrypted with `password`.
Result<std::string> MakePkcs12(const IdFile& id, const InternetCertificate& entry, STACK_OF(X509) & ca,
                               const std::string& password, bool legacy) {
  int nid = legacy ? NID_pbe_WithSHA1And3_Key_TripleDES_CBC : NID_aes_256_cbc;
  std::string friendly = SubjectCommonName(entry.certificate.get());
  ERR_clear_error();
  // No MAC from PKCS12_create (-1): it is set below with the digest we choose.
  Pkcs12Ptr p12(PKCS12_create(password.c_str(), friendly.empty() ? nullptr : friendly.c_str(), id.PrivateKeyFor(entry),
                              entry.certificate.get(), &ca, nid, nid, PKCS12_DEFAULT_ITER, -1, 0));
  if (!p12) return Status::Internal("PKCS12_create failed: " + OpenSslErrors());
  if (PKCS12_set_mac(p12.get(), password.c_str(), -1, nullptr, 0, PKCS12_DEFAULT_ITER,
                     legacy ? EVP_sha1() : EVP_sha256()) != 1)
    return Status::Internal("PKCS12_set_mac failed: " + OpenSslErrors());
  unsigned char* der = nullptr;
  int length = i2d_PKCS12(p12.get(), &der);
  if (length <= 0) return Status::Internal("i2d_PKCS12 failed: " + OpenSslErrors());
  std::string bytes(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return bytes;
}

}  // namespace

Result<std::string> ExportPkcs12(const IdFile& id, const InternetCertificate& entry, const std::vector<X509Ptr>& chain,
                                 const std::string& password, Pkcs12Cipher cipher) {
  if (password.empty()) return Status::InvalidArgument("a PKCS#12 file needs a password");
  X509StackPtr ca(sk_X509_new_null());
  if (!ca) return Status::Internal("sk_X509_new_null failed");
  for (const X509Ptr& cert : chain) {
    X509Ptr copy = UpRef(cert.get());
    if (!copy || sk_X509_push(ca.get(), copy.get()) == 0) return Status::Internal("cannot build the certificate chain");
    copy.release();  // the stack owns it now
  }
  bool legacy = cipher == Pkcs12Cipher::kLegacy3Des;
  // The legacy form is for gpgsm 2.2, which cannot read a 3DES salt with a zero byte:
  // such a file is made again (each try has fresh random salts).
  constexpr int kLegacyTries = 32;
  for (int attempt = 1;; ++attempt) {
    NOTESD_ASSIGN_OR_RETURN(std::string bytes, MakePkcs12(id, entry, *ca, password, legacy));
    if (!legacy || !smime::HasGpgsmUnreadableSalt(bytes) || attempt == kLegacyTries) return bytes;
  }
}

}  // namespace notesd::client
