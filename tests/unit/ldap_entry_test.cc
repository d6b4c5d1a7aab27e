// Tests of Domino's LDAP view of names.nsf (ldap_server/ldap_directory_view.h): people
// with their valid certificates, groups, names as DNs, the root DSE.
#include <catch2/catch.hpp>

#include <openssl/pkcs7.h>

#include <ctime>

#include "ldap_server/ldap_directory_view.h"
#include "pki/crypto.h"
#include "pki/x509_certs.h"

namespace notesd::ldap {
namespace {

std::string CertPem(const HierName& subject, std::time_t not_before, std::time_t not_after) {
  static EvpPkeyPtr key = GenerateKey(KeySpec::EcdsaP256()).value();
  CertRequest request;
  request.subject = subject;
  request.public_key = key.get();
  request.not_before = not_before;
  request.not_after = not_after;
  X509Ptr cert = IssueCertificate(request, key.get(), nullptr).value();
  return CertificateToPem(cert.get()).value();
}

const std::vector<std::string>* Values(const Entry& entry, std::string_view name) {
  for (const Attribute& a : entry.attributes)
    if (a.name == name) return &a.values;
  return nullptr;
}

TEST_CASE("ldap view: a person with a valid, an expired and a future certificate", "[ldap][entry]") {
  std::time_t now = 1'800'000'000;
  Person person;
  person.name = HierName::Parse("CN=Jane Doe/OU=Sales/O=Acme").value();
  person.first_name = "Jane";
  person.last_name = "Doe";
  person.short_name = "jdoe";
  person.internet_address = "jane@acme.example";
  person.http_password = "$argon2id$v=19$secret";
  std::string valid = CertPem(person.name, now - 3600, now + 86400);
  person.internet_certificates_pem = {valid, CertPem(person.name, now - 86400 * 2, now - 86400),
                                      CertPem(person.name, now + 3600, now + 86400)};
  Entry entry = PersonEntry(person, now);
  CHECK(entry.dn == "cn=Jane Doe,ou=Sales,o=Acme");
  REQUIRE(Values(entry, "objectClass"));
  CHECK(*Values(entry, "objectClass") ==
        std::vector<std::string>{"top", "person", "organizationalPerson", "inetOrgPerson", "dominoPerson"});
  CHECK(Values(entry, "cn")->front() == "Jane Doe");
  CHECK(*Values(entry, "sn") == std::vector<std::string>{"Doe"});
  CHECK(*Values(entry, "givenName") == std::vector<std::string>{"Jane"});
  CHECK(*Values(entry, "uid") == std::vector<std::string>{"jdoe"});
  CHECK(*Values(entry, "mail") == std::vector<std::string>{"jane@acme.example"});
  REQUIRE(Values(entry, "userCertificate;binary"));
  REQUIRE(Values(entry, "userCertificate;binary")->size() == 1);  // the expired and the future one are left out
  auto cert = CertificateFromDer(Values(entry, "userCertificate;binary")->front());
  REQUIRE(cert.ok());
  CHECK(CertificateToPem(cert->get()).value() == valid);
  // userSMIMECertificate: a PKCS#7 bundle holding the same certificate.
  REQUIRE(Values(entry, "userSMIMECertificate"));
  auto bundled = ParseCertificates(Values(entry, "userSMIMECertificate")->front());
  REQUIRE(bundled.ok());
  REQUIRE(bundled->size() == 1);
  CHECK(X509_cmp(bundled->front().get(), cert->get()) == 0);
  for (const Attribute& a : entry.attributes)
    for (const std::string& v : a.values) CHECK(v.find("argon2") == std::string::npos);

  // No certificate valid: neither attribute.
  Entry later = PersonEntry(person, now + 86400 * 10);
  CHECK(Values(later, "userCertificate;binary") == nullptr);
  CHECK(Values(later, "userSMIMECertificate") == nullptr);
}

TEST_CASE("ldap view: certificates read without a full parse, the bundle only when asked", "[ldap][entry]") {
  std::time_t now = 1'800'000'000;
  Person person;
  person.name = HierName::Parse("CN=John Roe/O=Acme").value();
  std::string first = CertPem(person.name, now - 3600, now + 86400);
  std::string second = CertPem(person.name, now - 7200, now + 3600);
  // Not a certificate, and a certificate block holding no certificate: both left out.
  person.internet_certificates_pem = {first, "not PEM at all",
                                      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", second,
                                      CertPem(person.name, now - 7200, now - 1)};
  Entry entry = PersonEntry(person, now);
  REQUIRE(Values(entry, "userCertificate;binary"));
  std::vector<std::string> expected;
  for (const std::string& pem : {first, second})
    expected.push_back(CertificateToDer(CertificateFromPem(pem).value().get()).value());
  CHECK(*Values(entry, "userCertificate;binary") == expected);
  REQUIRE(Values(entry, "userSMIMECertificate"));
  CHECK(ParseCertificates(Values(entry, "userSMIMECertificate")->front()).value().size() == 2);

  Entry without_bundle = PersonEntry(person, now, true, false);
  CHECK(*Values(without_bundle, "userCertificate;binary") == expected);
  CHECK(Values(without_bundle, "userSMIMECertificate") == nullptr);
  // The validity is the certificate's to the second.
  CHECK(Values(PersonEntry(person, now + 3600, true, false), "userCertificate;binary")->size() == 2);
  CHECK(Values(PersonEntry(person, now + 3601, true, false), "userCertificate;binary")->size() == 1);
  CHECK(Values(PersonEntry(person, now - 3601, true, false), "userCertificate;binary")->size() == 2);  // 2nd, 5th
}

TEST_CASE("ldap view: groups, names and the root DSE", "[ldap][entry]") {
  Group group;
  group.name = "Sales Team";
  group.members = {"CN=Jane Doe/O=Acme", "Other Group"};
  Entry entry = GroupEntry(group, "o=Acme");
  CHECK(entry.dn == "cn=Sales Team,o=Acme");
  CHECK(*Values(entry, "objectClass") == std::vector<std::string>{"top", "groupOfNames", "dominoGroup"});
  CHECK(*Values(entry, "member") == std::vector<std::string>{"cn=Jane Doe,o=Acme", "cn=Other Group,o=Acme"});

  CHECK(NameToDn(HierName::Parse("CN=Doe, Jane/OU=R+D/O=Acme/C=US").value()) == "cn=Doe\\, Jane,ou=R\\+D,o=Acme,c=US");
  CHECK(DnToNotesName("cn=Jane Doe, ou=Sales,o=Acme") == "CN=Jane Doe/OU=Sales/O=Acme");
  CHECK(DnToNotesName("cn=Doe\\, Jane,o=Acme") == "CN=Doe, Jane/O=Acme");
  CHECK(DnToNotesName("jane@acme.example") == "jane@acme.example");
  CHECK(DnToNotesName("uid=jdoe,o=Acme") == "jdoe");
  CHECK(DnToNotesName("MAIL = jane@acme.example , o=Acme") == "jane@acme.example");
  CHECK(NamingContext(HierName::Parse("CN=Acme01/O=Acme").value()) == "o=Acme");
  CHECK(NamingContext(HierName::Parse("CN=Acme01/O=Acme/C=US").value()) == "o=Acme,c=US");

  Entry root = RootDse({"o=Acme"});
  CHECK(root.dn.empty());
  CHECK(*Values(root, "namingContexts") == std::vector<std::string>{"o=Acme"});
  CHECK(*Values(root, "supportedExtension") == std::vector<std::string>{kStartTlsOid, kWhoAmIOid});
  CHECK(Values(Subschema(), "objectClasses")->size() >= 5);
}

}  // namespace
}  // namespace notesd::ldap
