// smime/cert_import.cc — certificate and PKCS#12 import. The parsing is OpenSSL's
// (pki/crypto.h ParseCertificates, d2i_PKCS12_bio, PKCS12_parse); what is added here is
// telling the user what is wrong with a file that does not parse.
#include "smime/cert_import.h"

#include <openssl/err.h>

#include <climits>

#include "pki/crypto.h"

namespace notesd::smime {
namespace {

Status Bad(std::string_view file_name, const std::string& what) {
  return Status::InvalidArgument(std::string(file_name) + ": " + what);
}

bool ContainsText(std::string_view bytes, std::string_view text) { return bytes.find(text) != std::string_view::npos; }

bool IsPkcs12(std::string_view bytes) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  Pkcs12Ptr p12(d2i_PKCS12(nullptr, &p, static_cast<long>(bytes.size())));
  ERR_clear_error();
  return p12 != nullptr;
}

// Explains why DER `bytes` did not parse: truncated, or not a certificate.
std::string DiagnoseDer(std::string_view bytes) {
  if (static_cast<unsigned char>(bytes[0]) != 0x30) return "not a certificate (neither PEM nor DER X.509 / PKCS#7)";
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  long length = 0;
  int tag = 0;
  int xclass = 0;
  long available = static_cast<long>(std::min<std::size_t>(bytes.size(), LONG_MAX));
  int ret = ASN1_get_object(&p, &length, &tag, &xclass, available);
  ERR_clear_error();
  long header = static_cast<long>(p - reinterpret_cast<const unsigned char*>(bytes.data()));
  if (header > 0 && length > available - header)
    return "truncated DER: the data announces " + std::to_string(length + header) + " bytes but only " +
           std::to_string(available) + " are present";
  if ((ret & 0x80) != 0) return "damaged DER (its length fields do not add up)";
  return "not a certificate (DER data of another kind)";
}

}  // namespace

Result<std::vector<X509Ptr>> ReadCertificates(std::string_view file_bytes, std::string_view file_name) {
  if (file_bytes.empty()) return Bad(file_name, "the file is empty");
  if (file_bytes.size() > kMaxCertificateFileBytes) return Bad(file_name, "the file is too large for a certificate");
  bool pem = ContainsText(file_bytes, "-----BEGIN ");
  if (!pem && IsPkcs12(file_bytes))
    return Bad(file_name,
               "this is a PKCS#12 file (a certificate with its private key); import it as an ID, or export the "
               "certificate alone (.cer/.pem)");
  auto certs = ParseCertificates(file_bytes);
  ERR_clear_error();
  if (certs.ok()) return certs;
  if (pem) {
    if (ContainsText(file_bytes, "-----BEGIN CERTIFICATE-----") || ContainsText(file_bytes, "-----BEGIN PKCS7-----") ||
        ContainsText(file_bytes, "-----BEGIN X509 CERTIFICATE-----"))
      return Bad(file_name, "the PEM certificate block is damaged or truncated");
    if (ContainsText(file_bytes, "PRIVATE KEY-----"))
      return Bad(file_name, "the PEM file holds a private key but no certificate");
    if (ContainsText(file_bytes, "-----BEGIN CERTIFICATE REQUEST-----"))
      return Bad(file_name, "this is a certificate request, not a certificate");
    if (ContainsText(file_bytes, "-----BEGIN X509 CRL-----"))
      return Bad(file_name, "this is a certificate revocation list, not a certificate");
    return Bad(file_name, "the PEM file holds no certificate");
  }
  // DER: a PKCS#7 bundle without certificates parses as PKCS#7 but yields none.
  if (file_bytes.size() <= static_cast<std::size_t>(INT_MAX)) {
    const auto* p = reinterpret_cast<const unsigned char*>(file_bytes.data());
    Pkcs7Ptr p7(d2i_PKCS7(nullptr, &p, static_cast<long>(file_bytes.size())));
    ERR_clear_error();
    if (p7) return Bad(file_name, "the PKCS#7 bundle holds no certificate");
  }
  return Bad(file_name, DiagnoseDer(file_bytes));
}

Result<Pkcs12Contents> ReadPkcs12(std::string_view file_bytes, std::string_view password, std::string_view file_name) {
  if (file_bytes.empty()) return Bad(file_name, "the file is empty");
  if (file_bytes.size() > kMaxCertificateFileBytes) return Bad(file_name, "the file is too large");
  const auto* p = reinterpret_cast<const unsigned char*>(file_bytes.data());
  Pkcs12Ptr p12(d2i_PKCS12(nullptr, &p, static_cast<long>(file_bytes.size())));
  ERR_clear_error();
  if (!p12) {
    if (ContainsText(file_bytes, "-----BEGIN ")) return Bad(file_name, "this is a PEM file, not PKCS#12 (.p12/.pfx)");
    return Bad(file_name, "not a PKCS#12 file (.p12/.pfx), or it is damaged");
  }
  std::string pass(password);
  // A file may be protected by the empty password or by none at all.
  const char* pass_arg = pass.c_str();
  if (PKCS12_mac_present(p12.get()) == 1) {
    if (PKCS12_verify_mac(p12.get(), pass.c_str(), static_cast<int>(pass.size())) != 1) {
      if (pass.empty() && PKCS12_verify_mac(p12.get(), nullptr, 0) == 1) {
        pass_arg = nullptr;
      } else {
        ERR_clear_error();
        return Status::PermissionDenied(std::string(file_name) + ": wrong password");
      }
    }
  }
  EVP_PKEY* raw_key = nullptr;
  X509* raw_cert = nullptr;
  STACK_OF(X509)* raw_ca = nullptr;
  int ok = PKCS12_parse(p12.get(), pass_arg, &raw_key, &raw_cert, &raw_ca);
  Pkcs12Contents out;
  out.key.reset(raw_key);
  out.cert.reset(raw_cert);
  X509StackPtr ca(raw_ca);
  if (ok != 1) {
    unsigned long err = ERR_peek_last_error();
    ERR_clear_error();
    if (ERR_GET_REASON(err) == ERR_R_UNSUPPORTED || ERR_GET_LIB(err) == ERR_LIB_EVP)
      return Status::Unavailable(std::string(file_name) +
                                 ": the file uses an encryption algorithm that is not supported (an old export "
                                 "format); export it again with AES or 3DES");
    return Bad(file_name, "the PKCS#12 contents cannot be read");
  }
  while (ca && sk_X509_num(ca.get()) > 0) out.chain.emplace_back(sk_X509_shift(ca.get()));
  if (!out.key) return Bad(file_name, "the PKCS#12 file holds no private key");
  if (!out.cert) return Bad(file_name, "the PKCS#12 file holds no certificate for its key");
  return out;
}

bool HasGpgsmUnreadableSalt(std::string_view pkcs12_der) {
  // OID 1.2.840.113549.1.12.1.3, then PBEParameter ::= SEQUENCE { salt OCTET STRING (8), ... }
  static constexpr unsigned char kPbeWith3Des[] = {0x06, 0x0A, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D,
                                                   0x01, 0x0C, 0x01, 0x03, 0x30, 0x0E, 0x04, 0x08};
  constexpr std::size_t kSaltBytes = 8;
  std::string_view marker(reinterpret_cast<const char*>(kPbeWith3Des), sizeof kPbeWith3Des);
  for (std::size_t at = pkcs12_der.find(marker); at != std::string_view::npos; at = pkcs12_der.find(marker, at + 1)) {
    std::string_view salt = pkcs12_der.substr(at + marker.size(), kSaltBytes);
    if (salt.find('\0') != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace notesd::smime
