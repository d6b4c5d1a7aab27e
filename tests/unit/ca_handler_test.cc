// Unit tests for ca_task/ca_handlers.h: the Create Internet Certifier handler is
// idempotent (run twice, or crashed between any two steps and run again: one certifier,
// one key), refuses to overwrite another request's certifier, protects the certifier ID
// as asked; Modify CA Configuration needs an active key and a CAA; roles checks.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>

#include "ca_task/ca_handlers.h"
#include "ca_task/certifier_document.h"
#include "ca_task/certifier_id.h"
#include "ca_task/icl_database.h"
#include "ca_task/internet_certifier.h"
#include "ca_task/server_id_wrap.h"
#include "pki/id_file.h"
#include "pki/x509_certs.h"
#include "directory/directory.h"

#include "tests/unit/unit_test_support.h"

using namespace notesd;

namespace {

constexpr std::time_t kNow = 1'800'000'000;

using testing::FastKdf;

class FixedClock final : public Clock {
 public:
  int64_t NowMicros() const override { return static_cast<int64_t>(kNow) * 1'000'000; }
};

Person MakePerson(const IdFile& id, const std::string& short_name) {
  Person person;
  person.name = id.name();
  person.last_name = id.name().CommonName();
  person.short_name = short_name;
  person.notes_certificate_pem = *CertificateToPem(id.notes_certificate());
  person.public_key_pem = *PublicKeyToPem(id.notes_key());
  return person;
}

// A data directory as `nserver --setup` leaves it: server.id, names.nsf with Jane (an
// administrator) and John.
struct DataDir {
  FastKdf fast;
  std::filesystem::path path;
  DatabaseSet databases;  // the server's open databases, as the core hands them to AdminP
  IdFile org;
  IdFile server;
  std::shared_ptr<Directory> directory;
  Person jane;
  Person john;
  FixedClock clock;

  DataDir() {
    std::random_device random;
    path = std::filesystem::temp_directory_path() /
           ("notesd-cah-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
    std::filesystem::create_directories(path);
    org = *CreateIdentity(*HierName::Parse("O=Acme"), IdKind::kCertifier, KeySpec::EcdsaP256(), nullptr, kNow - 3600,
                          kNow + 86400 * 365);
    server = *CreateIdentity(*HierName::Parse("CN=Acme01/O=Acme"), IdKind::kServer, KeySpec::Rsa2048(), &org,
                             kNow - 3600, kNow + 86400 * 365);
    REQUIRE(server.Save(path / "server.id", "").ok());
    auto opened = OpenDirectory(databases, path);
    REQUIRE(opened.ok());
    directory = *opened;
    auto jane_id = CreateIdentity(*HierName::Parse("CN=Jane Admin/O=Acme"), IdKind::kPerson, KeySpec::EcdsaP256(), &org,
                                  kNow - 3600, kNow + 86400);
    auto john_id = CreateIdentity(*HierName::Parse("CN=John Roe/O=Acme"), IdKind::kPerson, KeySpec::EcdsaP256(), &org,
                                  kNow - 3600, kNow + 86400);
    jane = *directory->RegisterPerson(MakePerson(*jane_id, "jadmin"));
    john = *directory->RegisterPerson(MakePerson(*john_id, "jroe"));
  }
  ~DataDir() {
    directory.reset();
    std::filesystem::remove_all(path);
  }

  HandlerContext Context() {
    HandlerContext context;
    context.data_dir = path;
    context.server_name = "CN=Acme01/O=Acme";
    context.server_id_path = path / "server.id";
    context.clock = &clock;
    context.directory = directory;
    context.databases = &databases;
    return context;
  }

  std::string Wrap(const std::string& secret) { return *WrapSecret(secret, server.notes_certificate()); }

  AdminRequest CreateRequest(InternetCertifierSpec spec, const std::string& unid) {
    AdminRequest request;
    request.unid = unid;
    request.type = kRequestCreateInternetCertifier;
    request.author = jane.name.Canonical();
    request.server = "CN=Acme01/O=Acme";
    request.attempts = 1;
    spec.ToRequest(request);
    return request;
  }
};

InternetCertifierSpec ArticleSpec() {
  InternetCertifierSpec spec;
  spec.common_name = "Acme-Corp-Email";
  spec.organization = "Acme";
  spec.icl_file = "ICL_Acme-Corp-Email.nsf";
  spec.caa = {"CN=Jane Admin/O=Acme", "CN=John Roe/O=Acme"};
  spec.ra = {"CN=Jane Admin/O=Acme", "CN=John Roe/O=Acme"};
  spec.local_copy = true;
  spec.local_copy_file = "Acme-Corp-Email.id";
  return spec;
}

const std::string kUnid1(32, '1');
const std::string kUnid2(32, '2');

std::string RootPem(const IdFile& id) { return *CertificateToPem(id.notes_certificate()); }

}  // namespace

TEST_CASE("Create Internet Certifier run twice makes one certifier with one key", "[ca]") {
  DataDir data;
  AdminRequest request = data.CreateRequest(ArticleSpec(), kUnid1);
  request.secrets[kSecretLocalCopyPassword] = data.Wrap("copy-pw");
  auto handler = MakeCreateInternetCertifierHandler();

  HandlerContext first = data.Context();
  REQUIRE(handler->Handle(request, first).ok());
  HandlerContext second = data.Context();
  REQUIRE(handler->Handle(request, second).ok());

  auto certifiers = ListInternetCertifiers(*data.directory);
  REQUIRE(certifiers.ok());
  REQUIRE(certifiers->size() == 1);
  const InternetCertifierDocument& doc = certifiers->front();
  CHECK(doc.base.name.Canonical() == "CN=Acme-Corp-Email/O=Acme");
  CHECK(doc.base.type == "Internet");
  CHECK(doc.base.icl_file == "ICL_Acme-Corp-Email.nsf");
  CHECK(doc.request_unid == kUnid1);
  CHECK(doc.caa.size() == 2);
  CHECK(data.directory->FindCertifier("Acme-Corp-Email").ok());  // directory/'s own lookup sees it

  auto icl = OpenIcl(data.databases, data.path / "ICL_Acme-Corp-Email.nsf", false);
  REQUIRE(icl.ok());
  auto config = (*icl)->LatestConfig();
  REQUIRE(config.ok());
  REQUIRE(config->has_value());
  CHECK((*config)->revision == 1);
  CHECK((*config)->certificate_pem == doc.base.certificate_pem);
  CHECK((*(*icl)->LatestCrl())->number == 1);  // one first CRL, not two

  // Both runs hand back a local copy of the same certifier, with its own password.
  for (HandlerContext* run : {&first, &second}) {
    const std::string& image = run->results.binary_results.at(kResultLocalCopy);
    auto copy = IdFile::Decode(image, "copy-pw", "local copy");
    REQUIRE(copy.ok());
    CHECK(RootPem(*copy) == doc.base.certificate_pem);
    CHECK(IdFile::Decode(image, "", "local copy").status().code() == StatusCode::kPermissionDenied);
    CHECK(run->results.results.at("CertifierName") == "CN=Acme-Corp-Email/O=Acme");
  }

  // The certifier ID on disk opens with the server ID alone (no activation password).
  CHECK(ActivatesWithoutPassword(**config));
  auto opened = OpenCertifierId(**config, data.path, &data.server, "");
  REQUIRE(opened.ok());
  CHECK(RootPem(*opened) == doc.base.certificate_pem);
  CHECK(IdFile::Load(data.path / "Acme-Corp-Email.id", "").status().code() == StatusCode::kPermissionDenied);
}

TEST_CASE("a crash between any two steps is finished by the next run with the same key", "[ca]") {
  const char* crash_after = GENERATE("icl", "id-file", "document", "crl");
  CAPTURE(crash_after);
  DataDir data;
  AdminRequest request = data.CreateRequest(ArticleSpec(), kUnid1);
  request.secrets[kSecretLocalCopyPassword] = data.Wrap("copy-pw");
  auto crashing = MakeCreateInternetCertifierHandler([crash_after](std::string_view step) {
    if (step == crash_after) throw std::runtime_error("killed");
  });
  HandlerContext context = data.Context();
  CHECK_THROWS(crashing->Handle(request, context));

  auto icl = OpenIcl(data.databases, data.path / "ICL_Acme-Corp-Email.nsf", false);
  REQUIRE(icl.ok());
  std::string root_after_crash = (*(*icl)->LatestConfig())->certificate_pem;

  HandlerContext redo = data.Context();
  REQUIRE(MakeCreateInternetCertifierHandler()->Handle(request, redo).ok());
  auto certifiers = ListInternetCertifiers(*data.directory);
  REQUIRE(certifiers->size() == 1);
  CHECK(certifiers->front().base.certificate_pem == root_after_crash);
  CHECK((*(*icl)->LatestConfig())->revision == 1);
  CHECK(redo.results.results.at("Certificate") == root_after_crash);
}

TEST_CASE("a certifier, ICL or ID file made by another request is never overwritten", "[ca]") {
  DataDir data;
  AdminRequest first = data.CreateRequest(ArticleSpec(), kUnid1);
  first.secrets[kSecretLocalCopyPassword] = data.Wrap("copy-pw");
  HandlerContext context = data.Context();
  REQUIRE(MakeCreateInternetCertifierHandler()->Handle(first, context).ok());
  std::string original = ListInternetCertifiers(*data.directory)->front().base.certificate_pem;

  SECTION("same name") {
    AdminRequest again = data.CreateRequest(ArticleSpec(), kUnid2);
    again.secrets[kSecretLocalCopyPassword] = data.Wrap("copy-pw");
    HandlerContext other = data.Context();
    Status refused = MakeCreateInternetCertifierHandler()->Handle(again, other);
    CHECK(refused.code() == StatusCode::kAlreadyExists);
  }
  SECTION("same ICL, other name") {
    InternetCertifierSpec spec = ArticleSpec();
    spec.common_name = "Other-Name";
    spec.local_copy = false;
    AdminRequest again = data.CreateRequest(spec, kUnid2);
    HandlerContext other = data.Context();
    Status refused = MakeCreateInternetCertifierHandler()->Handle(again, other);
    CHECK(refused.code() == StatusCode::kAlreadyExists);
    CHECK_THAT(refused.message(), Catch::Contains("already belongs to certifier"));
  }
  CHECK(ListInternetCertifiers(*data.directory)->size() == 1);
  CHECK(ListInternetCertifiers(*data.directory)->front().base.certificate_pem == original);
}

TEST_CASE("activation: a server-ID certifier with an activation password needs both", "[ca]") {
  DataDir data;
  InternetCertifierSpec spec = ArticleSpec();
  spec.common_name = "Acme-Secure";
  spec.icl_file = "icl/ICL_Acme-Secure.nsf";
  spec.require_activation = true;
  spec.local_copy = false;
  AdminRequest request = data.CreateRequest(spec, kUnid1);
  HandlerContext context = data.Context();
  CHECK(MakeCreateInternetCertifierHandler()->Handle(request, context).code() == StatusCode::kInvalidArgument);
  request.secrets[kSecretActivationPassword] = data.Wrap("act-pw");
  REQUIRE(MakeCreateInternetCertifierHandler()->Handle(request, context).ok());

  auto icl = OpenIcl(data.databases, data.path / "icl/ICL_Acme-Secure.nsf", false);
  REQUIRE(icl.ok());
  IclConfig config = **(*icl)->LatestConfig();
  CHECK_FALSE(ActivatesWithoutPassword(config));
  CHECK(OpenCertifierId(config, data.path, &data.server, "").status().code() == StatusCode::kPermissionDenied);
  CHECK(OpenCertifierId(config, data.path, &data.server, "wrong").status().code() == StatusCode::kPermissionDenied);
  CHECK(OpenCertifierId(config, data.path, &data.server, "act-pw").ok());
  CHECK(OpenCertifierId(config, data.path, nullptr, "act-pw").status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("activation: a password-protected certifier opens with its password, not the server ID", "[ca]") {
  DataDir data;
  InternetCertifierSpec spec = ArticleSpec();
  spec.protection = CertifierProtection::kPassword;
  spec.local_copy = false;
  AdminRequest request = data.CreateRequest(spec, kUnid1);
  request.secrets[kSecretCertifierPassword] = data.Wrap("cert-secret");
  HandlerContext context = data.Context();
  REQUIRE(MakeCreateInternetCertifierHandler()->Handle(request, context).ok());
  auto icl = OpenIcl(data.databases, data.path / "ICL_Acme-Corp-Email.nsf", false);
  IclConfig config = **(*icl)->LatestConfig();
  CHECK(config.protection == CertifierProtection::kPassword);
  CHECK(config.require_activation);
  CHECK(config.wrapped_id_password.empty());
  CHECK(IdFile::Load(data.path / "Acme-Corp-Email.id", "cert-secret").ok());
  CHECK(OpenCertifierId(config, data.path, &data.server, "cert-secret").ok());

  // A certifier ID swapped on disk is refused: it does not hold the ICL's root.
  auto stranger = MakeInternetCertifier(spec, kNow);
  REQUIRE(stranger->id.Save(data.path / "Acme-Corp-Email.id", "cert-secret").ok());
  CHECK(OpenCertifierId(config, data.path, &data.server, "cert-secret").status().code() ==
        StatusCode::kPermissionDenied);
}

TEST_CASE("Modify CA Configuration needs the certifier active and a CAA author", "[ca]") {
  DataDir data;
  InternetCertifierSpec spec = ArticleSpec();
  spec.caa = {"CN=Jane Admin/O=Acme"};
  spec.ra = {"CN=Jane Admin/O=Acme"};
  spec.local_copy = false;
  HandlerContext context = data.Context();
  REQUIRE(MakeCreateInternetCertifierHandler()->Handle(data.CreateRequest(spec, kUnid1), context).ok());

  auto keyring = std::make_shared<CaKeyring>();
  auto modify = MakeModifyCaConfigurationHandler(keyring);
  AdminRequest request;
  request.unid = kUnid2;
  request.type = kRequestModifyCaConfiguration;
  request.author = data.jane.name.Canonical();
  request.SetParam(kParamCertifier, "Acme-Corp-Email");
  request.SetParamList(kParamCaa, {"CN=Jane Admin/O=Acme", "CN=John Roe/O=Acme"});
  request.SetParamList(kParamRa, {"CN=John Roe/O=Acme"});

  HandlerContext run = data.Context();
  CHECK(modify->Handle(request, run).code() == StatusCode::kUnavailable);  // not active: AdminP retries

  auto icl = OpenIcl(data.databases, data.path / "ICL_Acme-Corp-Email.nsf", false);
  IclConfig config = **(*icl)->LatestConfig();
  auto certifier = OpenCertifierId(config, data.path, &data.server, "");
  REQUIRE(certifier.ok());
  keyring->Put(config.certifier_name, UpRef(certifier->notes_certificate()), UpRef(certifier->notes_key()));

  AdminRequest by_john = request;
  by_john.author = data.john.name.Canonical();
  CHECK(modify->Handle(by_john, run).code() == StatusCode::kPermissionDenied);

  REQUIRE(modify->Handle(request, run).ok());
  REQUIRE(modify->Handle(request, run).ok());  // idempotent: no third revision
  IclConfig revised = **(*icl)->LatestConfig();
  CHECK(revised.revision == 2);
  CHECK(revised.ra == std::vector<std::string>{"CN=John Roe/O=Acme"});
  CHECK(revised.origin_request_unid == kUnid1);
  CHECK(VerifyIclConfig(revised, certifier->notes_key()).ok());
  auto doc = FindInternetCertifier(*data.directory, "Acme-Corp-Email");
  REQUIRE(doc.ok());
  CHECK((*doc)->caa.size() == 2);
  CHECK((*doc)->ra == std::vector<std::string>{"CN=John Roe/O=Acme"});
}

TEST_CASE("roles: CAA and RA through names and groups; refusals name the role", "[ca]") {
  DataDir data;
  REQUIRE(data.directory->PutGroup({0, "CA Team", {"CN=John Roe/O=Acme"}, "Multi-purpose"}).ok());
  InternetCertifierDocument doc;
  doc.base.name = *HierName::Parse("CN=Acme-Corp-Email/O=Acme");
  doc.caa = {"CN=Jane Admin/O=Acme"};
  doc.ra = {"CA Team"};
  CHECK(HasCertifierRole(*data.directory, doc, data.jane, CertifierRole::kCaa));
  CHECK_FALSE(HasCertifierRole(*data.directory, doc, data.jane, CertifierRole::kRa));
  CHECK(HasCertifierRole(*data.directory, doc, data.john, CertifierRole::kRa));
  Status refused = RequireCertifierRole(*data.directory, doc, data.john, CertifierRole::kCaa);
  CHECK(refused.code() == StatusCode::kPermissionDenied);
  CHECK(refused.message() == "John Roe/Acme is not a CA administrator (CAA) of certifier Acme-Corp-Email/Acme");

  auto resolved = ResolveRoleNames(*data.directory, {"jroe", "Jane Admin/Acme", "ca team", "JROE"});
  REQUIRE(resolved.ok());
  CHECK(*resolved == std::vector<std::string>{"CN=John Roe/O=Acme", "CN=Jane Admin/O=Acme", "CA Team"});
  CHECK(ResolveRoleNames(*data.directory, {"Nobody Here"}).status().code() == StatusCode::kNotFound);
}
