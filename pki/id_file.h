// pki/id_file.h — the Notes ID file: an identity's keys and certificates, encrypted.
//
// Owns: the ID file's contents (IdFile), its on-disk format, password-based encryption,
// atomic saving, and making new identities (CreateIdentity). Uses OpenSSL 3 for all
// cryptography: scrypt (EVP_KDF "SCRYPT"), AES-256-GCM, SHA-256.
//
// SECURITY: Decode/Load read untrusted bytes and a user's password. They never crash,
// check a cheap checksum before running the slow KDF, refuse KDF parameters that could
// exhaust memory, and tell a wrong password (PermissionDenied) apart from damage or
// tampering (Corruption). Decrypted key material is wiped from the buffers this code
// owns (OPENSSL_cleanse); copies inside OpenSSL key objects and the JSON library are
// beyond its reach (known limit).
//
// ---- File format, version 1 (all integers big-endian) --------------------------------
//   offset  size  field
//        0     8  magic "NOTESDID"
//        8     2  format version = 1
//       10     4  total file length in bytes, checksum included
//       14     1  KDF id: 1 = scrypt
//       15     1  cipher id: 1 = AES-256-GCM
//       16     8  scrypt N (a power of two, 2^10 .. 2^22)
//       24     4  scrypt r (1 .. 32)
//       28     4  scrypt p (1 .. 16); also 128*N*r must stay within 1 GiB
//       32    16  salt (random per save)
//       48    32  password verifier
//       80    12  AES-GCM nonce (random per save)
//       92     L  ciphertext of the payload   (L = total - 92 - 16 - 32)
//     92+L    16  AES-GCM tag
//     108+L   32  SHA-256 of every byte before it
// Bytes 0..91 (the header) are the GCM additional authenticated data. scrypt(password,
// salt, N, r, p) yields 64 bytes: the first 32 are the AES key, the last 32 the password
// verifier, compared in constant time. Every future version keeps the first 14 bytes and
// the trailing SHA-256. The payload is UTF-8 JSON:
//   {"payload_version":1, "name":"CN=.../O=...", "kind":"person|server|certifier",
//    "notes_key":"<PKCS#8 PEM>", "notes_certificate":"<PEM>",
//    "trusted_certificates":["<PEM>",...],
//    "cross_certificates":[{"certificate":"<PEM>","note":"..."}],
//    "internet_certificates":[{"certificate":"<PEM>","private_key":"<PEM>"?,"default":bool}],
//    "properties":{"key":"value",...}}
//
// Decode checks, in this order (each failure names the ID file):
//   shorter than its length field, or cut inside the magic  Corruption "... is truncated"
//   magic differs                    InvalidArgument "... is not a notesd ID file"
//   longer than its length field     Corruption "... is damaged (length mismatch)"
//   SHA-256 differs                  Corruption "... is damaged (checksum mismatch)"
//   unknown version                  InvalidArgument "... has format version N; ... reads 1"
//   unknown KDF/cipher, bad scrypt parameters  Corruption naming the parameter
//   verifier differs                 PermissionDenied "wrong password for ID file ..."
//   GCM tag fails                    Corruption "... has been tampered with (authentication failed)"
//   payload unreadable or inconsistent (key vs certificate)  Corruption
#pragma once

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pki/crypto.h"
#include "pki/hier_name.h"
#include "pki/openssl_handles.h"
#include "base/status.h"

namespace notesd {

enum class IdKind { kPerson, kServer, kCertifier };
// "person", "server", "certifier".
const char* IdKindName(IdKind kind);
Result<IdKind> ParseIdKind(std::string_view text);

// scrypt cost parameters. Memory use is about 128 * n * r bytes.
struct KdfParams {
  std::uint64_t n = 1u << 15;
  std::uint32_t r = 8;
  std::uint32_t p = 1;

  // N=2^15, r=8, p=1 (about 32 MiB, a few hundred ms). TEST ONLY: when the environment
  // variable NOTESD_ID_KDF=fast is set, returns ForTests() instead, so that test suites
  // creating many IDs run quickly, and warns on stderr (once per process) that the IDs it
  // makes are weak. Never set it for real data.
  static KdfParams Default();
  // N=2^15, r=8, p=1 regardless of the environment.
  static KdfParams Production();
  // N=2^10, r=8, p=1: the cheapest parameters Decode accepts.
  static KdfParams ForTests();
  // Ok when N is a power of two in [2^10, 2^22], 1 <= r <= 32, 1 <= p <= 16 and
  // 128*N*r <= 1 GiB; InvalidArgument naming the parameter otherwise.
  Status Validate() const;

  friend bool operator==(const KdfParams&, const KdfParams&) = default;
};

// A certificate this ID holds as a cross-certificate, and what it certifies (free text
// for display, e.g. "Internet certificate of alice@example.org").
struct CrossCertificate {
  X509Ptr certificate;
  std::string note;

  CrossCertificate() = default;
  CrossCertificate(X509Ptr cert, std::string what) : certificate(std::move(cert)), note(std::move(what)) {}
  CrossCertificate(const CrossCertificate& other);  // Shares the X509 (up-ref).
  CrossCertificate& operator=(const CrossCertificate& other);
  CrossCertificate(CrossCertificate&&) = default;
  CrossCertificate& operator=(CrossCertificate&&) = default;
};

// An Internet (X.509/S/MIME) certificate in the ID. `private_key` is null when the
// certificate certifies the Notes key (the Domino way); set when it was imported with a
// key of its own.
struct InternetCertificate {
  X509Ptr certificate;
  EvpPkeyPtr private_key;
  bool is_default = false;  // Marked by the user as the default signing certificate.

  InternetCertificate() = default;
  InternetCertificate(const InternetCertificate& other);  // Shares X509/EVP_PKEY (up-ref).
  InternetCertificate& operator=(const InternetCertificate& other);
  InternetCertificate(InternetCertificate&&) = default;
  InternetCertificate& operator=(InternetCertificate&&) = default;
};

// The contents of one ID file. A value type: copies share the (immutable) OpenSSL key
// and certificate objects by reference count. Not thread-safe for mutation; const use
// from several threads is safe. A decoded IdFile always has a name, a Notes key and a
// Notes certificate over that key.
class IdFile {
 public:
  IdFile() = default;
  IdFile(const IdFile& other);
  IdFile& operator=(const IdFile& other);
  IdFile(IdFile&&) = default;
  IdFile& operator=(IdFile&&) = default;

  // Reads and decrypts the ID file at `path` (at most 16 MiB). NotFound if it does not
  // exist, IOError if unreadable, otherwise as Decode.
  static Result<IdFile> Load(const std::filesystem::path& path, std::string_view password);
  // Decrypts an ID file image. `source_name` names it in messages (usually the path).
  // Errors as listed at the top of this file.
  static Result<IdFile> Decode(std::string_view bytes, std::string_view password, std::string_view source_name);

  // Encrypts this ID with `password` (may be empty, as for an unattended server.id)
  // under fresh salt and nonce. InvalidArgument if the ID is incomplete (no name, key or
  // certificate, or the certificate is not over the key) or `kdf` fails Validate().
  Result<std::string> Encode(std::string_view password, const KdfParams& kdf = KdfParams::Default()) const;
  // Encodes and writes atomically: a temporary file in the same directory (mode 0600),
  // fsync, rename over `path`, fsync of the directory. On failure `path` is unchanged
  // and the temporary file is removed. IOError names the path.
  Status Save(const std::filesystem::path& path, std::string_view password,
              const KdfParams& kdf = KdfParams::Default()) const;
  // Loads with `old_password` and saves atomically with `new_password` (fresh salt).
  // The file is unchanged on any failure (PermissionDenied for a wrong old password).
  static Status ChangePassword(const std::filesystem::path& path, std::string_view old_password,
                               std::string_view new_password, const KdfParams& kdf = KdfParams::Default());

  // ---- Identity ----
  const HierName& name() const { return name_; }
  void set_name(HierName name) { name_ = std::move(name); }
  IdKind kind() const { return kind_; }
  void set_kind(IdKind kind) { kind_ = kind; }

  // The Notes key pair and its Notes certificate (borrowed; valid while this IdFile
  // lives and the field is not replaced).
  EVP_PKEY* notes_key() const { return notes_key_.get(); }
  void set_notes_key(EvpPkeyPtr key) { notes_key_ = std::move(key); }
  X509* notes_certificate() const { return notes_certificate_.get(); }
  void set_notes_certificate(X509Ptr cert) { notes_certificate_ = std::move(cert); }

  // ---- Trust ----
  // Certificates this ID trusts: its certifier chain (immediate certifier first, up to
  // the organisation's self-signed root) and roots added later (e.g. the Internet
  // certifier). Self-signed ones are trust anchors, the others intermediates.
  const std::vector<X509Ptr>& trusted_certificates() const { return trusted_certificates_; }
  // Adds `cert` unless a certificate with the same SHA-256 fingerprint is present
  // (then returns false). Null is ignored (false).
  bool AddTrustedCertificate(X509Ptr cert);
  // The self-signed / other members of trusted_certificates(), borrowed, for VerifyChain.
  std::vector<X509*> TrustAnchors() const;
  std::vector<X509*> Intermediates() const;

  const std::vector<CrossCertificate>& cross_certificates() const { return cross_certificates_; }
  // Adds a cross-certificate; false (and nothing added) for null or a duplicate.
  bool AddCrossCertificate(X509Ptr cert, std::string note);
  // Removes the cross-certificate with this SHA-256 fingerprint (either hex style);
  // NotFound if there is none.
  Status RemoveCrossCertificate(std::string_view sha256_fingerprint);

  // ---- Internet certificates ----
  const std::vector<InternetCertificate>& internet_certificates() const { return internet_certificates_; }
  // Adds an Internet certificate, newest last. Without `own_key` the certificate must
  // certify this ID's Notes key; with it, it must certify `own_key` (InvalidArgument
  // "... does not match ..." otherwise). AlreadyExists if the same certificate (SHA-256)
  // is already present, so that repeated syncs are harmless.
  Status AddInternetCertificate(X509Ptr cert, EvpPkeyPtr own_key = nullptr);
  // Marks the certificate with this SHA-256 fingerprint as the default signing
  // certificate (and unmarks the others). NotFound if absent.
  Status SetDefaultInternetCertificate(std::string_view sha256_fingerprint);
  // The default signing certificate: the marked one; else the newest whose keyUsage
  // allows signing (encryption-only certificates are skipped, as in Notes); else the
  // newest; null when there are none. Borrowed.
  const InternetCertificate* DefaultInternetCertificate() const;
  // The private key for an Internet certificate of this ID: its own key if it has one,
  // else the Notes key. Borrowed.
  EVP_PKEY* PrivateKeyFor(const InternetCertificate& entry) const;

  // ---- Properties: a small string map kept for later features ----
  const std::map<std::string, std::string>& properties() const { return properties_; }
  std::optional<std::string> Property(const std::string& key) const;
  void SetProperty(const std::string& key, std::string value) { properties_[key] = std::move(value); }
  void RemoveProperty(const std::string& key) { properties_.erase(key); }

 private:
  HierName name_;
  IdKind kind_ = IdKind::kPerson;
  EvpPkeyPtr notes_key_;
  X509Ptr notes_certificate_;
  std::vector<X509Ptr> trusted_certificates_;
  std::vector<CrossCertificate> cross_certificates_;
  std::vector<InternetCertificate> internet_certificates_;
  std::map<std::string, std::string> properties_;
};

// Makes a new identity: a fresh key pair of `key_spec` and a Notes certificate for
// `name`, valid from `not_before` to `not_after`.
//  - person / server: `certifier` must be a certifier ID with its key, and `name` must
//    have a CN and sit under the certifier's name (HierName::IsUnder). The certificate
//    is issued by the certifier: not a CA, keyUsage digitalSignature plus
//    keyEncipherment (RSA) or keyAgreement (EC, which cannot encipher), extKeyUsage
//    clientAuth (+ serverAuth for a server).
//  - certifier: CA with keyCertSign + cRLSign; self-signed when `certifier` is null,
//    else issued by `certifier` (an OU certifier under an O certifier).
// The certifier's certificate and its own trusted certificates are copied into the new
// ID's trusted_certificates(); a self-signed certifier trusts its own certificate.
// InvalidArgument for a bad combination; Internal on OpenSSL failure. `certifier` is
// borrowed for the call.
Result<IdFile> CreateIdentity(HierName name, IdKind kind, KeySpec key_spec, const IdFile* certifier,
                              std::time_t not_before, std::time_t not_after);

}  // namespace notesd
