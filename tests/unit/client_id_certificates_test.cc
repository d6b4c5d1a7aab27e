// tests/unit/client_id_certificates_test.cc — `notes id sync`'s merge of the server's
// Internet certificates into an ID (only those over the Notes key, no duplicates on a
// second sync, issuing roots trusted, default chosen only when none was), picking the
// certificate to export, and the PKCS#12 export read back with PKCS12_parse.
#include <catch2/catch.hpp>
#include <openssl/pkcs12.h>

#include <ctime>
#include <string>

#include "client_cli/id_certificates.h"
#include "pki/crypto.h"
#include "pki/id_file.h"
#include "pki/x509_certs.h"
#include "tests/unit/test_internet_ca.h"
#include "tests/unit/unit_test_support.h"

namespace notesd::client {
namespace {

constexpr std::time_t kNow = 1'700'000'000;
constexpr std::time_t kYear = 365 * 24 * 60 * 60;

using testing::Must;
using testing::Name;

// An Internet CA; its certificates are Jane's (Jane Doe/Acme), valid a year.
struct InternetCa : testing::TestInternetCa {
  explicit InternetCa(const std::string& name) : TestInternetCa(name, kNow) {}
  std::string IssuePem(EVP_PKEY* subject_key, const std::string& serial, std::time_t not_before) {
    return TestInternetCa::IssuePem(subject_key,
                                    {.serial_hex = serial, .not_before = not_before, .not_after = not_before + kYear});
  }
};

struct Fixture {
  IdFile acme =
      Must(CreateIdentity(Name("O=Acme"), IdKind::kCertifier, KeySpec::Rsa2048(), nullptr, kNow, kNow + 10 * kYear));
  IdFile jane = Must(
      CreateIdentity(Name("CN=Jane Doe/O=Acme"), IdKind::kPerson, KeySpec::Rsa2048(), &acme, kNow, kNow + 2 * kYear));
  InternetCa ca{"CN=Acme-Corp-Email/O=Acme"};
  InternetCa other{"CN=Other CA/O=Other"};
  EvpPkeyPtr stranger_key = Must(GenerateKey(KeySpec::EcdsaP256()));
};

TEST_CASE("sync adds only certificates over the Notes key, and the roots that issued them", "[client][id_sync]") {
  Fixture f;
  std::string older = f.ca.IssuePem(f.jane.notes_key(), "1001", kNow);
  std::string newer = f.ca.IssuePem(f.jane.notes_key(), "1002", kNow + 100);
  std::string foreign = f.ca.IssuePem(f.stranger_key.get(), "1003", kNow);
  std::size_t trusted_before = f.jane.trusted_certificates().size();

  // Newest first, as the Person document keeps them; the other CA's root issued nothing.
  CertificateMerge merge =
      MergeInternetCertificates(f.jane, {newer, foreign, older}, {f.ca.RootPem(), f.other.RootPem()});
  REQUIRE(merge.added.size() == 2);
  CHECK(merge.added[0] == "Added Internet certificate CN=Jane Doe,O=Acme issued by Acme-Corp-Email (serial 1001)");
  CHECK(merge.added[1].find("serial 1002") != std::string::npos);
  REQUIRE(merge.ignored.size() == 1);
  CHECK(merge.ignored[0].find("serial 1003") != std::string::npos);
  CHECK(merge.roots_added == std::vector<std::string>{"CN=Acme-Corp-Email,O=Acme"});
  CHECK(merge.default_set);
  CHECK(merge.Changed());

  REQUIRE(f.jane.internet_certificates().size() == 2);
  CHECK(SerialHex(f.jane.internet_certificates().back().certificate.get()) == "1002");  // newest last
  CHECK(f.jane.trusted_certificates().size() == trusted_before + 1);
  const InternetCertificate* chosen = f.jane.DefaultInternetCertificate();
  REQUIRE(chosen != nullptr);
  CHECK(chosen->is_default);
  CHECK(SerialHex(chosen->certificate.get()) == "1002");

  SECTION("a second sync adds nothing") {
    CertificateMerge again = MergeInternetCertificates(f.jane, {newer, foreign, older}, {f.ca.RootPem()});
    CHECK(again.added.empty());
    CHECK(again.roots_added.empty());
    CHECK(again.already_present == 2);
    CHECK_FALSE(again.default_set);
    CHECK_FALSE(again.Changed());
    CHECK(f.jane.internet_certificates().size() == 2);
    CHECK(f.jane.trusted_certificates().size() == trusted_before + 1);
  }

  SECTION("a chosen default stays when a newer certificate arrives") {
    REQUIRE(f.jane
                .SetDefaultInternetCertificate(
                    Must(CertificateFingerprint(f.jane.internet_certificates().front().certificate.get(),
                                                DigestAlgorithm::kSha256)))
                .ok());
    std::string newest = f.ca.IssuePem(f.jane.notes_key(), "1004", kNow + 200);
    CertificateMerge third = MergeInternetCertificates(f.jane, {newest, newer, older}, {f.ca.RootPem()});
    CHECK(third.added.size() == 1);
    CHECK_FALSE(third.default_set);
    CHECK(SerialHex(f.jane.DefaultInternetCertificate()->certificate.get()) == "1001");
  }

  SECTION("the saved ID keeps what was merged") {
    std::string image = Must(f.jane.Encode("pw", KdfParams::ForTests()));
    IdFile reloaded = Must(IdFile::Decode(image, "pw", "test"));
    CHECK(reloaded.internet_certificates().size() == 2);
    CHECK(reloaded.trusted_certificates().size() == trusted_before + 1);
  }
}

TEST_CASE("sync ignores garbage and roots that issued nothing", "[client][id_sync]") {
  Fixture f;
  CertificateMerge merge = MergeInternetCertificates(f.jane, {"not a certificate"}, {f.other.RootPem(), "junk"});
  CHECK(merge.added.empty());
  CHECK(merge.ignored.size() == 1);
  CHECK(merge.roots_added.empty());
  CHECK_FALSE(merge.Changed());
}

TEST_CASE("picking the certificate to export", "[client][id_sync]") {
  Fixture f;
  CHECK(PickInternetCertificate(f.jane, "").status().code() == StatusCode::kNotFound);
  MergeInternetCertificates(f.jane,
                            {f.ca.IssuePem(f.jane.notes_key(), "2002", kNow + 10),
                             f.ca.IssuePem(f.jane.notes_key(), "2001", kNow)},
                            {f.ca.RootPem()});
  CHECK(SerialHex(Must(PickInternetCertificate(f.jane, ""))->certificate.get()) == "2002");
  CHECK(SerialHex(Must(PickInternetCertificate(f.jane, "2001"))->certificate.get()) == "2001");
  CHECK(PickInternetCertificate(f.jane, "ABCD").status().code() == StatusCode::kNotFound);
  std::vector<X509Ptr> chain = IssuerChain(f.jane, f.jane.internet_certificates().front().certificate.get());
  REQUIRE(chain.size() == 1);
  CHECK(SubjectText(chain[0].get()) == "CN=Acme-Corp-Email,O=Acme");
}

TEST_CASE("PKCS#12 export round-trips the Notes key, the certificate and its chain", "[client][pkcs12]") {
  Fixture f;
  MergeInternetCertificates(f.jane, {f.ca.IssuePem(f.jane.notes_key(), "3001", kNow)}, {f.ca.RootPem()});
  const InternetCertificate* entry = Must(PickInternetCertificate(f.jane, ""));
  std::vector<X509Ptr> chain = IssuerChain(f.jane, entry->certificate.get());
  auto cipher = GENERATE(Pkcs12Cipher::kAes256, Pkcs12Cipher::kLegacy3Des);
  std::string der = Must(ExportPkcs12(f.jane, *entry, chain, "export-pw", cipher));

  const auto* bytes = reinterpret_cast<const unsigned char*>(der.data());
  Pkcs12Ptr p12(d2i_PKCS12(nullptr, &bytes, static_cast<long>(der.size())));
  REQUIRE(p12);
  CHECK(PKCS12_verify_mac(p12.get(), "wrong", -1) == 0);
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* ca = nullptr;
  REQUIRE(PKCS12_parse(p12.get(), "export-pw", &key, &cert, &ca) == 1);
  EvpPkeyPtr key_owner(key);
  X509Ptr cert_owner(cert);
  X509StackPtr ca_owner(ca);
  CHECK(PublicKeysEqual(key, f.jane.notes_key()));
  CHECK(X509_cmp(cert, entry->certificate.get()) == 0);
  REQUIRE(ca != nullptr);
  REQUIRE(sk_X509_num(ca) == 1);
  CHECK(X509_cmp(sk_X509_value(ca, 0), f.ca.cert.get()) == 0);

  CHECK(ExportPkcs12(f.jane, *entry, chain, "", cipher).status().code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace notesd::client
