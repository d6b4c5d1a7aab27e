// Unit tests for ca_task/: the Internet certifier's options, its root certificate
// (extensions read back with OpenSSL's own getters), the server-ID wrap, the ICL
// (unique random serials, signed configuration revisions, CRLs).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <functional>
#include <filesystem>
#include <optional>
#include <random>
#include <set>

#include "ca_task/icl_database.h"
#include "ca_task/internet_certifier.h"
#include "ca_task/server_id_wrap.h"
#include "pki/id_file.h"
#include "base/notes_ini.h"
#include "pki/x509_certs.h"

#include "tests/unit/unit_test_support.h"
#include "base/ascii.h"

using namespace notesd;

namespace {

constexpr std::time_t kNow = 1'800'000'000;

using testing::FastKdf;

using testing::TempDir;

InternetCertifierSpec ArticleSpec() {
  InternetCertifierSpec spec;
  spec.common_name = "Acme-Corp-Email";
  spec.organization = "Acme";
  spec.org_units = {"Mail"};
  spec.locality = "Boston";
  spec.state = "Massachusetts";
  spec.country = "US";
  spec.email = "ca@acme.example";
  spec.icl_file = "ICL_Acme-Corp-Email.nsf";
  spec.caa = {"CN=Jane Admin/O=Acme", "CN=John Roe/O=Acme"};
  spec.ra = {"CN=Jane Admin/O=Acme", "CN=John Roe/O=Acme"};
  return spec;
}

std::string NameEntry(X509* cert, int nid) {
  X509_NAME* name = X509_get_subject_name(cert);
  int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return "";
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<std::size_t>(ASN1_STRING_length(data)));
}

bool ExtensionCritical(X509* cert, int nid) {
  int index = X509_get_ext_by_NID(cert, nid, -1);
  return index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, index)) == 1;
}

// A server identity under an organisation certifier, as `nserver --setup` makes it.
IdFile MakeServerId(KeySpec spec = KeySpec::Rsa2048()) {
  auto org =
      CreateIdentity(*HierName::Parse("O=Acme"), IdKind::kCertifier, spec, nullptr, kNow - 3600, kNow + 86400 * 365);
  REQUIRE(org.ok());
  auto server = CreateIdentity(*HierName::Parse("CN=Acme01/O=Acme"), IdKind::kServer, spec, &*org, kNow - 3600,
                               kNow + 86400 * 365);
  REQUIRE(server.ok());
  return std::move(server).value();
}

}  // namespace

TEST_CASE("the Internet certifier's root has the CA extensions, read back with OpenSSL getters", "[ca]") {
  FastKdf fast;
  InternetCertifierSpec spec = ArticleSpec();
  spec.key = GENERATE(KeySpec::Rsa2048(), KeySpec::EcdsaP256());
  spec.validity_years = 20;
  CAPTURE(spec.key.ToString());
  auto made = MakeInternetCertifier(spec, kNow);
  REQUIRE(made.ok());
  X509* root = made->id.notes_certificate();

  // basicConstraints: CA:TRUE, critical, no path length.
  int crit = 0;
  BasicConstraintsPtr bc(
      static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(root, NID_basic_constraints, &crit, nullptr)));
  REQUIRE(bc);
  CHECK(bc->ca != 0);
  CHECK(crit == 1);
  CHECK(bc->pathlen == nullptr);
  // keyUsage: exactly keyCertSign + cRLSign, critical.
  CHECK((X509_get_extension_flags(root) & EXFLAG_KUSAGE) != 0);
  CHECK(X509_get_key_usage(root) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  CHECK(ExtensionCritical(root, NID_key_usage));
  // subjectKeyIdentifier present, and no authorityKeyIdentifier-based issuer elsewhere.
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(root);
  REQUIRE(ski != nullptr);
  CHECK(ASN1_STRING_length(ski) == 20);
  // Self-signed root whose signature verifies with its own key.
  CHECK(X509_check_issued(root, root) == X509_V_OK);
  CHECK(X509_verify(root, X509_get0_pubkey(root)) == 1);
  CHECK(IsSelfSigned(root));
  CHECK(X509_get_version(root) == 2);
  // The subject carries every part, including those a Notes name cannot hold.
  CHECK(NameEntry(root, NID_commonName) == "Acme-Corp-Email");
  CHECK(NameEntry(root, NID_organizationName) == "Acme");
  CHECK(NameEntry(root, NID_organizationalUnitName) == "Mail");
  CHECK(NameEntry(root, NID_localityName) == "Boston");
  CHECK(NameEntry(root, NID_stateOrProvinceName) == "Massachusetts");
  CHECK(NameEntry(root, NID_countryName) == "US");
  CHECK(NameEntry(root, NID_pkcs9_emailAddress) == "ca@acme.example");
  // Validity: from an hour ago for 20 years (and a few leap days).
  CHECK(*NotBefore(root) == kNow - 3600);
  CHECK(*NotAfter(root) >= kNow + 20 * 365 * 86400);
  CHECK(*NotAfter(root) < kNow + 20 * 366 * 86400);
  // The certifier ID.
  CHECK(made->id.kind() == IdKind::kCertifier);
  CHECK(made->id.name().Canonical() == "CN=Acme-Corp-Email/OU=Mail/O=Acme/C=US");
  CHECK(made->id.TrustAnchors().size() == 1);
  CHECK(*made->id.Property("certifier_type") == "Internet");
  CHECK(made->random_hex.size() == 64);
  CHECK(*KeySpecOf(made->id.notes_key()) == spec.key);
}

TEST_CASE("certifier options are validated, naming the field", "[ca]") {
  struct Row {
    std::function<void(InternetCertifierSpec&)> change;
    const char* message;
  };
  auto row = GENERATE(values<Row>({
      {[](InternetCertifierSpec& s) { s.common_name = ""; }, "common name is required"},
      {[](InternetCertifierSpec& s) { s.common_name = "Acme/Evil"; }, "may not contain '/'"},
      {[](InternetCertifierSpec& s) { s.country = "USA"; }, "two-letter"},
      {[](InternetCertifierSpec& s) { s.email = "not-an-address"; }, "not an Internet address"},
      {[](InternetCertifierSpec& s) { s.icl_file = "../names.nsf"; }, "'..'"},
      {[](InternetCertifierSpec& s) { s.icl_file = "/etc/ICL.nsf"; }, "relative"},
      {[](InternetCertifierSpec& s) { s.icl_file = "names.nsf"; }, "server's own database"},
      {[](InternetCertifierSpec& s) { s.icl_file = "ICL_Acme.db"; }, "must end in .nsf"},
      {[](InternetCertifierSpec& s) { s.icl_file = "ICL Acme.nsf"; }, "only letters"},
      {[](InternetCertifierSpec& s) { s.validity_years = 0; }, "validity"},
      {[](InternetCertifierSpec& s) { s.crl_interval_hours = 24 * 7; }, "must be shorter than the CRL duration"},
      {[](InternetCertifierSpec& s) { s.caa.clear(); }, "at least one CAA"},
  }));
  InternetCertifierSpec spec = ArticleSpec();
  REQUIRE(spec.Validate().ok());
  row.change(spec);
  Status status = spec.Validate();
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(status.message(), Catch::Contains(row.message));
  CHECK(ValidateIclFileName("icl/ICL_Acme-Corp-Email.nsf").ok());
}

TEST_CASE("a spec survives the AdminP request parameters and the API's JSON", "[ca]") {
  InternetCertifierSpec spec = ArticleSpec();
  spec.protection = CertifierProtection::kPassword;
  spec.require_activation = true;
  spec.key = KeySpec::Rsa3072();
  spec.local_copy = true;
  spec.local_copy_file = "Acme-Corp-Email.id";
  AdminRequest request;
  spec.ToRequest(request);
  CHECK(request.target == "CN=Acme-Corp-Email/OU=Mail/O=Acme/C=US");
  auto back = InternetCertifierSpec::FromRequest(request);
  REQUIRE(back.ok());
  CHECK(back->ToJson() == spec.ToJson());
  auto from_json = InternetCertifierSpec::FromJson(spec.ToJson());
  REQUIRE(from_json.ok());
  CHECK(from_json->ToJson() == spec.ToJson());
  CHECK(spec.IdFileName() == "Acme-Corp-Email.id");

  nlohmann::json bad = spec.ToJson();
  bad["validity_years"] = "ten";
  CHECK(InternetCertifierSpec::FromJson(bad).status().code() == StatusCode::kInvalidArgument);
  // Issue 9 (fuzz_api_body): 4294967306 used to wrap to 10 and pass Validate().
  for (const char* body : {R"({"validity_years": 4294967306})", R"({"validity_years": 18446744073709551615})",
                           R"({"crl_duration_days": -4294967289})"}) {
    nlohmann::json wrapped = spec.ToJson();
    wrapped.update(nlohmann::json::parse(body));
    CAPTURE(body);
    CHECK(InternetCertifierSpec::FromJson(wrapped).status().code() == StatusCode::kInvalidArgument);
  }

  InternetCertifierSpec plain;
  plain.common_name = "Just CN";
  plain.country = "US";  // a HierName needs an O for a C: the Notes name keeps the CN
  CHECK(plain.NotesName().Canonical() == "CN=Just CN");
}

TEST_CASE("ID passwords follow the protection chosen", "[ca]") {
  CHECK(CertifierIdPassword(CertifierProtection::kServerId, "abcd", "", "", false) == "abcd");
  CHECK(CertifierIdPassword(CertifierProtection::kServerId, "abcd", "", "act", true) == "abcd:act");
  CHECK(CertifierIdPassword(CertifierProtection::kPassword, "", "secret", "ignored", true) == "secret");
}

TEST_CASE("a secret wrapped to the server ID unwraps only with the server ID", "[ca]") {
  FastKdf fast;
  KeySpec key = GENERATE(KeySpec::Rsa2048(), KeySpec::EcdsaP256());
  CAPTURE(key.ToString());
  IdFile server = MakeServerId(key);
  IdFile other = MakeServerId(key);
  std::string secret = std::string("random-password-\0-with-nul", 26);
  auto wrapped = WrapSecret(secret, server.notes_certificate());
  REQUIRE(wrapped.ok());
  CHECK(wrapped->find("random-password") == std::string::npos);
  auto unwrapped = UnwrapSecret(*wrapped, server.notes_key(), server.notes_certificate());
  REQUIRE(unwrapped.ok());
  CHECK(*unwrapped == secret);
  // A fresh wrap each time (random content key).
  CHECK(*WrapSecret(secret, server.notes_certificate()) != *wrapped);
  CHECK(UnwrapSecret(*wrapped, other.notes_key(), other.notes_certificate()).status().code() ==
        StatusCode::kPermissionDenied);
  CHECK(UnwrapSecret("garbage", server.notes_key(), server.notes_certificate()).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(UnwrapSecret(wrapped->substr(0, wrapped->size() / 2), server.notes_key(), server.notes_certificate())
            .status()
            .code() == StatusCode::kInvalidArgument);
}

TEST_CASE("ICL serial numbers are random, at least 64 bits, and never repeat", "[ca]") {
  TempDir dir;
  DatabaseSet databases;
  auto icl = OpenIcl(databases, dir.path / "ICL_Serials.nsf", true);
  REQUIRE(icl.ok());
  std::set<std::string> serials;
  for (int i = 0; i < 300; ++i) {
    auto serial = (*icl)->ReserveSerial("REQ");
    REQUIRE(serial.ok());
    CHECK(serial->size() == 32);  // 16 bytes: 127 random bits
    CHECK(serial->find_first_not_of("0123456789ABCDEF") == std::string::npos);
    CHECK(std::string("4567").find(serial->front()) != std::string::npos);  // positive, top byte 0x40..0x7F
    CHECK(serials.insert(*serial).second);
  }
  auto issued = (*icl)->Issued();
  REQUIRE(issued.ok());
  CHECK(issued->size() == 300);
  CHECK(issued->front().status == CertStatus::kReserved);
  // The same file is one handle per server.
  auto again = OpenIcl(databases, dir.path / "ICL_Serials.nsf", false);
  REQUIRE(again.ok());
  CHECK(again->get() == icl->get());
  CHECK(OpenIcl(databases, dir.path / "ICL_Missing.nsf", false).status().code() == StatusCode::kNotFound);
  CHECK(IclDatabase::Open(dir.path / "ICL_Missing.nsf", false).status().code() == StatusCode::kNotFound);
}

TEST_CASE("the ICL records an issued certificate under its reserved serial, and revocations reach the CRL", "[ca]") {
  FastKdf fast;
  TempDir dir;
  auto made = MakeInternetCertifier(ArticleSpec(), kNow);
  REQUIRE(made.ok());
  auto icl = IclDatabase::Open(dir.path / "ICL_Issue.nsf", true);
  REQUIRE(icl.ok());
  auto serial = (*icl)->ReserveSerial("REQ1");
  REQUIRE(serial.ok());
  auto key = GenerateKey(KeySpec::EcdsaP256());
  CertRequest request;
  request.subject = *HierName::Parse("CN=John Roe/O=Acme");
  request.public_key = key->get();
  request.serial_hex = *serial;
  request.not_before = kNow;
  request.not_after = kNow + 86400;
  request.key_usage = kKeyUsageDigitalSignature;
  auto cert = IssueCertificate(request, made->id.notes_key(), made->id.notes_certificate());
  REQUIRE(cert.ok());
  CHECK((*icl)->RecordIssued("00" + *serial, cert->get()).code() == StatusCode::kInvalidArgument);
  REQUIRE((*icl)->RecordIssued(*serial, cert->get()).ok());
  auto found = (*icl)->FindSerial(ToLowerAscii(*serial));
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->status == CertStatus::kValid);
  CHECK((*found)->subject == "CN=John Roe,O=Acme");

  IclConfig config;
  config.crl_duration_days = 7;
  auto first = IssueCrl(**icl, config, made->id.notes_certificate(), made->id.notes_key(), kNow, true);
  REQUIRE(first.ok());
  CHECK(first->number == 1);
  CHECK(first->revoked_count == 0);
  REQUIRE((*icl)->Revoke(*serial, kNow + 60, 1).ok());
  CHECK((*icl)->Revoke(*serial, kNow + 60, 1).code() == StatusCode::kInvalidArgument);
  auto second = IssueCrl(**icl, config, made->id.notes_certificate(), made->id.notes_key(), kNow + 120, false);
  REQUIRE(second.ok());
  CHECK(second->number == 2);
  CHECK(second->next_update == kNow + 120 + 7 * 86400);

  const unsigned char* der = reinterpret_cast<const unsigned char*>(second->der.data());
  X509CrlPtr crl(d2i_X509_CRL(nullptr, &der, static_cast<long>(second->der.size())));
  REQUIRE(crl);
  CHECK(X509_CRL_verify(crl.get(), X509_get0_pubkey(made->id.notes_certificate())) == 1);
  CHECK(X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(made->id.notes_certificate())) == 0);
  Asn1IntegerPtr number(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr)));
  REQUIRE(number);
  CHECK(ASN1_INTEGER_get(number.get()) == 2);
  X509_REVOKED* revoked = nullptr;
  CHECK(X509_CRL_get0_by_cert(crl.get(), &revoked, cert->get()) == 1);
  CHECK((*(*icl)->LatestCrl(true))->number == 1);
  CHECK((*(*icl)->LatestCrl(false))->number == 2);
  CrlRecord stale = *first;
  CHECK((*icl)->AddCrl(stale).status().code() == StatusCode::kAlreadyExists);
}

TEST_CASE("an ICL configuration is signed; revisions follow each other; an edit breaks the signature", "[ca]") {
  FastKdf fast;
  TempDir dir;
  auto made = MakeInternetCertifier(ArticleSpec(), kNow);
  REQUIRE(made.ok());
  auto icl = IclDatabase::Open(dir.path / "ICL_Config.nsf", true);
  REQUIRE(icl.ok());
  CHECK(!*(*icl)->LatestConfig());

  IclConfig config;
  config.certifier_name = "CN=Acme-Corp-Email/O=Acme";
  config.certificate_pem = *CertificateToPem(made->id.notes_certificate());
  config.caa = {"CN=Jane Admin/O=Acme"};
  config.ra = {"CN=Jane Admin/O=Acme"};
  config.wrapped_id_password = std::string("\x00\x01\x02", 3);
  config.request_unid = config.origin_request_unid = std::string(32, 'A');
  CHECK((*icl)->AddConfig(config).status().code() == StatusCode::kInvalidArgument);  // unsigned
  REQUIRE(SignIclConfig(config, made->id.notes_key()).ok());
  auto stored = (*icl)->AddConfig(config);
  REQUIRE(stored.ok());
  CHECK((*icl)->AddConfig(config).status().code() == StatusCode::kAlreadyExists);  // revision 1 again

  auto read = (*icl)->LatestConfig();
  REQUIRE(read.ok());
  REQUIRE(read->has_value());
  CHECK(VerifyIclConfig(**read, made->id.notes_key()).ok());
  IclConfig edited = **read;
  edited.ra.push_back("CN=Mallory/O=Acme");
  Status refused = VerifyIclConfig(edited, made->id.notes_key());
  CHECK(refused.code() == StatusCode::kPermissionDenied);
  CHECK_THAT(refused.message(), Catch::Contains("changed outside the CA"));
  auto stranger = MakeInternetCertifier(ArticleSpec(), kNow);
  CHECK(VerifyIclConfig(**read, stranger->id.notes_key()).code() == StatusCode::kPermissionDenied);

  IclConfig revision2 = **read;
  revision2.revision = 2;
  revision2.caa.push_back("CN=John Roe/O=Acme");
  REQUIRE(SignIclConfig(revision2, made->id.notes_key()).ok());
  REQUIRE((*icl)->AddConfig(revision2).ok());
  CHECK((*(*icl)->LatestConfig())->revision == 2);
  CHECK((*(*icl)->LatestConfig())->caa.size() == 2);
}
