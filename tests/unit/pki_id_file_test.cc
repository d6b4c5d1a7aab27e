// tests/unit/pki_id_file_test.cc — ID files: contents, encryption, damage, passwords, saving.
#include <openssl/evp.h>
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "pki/crypto.h"
#include "pki/id_file.h"
#include "pki/x509_certs.h"
#include "tests/unit/unit_test_support.h"

namespace notesd {
namespace {

namespace fs = std::filesystem;

constexpr std::time_t kNow = 1'700'000'000;
constexpr std::time_t kYear = 365 * 24 * 60 * 60;

using testing::Must;
using testing::Name;

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("notesd-idfile-test-" + HexEncode(Must(RandomBytes(8))));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The organisation: a self-signed O=Acme certifier, an OU certifier, and Jane Doe with
// every kind of content. Made once: key generation is the slow part.
struct TestOrg {
  IdFile acme =
      Must(CreateIdentity(Name("O=Acme"), IdKind::kCertifier, KeySpec::Rsa2048(), nullptr, kNow, kNow + 10 * kYear));
  IdFile sales = Must(
      CreateIdentity(Name("OU=Sales/O=Acme"), IdKind::kCertifier, KeySpec::EcdsaP256(), &acme, kNow, kNow + 5 * kYear));
  IdFile jane = Must(CreateIdentity(Name("CN=Jane Doe/OU=Sales/O=Acme"), IdKind::kPerson, KeySpec::Rsa2048(), &sales,
                                    kNow, kNow + 2 * kYear));
  IdFile server = Must(
      CreateIdentity(Name("CN=Server1/O=Acme"), IdKind::kServer, KeySpec::EcdsaP256(), &acme, kNow, kNow + 2 * kYear));
  IdFile outside = Must(
      CreateIdentity(Name("O=Outside"), IdKind::kCertifier, KeySpec::EcdsaP256(), nullptr, kNow, kNow + 2 * kYear));

  TestOrg() { FillJane(); }

  // Jane gets trust, cross-certificates, two Internet certificates and properties.
  void FillJane() {
    REQUIRE(jane.AddTrustedCertificate(UpRef(outside.notes_certificate())));
    REQUIRE(jane.AddCrossCertificate(UpRef(outside.notes_certificate()), "Internet root O=Outside"));
    REQUIRE(jane.AddCrossCertificate(UpRef(server.notes_certificate()), "server Server1"));
    // An Internet certificate over Jane's Notes key (the Domino way)...
    REQUIRE(jane.AddInternetCertificate(InternetCert(jane.notes_key(), "jane@acme.example", kKeyUsageDigitalSignature))
                .ok());
    // ... and one imported with a key of its own (encryption only).
    EvpPkeyPtr own_key = Must(GenerateKey(KeySpec::EcdsaP256()));
    X509Ptr own_cert = InternetCert(own_key.get(), "jane.doe@acme.example", kKeyUsageKeyAgreement);
    REQUIRE(jane.AddInternetCertificate(std::move(own_cert), std::move(own_key)).ok());
    jane.SetProperty("home_server", "CN=Server1/O=Acme");
    jane.SetProperty("mail_file", "mail/jdoe.nsf");
  }

  X509Ptr InternetCert(EVP_PKEY* key, const std::string& email, std::uint32_t key_usage) {
    CertRequest request;
    request.subject = Name("CN=Jane Doe/O=Acme");
    request.public_key = key;
    request.not_before = kNow;
    request.not_after = kNow + kYear;
    request.key_usage = key_usage;
    request.extended_key_usage = kExtKeyUsageEmailProtection;
    request.emails = {email};
    return Must(IssueCertificate(request, outside.notes_key(), outside.notes_certificate()));
  }
};

const TestOrg& Org() {
  static const TestOrg org;
  return org;
}

std::string Fingerprint(X509* cert) { return Must(CertificateFingerprint(cert, DigestAlgorithm::kSha256)); }

std::vector<std::string> Fingerprints(const std::vector<X509Ptr>& certs) {
  std::vector<std::string> out;
  for (const X509Ptr& cert : certs) out.push_back(Fingerprint(cert.get()));
  return out;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Rewrites the trailing SHA-256 so that a deliberate change gets past the checksum.
std::string Reseal(std::string file) {
  file.resize(file.size() - 32);
  return file + Must(Digest(DigestAlgorithm::kSha256, file));
}

void PutBigEndian(std::string& file, std::size_t offset, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i, value >>= 8) file[offset + i] = static_cast<char>(value & 0xFF);
}

// Sets NOTESD_ID_KDF for one scope and restores the previous value.
class ScopedKdfEnv {
 public:
  explicit ScopedKdfEnv(const char* value) {
    if (const char* old = std::getenv("NOTESD_ID_KDF")) saved_ = old;
    if (value != nullptr) {
      setenv("NOTESD_ID_KDF", value, 1);
    } else {
      unsetenv("NOTESD_ID_KDF");
    }
  }
  ~ScopedKdfEnv() {
    if (saved_) {
      setenv("NOTESD_ID_KDF", saved_->c_str(), 1);
    } else {
      unsetenv("NOTESD_ID_KDF");
    }
  }

 private:
  std::optional<std::string> saved_;
};

const KdfParams kFast = KdfParams::ForTests();

// Builds an ID file straight from the layout documented in id_file.h, with OpenSSL
// alone: an independent check of that documentation, and a way to feed Decode
// authenticated payloads that notesd itself would never write.
std::string HandBuiltIdFile(const std::string& password, const std::string& payload) {
  const std::string salt(16, 's');
  const std::string nonce(12, 'n');
  unsigned char derived[64];
  REQUIRE(EVP_PBE_scrypt(password.data(), password.size(), reinterpret_cast<const unsigned char*>(salt.data()),
                         salt.size(), 1024, 8, 1, 0, derived, sizeof(derived)) == 1);
  const std::size_t total = 92 + payload.size() + 16 + 32;
  std::string file = "NOTESDID";
  file += std::string("\x00\x01", 2);
  file += std::string(4, '\0');
  for (int i = 0; i < 4; ++i) file[10 + i] = static_cast<char>((total >> (8 * (3 - i))) & 0xFF);
  file += std::string("\x01\x01", 2);                                               // scrypt, AES-256-GCM
  file += std::string("\x00\x00\x00\x00\x00\x00\x04\x00", 8);                       // N = 1024
  file += std::string("\x00\x00\x00\x08", 4) + std::string("\x00\x00\x00\x01", 4);  // r = 8, p = 1
  file += salt;
  file += std::string(reinterpret_cast<const char*>(derived + 32), 32);  // verifier
  file += nonce;
  REQUIRE(file.size() == 92);

  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int length = 0;
  REQUIRE(EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), derived,
                              reinterpret_cast<const unsigned char*>(nonce.data()), nullptr) == 1);
  REQUIRE(EVP_EncryptUpdate(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(file.data()), 92) == 1);
  std::string sealed(payload.size() + 16, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  REQUIRE(EVP_EncryptUpdate(ctx.get(), out, &length, reinterpret_cast<const unsigned char*>(payload.data()),
                            static_cast<int>(payload.size())) == 1);
  REQUIRE(EVP_EncryptFinal_ex(ctx.get(), out + length, &length) == 1);
  REQUIRE(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, 16, out + payload.size()) == 1);
  file += sealed;
  return file + Must(Digest(DigestAlgorithm::kSha256, file));
}

nlohmann::json MinimalPayload(const IdFile& id) {
  return {{"payload_version", 1},
          {"name", id.name().Canonical()},
          {"kind", "person"},
          {"notes_key", Must(PrivateKeyToPem(id.notes_key()))},
          {"notes_certificate", Must(CertificateToPem(id.notes_certificate()))},
          {"trusted_certificates", nlohmann::json::array()},
          {"cross_certificates", nlohmann::json::array()},
          {"internet_certificates", nlohmann::json::array()},
          {"properties", nlohmann::json::object()}};
}

}  // namespace

TEST_CASE("CreateIdentity makes certificates of the right kind", "[idfile]") {
  const TestOrg& org = Org();
  // Self-signed organisation certifier.
  CHECK(IsSelfSigned(org.acme.notes_certificate()));
  CHECK(IsCa(org.acme.notes_certificate()));
  CHECK(KeyUsageFlags(org.acme.notes_certificate()) == (kKeyUsageKeyCertSign | kKeyUsageCrlSign));
  CHECK(Fingerprints(org.acme.trusted_certificates()) ==
        std::vector<std::string>{Fingerprint(org.acme.notes_certificate())});
  // OU certifier under it.
  CHECK(IsCa(org.sales.notes_certificate()));
  CHECK(IssuerText(org.sales.notes_certificate()) == "O=Acme");
  // A person: not CA, signing + key encipherment, client auth; trusts both certifiers.
  X509* jane = org.jane.notes_certificate();
  CHECK_FALSE(IsCa(jane));
  CHECK(SubjectText(jane) == "CN=Jane Doe,OU=Sales,O=Acme");
  CHECK(IssuerText(jane) == "OU=Sales,O=Acme");
  CHECK(KeyUsageFlags(jane) == (kKeyUsageDigitalSignature | kKeyUsageKeyEncipherment));
  CHECK(ExtendedKeyUsageFlags(jane) == kExtKeyUsageClientAuth);
  CHECK(Must(NotAfter(jane)) == kNow + 2 * kYear);
  CHECK(PublicKeysEqual(X509_get0_pubkey(jane), org.jane.notes_key()));
  CHECK(VerifyChain(jane, org.jane.TrustAnchors(), org.jane.Intermediates(), kNow + 1, CertPurpose::kTlsClient).ok());
  // A server (EC): key agreement instead of encipherment, client + server auth.
  X509* server = org.server.notes_certificate();
  CHECK(KeyUsageFlags(server) == (kKeyUsageDigitalSignature | kKeyUsageKeyAgreement));
  CHECK(ExtendedKeyUsageFlags(server) == (kExtKeyUsageClientAuth | kExtKeyUsageServerAuth));
  CHECK(VerifyChain(server, org.server.TrustAnchors(), {}, kNow + 1, CertPurpose::kTlsServer).ok());
}

TEST_CASE("CreateIdentity refuses bad combinations", "[idfile]") {
  const TestOrg& org = Org();
  auto [name, kind, use_certifier, fragment] = GENERATE(table<std::string, IdKind, bool, std::string>({
      {"CN=Joe/O=Acme", IdKind::kPerson, false, "needs a certifier"},
      {"CN=Joe/O=Other", IdKind::kPerson, true, "is not under the certifier"},
      {"CN=Joe/OU=Marketing/O=Acme", IdKind::kServer, true, "is not under the certifier"},
      {"OU=Sales/O=Acme", IdKind::kPerson, true, "needs a CN"},
  }));
  Result<IdFile> id =
      CreateIdentity(Name(name), kind, KeySpec::EcdsaP256(), use_certifier ? &org.sales : nullptr, kNow, kNow + kYear);
  REQUIRE_FALSE(id.ok());
  CHECK(id.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(id.status().message(), Catch::Contains(fragment));
  // A person ID cannot certify.
  CHECK_FALSE(CreateIdentity(Name("CN=Joe/OU=Sales/O=Acme"), IdKind::kPerson, KeySpec::EcdsaP256(), &org.jane, kNow,
                             kNow + kYear)
                  .ok());
}

TEST_CASE("an ID file round-trips every field", "[idfile]") {
  const TestOrg& org = Org();
  const IdFile& jane = org.jane;
  TempDir dir;
  const fs::path path = dir.path() / "jdoe.id";
  REQUIRE(jane.Save(path, "correct horse", kFast).ok());
  IdFile loaded = Must(IdFile::Load(path, "correct horse"));

  CHECK(loaded.name() == jane.name());
  CHECK(loaded.name().Canonical() == "CN=Jane Doe/OU=Sales/O=Acme");
  CHECK(loaded.kind() == IdKind::kPerson);
  CHECK(Must(PrivateKeyToPem(loaded.notes_key())) == Must(PrivateKeyToPem(jane.notes_key())));
  CHECK(Fingerprint(loaded.notes_certificate()) == Fingerprint(jane.notes_certificate()));
  CHECK(Fingerprints(loaded.trusted_certificates()) == Fingerprints(jane.trusted_certificates()));
  CHECK(loaded.trusted_certificates().size() == 3);  // OU=Sales, O=Acme, O=Outside.
  CHECK(loaded.TrustAnchors().size() == 2);
  CHECK(loaded.Intermediates().size() == 1);

  REQUIRE(loaded.cross_certificates().size() == 2);
  CHECK(loaded.cross_certificates()[0].note == "Internet root O=Outside");
  CHECK(Fingerprint(loaded.cross_certificates()[1].certificate.get()) == Fingerprint(org.server.notes_certificate()));

  REQUIRE(loaded.internet_certificates().size() == 2);
  const InternetCertificate& over_notes_key = loaded.internet_certificates()[0];
  const InternetCertificate& own = loaded.internet_certificates()[1];
  CHECK(over_notes_key.private_key == nullptr);
  CHECK(loaded.PrivateKeyFor(over_notes_key) == loaded.notes_key());
  REQUIRE(own.private_key != nullptr);
  CHECK(PublicKeysEqual(own.private_key.get(), X509_get0_pubkey(own.certificate.get())));
  CHECK(Must(PrivateKeyToPem(own.private_key.get())) ==
        Must(PrivateKeyToPem(jane.internet_certificates()[1].private_key.get())));
  // The newest is encryption-only, so the default signing certificate is the older one.
  REQUIRE(loaded.DefaultInternetCertificate() != nullptr);
  CHECK(loaded.DefaultInternetCertificate() == &over_notes_key);
  CHECK(SubjectAltEmails(over_notes_key.certificate.get()) == std::vector<std::string>{"jane@acme.example"});

  CHECK(loaded.properties() == jane.properties());
  CHECK(loaded.Property("mail_file") == "mail/jdoe.nsf");
  CHECK_FALSE(loaded.Property("missing").has_value());
}

TEST_CASE("the default Internet certificate mark survives saving", "[idfile]") {
  IdFile jane = Org().jane;  // A copy shares the OpenSSL objects.
  CHECK(jane.notes_key() == Org().jane.notes_key());
  const std::string newest = Fingerprint(jane.internet_certificates()[1].certificate.get());
  REQUIRE(
      jane.SetDefaultInternetCertificate(Must(CertificateFingerprint(jane.internet_certificates()[1].certificate.get(),
                                                                     DigestAlgorithm::kSha256, HexStyle::kColon)))
          .ok());
  CHECK(jane.SetDefaultInternetCertificate(std::string(64, '0')).code() == StatusCode::kNotFound);
  IdFile loaded = Must(IdFile::Decode(Must(jane.Encode("pw", kFast)), "pw", "jane.id"));
  REQUIRE(loaded.DefaultInternetCertificate() != nullptr);
  CHECK(Fingerprint(loaded.DefaultInternetCertificate()->certificate.get()) == newest);
  CHECK(loaded.internet_certificates()[1].is_default);
  CHECK_FALSE(loaded.internet_certificates()[0].is_default);
  // The original is unchanged by edits to the copy.
  CHECK_FALSE(Org().jane.internet_certificates()[1].is_default);
}

TEST_CASE("Internet certificates must match their key and are not added twice", "[idfile]") {
  IdFile jane = Org().jane;
  // A certificate over someone else's key cannot go in without that key.
  X509Ptr server_cert = UpRef(Org().server.notes_certificate());
  Status mismatch = jane.AddInternetCertificate(std::move(server_cert));
  CHECK(mismatch.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(mismatch.message(), Catch::Contains("does not match this ID's Notes key"));
  Status wrong_key =
      jane.AddInternetCertificate(UpRef(Org().server.notes_certificate()), UpRef(Org().acme.notes_key()));
  CHECK_THAT(wrong_key.message(), Catch::Contains("does not match the private key"));
  Status again = jane.AddInternetCertificate(UpRef(jane.internet_certificates()[0].certificate.get()));
  CHECK(again.code() == StatusCode::kAlreadyExists);
  CHECK(jane.internet_certificates().size() == 2);
  CHECK_FALSE(jane.AddTrustedCertificate(UpRef(jane.trusted_certificates()[0].get())));
  CHECK_FALSE(jane.AddCrossCertificate(UpRef(jane.cross_certificates()[0].certificate.get()), "again"));
  CHECK(jane.RemoveCrossCertificate(Fingerprint(jane.cross_certificates()[0].certificate.get())).ok());
  CHECK(jane.cross_certificates().size() == 1);
  CHECK(jane.RemoveCrossCertificate(std::string(64, 'a')).code() == StatusCode::kNotFound);
}

TEST_CASE("a wrong password is told apart from damage", "[idfile]") {
  const std::string file = Must(Org().jane.Encode("right", kFast));
  const std::string wrong = GENERATE(as<std::string>{}, "wrong", "", "Right", "right ");
  Result<IdFile> id = IdFile::Decode(file, wrong, "jdoe.id");
  REQUIRE_FALSE(id.ok());
  CHECK(id.status().code() == StatusCode::kPermissionDenied);
  CHECK(id.status().message() == "wrong password for ID file jdoe.id");
}

TEST_CASE("an empty password works (unattended server.id)", "[idfile]") {
  IdFile loaded = Must(IdFile::Decode(Must(Org().server.Encode("", kFast)), "", "server.id"));
  CHECK(loaded.kind() == IdKind::kServer);
  CHECK(IdFile::Decode(Must(Org().server.Encode("", kFast)), "x", "server.id").status().code() ==
        StatusCode::kPermissionDenied);
}

TEST_CASE("a truncated ID file is refused at every length", "[idfile]") {
  const std::string file = Must(Org().jane.Encode("pw", kFast));
  for (std::size_t length = 0; length < file.size(); ++length) {
    Result<IdFile> id = IdFile::Decode(file.substr(0, length), "pw", "jdoe.id");
    INFO("length " << length << ": " << id.status().ToString());
    REQUIRE_FALSE(id.ok());
    REQUIRE(id.status().code() == StatusCode::kCorruption);
    REQUIRE(id.status().message() == "ID file jdoe.id is truncated");
  }
}

TEST_CASE("every flipped byte of an ID file is refused", "[idfile]") {
  const std::string file = Must(Org().jane.Encode("pw", kFast));
  for (std::size_t offset = 0; offset < file.size(); ++offset) {
    std::string damaged = file;
    damaged[offset] = static_cast<char>(damaged[offset] ^ 0x5A);
    Result<IdFile> id = IdFile::Decode(damaged, "pw", "jdoe.id");
    INFO("offset " << offset << ": " << id.status().ToString());
    REQUIRE_FALSE(id.ok());
    if (offset < 8) {
      REQUIRE(id.status().message() == "jdoe.id is not a notesd ID file");
    } else {
      REQUIRE(id.status().code() == StatusCode::kCorruption);
    }
  }
  CHECK(IdFile::Decode(file + "x", "pw", "jdoe.id").status().message() ==
        "ID file jdoe.id is damaged (length mismatch)");
}

TEST_CASE("a changed byte behind a recomputed checksum is caught by the cipher", "[idfile]") {
  const std::string file = Must(Org().jane.Encode("pw", kFast));
  // offset, expected code, message fragment
  auto [offset, code, fragment] = GENERATE_COPY(table<std::size_t, StatusCode, std::string>({
      {85, StatusCode::kCorruption, "tampered with (authentication failed)"},                // nonce
      {100, StatusCode::kCorruption, "tampered with (authentication failed)"},               // ciphertext
      {file.size() - 40, StatusCode::kCorruption, "tampered with (authentication failed)"},  // tag
      {40, StatusCode::kPermissionDenied, "wrong password"},                                 // salt
      {60, StatusCode::kPermissionDenied, "wrong password"},                                 // verifier
      {14, StatusCode::kCorruption, "unknown key derivation or cipher"},                     // KDF id
      {15, StatusCode::kCorruption, "unknown key derivation or cipher"},                     // cipher id
  }));
  std::string changed = file;
  changed[offset] = static_cast<char>(changed[offset] ^ 0x01);
  Result<IdFile> id = IdFile::Decode(Reseal(changed), "pw", "jdoe.id");
  INFO("offset " << offset << ": " << id.status().ToString());
  REQUIRE_FALSE(id.ok());
  CHECK(id.status().code() == code);
  CHECK_THAT(id.status().message(), Catch::Contains(fragment));
}

TEST_CASE("header KDF parameters outside the bounds are refused before deriving", "[idfile]") {
  const std::string file = Must(Org().jane.Encode("pw", kFast));
  // field offset, width, value, message fragment
  auto [offset, width, value, fragment] = GENERATE(table<std::size_t, int, std::uint64_t, std::string>({
      {16, 8, 1u << 9, "N=512"},
      {16, 8, 1u << 23, "N=8388608"},
      {16, 8, (1u << 12) + 1, "power of two"},
      {16, 8, ~0ull, "power of two"},
      {16, 8, 0, "N=0"},
      {24, 4, 33, "r=33"},
      {24, 4, 0, "r=0"},
      {28, 4, 17, "p=17"},
      {28, 4, 0, "p=0"},
      {16, 8, 1u << 22, "1 GiB"},  // 2^22 with r=8 is 4 GiB of memory.
  }));
  std::string crafted = file;
  PutBigEndian(crafted, offset, value, width);
  Result<IdFile> id = IdFile::Decode(Reseal(crafted), "pw", "evil.id");
  INFO(id.status().ToString());
  REQUIRE_FALSE(id.ok());
  CHECK(id.status().code() == StatusCode::kCorruption);
  CHECK_THAT(id.status().message(), Catch::Contains("unacceptable KDF parameters"));
  CHECK_THAT(id.status().message(), Catch::Contains(fragment));
}

TEST_CASE("unsupported versions and foreign files are named", "[idfile]") {
  const std::string file = Must(Org().jane.Encode("pw", kFast));
  std::string newer = file;
  PutBigEndian(newer, 8, 2, 2);
  Result<IdFile> id = IdFile::Decode(Reseal(newer), "pw", "new.id");
  REQUIRE_FALSE(id.ok());
  CHECK(id.status().message() == "ID file new.id has format version 2; this notesd reads version 1");

  CHECK(IdFile::Decode("-----BEGIN CERTIFICATE-----\n", "pw", "cert.pem").status().message() ==
        "cert.pem is not a notesd ID file");
  CHECK(IdFile::Decode("NOTESDID", "pw", "x.id").status().message() == "ID file x.id is truncated");
}

TEST_CASE("Encode refuses bad KDF parameters and incomplete IDs", "[idfile]") {
  KdfParams weak = KdfParams::ForTests();
  weak.n = 1u << 9;
  CHECK(Org().jane.Encode("pw", weak).status().code() == StatusCode::kInvalidArgument);
  IdFile empty;
  CHECK_THAT(empty.Encode("pw", kFast).status().message(), Catch::Contains("has no name"));
  IdFile mismatched = Org().jane;
  mismatched.set_notes_certificate(UpRef(Org().acme.notes_certificate()));
  CHECK_THAT(mismatched.Encode("pw", kFast).status().message(), Catch::Contains("does not certify"));
}

TEST_CASE("KDF defaults and the test-only environment switch", "[idfile]") {
  CHECK(KdfParams::Production() == KdfParams{1u << 15, 8, 1});
  CHECK(KdfParams::ForTests() == KdfParams{1u << 10, 8, 1});
  CHECK(KdfParams::Production().Validate().ok());
  CHECK(KdfParams::ForTests().Validate().ok());
  {
    ScopedKdfEnv fast("fast");
    CHECK(KdfParams::Default() == KdfParams::ForTests());
  }
  {
    ScopedKdfEnv unset(nullptr);
    CHECK(KdfParams::Default() == KdfParams::Production());
  }
  {
    ScopedKdfEnv other("slow");
    CHECK(KdfParams::Default() == KdfParams::Production());
  }
}

TEST_CASE("Save writes mode 0600 and ChangePassword replaces the password atomically", "[idfile]") {
  TempDir dir;
  const fs::path path = dir.path() / "jdoe.id";
  REQUIRE(Org().jane.Save(path, "old", kFast).ok());
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);

  // A wrong old password changes nothing.
  const std::string before = ReadFile(path);
  CHECK(IdFile::ChangePassword(path, "wrong", "new", kFast).code() == StatusCode::kPermissionDenied);
  CHECK(ReadFile(path) == before);

  REQUIRE(IdFile::ChangePassword(path, "old", "new", kFast).ok());
  CHECK(IdFile::Load(path, "old").status().code() == StatusCode::kPermissionDenied);
  IdFile loaded = Must(IdFile::Load(path, "new"));
  CHECK(loaded.name() == Org().jane.name());
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);

  // Saving over a file with looser permissions still leaves 0600, and no temp files stay.
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  REQUIRE(loaded.Save(path, "new", kFast).ok());
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  std::size_t entries = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    (void)entry;
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE("Load reports missing, unwritable and foreign files", "[idfile]") {
  TempDir dir;
  CHECK(IdFile::Load(dir.path() / "none.id", "pw").status().code() == StatusCode::kNotFound);
  CHECK(IdFile::Load(dir.path(), "pw").status().code() == StatusCode::kInvalidArgument);  // A directory.
  WriteFile(dir.path() / "empty.id", "");
  CHECK(IdFile::Load(dir.path() / "empty.id", "pw").status().code() == StatusCode::kCorruption);
  CHECK(Org().jane.Save(dir.path() / "no-such-dir" / "x.id", "pw", kFast).code() == StatusCode::kIOError);
}

}  // namespace notesd

namespace notesd {

TEST_CASE("a file built from the documented layout decodes", "[idfile]") {
  const std::string payload = MinimalPayload(Org().jane).dump();
  IdFile id = Must(IdFile::Decode(HandBuiltIdFile("pw", payload), "pw", "hand.id"));
  CHECK(id.name() == Org().jane.name());
  CHECK(PublicKeysEqual(id.notes_key(), Org().jane.notes_key()));
  CHECK(IdFile::Decode(HandBuiltIdFile("pw", payload), "other", "hand.id").status().code() ==
        StatusCode::kPermissionDenied);
}

TEST_CASE("authenticated but malformed payloads are refused as Corruption", "[idfile]") {
  const nlohmann::json good = MinimalPayload(Org().jane);
  auto [what, fragment] = GENERATE(table<std::string, std::string>({
      {"not JSON", "unreadable payload"},
      {"JSON array", "unreadable payload"},
      {"empty", "unreadable payload"},
      {"missing field", "invalid payload"},
      {"name is a number", "invalid payload"},
      {"bad name", "invalid payload"},
      {"unknown kind", "unknown ID kind"},
      {"payload version 2", "unknown payload version"},
      {"key is not PEM", "invalid payload"},
      {"certificate over another key", "does not certify"},
      {"trusted list is a string", "invalid payload"},
      {"property value is a number", "invalid payload"},
      {"internet certificate over another key", "does not match"},
  }));
  nlohmann::json payload = good;
  std::string text;
  if (what == "not JSON") text = "{not json";
  if (what == "JSON array") text = "[1,2,3]";
  if (what == "missing field") payload.erase("notes_certificate");
  if (what == "name is a number") payload["name"] = 42;
  if (what == "bad name") payload["name"] = "X=Nobody";
  if (what == "unknown kind") payload["kind"] = "robot";
  if (what == "payload version 2") payload["payload_version"] = 2;
  if (what == "key is not PEM") payload["notes_key"] = "hello";
  if (what == "certificate over another key")
    payload["notes_certificate"] = Must(CertificateToPem(Org().acme.notes_certificate()));
  if (what == "trusted list is a string") payload["trusted_certificates"] = "x";
  if (what == "property value is a number") payload["properties"] = {{"a", 1}};
  if (what == "internet certificate over another key") {
    payload["internet_certificates"] = nlohmann::json::array(
        {{{"certificate", Must(CertificateToPem(Org().acme.notes_certificate()))}, {"default", false}}});
  }
  if (text.empty() && what != "empty") text = payload.dump();
  Result<IdFile> id = IdFile::Decode(HandBuiltIdFile("pw", text), "pw", "hand.id");
  INFO(what << ": " << id.status().ToString());
  REQUIRE_FALSE(id.ok());
  CHECK(id.status().code() == StatusCode::kCorruption);
  CHECK_THAT(id.status().message(), Catch::Contains("ID file hand.id"));
  CHECK_THAT(id.status().message(), Catch::Contains(fragment));
}

}  // namespace notesd
