// pki/id_file.cc — ID file encryption, format checks, atomic saving and identity creation.
#include "pki/id_file.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>

#include "base/scoped_fd.h"
#include "pki/x509_certs.h"

namespace notesd {
namespace {

using Json = nlohmann::json;

// ---- Format constants (see the table in id_file.h) -----------------------------------

constexpr std::string_view kMagic = "NOTESDID";
constexpr std::uint16_t kFormatVersion = 1;
constexpr std::uint8_t kKdfScrypt = 1;
constexpr std::uint8_t kCipherAes256Gcm = 1;
constexpr std::size_t kFixedPrefixSize = 14;  // magic, version, total length: all versions.
constexpr std::size_t kSaltSize = 16;
constexpr std::size_t kVerifierSize = 32;
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kKeySize = 32;
constexpr std::size_t kTagSize = 16;
constexpr std::size_t kChecksumSize = 32;
constexpr std::size_t kOffsetKdfId = 14;
constexpr std::size_t kOffsetCipherId = 15;
constexpr std::size_t kOffsetN = 16;
constexpr std::size_t kOffsetR = 24;
constexpr std::size_t kOffsetP = 28;
constexpr std::size_t kOffsetSalt = 32;
constexpr std::size_t kOffsetVerifier = kOffsetSalt + kSaltSize;       // 48
constexpr std::size_t kOffsetNonce = kOffsetVerifier + kVerifierSize;  // 80
constexpr std::size_t kHeaderSize = kOffsetNonce + kNonceSize;         // 92
constexpr std::size_t kMinimumFileSize = kHeaderSize + kTagSize + kChecksumSize;
constexpr std::size_t kMaxFileSize = 16u << 20;
constexpr int kPayloadVersion = 1;

// KDF bounds: they keep a crafted file from making us allocate or spin without limit.
constexpr std::uint64_t kMinScryptN = 1u << 10;
constexpr std::uint64_t kMaxScryptN = 1u << 22;
constexpr std::uint32_t kMaxScryptR = 32;
constexpr std::uint32_t kMaxScryptP = 16;
constexpr std::uint64_t kMaxScryptMemory = 1ull << 30;

// ---- Small helpers ----------------------------------------------------------------

// Holds secret bytes and wipes them when it goes away.
struct SecretBytes {
  std::string bytes;
  SecretBytes() = default;
  explicit SecretBytes(std::string value) : bytes(std::move(value)) {}
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

void WipeJsonStrings(Json& value) {
  if (value.is_string()) {
    auto& text = value.get_ref<std::string&>();
    OPENSSL_cleanse(text.data(), text.size());
  } else if (value.is_structured()) {
    for (Json& child : value) WipeJsonStrings(child);
  }
}

// Removes a temporary file unless Keep() was called.
class TempFileGuard {
 public:
  explicit TempFileGuard(std::filesystem::path path) : path_(std::move(path)) {}
  ~TempFileGuard() {
    if (!kept_) ::unlink(path_.c_str());
  }
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  void Keep() { kept_ = true; }

 private:
  std::filesystem::path path_;
  bool kept_ = false;
};

void PutBigEndian(std::string& out, std::uint64_t value, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xFF);
}

std::uint64_t GetBigEndian(std::string_view data, std::size_t offset, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | static_cast<unsigned char>(data[offset + i]);
  return value;
}

const unsigned char* Bytes(std::string_view data) { return reinterpret_cast<const unsigned char*>(data.data()); }
unsigned char* MutableBytes(std::string& data) { return reinterpret_cast<unsigned char*>(data.data()); }

std::string Quoted(std::string_view source_name) { return "ID file " + std::string(source_name); }

std::string ErrnoText() { return std::strerror(errno); }

// ---- Key derivation and encryption --------------------------------------------------

struct DerivedKeys {
  SecretBytes key;       // AES-256 key.
  SecretBytes verifier;  // Stored in the header to recognise a wrong password.
};

Result<std::unique_ptr<DerivedKeys>> DeriveKeys(std::string_view password, std::string_view salt,
                                                const KdfParams& params) {
  EvpKdfPtr kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr));
  EvpKdfCtxPtr ctx(kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr);
  if (!ctx) return Status::Internal("scrypt is not available: " + OpenSslErrors());
  static char empty_password[1] = {0};
  std::uint64_t n = params.n;
  std::uint32_t r = params.r;
  std::uint32_t p = params.p;
  std::uint64_t max_memory = 2 * kMaxScryptMemory;  // Our bounds already cap it at 1 GiB.
  void* password_data = password.empty() ? empty_password : const_cast<char*>(password.data());
  OSSL_PARAM settings[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, password_data, password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &max_memory),
      OSSL_PARAM_construct_end(),
  };
  SecretBytes output(std::string(kKeySize + kVerifierSize, '\0'));
  if (EVP_KDF_derive(ctx.get(), MutableBytes(output.bytes), output.bytes.size(), settings) != 1) {
    return Status::Internal("scrypt key derivation failed: " + OpenSslErrors());
  }
  auto keys = std::make_unique<DerivedKeys>();
  keys->key.bytes = output.bytes.substr(0, kKeySize);
  keys->verifier.bytes = output.bytes.substr(kKeySize);
  return keys;
}

Result<EvpCipherCtxPtr> StartGcm(bool encrypt, const std::string& key, std::string_view nonce, std::string_view aad) {
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  const bool started =
      ctx && EVP_CipherInit_ex2(ctx.get(), EVP_aes_256_gcm(), Bytes(key), Bytes(nonce), encrypt ? 1 : 0, nullptr) == 1;
  if (!started || EVP_CipherUpdate(ctx.get(), nullptr, &length, Bytes(aad), static_cast<int>(aad.size())) != 1) {
    return Status::Internal("cannot start AES-256-GCM: " + OpenSslErrors());
  }
  return ctx;
}

// Returns ciphertext followed by the 16-byte tag.
Result<std::string> GcmEncrypt(const std::string& key, std::string_view nonce, std::string_view aad,
                               std::string_view plaintext) {
  NOTESD_ASSIGN_OR_RETURN(EvpCipherCtxPtr ctx, StartGcm(true, key, nonce, aad));
  std::string out(plaintext.size() + kTagSize, '\0');
  int length = 0;
  int final_length = 0;
  if (EVP_CipherUpdate(ctx.get(), MutableBytes(out), &length, Bytes(plaintext), static_cast<int>(plaintext.size())) !=
          1 ||
      EVP_CipherFinal_ex(ctx.get(), MutableBytes(out) + length, &final_length) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagSize),
                          MutableBytes(out) + plaintext.size()) != 1) {
    return Status::Internal("AES-256-GCM encryption failed: " + OpenSslErrors());
  }
  return out;
}

// Decrypts; Corruption "tampered" when the tag does not verify.
Result<std::unique_ptr<SecretBytes>> GcmDecrypt(const std::string& key, std::string_view nonce, std::string_view aad,
                                                std::string_view ciphertext, std::string_view tag,
                                                std::string_view source_name) {
  NOTESD_ASSIGN_OR_RETURN(EvpCipherCtxPtr ctx, StartGcm(false, key, nonce, aad));
  auto plaintext = std::make_unique<SecretBytes>(std::string(ciphertext.size(), '\0'));
  int length = 0;
  int final_length = 0;
  std::string tag_copy(tag);
  if (EVP_CipherUpdate(ctx.get(), MutableBytes(plaintext->bytes), &length, Bytes(ciphertext),
                       static_cast<int>(ciphertext.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagSize), tag_copy.data()) != 1) {
    return Status::Internal("AES-256-GCM decryption failed: " + OpenSslErrors());
  }
  if (EVP_CipherFinal_ex(ctx.get(), MutableBytes(plaintext->bytes) + length, &final_length) != 1) {
    ERR_clear_error();
    return Status::Corruption(Quoted(source_name) + " has been tampered with (authentication failed)");
  }
  return plaintext;
}

// ---- Header ----------------------------------------------------------------------

// The 92-byte header (the GCM AAD) for a file of `total_size` bytes.
std::string MakeHeader(std::size_t total_size, const KdfParams& kdf, std::string_view salt, std::string_view verifier,
                       std::string_view nonce) {
  std::string header(kMagic);
  PutBigEndian(header, kFormatVersion, 2);
  PutBigEndian(header, total_size, 4);
  PutBigEndian(header, kKdfScrypt, 1);
  PutBigEndian(header, kCipherAes256Gcm, 1);
  PutBigEndian(header, kdf.n, 8);
  PutBigEndian(header, kdf.r, 4);
  PutBigEndian(header, kdf.p, 4);
  header.append(salt);
  header.append(verifier);
  header.append(nonce);
  return header;
}

// Checks the parts every version shares: magic, length and checksum. Runs before the
// KDF so damage is reported fast and a damaged file never costs a key derivation.
Status CheckFraming(std::string_view bytes, std::string_view source_name) {
  if (bytes.size() < kMagic.size()) {
    if (kMagic.substr(0, bytes.size()) == bytes) return Status::Corruption(Quoted(source_name) + " is truncated");
    return Status::InvalidArgument(std::string(source_name) + " is not a notesd ID file");
  }
  if (bytes.substr(0, kMagic.size()) != kMagic) {
    return Status::InvalidArgument(std::string(source_name) + " is not a notesd ID file");
  }
  if (bytes.size() < kFixedPrefixSize) return Status::Corruption(Quoted(source_name) + " is truncated");
  const std::uint64_t recorded_size = GetBigEndian(bytes, 10, 4);
  if (recorded_size > bytes.size()) return Status::Corruption(Quoted(source_name) + " is truncated");
  if (recorded_size < bytes.size() || recorded_size < kFixedPrefixSize + kChecksumSize) {
    return Status::Corruption(Quoted(source_name) + " is damaged (length mismatch)");
  }
  const std::string_view covered = bytes.substr(0, bytes.size() - kChecksumSize);
  NOTESD_ASSIGN_OR_RETURN(std::string checksum, Digest(DigestAlgorithm::kSha256, covered));
  if (!ConstantTimeEquals(checksum, bytes.substr(covered.size()))) {
    return Status::Corruption(Quoted(source_name) + " is damaged (checksum mismatch)");
  }
  return Status::Ok();
}

Result<KdfParams> ReadHeaderParams(std::string_view bytes, std::string_view source_name) {
  const std::uint64_t version = GetBigEndian(bytes, 8, 2);
  if (version != kFormatVersion) {
    return Status::InvalidArgument(Quoted(source_name) + " has format version " + std::to_string(version) +
                                   "; this notesd reads version " + std::to_string(kFormatVersion));
  }
  if (bytes.size() < kMinimumFileSize) {
    return Status::Corruption(Quoted(source_name) + " is damaged (too short for format version 1)");
  }
  if (static_cast<unsigned char>(bytes[kOffsetKdfId]) != kKdfScrypt ||
      static_cast<unsigned char>(bytes[kOffsetCipherId]) != kCipherAes256Gcm) {
    return Status::Corruption(Quoted(source_name) + " names an unknown key derivation or cipher");
  }
  KdfParams kdf;
  kdf.n = GetBigEndian(bytes, kOffsetN, 8);
  kdf.r = static_cast<std::uint32_t>(GetBigEndian(bytes, kOffsetR, 4));
  kdf.p = static_cast<std::uint32_t>(GetBigEndian(bytes, kOffsetP, 4));
  Status valid = kdf.Validate();
  if (!valid.ok())
    return Status::Corruption(Quoted(source_name) + " has unacceptable KDF parameters: " + valid.message());
  return kdf;
}

// ---- Payload (JSON) ---------------------------------------------------------------

Result<Json> PemList(const std::vector<X509Ptr>& certs) {
  Json list = Json::array();
  for (const X509Ptr& cert : certs) {
    NOTESD_ASSIGN_OR_RETURN(std::string pem, CertificateToPem(cert.get()));
    list.push_back(std::move(pem));
  }
  return list;
}

Result<Json> InternetCertificatesJson(const std::vector<InternetCertificate>& entries) {
  Json list = Json::array();
  for (const InternetCertificate& entry : entries) {
    NOTESD_ASSIGN_OR_RETURN(std::string pem, CertificateToPem(entry.certificate.get()));
    Json item = {{"certificate", std::move(pem)}, {"default", entry.is_default}};
    if (entry.private_key) {
      NOTESD_ASSIGN_OR_RETURN(std::string key_pem, PrivateKeyToPem(entry.private_key.get()));
      item["private_key"] = std::move(key_pem);
    }
    list.push_back(std::move(item));
  }
  return list;
}

Result<Json> PayloadJson(const IdFile& id) {
  NOTESD_ASSIGN_OR_RETURN(std::string key_pem, PrivateKeyToPem(id.notes_key()));
  NOTESD_ASSIGN_OR_RETURN(std::string cert_pem, CertificateToPem(id.notes_certificate()));
  NOTESD_ASSIGN_OR_RETURN(Json trusted, PemList(id.trusted_certificates()));
  NOTESD_ASSIGN_OR_RETURN(Json internet, InternetCertificatesJson(id.internet_certificates()));
  Json cross = Json::array();
  for (const CrossCertificate& entry : id.cross_certificates()) {
    NOTESD_ASSIGN_OR_RETURN(std::string pem, CertificateToPem(entry.certificate.get()));
    cross.push_back(Json{{"certificate", std::move(pem)}, {"note", entry.note}});
  }
  Json payload = {{"payload_version", kPayloadVersion},
                  {"name", id.name().Canonical()},
                  {"kind", IdKindName(id.kind())},
                  {"notes_key", std::move(key_pem)},
                  {"notes_certificate", std::move(cert_pem)},
                  {"trusted_certificates", std::move(trusted)},
                  {"cross_certificates", std::move(cross)},
                  {"internet_certificates", std::move(internet)},
                  {"properties", id.properties()}};
  OPENSSL_cleanse(key_pem.data(), key_pem.size());
  return payload;
}

// Reads the payload JSON into `id`. nlohmann's type errors (a field of the wrong type)
// are caught by the caller and reported as Corruption.
Status FillFromPayload(const Json& payload, IdFile& id) {
  if (payload.at("payload_version").get<int>() != kPayloadVersion) {
    return Status::Corruption("unknown payload version");
  }
  NOTESD_ASSIGN_OR_RETURN(HierName name, HierName::ParseCanonical(payload.at("name").get<std::string>()));
  NOTESD_ASSIGN_OR_RETURN(IdKind kind, ParseIdKind(payload.at("kind").get<std::string>()));
  NOTESD_ASSIGN_OR_RETURN(EvpPkeyPtr key, PrivateKeyFromPem(payload.at("notes_key").get<std::string>()));
  NOTESD_ASSIGN_OR_RETURN(X509Ptr cert, CertificateFromPem(payload.at("notes_certificate").get<std::string>()));
  id.set_name(std::move(name));
  id.set_kind(kind);
  id.set_notes_key(std::move(key));
  id.set_notes_certificate(std::move(cert));
  for (const Json& pem : payload.at("trusted_certificates")) {
    NOTESD_ASSIGN_OR_RETURN(X509Ptr trusted, CertificateFromPem(pem.get<std::string>()));
    id.AddTrustedCertificate(std::move(trusted));
  }
  for (const Json& entry : payload.at("cross_certificates")) {
    NOTESD_ASSIGN_OR_RETURN(X509Ptr cross, CertificateFromPem(entry.at("certificate").get<std::string>()));
    id.AddCrossCertificate(std::move(cross), entry.at("note").get<std::string>());
  }
  std::optional<std::string> default_fingerprint;
  for (const Json& entry : payload.at("internet_certificates")) {
    NOTESD_ASSIGN_OR_RETURN(X509Ptr internet, CertificateFromPem(entry.at("certificate").get<std::string>()));
    EvpPkeyPtr own_key;
    if (entry.contains("private_key")) {
      NOTESD_ASSIGN_OR_RETURN(own_key, PrivateKeyFromPem(entry.at("private_key").get<std::string>()));
    }
    if (entry.at("default").get<bool>()) {
      NOTESD_ASSIGN_OR_RETURN(default_fingerprint, CertificateFingerprint(internet.get(), DigestAlgorithm::kSha256));
    }
    NOTESD_RETURN_IF_ERROR(id.AddInternetCertificate(std::move(internet), std::move(own_key)));
  }
  if (default_fingerprint) NOTESD_RETURN_IF_ERROR(id.SetDefaultInternetCertificate(*default_fingerprint));
  for (const auto& [key_name, value] : payload.at("properties").items())
    id.SetProperty(key_name, value.get<std::string>());
  return Status::Ok();
}

Status CheckComplete(const IdFile& id) {
  if (id.name().empty()) return Status::InvalidArgument("the ID has no name");
  if (id.notes_key() == nullptr) return Status::InvalidArgument("the ID has no Notes key");
  if (id.notes_certificate() == nullptr) return Status::InvalidArgument("the ID has no Notes certificate");
  if (!PublicKeysEqual(id.notes_key(), X509_get0_pubkey(id.notes_certificate()))) {
    return Status::InvalidArgument("the ID's Notes certificate does not certify its Notes key");
  }
  return Status::Ok();
}

Result<IdFile> DecodePayload(std::string_view plaintext, std::string_view source_name) {
  Json payload = Json::parse(plaintext.begin(), plaintext.end(), nullptr, /*allow_exceptions=*/false);
  if (payload.is_discarded() || !payload.is_object()) {
    return Status::Corruption(Quoted(source_name) + " has an unreadable payload");
  }
  IdFile id;
  Status filled;
  try {
    filled = FillFromPayload(payload, id);
  } catch (const Json::exception& error) {
    filled = Status::Corruption(std::string("malformed payload field (") + error.what() + ")");
  }
  WipeJsonStrings(payload);
  if (filled.ok()) filled = CheckComplete(id);
  if (!filled.ok()) return Status::Corruption(Quoted(source_name) + " has an invalid payload: " + filled.message());
  return id;
}

// ---- Files ------------------------------------------------------------------------

Status WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return Status::IOError(ErrnoText());
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return Status::Ok();
}

// Replaces `path` with `bytes` so that a crash leaves either the old or the new file.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes) {
  const std::filesystem::path directory = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  NOTESD_ASSIGN_OR_RETURN(std::string suffix, RandomBytes(8));
  const std::filesystem::path temp = directory / ("." + path.filename().string() + ".tmp-" + HexEncode(suffix));
  const std::string where = "cannot write ID file " + path.string() + ": ";
  ScopedFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) return Status::IOError(where + ErrnoText());
  TempFileGuard guard(temp);
  if (::fchmod(fd.get(), 0600) != 0) return Status::IOError(where + ErrnoText());
  Status written = WriteAll(fd.get(), bytes);
  if (!written.ok()) return Status::IOError(where + written.message());
  if (::fsync(fd.get()) != 0 || fd.Close() != 0) return Status::IOError(where + ErrnoText());
  if (::rename(temp.c_str(), path.c_str()) != 0) return Status::IOError(where + ErrnoText());
  guard.Keep();
  // Make the rename durable. Its result is ignored on purpose: the new file is already
  // in place, and some file systems refuse fsync on a directory.
  ScopedFd dir_fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) (void)::fsync(dir_fd.get());
  return Status::Ok();
}

Result<std::string> ReadWholeFile(const std::filesystem::path& path) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return Status::NotFound("ID file " + path.string() + " does not exist");
    return Status::IOError("cannot read ID file " + path.string() + ": " + ErrnoText());
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0)
    return Status::IOError("cannot read ID file " + path.string() + ": " + ErrnoText());
  if (!S_ISREG(info.st_mode)) return Status::InvalidArgument(path.string() + " is not a regular file");
  if (static_cast<std::uint64_t>(info.st_size) > kMaxFileSize) {
    return Status::InvalidArgument(path.string() + " is too large to be a notesd ID file");
  }
  std::string bytes;
  char buffer[65536];
  for (;;) {
    const ssize_t got = ::read(fd.get(), buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Status::IOError("cannot read ID file " + path.string() + ": " + ErrnoText());
    if (got == 0) return bytes;
    bytes.append(buffer, static_cast<std::size_t>(got));
    if (bytes.size() > kMaxFileSize)
      return Status::InvalidArgument(path.string() + " is too large to be a notesd ID file");
  }
}

std::vector<X509Ptr> UpRefAll(const std::vector<X509Ptr>& certs) {
  std::vector<X509Ptr> copies;
  copies.reserve(certs.size());
  for (const X509Ptr& cert : certs) copies.push_back(UpRef(cert.get()));
  return copies;
}

bool SameCertificate(X509* a, X509* b) { return a != nullptr && b != nullptr && X509_cmp(a, b) == 0; }

// Normalises a SHA-256 fingerprint in either hex style to the plain style.
Result<std::string> PlainFingerprint(std::string_view fingerprint) {
  NOTESD_ASSIGN_OR_RETURN(std::string raw, HexDecode(fingerprint));
  if (raw.size() != 32)
    return Status::InvalidArgument("\"" + std::string(fingerprint) + "\" is not a SHA-256 fingerprint");
  return HexEncode(raw);
}

bool HasFingerprint(X509* cert, const std::string& plain_fingerprint) {
  Result<std::string> fingerprint = CertificateFingerprint(cert, DigestAlgorithm::kSha256);
  return fingerprint.ok() && *fingerprint == plain_fingerprint;
}

bool AllowsSigning(X509* cert) {
  const std::optional<std::uint32_t> usage = KeyUsageFlags(cert);
  return !usage.has_value() || (*usage & (kKeyUsageDigitalSignature | kKeyUsageNonRepudiation)) != 0;
}

// ---- Identity creation ------------------------------------------------------------

Status CheckCreateArguments(const HierName& name, IdKind kind, const IdFile* certifier) {
  if (name.empty()) return Status::InvalidArgument("a new identity needs a name");
  if (kind != IdKind::kCertifier && name.CommonName().empty()) {
    return Status::InvalidArgument("a " + std::string(IdKindName(kind)) + " name needs a CN: " + name.Canonical());
  }
  if (certifier == nullptr) {
    if (kind == IdKind::kCertifier) return Status::Ok();
    return Status::InvalidArgument("a " + std::string(IdKindName(kind)) + " ID needs a certifier");
  }
  if (certifier->kind() != IdKind::kCertifier || certifier->notes_key() == nullptr ||
      certifier->notes_certificate() == nullptr) {
    return Status::InvalidArgument(certifier->name().Canonical() + " is not a usable certifier ID");
  }
  if (!name.IsUnder(certifier->name())) {
    return Status::InvalidArgument(name.Canonical() + " is not under the certifier " + certifier->name().Canonical());
  }
  return Status::Ok();
}

CertRequest NotesCertificateRequest(const HierName& name, IdKind kind, const KeySpec& key_spec, EVP_PKEY* key,
                                    std::time_t not_before, std::time_t not_after) {
  CertRequest request;
  request.subject = name;
  request.public_key = key;
  request.not_before = not_before;
  request.not_after = not_after;
  if (kind == IdKind::kCertifier) {
    request.is_ca = true;
    request.key_usage = kKeyUsageKeyCertSign | kKeyUsageCrlSign;
    return request;
  }
  // An EC key cannot encipher a key; it agrees on one instead.
  request.key_usage = kKeyUsageDigitalSignature |
                      (key_spec.algorithm == KeyAlgorithm::kRsa ? kKeyUsageKeyEncipherment : kKeyUsageKeyAgreement);
  request.extended_key_usage = kExtKeyUsageClientAuth | (kind == IdKind::kServer ? kExtKeyUsageServerAuth : 0u);
  return request;
}

}  // namespace

// ---- IdKind, KdfParams ----------------------------------------------------------------

const char* IdKindName(IdKind kind) {
  switch (kind) {
    case IdKind::kPerson: return "person";
    case IdKind::kServer: return "server";
    case IdKind::kCertifier: return "certifier";
  }
  return "person";
}

Result<IdKind> ParseIdKind(std::string_view text) {
  if (text == "person") return IdKind::kPerson;
  if (text == "server") return IdKind::kServer;
  if (text == "certifier") return IdKind::kCertifier;
  return Status::InvalidArgument("unknown ID kind \"" + std::string(text) + "\" (person, server or certifier)");
}

KdfParams KdfParams::Default() {
  const char* mode = std::getenv("NOTESD_ID_KDF");
  if (mode == nullptr || std::string_view(mode) != "fast") return Production();
  // Loud, once per process: an ID made now is cheap to brute-force.
  static std::once_flag warned;
  std::call_once(warned, [] {
    std::fputs(
        "notesd: WARNING: NOTESD_ID_KDF=fast: new ID files get weak password protection "
        "(scrypt N=2^10); for tests only, never for real IDs\n",
        stderr);
  });
  return ForTests();
}

KdfParams KdfParams::Production() { return KdfParams{1u << 15, 8, 1}; }
KdfParams KdfParams::ForTests() { return KdfParams{kMinScryptN, 8, 1}; }

Status KdfParams::Validate() const {
  if (n < kMinScryptN || n > kMaxScryptN || (n & (n - 1)) != 0) {
    return Status::InvalidArgument("scrypt N=" + std::to_string(n) + " must be a power of two from 2^10 to 2^22");
  }
  if (r < 1 || r > kMaxScryptR) return Status::InvalidArgument("scrypt r=" + std::to_string(r) + " must be 1 to 32");
  if (p < 1 || p > kMaxScryptP) return Status::InvalidArgument("scrypt p=" + std::to_string(p) + " must be 1 to 16");
  if (128 * n * r > kMaxScryptMemory) {
    return Status::InvalidArgument("scrypt N=" + std::to_string(n) + ", r=" + std::to_string(r) +
                                   " would need more than 1 GiB of memory");
  }
  return Status::Ok();
}

// ---- Entry copies share the OpenSSL objects -------------------------------------------

CrossCertificate::CrossCertificate(const CrossCertificate& other)
    : certificate(UpRef(other.certificate.get())), note(other.note) {}

CrossCertificate& CrossCertificate::operator=(const CrossCertificate& other) {
  if (this != &other) *this = CrossCertificate(other);
  return *this;
}

InternetCertificate::InternetCertificate(const InternetCertificate& other)
    : certificate(UpRef(other.certificate.get())),
      private_key(UpRef(other.private_key.get())),
      is_default(other.is_default) {}

InternetCertificate& InternetCertificate::operator=(const InternetCertificate& other) {
  if (this != &other) *this = InternetCertificate(other);
  return *this;
}

IdFile::IdFile(const IdFile& other)
    : name_(other.name_),
      kind_(other.kind_),
      notes_key_(UpRef(other.notes_key_.get())),
      notes_certificate_(UpRef(other.notes_certificate_.get())),
      trusted_certificates_(UpRefAll(other.trusted_certificates_)),
      cross_certificates_(other.cross_certificates_),
      internet_certificates_(other.internet_certificates_),
      properties_(other.properties_) {}

IdFile& IdFile::operator=(const IdFile& other) {
  if (this != &other) *this = IdFile(other);
  return *this;
}

// ---- Encoding and decoding ----------------------------------------------------------

Result<IdFile> IdFile::Decode(std::string_view bytes, std::string_view password, std::string_view source_name) {
  if (bytes.size() > kMaxFileSize) {
    return Status::InvalidArgument(std::string(source_name) + " is too large to be a notesd ID file");
  }
  NOTESD_RETURN_IF_ERROR(CheckFraming(bytes, source_name));
  NOTESD_ASSIGN_OR_RETURN(KdfParams kdf, ReadHeaderParams(bytes, source_name));
  const std::string_view header = bytes.substr(0, kHeaderSize);
  NOTESD_ASSIGN_OR_RETURN(std::unique_ptr<DerivedKeys> keys,
                          DeriveKeys(password, header.substr(kOffsetSalt, kSaltSize), kdf));
  if (!ConstantTimeEquals(keys->verifier.bytes, header.substr(kOffsetVerifier, kVerifierSize))) {
    return Status::PermissionDenied("wrong password for ID file " + std::string(source_name));
  }
  const std::size_t ciphertext_size = bytes.size() - kMinimumFileSize;
  NOTESD_ASSIGN_OR_RETURN(std::unique_ptr<SecretBytes> plaintext,
                          GcmDecrypt(keys->key.bytes, header.substr(kOffsetNonce, kNonceSize), header,
                                     bytes.substr(kHeaderSize, ciphertext_size),
                                     bytes.substr(kHeaderSize + ciphertext_size, kTagSize), source_name));
  return DecodePayload(plaintext->bytes, source_name);
}

Result<std::string> IdFile::Encode(std::string_view password, const KdfParams& kdf) const {
  NOTESD_RETURN_IF_ERROR(CheckComplete(*this));
  NOTESD_RETURN_IF_ERROR(kdf.Validate());
  NOTESD_ASSIGN_OR_RETURN(Json payload, PayloadJson(*this));
  SecretBytes plaintext;
  try {
    plaintext.bytes = payload.dump();
  } catch (const Json::exception&) {
    WipeJsonStrings(payload);
    return Status::InvalidArgument("the ID holds a note or property that is not valid UTF-8");
  }
  WipeJsonStrings(payload);
  const std::size_t total_size = kMinimumFileSize + plaintext.bytes.size();
  if (total_size > kMaxFileSize) return Status::InvalidArgument("the ID is too large to save (over 16 MiB)");

  NOTESD_ASSIGN_OR_RETURN(std::string salt, RandomBytes(kSaltSize));
  NOTESD_ASSIGN_OR_RETURN(std::string nonce, RandomBytes(kNonceSize));
  NOTESD_ASSIGN_OR_RETURN(std::unique_ptr<DerivedKeys> keys, DeriveKeys(password, salt, kdf));
  std::string file = MakeHeader(total_size, kdf, salt, keys->verifier.bytes, nonce);
  NOTESD_ASSIGN_OR_RETURN(std::string sealed, GcmEncrypt(keys->key.bytes, nonce, file, plaintext.bytes));
  file += sealed;
  NOTESD_ASSIGN_OR_RETURN(std::string checksum, Digest(DigestAlgorithm::kSha256, file));
  file += checksum;
  return file;
}

Result<IdFile> IdFile::Load(const std::filesystem::path& path, std::string_view password) {
  NOTESD_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(path));
  return Decode(bytes, password, path.string());
}

Status IdFile::Save(const std::filesystem::path& path, std::string_view password, const KdfParams& kdf) const {
  NOTESD_ASSIGN_OR_RETURN(std::string bytes, Encode(password, kdf));
  return WriteFileAtomically(path, bytes);
}

Status IdFile::ChangePassword(const std::filesystem::path& path, std::string_view old_password,
                              std::string_view new_password, const KdfParams& kdf) {
  NOTESD_ASSIGN_OR_RETURN(IdFile id, Load(path, old_password));
  return id.Save(path, new_password, kdf);
}

// ---- Trust and certificates -----------------------------------------------------------

bool IdFile::AddTrustedCertificate(X509Ptr cert) {
  if (!cert) return false;
  for (const X509Ptr& present : trusted_certificates_) {
    if (SameCertificate(present.get(), cert.get())) return false;
  }
  trusted_certificates_.push_back(std::move(cert));
  return true;
}

std::vector<X509*> IdFile::TrustAnchors() const {
  std::vector<X509*> anchors;
  for (const X509Ptr& cert : trusted_certificates_) {
    if (IsSelfSigned(cert.get())) anchors.push_back(cert.get());
  }
  return anchors;
}

std::vector<X509*> IdFile::Intermediates() const {
  std::vector<X509*> intermediates;
  for (const X509Ptr& cert : trusted_certificates_) {
    if (!IsSelfSigned(cert.get())) intermediates.push_back(cert.get());
  }
  return intermediates;
}

bool IdFile::AddCrossCertificate(X509Ptr cert, std::string note) {
  if (!cert) return false;
  for (const CrossCertificate& present : cross_certificates_) {
    if (SameCertificate(present.certificate.get(), cert.get())) return false;
  }
  cross_certificates_.emplace_back(std::move(cert), std::move(note));
  return true;
}

Status IdFile::RemoveCrossCertificate(std::string_view sha256_fingerprint) {
  NOTESD_ASSIGN_OR_RETURN(std::string wanted, PlainFingerprint(sha256_fingerprint));
  for (auto entry = cross_certificates_.begin(); entry != cross_certificates_.end(); ++entry) {
    if (HasFingerprint(entry->certificate.get(), wanted)) {
      cross_certificates_.erase(entry);
      return Status::Ok();
    }
  }
  return Status::NotFound("no cross-certificate with fingerprint " + std::string(sha256_fingerprint));
}

Status IdFile::AddInternetCertificate(X509Ptr cert, EvpPkeyPtr own_key) {
  if (!cert) return Status::InvalidArgument("no Internet certificate to add");
  EVP_PKEY* expected_key = own_key ? own_key.get() : notes_key_.get();
  if (!PublicKeysEqual(X509_get0_pubkey(cert.get()), expected_key)) {
    return Status::InvalidArgument("Internet certificate " + SubjectText(cert.get()) + " does not match " +
                                   (own_key ? "the private key given with it" : "this ID's Notes key"));
  }
  for (const InternetCertificate& present : internet_certificates_) {
    if (SameCertificate(present.certificate.get(), cert.get())) {
      return Status::AlreadyExists("Internet certificate " + SubjectText(cert.get()) + " is already in the ID");
    }
  }
  InternetCertificate entry;
  entry.certificate = std::move(cert);
  entry.private_key = std::move(own_key);
  internet_certificates_.push_back(std::move(entry));
  return Status::Ok();
}

Status IdFile::SetDefaultInternetCertificate(std::string_view sha256_fingerprint) {
  NOTESD_ASSIGN_OR_RETURN(std::string wanted, PlainFingerprint(sha256_fingerprint));
  InternetCertificate* chosen = nullptr;
  for (InternetCertificate& entry : internet_certificates_) {
    if (HasFingerprint(entry.certificate.get(), wanted)) chosen = &entry;
  }
  if (chosen == nullptr) {
    return Status::NotFound("no Internet certificate with fingerprint " + std::string(sha256_fingerprint));
  }
  for (InternetCertificate& entry : internet_certificates_) entry.is_default = &entry == chosen;
  return Status::Ok();
}

const InternetCertificate* IdFile::DefaultInternetCertificate() const {
  for (const InternetCertificate& entry : internet_certificates_) {
    if (entry.is_default) return &entry;
  }
  for (auto entry = internet_certificates_.rbegin(); entry != internet_certificates_.rend(); ++entry) {
    if (AllowsSigning(entry->certificate.get())) return &*entry;
  }
  return internet_certificates_.empty() ? nullptr : &internet_certificates_.back();
}

EVP_PKEY* IdFile::PrivateKeyFor(const InternetCertificate& entry) const {
  return entry.private_key ? entry.private_key.get() : notes_key_.get();
}

std::optional<std::string> IdFile::Property(const std::string& key) const {
  auto found = properties_.find(key);
  if (found == properties_.end()) return std::nullopt;
  return found->second;
}

// ---- Identity creation ------------------------------------------------------------

Result<IdFile> CreateIdentity(HierName name, IdKind kind, KeySpec key_spec, const IdFile* certifier,
                              std::time_t not_before, std::time_t not_after) {
  NOTESD_RETURN_IF_ERROR(CheckCreateArguments(name, kind, certifier));
  NOTESD_ASSIGN_OR_RETURN(EvpPkeyPtr key, GenerateKey(key_spec));
  CertRequest request = NotesCertificateRequest(name, kind, key_spec, key.get(), not_before, not_after);
  EVP_PKEY* signing_key = certifier != nullptr ? certifier->notes_key() : key.get();
  X509* issuer_cert = certifier != nullptr ? certifier->notes_certificate() : nullptr;
  NOTESD_ASSIGN_OR_RETURN(X509Ptr cert, IssueCertificate(request, signing_key, issuer_cert));

  IdFile id;
  id.set_name(std::move(name));
  id.set_kind(kind);
  if (certifier == nullptr) {
    id.AddTrustedCertificate(UpRef(cert.get()));
  } else {
    id.AddTrustedCertificate(UpRef(certifier->notes_certificate()));
    for (const X509Ptr& trusted : certifier->trusted_certificates()) id.AddTrustedCertificate(UpRef(trusted.get()));
  }
  id.set_notes_key(std::move(key));
  id.set_notes_certificate(std::move(cert));
  return id;
}

}  // namespace notesd
