// tests/unit/client_id_view_test.cc — `notes id show`'s rendering of an ID file: names,
// key, Notes certificate, trusted roots, cross-certificates and Internet certificates
// with Issued By and the default marker, as text and JSON.
#include <catch2/catch.hpp>

#include <ctime>
#include <string>

#include "client_cli/id_view.h"
#include "pki/crypto.h"
#include "pki/id_file.h"
#include "pki/x509_certs.h"
#include "tests/unit/test_internet_ca.h"
#include "tests/unit/unit_test_support.h"

namespace notesd::client {
namespace {

constexpr std::time_t kNow = 1'700'000'000;  // 2023-11-14 22:13:20 UTC
constexpr std::time_t kYear = 365 * 24 * 60 * 60;

using testing::Must;
using testing::Name;

// An Internet CA, and certificates from it valid for a year from kNow.
struct InternetCa : testing::TestInternetCa {
  explicit InternetCa(const std::string& name) : TestInternetCa(name, kNow) {}
  X509Ptr Issue(EVP_PKEY* subject_key, const std::string& subject, const std::string& email, std::uint32_t usage) {
    return TestInternetCa::Issue(subject_key, {subject, email, "0A1B2C", kNow, kNow + kYear, usage});
  }
};

struct Fixture {
  IdFile acme =
      Must(CreateIdentity(Name("O=Acme"), IdKind::kCertifier, KeySpec::EcdsaP256(), nullptr, kNow, kNow + 10 * kYear));
  IdFile jane = Must(
      CreateIdentity(Name("CN=Jane Doe/O=Acme"), IdKind::kPerson, KeySpec::EcdsaP256(), &acme, kNow, kNow + 2 * kYear));
  InternetCa ca{"CN=Acme Internet CA/O=Acme"};
  InternetCa outside{"CN=Outside Root CA/O=Outside"};

  Fixture() {
    REQUIRE(jane.AddInternetCertificate(
                    ca.Issue(jane.notes_key(), "CN=Jane Doe/O=Acme", "jane@acme.example", kKeyUsageDigitalSignature))
                .ok());
    REQUIRE(jane.AddCrossCertificate(UpRef(outside.cert.get()), "Internet certificate of bob@outside.example"));
  }
};

TEST_CASE("id show text: names, key, Notes certificate, roots, cross and Internet certificates", "[client]") {
  Fixture f;
  std::string text = IdToText(f.jane, "/c/user.id");
  INFO(text);
  CHECK_THAT(text, Catch::Contains("ID file:      /c/user.id\n"));
  CHECK_THAT(text, Catch::Contains("Name:         CN=Jane Doe/O=Acme\n"));
  CHECK_THAT(text, Catch::Contains("Abbreviated:  Jane Doe/Acme\n"));
  CHECK_THAT(text, Catch::Contains("Kind:         person\n"));
  CHECK_THAT(text, Catch::Contains("Key:          ECDSA P-256\n"));
  CHECK_THAT(text, Catch::Contains("Notes certificate\n  Subject:     CN=Jane Doe,O=Acme\n  Issued By:   O=Acme\n"));
  CHECK_THAT(text, Catch::Contains("Valid from:  2023-11-14 22:13:20 UTC"));
  CHECK_THAT(text,
             Catch::Contains("Trusted certificates (1)\n  Subject:     O=Acme\n  Role:        root (trust anchor)"));
  CHECK_THAT(text, Catch::Contains("Cross-certificates (1)\n  Subject:     CN=Outside Root CA,O=Outside"));
  CHECK_THAT(text, Catch::Contains("Note:        Internet certificate of bob@outside.example"));
  CHECK_THAT(text, Catch::Contains("Your Internet certificates (1)\n  Subject:     CN=Jane Doe,O=Acme\n"
                                   "  Issued By:   Acme Internet CA\n  Serial:      0A1B2C\n"));
  CHECK_THAT(text,
             Catch::Contains("Emails:      jane@acme.example\n  Key:         the Notes key\n  Default:     yes\n"));
}

TEST_CASE("id show JSON: the same facts, and the default Internet certificate marked", "[client]") {
  Fixture f;
  // A second, newer Internet certificate: the newest signing one is the default until
  // the user marks another.
  X509Ptr second = f.ca.Issue(f.jane.notes_key(), "CN=Jane Doe/O=Acme", "jd@acme.example", kKeyUsageDigitalSignature);
  std::string first_fingerprint =
      Must(CertificateFingerprint(f.jane.internet_certificates().front().certificate.get(), DigestAlgorithm::kSha256));
  REQUIRE(f.jane.AddInternetCertificate(std::move(second)).ok());

  nlohmann::json json = IdToJson(f.jane, "/c/user.id");
  CHECK(json["name"] == "CN=Jane Doe/O=Acme");
  CHECK(json["abbreviated"] == "Jane Doe/Acme");
  CHECK(json["kind"] == "person");
  CHECK(json["key"]["spec"] == "ecdsa-p256");
  CHECK(json["notes_certificate"]["issued_by"] == "O=Acme");
  REQUIRE(json["trusted_certificates"].size() == 1);
  CHECK(json["trusted_certificates"][0]["root"] == true);
  REQUIRE(json["cross_certificates"].size() == 1);
  CHECK(json["cross_certificates"][0]["issued_by"] == "Outside Root CA");
  REQUIRE(json["internet_certificates"].size() == 2);
  CHECK(json["internet_certificates"][0]["issued_by"] == "Acme Internet CA");
  CHECK(json["internet_certificates"][0]["serial"] == "0A1B2C");
  CHECK(json["internet_certificates"][0]["own_key"] == false);
  CHECK(json["internet_certificates"][0]["default"] == false);
  CHECK(json["internet_certificates"][1]["default"] == true);
  CHECK(json["internet_certificates"][1]["emails"] == nlohmann::json::array({"jd@acme.example"}));

  REQUIRE(f.jane.SetDefaultInternetCertificate(first_fingerprint).ok());
  json = IdToJson(f.jane, "/c/user.id");
  CHECK(json["internet_certificates"][0]["default"] == true);
  CHECK(json["internet_certificates"][1]["default"] == false);
  CHECK(json.dump().find("PRIVATE KEY") == std::string::npos);
}

}  // namespace
}  // namespace notesd::client
