// pki/x509_certs.h — issuing, inspecting and verifying X.509 certificates with OpenSSL 3.
//
// Owns: how notesd builds a certificate (which extensions, how they are encoded, how it
// is signed), how it reads one back, and how it verifies a chain. Callers that hold a
// certifier's private key (the CA task, ID creation) pass it in; nothing here stores it.
//
// SECURITY: the inspection and verification functions take certificates from outside
// (S/MIME mail, imported files); they never trust a field they did not verify and
// never crash on odd certificates. Free-text request fields (emails, DNS names, URLs)
// are validated and encoded as typed ASN.1 values, never spliced into OpenSSL config
// strings.
//
// Thread safety: every function works on the objects it is given; a certificate being
// issued is private to the call. Passing the same X509 to several threads is safe for
// the read-only functions here.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "pki/hier_name.h"
#include "pki/openssl_handles.h"
#include "pki/public_key_info.h"
#include "base/status.h"

namespace notesd {

// keyUsage bits (bit-or them into CertRequest::key_usage). notesd's own values, mapped
// to the RFC 5280 bits by x509_certs.cc.
inline constexpr std::uint32_t kKeyUsageDigitalSignature = 1u << 0;
inline constexpr std::uint32_t kKeyUsageNonRepudiation = 1u << 1;
inline constexpr std::uint32_t kKeyUsageKeyEncipherment = 1u << 2;
inline constexpr std::uint32_t kKeyUsageKeyAgreement = 1u << 3;
inline constexpr std::uint32_t kKeyUsageKeyCertSign = 1u << 4;
inline constexpr std::uint32_t kKeyUsageCrlSign = 1u << 5;

// extendedKeyUsage purposes (bit-or them into CertRequest::extended_key_usage).
inline constexpr std::uint32_t kExtKeyUsageEmailProtection = 1u << 0;
inline constexpr std::uint32_t kExtKeyUsageClientAuth = 1u << 1;
inline constexpr std::uint32_t kExtKeyUsageServerAuth = 1u << 2;

// What to put in a new certificate.
struct CertRequest {
  // The subject: a Notes name (mapped by HierName::ToX509Name) or any X.509 name.
  std::variant<HierName, X509NamePtr> subject;
  // The subject's public key (borrowed for the call; a private key works too, only its
  // public half is used).
  EVP_PKEY* public_key = nullptr;
  // Or, for a certificate with an issuer: the key as its SubjectPublicKeyInfo, copied
  // into the certificate as it is (borrowed; see pki/public_key_info.h for why).
  const PublicKeyInfo* public_key_info = nullptr;
  // Serial number as hex (HexDecode forms); empty = 16 random bytes, made positive.
  std::string serial_hex;
  // Validity; the caller supplies the clock. not_after must be later than not_before.
  std::time_t not_before = 0;
  std::time_t not_after = 0;
  // basicConstraints (always added, critical): CA flag and an optional pathLenConstraint
  // (only with is_ca).
  bool is_ca = false;
  std::optional<int> path_length;
  // keyUsage (critical) when non-zero; extendedKeyUsage (non-critical) when non-zero.
  std::uint32_t key_usage = 0;
  std::uint32_t extended_key_usage = 0;
  // subjectAltName rfc822Name and dNSName entries (non-critical) when any is given.
  std::vector<std::string> emails;
  std::vector<std::string> dns_names;
  // cRLDistributionPoints with one fullName URI, when non-empty.
  std::string crl_distribution_point;
};

// Issues a v3 certificate for `request`, signed with SHA-256 (sha256WithRSAEncryption
// or ecdsa-with-SHA256 depending on the issuer key). With `issuer_cert` set, the issuer
// name comes from it and `issuer_key` must be its key (InvalidArgument otherwise); with
// `issuer_cert` null the certificate is self-signed and `issuer_key` must be the key
// pair of `request.public_key`. subjectKeyIdentifier is always added, and
// authorityKeyIdentifier (key id of the issuer) when not self-signed. Returns the new
// certificate (caller owns it); InvalidArgument for a bad request, Internal on OpenSSL
// failure. The issuer's key is only borrowed for the call.
Result<X509Ptr> IssueCertificate(const CertRequest& request, EVP_PKEY* issuer_key, X509* issuer_cert);

// IssueCertificate for many certificates of one issuer: the key is checked against the
// certificate once, and the SHA-256 signing context is prepared once and copied for each
// certificate, so OpenSSL fetches the digest and signature algorithms (and takes its
// global locks) once instead of per certificate. Not thread-safe: one per thread. The
// key and certificate are borrowed and must outlive it.
class CertificateIssuer {
 public:
  // InvalidArgument when `issuer_key` is not the key of `issuer_cert`.
  static Result<CertificateIssuer> Create(EVP_PKEY* issuer_key, X509* issuer_cert);
  // As IssueCertificate(request, issuer_key, issuer_cert).
  Result<X509Ptr> Issue(const CertRequest& request) const;

 private:
  CertificateIssuer(EVP_PKEY* key, X509* cert, EvpMdCtxPtr prepared)
      : key_(key), cert_(cert), prepared_(std::move(prepared)) {}
  EVP_PKEY* key_;
  X509* cert_;
  EvpMdCtxPtr prepared_;  // EVP_DigestSignInit'ed with SHA-256 and key_
};

// ---- Inspection (null certificates give empty / false / nullopt results) ----------------

// RFC 2253 text, UTF-8 kept: "CN=Jane Doe,OU=Sales,O=Acme,C=US".
std::string SubjectText(X509* cert);
std::string IssuerText(X509* cert);
// Text of an X.509 name in the same style.
std::string NameText(const X509_NAME* name);
// The last (most specific) CN of the subject / issuer, or "" when there is none.
std::string SubjectCommonName(X509* cert);
std::string IssuerCommonName(X509* cert);
// Upper-case hex without separators, e.g. "0A1B..." (BN_bn2hex form; "-" prefix if a
// foreign certificate has a negative serial).
std::string SerialHex(X509* cert);
// Validity bounds; InvalidArgument if a time field cannot be read.
Result<std::time_t> NotBefore(X509* cert);
Result<std::time_t> NotAfter(X509* cert);
// rfc822Name entries of subjectAltName, in certificate order (empty without SAN).
std::vector<std::string> SubjectAltEmails(X509* cert);
std::vector<std::string> SubjectAltDnsNames(X509* cert);
// keyUsage / extendedKeyUsage as the kKeyUsage* / kExtKeyUsage* flags; nullopt when
// the extension is absent (no restriction). Bits notesd has no flag for are dropped.
std::optional<std::uint32_t> KeyUsageFlags(X509* cert);
std::optional<std::uint32_t> ExtendedKeyUsageFlags(X509* cert);
// True when basicConstraints says CA:TRUE.
bool IsCa(X509* cert);
// pathLenConstraint of a CA certificate, nullopt when absent.
std::optional<int> PathLength(X509* cert);
// True when subject == issuer and the certificate's signature verifies with its own key.
bool IsSelfSigned(X509* cert);

// ---- Verification -----------------------------------------------------------------

enum class CertPurpose { kSmimeSign, kSmimeEncrypt, kTlsClient, kTlsServer };

// Verifies that `leaf` chains to one of `trusted_roots` (the trust anchors, which must
// be self-signed) through any of `intermediates`, at time `at`, and, when `purpose` is
// set, that the chain allows that purpose (keyUsage / extendedKeyUsage). No CRL or OCSP
// checking. All pointers are borrowed for the call. Ok on success; PermissionDenied
// otherwise, with a readable reason from X509_verify_cert_error_string and the subject
// of the certificate it failed on, e.g. "certificate CN=Jane Doe,O=Acme is not trusted:
// certificate has expired (at CN=Jane Doe,O=Acme)". InvalidArgument for a null leaf.
Status VerifyChain(X509* leaf, const std::vector<X509*>& trusted_roots, const std::vector<X509*>& intermediates,
                   std::time_t at, std::optional<CertPurpose> purpose = std::nullopt);

}  // namespace notesd
