// Tests of the CA service (ca_task/ca_service.h): the rules the client API's certifier,
// request and certificate endpoints used to hold, exercised without HTTP.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "adminp/admin_requests.h"
#include "ca_task/ca_service.h"
#include "ca_task/internet_certifier.h"
#include "ca_task/person_certificates.h"
#include "pki/id_file.h"
#include "pki/x509_certs.h"
#include "tests/unit/test_internet_ca.h"
#include "tests/unit/unit_test_support.h"

namespace notesd {
namespace {

using testing::FastKdf;
using testing::Must;
using testing::Name;
using testing::TempDir;

constexpr std::time_t kNow = 1'800'000'000;

class FixedClock final : public Clock {
 public:
  int64_t NowMicros() const override { return static_cast<int64_t>(kNow) * 1'000'000; }
};

// A server's data directory: server.id, names.nsf with a Server document (Jane is its
// administrator) and three people, admin4.nsf, and one Internet certifier whose CAA
// and RA is Jane.
struct CaServiceFixture {
  FastKdf fast;
  TempDir dir{"notesd-casvc-"};
  DatabaseSet databases;
  FixedClock clock;
  IdFile org = Must(CreateIdentity(Name("O=Acme"), IdKind::kCertifier, KeySpec::EcdsaP256(), nullptr, kNow - 3600,
                                   kNow + 86400 * 365));
  IdFile server = Must(CreateIdentity(Name("CN=Acme01/O=Acme"), IdKind::kServer, KeySpec::EcdsaP256(), &org,
                                      kNow - 3600, kNow + 86400 * 365));
  std::shared_ptr<Directory> directory = Must(OpenDirectory(databases, dir.path));
  std::shared_ptr<AdminRequestsDb> requests = Must(OpenAdminRequests(databases, dir.path));
  testing::TestInternetCa root{"CN=Acme-Corp-Email/O=Acme", kNow - 3600};
  Person jane = AddPerson("CN=Jane Admin/O=Acme", "jadmin", "jane@acme.com");
  Person john = AddPerson("CN=John Roe/OU=Sales/O=Acme", "jroe", "john@acme.com");
  Person ann = AddPerson("CN=Ann Lee/OU=Sales/O=Acme", "alee", "ann@acme.com");
  CaService service{databases, dir.path, *directory, *requests, Name("CN=Acme01/O=Acme"), clock};

  CaServiceFixture() {
    ServerDocument doc;
    doc.name = Name("CN=Acme01/O=Acme");
    doc.administrators = {jane.name.Canonical()};
    doc.certificate_pem = Must(CertificateToPem(server.notes_certificate()));
    REQUIRE(directory->PutServer(doc).ok());
    InternetCertifierDocument certifier;
    certifier.base.name = Name("CN=Acme-Corp-Email/O=Acme");
    certifier.base.type = "Internet";
    certifier.base.certificate_pem = root.RootPem();
    certifier.base.icl_file = "ICL_Acme-Corp-Email.nsf";
    certifier.caa = {jane.name.Canonical()};
    certifier.ra = {jane.name.Canonical()};
    REQUIRE(PutInternetCertifier(*directory, certifier).ok());
  }

  Person AddPerson(const std::string& name, const std::string& short_name, const std::string& address) {
    Person person;
    person.name = Name(name);
    person.last_name = person.name.CommonName();
    person.short_name = short_name;
    person.internet_address = address;
    EvpPkeyPtr key = Must(GenerateKey(KeySpec::EcdsaP256()));
    person.public_key_pem = Must(PublicKeyToPem(key.get()));
    return Must(directory->RegisterPerson(person));
  }

  nlohmann::json CertifierOrder(const std::string& common_name) const {
    return {{"cn", common_name},
            {"o", "Acme"},
            {"c", "US"},
            {"icl_file", "ICL_" + common_name + ".nsf"},
            {"encrypt_with", "password"},
            {"certifier_password", "a-good-password"}};
  }
};

TEST_CASE("ca service: a certifier request makes the caller CAA and RA and stores only wrapped passwords", "[ca]") {
  CaServiceFixture f;
  nlohmann::json order = f.CertifierOrder("Acme-Secure");
  order["caa"] = {"jroe"};
  auto posted = f.service.RequestCertifier(f.jane, order);
  INFO(posted.status().ToString());
  REQUIRE(posted.ok());
  CHECK(posted->request.author == f.jane.name.Canonical());
  CHECK(posted->spec.caa == std::vector<std::string>{f.jane.name.Canonical(), f.john.name.Canonical()});
  CHECK(posted->spec.ra == std::vector<std::string>{f.jane.name.Canonical()});
  AdminRequest stored = Must(f.requests->Get(posted->request.unid));
  REQUIRE(stored.secrets.count(kSecretCertifierPassword) == 1);
  CHECK(stored.secrets[kSecretCertifierPassword].find("a-good-password") == std::string::npos);
  for (const auto& [name, values] : stored.parameters)
    for (const std::string& value : values) CHECK(value.find("a-good-password") == std::string::npos);

  // The same certifier again, while the first request is pending: refused.
  auto again = f.service.RequestCertifier(f.jane, f.CertifierOrder("Acme-Secure"));
  CHECK(again.status().code() == StatusCode::kAlreadyExists);
}

TEST_CASE("ca service: certifier requests are refused before anything is stored", "[ca]") {
  CaServiceFixture f;
  nlohmann::json no_process = f.CertifierOrder("Acme-Other");
  no_process["use_ca_process"] = false;
  CHECK(f.service.RequestCertifier(f.jane, no_process).status().code() == StatusCode::kInvalidArgument);
  nlohmann::json other_server = f.CertifierOrder("Acme-Other");
  other_server["server"] = "CN=Elsewhere/O=Acme";
  CHECK(f.service.RequestCertifier(f.jane, other_server).status().code() == StatusCode::kInvalidArgument);
  nlohmann::json no_password = f.CertifierOrder("Acme-Other");
  no_password.erase("certifier_password");
  CHECK(f.service.RequestCertifier(f.jane, no_password).status().code() == StatusCode::kInvalidArgument);
  CHECK(f.service.RequestCertifier(f.jane, f.CertifierOrder("Acme-Corp-Email")).status().code() ==
        StatusCode::kAlreadyExists);
  std::ofstream(f.dir.path / "ICL_Acme-Left.nsf") << "left over";
  nlohmann::json left = f.CertifierOrder("Acme-Left");
  left["icl_file"] = "ICL_Acme-Left.nsf";
  CHECK(f.service.RequestCertifier(f.jane, left).status().code() == StatusCode::kAlreadyExists);
  CHECK(Must(f.requests->List()).empty());
}

TEST_CASE("ca service: only CAAs change roles, and a certifier keeps a CAA and an RA", "[ca]") {
  CaServiceFixture f;
  auto refused = f.service.ChangeRoles(f.john, "Acme-Corp-Email", std::nullopt, std::vector<std::string>{"jroe"});
  CHECK(refused.status().code() == StatusCode::kPermissionDenied);
  CHECK(f.service.ChangeRoles(f.jane, "Acme-Corp-Email", std::vector<std::string>{}, std::nullopt).status().code() ==
        StatusCode::kInvalidArgument);
  auto posted = f.service.ChangeRoles(f.jane, "Acme-Corp-Email", std::nullopt, std::vector<std::string>{"jroe"});
  REQUIRE(posted.ok());
  CHECK(posted->type == kRequestModifyCaConfiguration);
  CHECK(posted->ParamList("CAAdministrators") == std::vector<std::string>{f.jane.name.Canonical()});
  CHECK(posted->ParamList("RegistrationAuthorities") == std::vector<std::string>{f.john.name.Canonical()});
  CHECK(f.service.FindCertifier("No-Such").status().code() == StatusCode::kNotFound);
}

TEST_CASE("ca service: certificates are requested by RAs for a selection, in one batch its author may follow", "[ca]") {
  CaServiceFixture f;
  PeopleSelector sales;
  sales.ou = "/Sales/Acme";
  CHECK(f.service.RequestCertificates(f.john, "Acme-Corp-Email", sales, 2).status().code() ==
        StatusCode::kPermissionDenied);
  CHECK(f.service.RequestCertificates(f.jane, "Acme-Corp-Email", sales, 11).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(f.service.RequestCertificates(f.jane, "Acme-Corp-Email", PeopleSelector{}, 2).status().code() ==
        StatusCode::kInvalidArgument);

  auto batch = f.service.RequestCertificates(f.jane, "Acme-Corp-Email", sales, 2);
  INFO(batch.status().ToString());
  REQUIRE(batch.ok());
  CHECK(batch->count == 2);
  CHECK(batch->batch.size() == 24);
  CHECK(batch->certifier == Name("CN=Acme-Corp-Email/O=Acme"));

  // The author (no administrator flag) and an administrator see it; anyone else not.
  auto by_author = f.service.ShowBatch(f.jane, false, batch->batch);
  REQUIRE(by_author.ok());
  CHECK(by_author->counts.total == 2);
  CHECK(by_author->counts.pending == 2);
  CHECK(by_author->failures.empty());
  CHECK(f.service.ShowBatch(f.john, false, batch->batch).status().code() == StatusCode::kPermissionDenied);
  CHECK(f.service.ShowBatch(f.john, true, batch->batch).ok());
  CHECK(f.service.ShowBatch(f.john, true, "000000000000000000000000").status().code() == StatusCode::kNotFound);
  CHECK(f.service.ShowBatch(f.john, false, "000000000000000000000000").status().code() ==
        StatusCode::kPermissionDenied);
}

TEST_CASE("ca service: one person who cannot have a certificate stops the whole batch", "[ca]") {
  CaServiceFixture f;
  Person nobody_mail = f.AddPerson("CN=No Mail/OU=Sales/O=Acme", "nomail", "");
  PeopleSelector sales;
  sales.ou = "/Sales/Acme";
  auto refused = f.service.RequestCertificates(f.jane, "Acme-Corp-Email", sales, 2);
  CHECK(refused.status().code() == StatusCode::kInvalidArgument);
  CHECK(refused.status().message().find("No Mail/Sales/Acme has no Internet address") != std::string::npos);
  CHECK(Must(f.requests->List()).empty());
}

TEST_CASE("ca service: only the request's author receives the local certifier ID copy", "[ca]") {
  CaServiceFixture f;
  auto posted = f.service.RequestCertifier(f.jane, f.CertifierOrder("Acme-Copy"));
  REQUIRE(posted.ok());
  RetryPolicy policy;
  REQUIRE(f.requests->BeginAttempt(posted->request.unid, policy, kNow * 1'000'000LL, false).ok());
  AttemptResults results;
  results.binary_results[kResultLocalCopy] = "encrypted id bytes";
  REQUIRE(f.requests->FinishAttempt(posted->request.unid, Status::Ok(), results, policy, kNow * 1'000'000LL).ok());

  auto author = f.service.ShowRequest(f.jane, posted->request.unid);
  REQUIRE(author.ok());
  CHECK(author->responses.size() == 1);
  CHECK(author->local_copy == std::optional<std::string>("encrypted id bytes"));
  auto other = f.service.ShowRequest(f.john, posted->request.unid);
  REQUIRE(other.ok());
  CHECK(!other->local_copy);
  CHECK(other->local_copy_withheld);

  CHECK(Must(f.service.ListRequests("done")).size() == 1);
  CHECK(Must(f.service.ListRequests("pending")).empty());
  CHECK(f.service.ListRequests("sideways").status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("ca service: revocation is for RAs and CAAs, of exactly one serial or person", "[ca]") {
  CaServiceFixture f;
  RevocationTarget both{"0A", "jroe"};
  CHECK(f.service.Revoke(f.john, "Acme-Corp-Email", {"0A", ""}, std::nullopt).status().code() ==
        StatusCode::kPermissionDenied);
  CHECK(f.service.Revoke(f.jane, "Acme-Corp-Email", both, std::nullopt).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(f.service.Revoke(f.jane, "Acme-Corp-Email", {"0A", ""}, std::string("no-such-reason")).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("ca service: a person's own certificates come with the roots that issued them", "[ca]") {
  CaServiceFixture f;
  EvpPkeyPtr key = Must(GenerateKey(KeySpec::EcdsaP256()));
  testing::TestLeaf leaf;
  leaf.subject = "CN=Ann Lee/OU=Sales/O=Acme";
  leaf.email = "ann@acme.com";
  leaf.not_before = kNow - 60;
  leaf.not_after = kNow + 86400;
  Person ann = f.ann;
  ann.internet_certificates_pem = {f.root.IssuePem(key.get(), leaf)};
  auto own = f.service.CertificatesOf(ann);
  REQUIRE(own.ok());
  CHECK(own->certificates == ann.internet_certificates_pem);
  CHECK(own->roots == std::vector<std::string>{f.root.RootPem()});
  CHECK(Must(f.service.CertificatesOf(f.john)).roots.empty());
}

}  // namespace
}  // namespace notesd
