// pki/crypto.h — key generation, PEM/DER encoding, certificate import, digests, randomness.
//
// Owns: the one place notesd turns keys and certificates into bytes and back. All the
// cryptography is OpenSSL 3's (EVP and PEM/DER codecs); nothing here is hand-rolled.
//
// Conventions:
//  - Byte strings are held in std::string / std::string_view (binary-safe).
//  - Functions returning an owner (EvpPkeyPtr, X509Ptr) give the caller sole ownership.
//  - Parsing functions take untrusted input (SECURITY): they never prompt for a PEM pass
//    phrase (an encrypted PEM key is refused), never read past the given bytes, and
//    refuse trailing garbage after DER. Their messages are plain; Internal errors carry
//    the OpenSSL error queue for the log.
//  - Every function is thread-safe (each works on its own OpenSSL objects), provided the
//    caller does not mutate a passed-in key or certificate concurrently.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "pki/openssl_handles.h"
#include "base/status.h"

namespace notesd {

// ---- Keys ----------------------------------------------------------------------------

enum class KeyAlgorithm { kRsa, kEcP256 };

// Which key pair to make. Text forms: "rsa2048", "rsa3072", "rsa4096", "ecdsa-p256".
struct KeySpec {
  KeyAlgorithm algorithm = KeyAlgorithm::kRsa;
  int bits = 2048;  // 2048, 3072 or 4096 for RSA; 256 for EC P-256.

  static KeySpec Rsa2048() { return {KeyAlgorithm::kRsa, 2048}; }
  static KeySpec Rsa3072() { return {KeyAlgorithm::kRsa, 3072}; }
  static KeySpec Rsa4096() { return {KeyAlgorithm::kRsa, 4096}; }
  static KeySpec EcdsaP256() { return {KeyAlgorithm::kEcP256, 256}; }

  // Parses the text form (case-insensitive). InvalidArgument names the accepted forms.
  static Result<KeySpec> Parse(std::string_view text);
  // The canonical text form, e.g. "rsa2048".
  std::string ToString() const;

  friend bool operator==(const KeySpec&, const KeySpec&) = default;
};

// Generates a fresh key pair. InvalidArgument for an unsupported spec, Internal if
// OpenSSL fails. Slow for RSA 4096 (around a second).
Result<EvpPkeyPtr> GenerateKey(const KeySpec& spec);

// The spec of an existing key (RSA of any listed size, or EC P-256); InvalidArgument
// for other key types or sizes.
Result<KeySpec> KeySpecOf(EVP_PKEY* key);

// True when both keys are non-null and have the same public key (EVP_PKEY_eq). A
// private key and the certificate's public key of the same pair compare equal.
bool PublicKeysEqual(EVP_PKEY* a, EVP_PKEY* b);

// ---- Private keys: PKCS#8 PrivateKeyInfo, unencrypted ----------------------------------
// The PEM form ("-----BEGIN PRIVATE KEY-----") is unencrypted: store it only inside an
// encrypted container such as the ID file. Decoders also accept the traditional RSA / EC
// forms but refuse encrypted PEM (InvalidArgument) rather than ask for a pass phrase.

Result<std::string> PrivateKeyToPem(EVP_PKEY* key);
Result<std::string> PrivateKeyToDer(EVP_PKEY* key);
Result<EvpPkeyPtr> PrivateKeyFromPem(std::string_view pem);
Result<EvpPkeyPtr> PrivateKeyFromDer(std::string_view der);

// ---- Public keys: SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----") -------------------

Result<std::string> PublicKeyToPem(EVP_PKEY* key);
Result<std::string> PublicKeyToDer(EVP_PKEY* key);
Result<EvpPkeyPtr> PublicKeyFromPem(std::string_view pem);
Result<EvpPkeyPtr> PublicKeyFromDer(std::string_view der);
// The DER bytes of the first PEM "PUBLIC KEY" block in `pem`, not decoded into a key.
// InvalidArgument when there is none.
Result<std::string> PublicKeyPemToDer(std::string_view pem);

// True when the first PEM public key in `pem` is the public key of `cert`. Compares the
// SubjectPublicKeyInfo bytes first, which decodes no key (OpenSSL 3's key decoder costs
// most of an HTTPS request and takes global locks); only when they differ are both keys
// decoded and compared as PublicKeysEqual does.
bool PublicKeyPemMatches(std::string_view pem, X509* cert);

// ---- Certificates -------------------------------------------------------------------

Result<std::string> CertificateToPem(X509* cert);
Result<std::string> CertificateToDer(X509* cert);
// Exactly one certificate; InvalidArgument otherwise (for PEM, the first CERTIFICATE
// block is taken).
Result<X509Ptr> CertificateFromPem(std::string_view pem);
Result<X509Ptr> CertificateFromDer(std::string_view der);

// Imports every certificate in `bytes`, detecting the format:
//  - PEM text: every CERTIFICATE / X509 CERTIFICATE / TRUSTED CERTIFICATE block and the
//    certificates of every PKCS7 block, in file order; other blocks (keys, CRLs) are
//    skipped;
//  - DER: one or more concatenated certificates, or a PKCS#7 SignedData (a .p7b/.p7c
//    bundle, or a signature with certificates).
// Returns at least one certificate, or InvalidArgument ("no certificate found ...").
Result<std::vector<X509Ptr>> ParseCertificates(std::string_view bytes);

// ---- Digests, fingerprints, randomness ------------------------------------------------

enum class DigestAlgorithm { kSha1, kSha256 };
enum class HexStyle {
  kPlain,  // "3f2a..." lower case, no separators (as sha256sum prints).
  kColon,  // "3F:2A:..." upper case (as `openssl x509 -fingerprint` prints).
};

// The raw digest (20 or 32 bytes) of `data`. Internal only if OpenSSL fails.
Result<std::string> Digest(DigestAlgorithm algorithm, std::string_view data);
// The digest of the certificate's DER encoding, hex encoded.
Result<std::string> CertificateFingerprint(X509* cert, DigestAlgorithm algorithm, HexStyle style = HexStyle::kPlain);

std::string HexEncode(std::string_view bytes, HexStyle style = HexStyle::kPlain);
// Accepts either style (and upper or lower case); InvalidArgument on anything else.
Result<std::string> HexDecode(std::string_view hex);

// `count` bytes from OpenSSL's CSPRNG. Internal if the generator is not seeded.
Result<std::string> RandomBytes(std::size_t count);

// Compares in time that depends only on the lengths (which are not secret here).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace notesd
