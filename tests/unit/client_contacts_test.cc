// tests/unit/client_contacts_test.cc — the local names.nsf: contacts and their
// certificates, signed cross-certificates (a changed note is refused), and the S/MIME
// trust decision built on them.
#include <catch2/catch.hpp>

#include <ctime>
#include <string>

#include "client_cli/contacts_store.h"
#include "client_cli/smime_trust.h"
#include "pki/crypto.h"
#include "pki/id_file.h"
#include "pki/x509_certs.h"
#include "tests/unit/unit_test_support.h"

namespace notesd::client {
namespace {

constexpr std::time_t kNow = 1'700'000'000;  // 2023-11-14 22:13:20 UTC
constexpr std::time_t kYear = 365 * 24 * 60 * 60;
constexpr TimeMicros kNowMicros = TimeMicros{kNow} * 1'000'000;

using testing::Must;
using testing::Name;

// A CA (self-signed, or under `parent`) that issues S/MIME certificates.
struct Ca {
  EvpPkeyPtr key = Must(GenerateKey(KeySpec::EcdsaP256()));
  X509Ptr cert;
  Ca(const std::string& name, Ca* parent = nullptr) {
    CertRequest request;
    request.subject = Name(name);
    request.public_key = key.get();
    request.not_before = kNow - kYear;
    request.not_after = kNow + 5 * kYear;
    request.is_ca = true;
    request.key_usage = kKeyUsageKeyCertSign | kKeyUsageCrlSign;
    cert = Must(parent ? IssueCertificate(request, parent->key.get(), parent->cert.get())
                       : IssueCertificate(request, key.get(), nullptr));
  }
  X509Ptr Issue(const std::string& subject, const std::string& email, std::time_t not_after = kNow + kYear) {
    EvpPkeyPtr subject_key = Must(GenerateKey(KeySpec::EcdsaP256()));
    CertRequest request;
    request.subject = Name(subject);
    request.public_key = subject_key.get();
    request.not_before = kNow - 10;
    request.not_after = not_after;
    request.key_usage = kKeyUsageDigitalSignature | kKeyUsageKeyAgreement;
    request.extended_key_usage = kExtKeyUsageEmailProtection;
    request.emails = {email};
    return Must(IssueCertificate(request, key.get(), cert.get()));
  }
};

struct Fixture {
  testing::TempDir dir;
  IdFile acme = Must(CreateIdentity(Name("O=Acme"), IdKind::kCertifier, KeySpec::EcdsaP256(), nullptr, kNow - kYear,
                                    kNow + 10 * kYear));
  IdFile jane = Must(CreateIdentity(Name("CN=Jane Doe/O=Acme"), IdKind::kPerson, KeySpec::EcdsaP256(), &acme,
                                    kNow - kYear, kNow + 2 * kYear));
  std::unique_ptr<ContactsStore> store = Must(ContactsStore::Open(ContactsStore::PathIn(dir.path)));
};

TEST_CASE("contacts: add, find by name, address and UNID, refuse duplicates", "[client][contacts]") {
  Fixture f;
  Contact outside = Must(f.store->AddContact("Outside Person", "outside@example.org"));
  CHECK(outside.full_name == "Outside Person");
  CHECK(outside.certificates.empty());
  Must(f.store->AddContact("Mary Poe", "mary@acme.example"));

  CHECK(Must(f.store->FindContact("OUTSIDE@example.org")).unid == outside.unid);
  CHECK(Must(f.store->FindContact("outside person")).unid == outside.unid);
  CHECK(Must(f.store->FindContact(outside.unid)).full_name == "Outside Person");
  CHECK(f.store->FindContact("nobody@example.org").status().code() == StatusCode::kNotFound);

  CHECK(f.store->AddContact("Outside Person", "other@example.org").status().code() == StatusCode::kAlreadyExists);
  CHECK(f.store->AddContact("Someone Else", "Outside@Example.org").status().code() == StatusCode::kAlreadyExists);
  CHECK(f.store->AddContact("Bad", "not an address").status().code() == StatusCode::kInvalidArgument);
  CHECK(f.store->AddContact("", "x@example.org").status().code() == StatusCode::kInvalidArgument);

  std::vector<Contact> all = Must(f.store->ListContacts());
  REQUIRE(all.size() == 2);
  CHECK(all[0].full_name == "Mary Poe");  // by name
  CHECK(all[1].full_name == "Outside Person");

  REQUIRE(f.store->RemoveContact("mary@acme.example").ok());
  CHECK(Must(f.store->ListContacts()).size() == 1);
  CHECK(f.store->RemoveContact("mary@acme.example").code() == StatusCode::kNotFound);
}

TEST_CASE("contacts: certificates are kept once and found by their subjectAltName", "[client][contacts]") {
  Fixture f;
  Ca verisign("CN=VerisignClass1/O=Verisign");
  X509Ptr cert = verisign.Issue("CN=Outside Person/O=Outside", "op@mail.example.org");
  Must(f.store->AddContact("Outside Person", "outside@example.org"));
  CHECK(Must(f.store->AddCertificates("Outside Person", {cert.get()})) == 1);
  CHECK(Must(f.store->AddCertificates("outside@example.org", {cert.get()})) == 0);  // already there

  std::vector<Contact> by_san = Must(f.store->ContactsForAddress("OP@mail.example.org"));
  REQUIRE(by_san.size() == 1);
  REQUIRE(by_san[0].certificates.size() == 1);
  CHECK(X509_cmp(by_san[0].certificates[0].get(), cert.get()) == 0);
  CHECK(Must(f.store->ContactsForAddress("outside@example.org")).size() == 1);
  CHECK(Must(f.store->ContactsForAddress("else@example.org")).empty());

  // Add Sender to Contacts: the existing contact (by address) gets new certificates.
  X509Ptr second = verisign.Issue("CN=Outside Person/O=Outside", "outside@example.org");
  ContactsStore::SenderResult sender =
      Must(f.store->AddSender("Outside Person", "outside@example.org", {second.get(), cert.get()}));
  CHECK_FALSE(sender.created);
  CHECK(sender.certificates_added == 1);
  CHECK(sender.contact.certificates.size() == 2);
  ContactsStore::SenderResult fresh = Must(f.store->AddSender("New Sender", "new@example.net", {second.get()}));
  CHECK(fresh.created);
  CHECK(fresh.contact.internet_address == "new@example.net");

  // The store survives a reopen.
  f.store.reset();
  f.store = Must(ContactsStore::Open(ContactsStore::PathIn(f.dir.path)));
  CHECK(Must(f.store->FindContact("outside@example.org")).certificates.size() == 2);
}

TEST_CASE("cross-certificates are signed with the Notes key; a changed note is refused", "[client][contacts]") {
  Fixture f;
  Ca verisign("CN=VerisignClass1/O=Verisign");
  CrossCertificateRecord made =
      Must(f.store->AddCrossCertificate(verisign.cert.get(), CrossScope::kCa, f.jane, kNowMicros));
  CHECK(made.valid);
  CHECK(made.created_by == "CN=Jane Doe/O=Acme");
  CHECK(f.store->AddCrossCertificate(verisign.cert.get(), CrossScope::kCa, f.jane, kNowMicros).status().code() ==
        StatusCode::kAlreadyExists);
  X509Ptr leaf = verisign.Issue("CN=Outside Person/O=Outside", "outside@example.org");
  CHECK(f.store->AddCrossCertificate(leaf.get(), CrossScope::kCa, f.jane, kNowMicros).status().code() ==
        StatusCode::kInvalidArgument);  // not a CA

  std::vector<CrossCertificateRecord> read = Must(f.store->ReadCrossCertificates(f.jane.notes_key()));
  REQUIRE(read.size() == 1);
  CHECK(read[0].valid);
  CHECK(read[0].scope == CrossScope::kCa);
  CHECK(read[0].subject == SubjectText(verisign.cert.get()));

  // Another user's key does not verify it.
  IdFile mary = Must(CreateIdentity(Name("CN=Mary Poe/O=Acme"), IdKind::kPerson, KeySpec::EcdsaP256(), &f.acme,
                                    kNow - kYear, kNow + kYear));
  CHECK_FALSE(Must(f.store->ReadCrossCertificates(mary.notes_key()))[0].valid);

  // Any changed item breaks the signature.
  auto [item, value] = GENERATE(std::pair<std::string, std::string>{"Scope", "sender"},
                                std::pair<std::string, std::string>{"Subject", "CN=Someone Else"},
                                std::pair<std::string, std::string>{"CreatedBy", "CN=Mallory/O=Evil"});
  Note note = Must(f.store->database().Get(made.id));
  note.SetText(item, value);
  Must(f.store->database().Update(note));
  std::vector<CrossCertificateRecord> changed = Must(f.store->ReadCrossCertificates(f.jane.notes_key()));
  REQUIRE(changed.size() == 1);
  CHECK_FALSE(changed[0].valid);
  CHECK_THAT(changed[0].problem, Catch::Contains("signature"));
}

TEST_CASE("cross-certificates: a swapped certificate is refused; removal by number or fingerprint",
          "[client][contacts]") {
  Fixture f;
  Ca verisign("CN=VerisignClass1/O=Verisign");
  Ca other("CN=Other Root/O=Other");
  CrossCertificateRecord first =
      Must(f.store->AddCrossCertificate(verisign.cert.get(), CrossScope::kCa, f.jane, kNowMicros));
  Must(f.store->AddCrossCertificate(other.cert.get(), CrossScope::kCa, f.jane, kNowMicros));

  Note note = Must(f.store->database().Get(first.id));
  note.SetText("Certificate", Must(CertificateToPem(other.cert.get())));
  Must(f.store->database().Update(note));
  std::vector<CrossCertificateRecord> read = Must(f.store->ReadCrossCertificates(f.jane.notes_key()));
  REQUIRE(read.size() == 2);
  CHECK_FALSE(read[0].valid);
  CHECK(read[1].valid);

  CHECK(f.store->RemoveCrossCertificate("3").status().code() == StatusCode::kNotFound);
  CHECK(f.store->RemoveCrossCertificate("zz").status().code() == StatusCode::kInvalidArgument);
  CrossCertificateRecord removed = Must(f.store->RemoveCrossCertificate(read[1].fingerprint.substr(0, 12)));
  CHECK(removed.subject == SubjectText(other.cert.get()));
  CHECK(Must(f.store->RemoveCrossCertificate("1")).id == first.id);
  CHECK(Must(f.store->ReadCrossCertificates(f.jane.notes_key())).empty());
}

TEST_CASE("trust: organisation roots, a cross-certified CA, a cross-certified sender only", "[client][contacts]") {
  Fixture f;
  Ca org_root("CN=Acme-Corp-Email/O=Acme");
  Ca verisign("CN=VerisignClass1/O=Verisign");
  Ca verisign_sub("CN=Verisign Class 1 Individual/O=Verisign", &verisign);
  f.jane.AddTrustedCertificate(UpRef(org_root.cert.get()));
  X509Ptr colleague = org_root.Issue("CN=Mary Poe/O=Acme", "mary@acme.example");
  X509Ptr alice = verisign.Issue("CN=Alice/O=Outside", "alice@example.org");
  X509Ptr bob = verisign.Issue("CN=Bob/O=Outside", "bob@example.org");
  X509Ptr carol = verisign_sub.Issue("CN=Carol/O=Outside", "carol@example.org");
  const std::vector<X509*> carried = {verisign.cert.get()};

  auto decide = [&](X509* signer, const std::vector<X509*>& message_certs) {
    std::vector<CrossCertificateRecord> cross = Must(f.store->ReadCrossCertificates(f.jane.notes_key()));
    return DecideTrust(signer, message_certs, MakeTrustSources(f.jane, cross), kNow);
  };

  // Nothing in common: untrusted, in Notes' words, and the issuing CA is known.
  TrustVerdict none = decide(alice.get(), carried);
  CHECK_FALSE(none.trusted);
  CHECK_THAT(none.reason, Catch::Contains("no certificates in common"));
  REQUIRE(none.issuing_ca);
  CHECK(X509_cmp(none.issuing_ca.get(), verisign.cert.get()) == 0);
  // The organisation's own Internet root.
  TrustVerdict own = decide(colleague.get(), {});
  CHECK(own.trusted);
  CHECK_THAT(own.basis, Catch::Contains("organisation's root"));

  SECTION("a cross-certified sender is that sender only") {
    Must(f.store->AddCrossCertificate(alice.get(), CrossScope::kSender, f.jane, kNowMicros));
    TrustVerdict a = decide(alice.get(), carried);
    CHECK(a.trusted);
    CHECK_THAT(a.basis, Catch::Contains("for the sender"));
    CHECK_FALSE(decide(bob.get(), carried).trusted);
  }
  SECTION("a cross-certified CA covers every certificate it issued, not other CAs'") {
    Must(f.store->AddCrossCertificate(verisign.cert.get(), CrossScope::kCa, f.jane, kNowMicros));
    TrustVerdict a = decide(alice.get(), carried);
    CHECK(a.trusted);
    CHECK_THAT(a.basis, Catch::Contains("for the CA CN=VerisignClass1"));
    CHECK(decide(bob.get(), {}).trusted);
    CHECK(decide(carol.get(), {verisign_sub.cert.get()}).trusted);  // through its sub-CA
    Ca stranger("CN=Stranger/O=Else");
    CHECK_FALSE(decide(stranger.Issue("CN=Eve/O=Else", "eve@else.example").get(), {}).trusted);
  }
  SECTION("a CA that only borrows the cross-certified CA's name is not trusted") {
    Must(f.store->AddCrossCertificate(verisign.cert.get(), CrossScope::kCa, f.jane, kNowMicros));
    Ca rogue("CN=VerisignClass1/O=Verisign");  // same name, another key
    X509Ptr mallory = rogue.Issue("CN=Mallory/O=Outside", "mallory@example.org");
    CHECK_FALSE(decide(mallory.get(), {rogue.cert.get()}).trusted);
    CHECK_FALSE(decide(mallory.get(), {}).trusted);
  }
  SECTION("a cross-certified intermediate CA is an anchor of its own") {
    Must(f.store->AddCrossCertificate(verisign_sub.cert.get(), CrossScope::kCa, f.jane, kNowMicros));
    CHECK(decide(carol.get(), {}).trusted);
    CHECK_FALSE(decide(alice.get(), carried).trusted);
  }
  SECTION("a tampered cross-certificate is ignored") {
    CrossCertificateRecord made =
        Must(f.store->AddCrossCertificate(alice.get(), CrossScope::kSender, f.jane, kNowMicros));
    Note note = Must(f.store->database().Get(made.id));
    note.SetText("Scope", "ca");  // widen it behind the user's back
    Must(f.store->database().Update(note));
    CHECK_FALSE(decide(alice.get(), carried).trusted);
    CHECK_FALSE(decide(bob.get(), carried).trusted);
  }
  SECTION("an expired sender certificate is not trusted even when cross-certified") {
    X509Ptr old = verisign.Issue("CN=Old/O=Outside", "old@example.org", kNow - 5);
    Must(f.store->AddCrossCertificate(old.get(), CrossScope::kSender, f.jane, kNowMicros));
    TrustVerdict verdict = decide(old.get(), carried);
    CHECK_FALSE(verdict.trusted);
    CHECK_THAT(verdict.reason, Catch::Contains("not valid now"));
  }
}

}  // namespace
}  // namespace notesd::client
