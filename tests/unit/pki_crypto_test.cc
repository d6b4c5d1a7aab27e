// tests/unit/pki_crypto_test.cc — keys, codecs, certificate import, issuing and chain checks.
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <catch2/catch.hpp>

#include <ctime>
#include <map>
#include <string>

#include "pki/crypto.h"
#include "pki/hier_name.h"
#include "pki/x509_certs.h"
#include "tests/unit/unit_test_support.h"

namespace notesd {
namespace {

constexpr std::time_t kNow = 1'700'000'000;  // 2023-11-14, a fixed test clock.
constexpr std::time_t kDay = 24 * 60 * 60;

using testing::Must;
using testing::Name;

// Keys are slow to make (RSA especially): one per spec for the whole binary.
EVP_PKEY* SharedKey(const std::string& spec) {
  static std::map<std::string, EvpPkeyPtr> keys;
  EvpPkeyPtr& key = keys[spec];
  if (!key) key = Must(GenerateKey(Must(KeySpec::Parse(spec))));
  return key.get();
}

// A small PKI: O=Acme root -> OU=Sales/O=Acme certifier -> Jane Doe. Built once per
// binary (see Pki()), so that GENERATE tables made from it stay valid on every run.
struct TestPki {
  EVP_PKEY* root_key;
  EVP_PKEY* unit_key = SharedKey("ecdsa-p256");
  EVP_PKEY* leaf_key = SharedKey("rsa3072");
  X509Ptr root;
  X509Ptr unit;
  X509Ptr leaf;

  explicit TestPki(const std::string& root_key_spec) : root_key(SharedKey(root_key_spec)) {
    CertRequest root_request;
    root_request.subject = Name("O=Acme");
    root_request.public_key = root_key;
    root_request.not_before = kNow - kDay;
    root_request.not_after = kNow + 3650 * kDay;
    root_request.is_ca = true;
    root_request.key_usage = kKeyUsageKeyCertSign | kKeyUsageCrlSign;
    root = Must(IssueCertificate(root_request, root_key, nullptr));

    CertRequest unit_request;
    unit_request.subject = Name("OU=Sales/O=Acme");
    unit_request.public_key = unit_key;
    unit_request.not_before = kNow - kDay;
    unit_request.not_after = kNow + 1000 * kDay;
    unit_request.is_ca = true;
    unit_request.path_length = 0;
    unit_request.key_usage = kKeyUsageKeyCertSign | kKeyUsageCrlSign;
    unit = Must(IssueCertificate(unit_request, root_key, root.get()));

    CertRequest leaf_request;
    leaf_request.subject = Name("CN=Jane Doe/OU=Sales/O=Acme");
    leaf_request.public_key = leaf_key;
    leaf_request.serial_hex = "0123456789ABCDEF";
    leaf_request.not_before = kNow - kDay;
    leaf_request.not_after = kNow + 365 * kDay;
    leaf_request.key_usage = kKeyUsageDigitalSignature | kKeyUsageKeyEncipherment | kKeyUsageNonRepudiation;
    leaf_request.extended_key_usage = kExtKeyUsageEmailProtection | kExtKeyUsageClientAuth;
    leaf_request.emails = {"jane.doe@acme.example", "jd@acme.example"};
    leaf_request.dns_names = {"jane.acme.example"};
    leaf_request.crl_distribution_point = "http://ca.acme.example/sales.crl";
    leaf = Must(IssueCertificate(leaf_request, unit_key, unit.get()));
  }
};

const TestPki& Pki() {
  static const TestPki pki("rsa2048");
  return pki;
}
// Another O=Acme root, with a different key.
const TestPki& OtherPki() {
  static const TestPki pki("rsa4096");
  return pki;
}

std::string Pem(X509* cert) { return Must(CertificateToPem(cert)); }
std::string Der(X509* cert) { return Must(CertificateToDer(cert)); }

std::string Fingerprint(X509* cert) { return Must(CertificateFingerprint(cert, DigestAlgorithm::kSha256)); }

// A degenerate PKCS#7 SignedData (a .p7b bundle) built with OpenSSL's own PKCS7 API.
Pkcs7Ptr MakePkcs7(const std::vector<X509*>& certs) {
  Pkcs7Ptr p7(PKCS7_new());
  REQUIRE(p7);
  REQUIRE(PKCS7_set_type(p7.get(), NID_pkcs7_signed) == 1);
  REQUIRE(PKCS7_content_new(p7.get(), NID_pkcs7_data) == 1);
  for (X509* cert : certs) REQUIRE(PKCS7_add_certificate(p7.get(), cert) == 1);
  return p7;
}

std::string Pkcs7Der(PKCS7* p7) {
  unsigned char* out = nullptr;
  const int length = i2d_PKCS7(p7, &out);
  REQUIRE(length > 0);
  std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(length));
  OPENSSL_free(out);
  return der;
}

std::string Pkcs7Pem(PKCS7* p7) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_PKCS7(bio.get(), p7) == 1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

}  // namespace

// ---- Keys ----------------------------------------------------------------------------

TEST_CASE("every key spec generates a key of that kind", "[crypto]") {
  auto [text, algorithm, bits] = GENERATE(table<std::string, KeyAlgorithm, int>({
      {"rsa2048", KeyAlgorithm::kRsa, 2048},
      {"rsa3072", KeyAlgorithm::kRsa, 3072},
      {"rsa4096", KeyAlgorithm::kRsa, 4096},
      {"ecdsa-p256", KeyAlgorithm::kEcP256, 256},
      {"RSA2048", KeyAlgorithm::kRsa, 2048},
  }));
  KeySpec spec = Must(KeySpec::Parse(text));
  CHECK(spec.algorithm == algorithm);
  CHECK(spec.bits == bits);
  CHECK(Must(KeySpec::Parse(spec.ToString())) == spec);
  EVP_PKEY* key = SharedKey(spec.ToString());
  CHECK(EVP_PKEY_get_bits(key) == bits);
  CHECK(Must(KeySpecOf(key)) == spec);
}

TEST_CASE("unknown key specs are refused", "[crypto]") {
  const std::string text = GENERATE(as<std::string>{}, "", "rsa1024", "rsa", "ecdsa-p384", "ed25519");
  Result<KeySpec> spec = KeySpec::Parse(text);
  REQUIRE_FALSE(spec.ok());
  CHECK(spec.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(spec.status().message(), Catch::Contains("rsa2048"));
  CHECK_FALSE(GenerateKey(KeySpec{KeyAlgorithm::kRsa, 1024}).ok());
}

TEST_CASE("private and public keys round-trip through PEM and DER", "[crypto]") {
  const std::string spec = GENERATE(as<std::string>{}, "rsa2048", "ecdsa-p256");
  EVP_PKEY* key = SharedKey(spec);

  const std::string private_pem = Must(PrivateKeyToPem(key));
  CHECK_THAT(private_pem, Catch::StartsWith("-----BEGIN PRIVATE KEY-----"));
  EvpPkeyPtr from_pem = Must(PrivateKeyFromPem(private_pem));
  CHECK(PublicKeysEqual(from_pem.get(), key));
  CHECK(Must(PrivateKeyToPem(from_pem.get())) == private_pem);

  const std::string private_der = Must(PrivateKeyToDer(key));
  EvpPkeyPtr from_der = Must(PrivateKeyFromDer(private_der));
  CHECK(Must(PrivateKeyToDer(from_der.get())) == private_der);

  const std::string public_pem = Must(PublicKeyToPem(key));
  CHECK_THAT(public_pem, Catch::StartsWith("-----BEGIN PUBLIC KEY-----"));
  EvpPkeyPtr public_key = Must(PublicKeyFromPem(public_pem));
  CHECK(PublicKeysEqual(public_key.get(), key));
  EvpPkeyPtr public_from_der = Must(PublicKeyFromDer(Must(PublicKeyToDer(key))));
  CHECK(PublicKeysEqual(public_from_der.get(), key));

  CHECK_FALSE(PublicKeysEqual(key, SharedKey("rsa3072")));
  CHECK_FALSE(PublicKeysEqual(key, nullptr));
}

TEST_CASE("bad key encodings are refused, encrypted PEM without prompting", "[crypto]") {
  EVP_PKEY* key = SharedKey("rsa2048");
  BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_PKCS8PrivateKey(bio.get(), key, EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                        const_cast<char*>("secret")) == 1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  Result<EvpPkeyPtr> encrypted = PrivateKeyFromPem(std::string(data, static_cast<std::size_t>(length)));
  REQUIRE_FALSE(encrypted.ok());
  CHECK_THAT(encrypted.status().message(), Catch::Contains("encrypted"));

  CHECK_FALSE(PrivateKeyFromPem("").ok());
  CHECK_FALSE(PrivateKeyFromPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").ok());
  CHECK_FALSE(PrivateKeyFromDer("garbage").ok());
  std::string der_with_tail = Must(PrivateKeyToDer(key)) + "x";
  CHECK_THAT(PrivateKeyFromDer(der_with_tail).status().message(), Catch::Contains("trailing data"));
  CHECK_FALSE(PublicKeyFromDer(std::string("\x30\x03\x02\x01\x00", 5)).ok());
  CHECK_FALSE(PublicKeyFromPem(Must(PrivateKeyToPem(key))).ok());
}

// ---- Digests, hex, randomness -----------------------------------------------------------

TEST_CASE("digests, hex and constant-time compare", "[crypto]") {
  CHECK(HexEncode(Must(Digest(DigestAlgorithm::kSha256, "abc"))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(HexEncode(Must(Digest(DigestAlgorithm::kSha1, "abc"))) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(HexEncode(std::string("\x01\xab\xff", 3), HexStyle::kColon) == "01:AB:FF");
  CHECK(Must(HexDecode("01:AB:ff")) == std::string("\x01\xab\xff", 3));
  CHECK_FALSE(HexDecode("abc").ok());
  CHECK_FALSE(HexDecode("zz").ok());

  const std::string random = Must(RandomBytes(32));
  CHECK(random.size() == 32);
  CHECK(random != Must(RandomBytes(32)));
  CHECK(Must(RandomBytes(0)).empty());

  CHECK(ConstantTimeEquals("same", "same"));
  CHECK_FALSE(ConstantTimeEquals("same", "sane"));
  CHECK_FALSE(ConstantTimeEquals("same", "same!"));
  CHECK(ConstantTimeEquals("", ""));
}

TEST_CASE("certificate fingerprints in both styles", "[crypto]") {
  const TestPki& pki = Pki();
  const std::string der = Der(pki.leaf.get());
  CHECK(Fingerprint(pki.leaf.get()) == HexEncode(Must(Digest(DigestAlgorithm::kSha256, der))));
  const std::string sha1_colon = Must(CertificateFingerprint(pki.leaf.get(), DigestAlgorithm::kSha1, HexStyle::kColon));
  CHECK(sha1_colon.size() == 20 * 3 - 1);
  CHECK(sha1_colon == HexEncode(Must(Digest(DigestAlgorithm::kSha1, der)), HexStyle::kColon));
}

// ---- Certificate import ---------------------------------------------------------------

TEST_CASE("ParseCertificates detects DER, PEM and PKCS#7", "[crypto]") {
  const TestPki& pki = Pki();
  const std::vector<X509*> all = {pki.leaf.get(), pki.unit.get(), pki.root.get()};
  Pkcs7Ptr p7 = MakePkcs7(all);
  // What the table below captures (by copy): plain strings.
  const std::string leaf_der = Der(pki.leaf.get());
  const std::string root_der = Der(pki.root.get());
  const std::string leaf_pem = Pem(pki.leaf.get());
  const std::string unit_pem = Pem(pki.unit.get());
  const std::string root_pem = Pem(pki.root.get());
  const std::string key_pem = Must(PrivateKeyToPem(pki.root_key));
  const std::string p7_der = Pkcs7Der(p7.get());
  const std::string p7_pem = Pkcs7Pem(p7.get());

  auto [format, input, expected_count] = GENERATE_COPY(table<std::string, std::string, std::size_t>({
      {"DER", leaf_der, 1},
      {"concatenated DER", leaf_der + root_der, 2},
      {"PEM", leaf_pem, 1},
      {"PEM, several, with text around", "Subject: Jane\n" + leaf_pem + "junk\n" + unit_pem + key_pem + root_pem, 3},
      {"PKCS#7 DER", p7_der, 3},
      {"PKCS#7 PEM", p7_pem, 3},
  }));
  INFO(format);
  std::vector<X509Ptr> certs = Must(ParseCertificates(input));
  REQUIRE(certs.size() == expected_count);
  CHECK(Fingerprint(certs[0].get()) == Fingerprint(pki.leaf.get()));
  if (expected_count == 3) CHECK(Fingerprint(certs[2].get()) == Fingerprint(pki.root.get()));
}

TEST_CASE("ParseCertificates refuses garbage", "[crypto]") {
  const TestPki& pki = Pki();
  const std::string der = Der(pki.leaf.get());
  const std::string pem = Pem(pki.leaf.get());
  const std::string public_pem = Must(PublicKeyToPem(pki.leaf_key));
  auto [what, input] = GENERATE_COPY(table<std::string, std::string>({
      {"empty", ""},
      {"text", "hello, this is not a certificate"},
      {"binary", std::string("\x30\x82\xff\xff\x00\x01", 6)},
      {"cut DER", der.substr(0, der.size() / 2)},
      {"DER with a tail", der + "tail"},
      {"PEM with damaged base64", pem.substr(0, 40) + "!!!!" + pem.substr(44)},
      {"PEM without certificates", public_pem},
      {"cut PEM", pem.substr(0, pem.size() - 30)},
  }));
  INFO(what);
  Result<std::vector<X509Ptr>> certs = ParseCertificates(input);
  REQUIRE_FALSE(certs.ok());
  CHECK(certs.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("every prefix of a certificate bundle is handled without a crash", "[crypto]") {
  const TestPki& pki = Pki();
  Pkcs7Ptr p7 = MakePkcs7({pki.leaf.get(), pki.root.get()});
  const std::string bundle = Pkcs7Der(p7.get());
  const std::string pem = Pem(pki.leaf.get()) + Pem(pki.root.get());
  for (std::size_t length = 0; length < bundle.size(); ++length) {
    INFO("PKCS#7 prefix " << length);
    REQUIRE_FALSE(ParseCertificates(bundle.substr(0, length)).ok());
  }
  for (std::size_t length = 0; length < pem.size(); ++length) {
    Result<std::vector<X509Ptr>> certs = ParseCertificates(pem.substr(0, length));
    // A prefix holding the whole first block reads one; OpenSSL also accepts an END
    // line cut short in its last dashes, so the second may be read near the very end.
    INFO("PEM prefix " << length << " of " << pem.size() << ": " << certs.status().ToString());
    if (certs.ok()) REQUIRE((certs->size() == 1 || (certs->size() == 2 && length + 4 >= pem.size())));
  }
}

TEST_CASE("single certificates round-trip through PEM and DER", "[crypto]") {
  const TestPki& pki = Pki();
  X509Ptr from_pem = Must(CertificateFromPem(Pem(pki.leaf.get())));
  X509Ptr from_der = Must(CertificateFromDer(Der(pki.leaf.get())));
  CHECK(X509_cmp(from_pem.get(), pki.leaf.get()) == 0);
  CHECK(X509_cmp(from_der.get(), pki.leaf.get()) == 0);
  CHECK_FALSE(CertificateFromDer(Der(pki.leaf.get()) + "x").ok());
  CHECK_FALSE(CertificateFromPem("nothing").ok());
}

// ---- Issuing and inspecting ------------------------------------------------------------

TEST_CASE("issued certificates carry the requested fields and extensions", "[crypto][x509]") {
  const TestPki& pki = Pki();
  X509* leaf = pki.leaf.get();

  // Checked with OpenSSL's own getters first.
  CHECK(X509_get_version(leaf) == X509_VERSION_3);
  CHECK(X509_get_signature_nid(leaf) == NID_ecdsa_with_SHA256);  // Signed by the EC unit key.
  CHECK(X509_get_signature_nid(pki.root.get()) == NID_sha256WithRSAEncryption);
  CHECK(X509_get_key_usage(leaf) == (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT | KU_NON_REPUDIATION));
  CHECK(X509_get_extended_key_usage(leaf) == (XKU_SMIME | XKU_SSL_CLIENT));
  CHECK((X509_get_extension_flags(leaf) & EXFLAG_CA) == 0);
  CHECK((X509_get_extension_flags(pki.unit.get()) & EXFLAG_CA) != 0);
  CHECK(X509_get_pathlen(pki.unit.get()) == 0);
  REQUIRE(X509_get0_subject_key_id(leaf) != nullptr);
  REQUIRE(X509_get0_authority_key_id(leaf) != nullptr);
  CHECK(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf), X509_get0_subject_key_id(pki.unit.get())) == 0);
  CHECK(X509_get0_subject_key_id(pki.root.get()) != nullptr);
  CHECK(X509_get0_authority_key_id(pki.root.get()) == nullptr);  // Self-signed: no AKI.
  CHECK(X509_get_ext_by_NID(leaf, NID_basic_constraints, -1) >= 0);
  CHECK(X509_EXTENSION_get_critical(X509_get_ext(leaf, X509_get_ext_by_NID(leaf, NID_key_usage, -1))) == 1);
  CrlDistPointsPtr points(
      static_cast<CRL_DIST_POINTS*>(X509_get_ext_d2i(leaf, NID_crl_distribution_points, nullptr, nullptr)));
  REQUIRE(points);
  REQUIRE(sk_DIST_POINT_num(points.get()) == 1);
  GENERAL_NAMES* full_name = sk_DIST_POINT_value(points.get(), 0)->distpoint->name.fullname;
  int type = 0;
  auto* uri = static_cast<ASN1_STRING*>(GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(full_name, 0), &type));
  CHECK(type == GEN_URI);
  CHECK(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)), ASN1_STRING_length(uri)) ==
        "http://ca.acme.example/sales.crl");
  CHECK(X509_verify(leaf, pki.unit_key) == 1);

  // Then with ours.
  CHECK(SubjectText(leaf) == "CN=Jane Doe,OU=Sales,O=Acme");
  CHECK(IssuerText(leaf) == "OU=Sales,O=Acme");
  CHECK(SubjectCommonName(leaf) == "Jane Doe");
  CHECK(IssuerCommonName(leaf).empty());
  CHECK(SerialHex(leaf) == "0123456789ABCDEF");
  CHECK(Must(NotBefore(leaf)) == kNow - kDay);
  CHECK(Must(NotAfter(leaf)) == kNow + 365 * kDay);
  CHECK(SubjectAltEmails(leaf) == std::vector<std::string>{"jane.doe@acme.example", "jd@acme.example"});
  CHECK(SubjectAltDnsNames(leaf) == std::vector<std::string>{"jane.acme.example"});
  CHECK(KeyUsageFlags(leaf) == (kKeyUsageDigitalSignature | kKeyUsageKeyEncipherment | kKeyUsageNonRepudiation));
  CHECK(ExtendedKeyUsageFlags(leaf) == (kExtKeyUsageEmailProtection | kExtKeyUsageClientAuth));
  CHECK(KeyUsageFlags(pki.root.get()) == (kKeyUsageKeyCertSign | kKeyUsageCrlSign));
  CHECK_FALSE(ExtendedKeyUsageFlags(pki.root.get()).has_value());
  CHECK_FALSE(IsCa(leaf));
  CHECK(IsCa(pki.unit.get()));
  CHECK(PathLength(pki.unit.get()) == 0);
  CHECK_FALSE(PathLength(pki.root.get()).has_value());
  CHECK(IsSelfSigned(pki.root.get()));
  CHECK_FALSE(IsSelfSigned(pki.unit.get()));
  CHECK(Must(HierName::FromX509Name(X509_get_subject_name(leaf))).Canonical() == "CN=Jane Doe/OU=Sales/O=Acme");
}

TEST_CASE("random serials are positive, 16 bytes, and differ", "[crypto][x509]") {
  const TestPki first("ecdsa-p256");
  const TestPki second("ecdsa-p256");
  const std::string serial = SerialHex(first.root.get());
  CHECK(serial.size() == 32);
  CHECK(serial[0] <= '7');
  CHECK(serial != SerialHex(second.root.get()));
}

TEST_CASE("an X.509 subject of any attributes can be issued", "[crypto][x509]") {
  const TestPki& pki = Pki();
  CertRequest request;
  X509NamePtr subject(X509_NAME_new());
  REQUIRE(X509_NAME_add_entry_by_txt(subject.get(), "L", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Paris"),
                                     -1, -1, 0) == 1);
  REQUIRE(X509_NAME_add_entry_by_txt(subject.get(), "CN", MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>("Outside"), -1, -1, 0) == 1);
  request.subject = std::move(subject);
  request.public_key = SharedKey("ecdsa-p256");
  request.not_before = kNow;
  request.not_after = kNow + kDay;
  X509Ptr cert = Must(IssueCertificate(request, pki.root_key, pki.root.get()));
  CHECK(SubjectText(cert.get()) == "CN=Outside,L=Paris");
  CHECK(IssuerText(cert.get()) == "O=Acme");
  CHECK_FALSE(KeyUsageFlags(cert.get()).has_value());
}

TEST_CASE("bad certificate requests are refused", "[crypto][x509]") {
  const TestPki& pki = Pki();
  auto make_request = [&]() {
    CertRequest request;
    request.subject = Name("CN=Joe/O=Acme");
    request.public_key = SharedKey("rsa2048");
    request.not_before = kNow;
    request.not_after = kNow + kDay;
    return request;
  };
  auto [what, fragment] = GENERATE(table<std::string, std::string>({
      {"no key", "no public key"},
      {"times reversed", "ends before it starts"},
      {"path length without CA", "path length"},
      {"bad email", "not a valid email"},
      {"email with spaces", "not a valid email"},
      {"email with two @", "not a valid email"},
      {"email with comma injection", "not a valid email"},
      {"bad dns", "not a valid DNS name"},
      {"bad url", "CRL distribution point"},
      {"bad serial", "hex digits"},
      {"zero serial", "must not be zero"},
      {"issuer key mismatch", "does not match the issuer certificate"},
      {"self-signed with another key", "signed with its own key"},
  }));
  CertRequest request = make_request();
  EVP_PKEY* issuer_key = pki.root_key;
  X509* issuer_cert = pki.root.get();
  if (what == "no key") request.public_key = nullptr;
  if (what == "times reversed") request.not_after = request.not_before;
  if (what == "path length without CA") request.path_length = 1;
  if (what == "bad email") request.emails = {"no-at-sign"};
  if (what == "email with spaces") request.emails = {"jane doe@acme.example"};
  if (what == "email with two @") request.emails = {"a@b@acme.example"};
  if (what == "email with comma injection") request.emails = {"a@b.example,DNS:evil.example"};
  if (what == "bad dns") request.dns_names = {"bad name.example"};
  if (what == "bad url") request.crl_distribution_point = "not a url";
  if (what == "bad serial") request.serial_hex = "xyz";
  if (what == "zero serial") request.serial_hex = "00";
  if (what == "issuer key mismatch") issuer_key = pki.unit_key;
  if (what == "self-signed with another key") {
    issuer_key = pki.unit_key;
    issuer_cert = nullptr;
  }
  Result<X509Ptr> cert = IssueCertificate(request, issuer_key, issuer_cert);
  INFO(what << ": " << cert.status().ToString());
  REQUIRE_FALSE(cert.ok());
  CHECK(cert.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(cert.status().message(), Catch::Contains(fragment));
}

// ---- Chain verification ------------------------------------------------------------------

TEST_CASE("a chain verifies against its root", "[crypto][x509]") {
  const TestPki& pki = Pki();
  CHECK(VerifyChain(pki.leaf.get(), {pki.root.get()}, {pki.unit.get()}, kNow).ok());
  CHECK(VerifyChain(pki.leaf.get(), {pki.root.get()}, {pki.unit.get()}, kNow, CertPurpose::kSmimeSign).ok());
  CHECK(VerifyChain(pki.leaf.get(), {pki.root.get()}, {pki.unit.get()}, kNow, CertPurpose::kTlsClient).ok());
  CHECK(VerifyChain(pki.unit.get(), {pki.root.get()}, {}, kNow).ok());
  CHECK(VerifyChain(pki.root.get(), {pki.root.get()}, {}, kNow).ok());
}

TEST_CASE("chain verification failures say why", "[crypto][x509]") {
  const TestPki& pki = Pki();
  const TestPki& other = OtherPki();
  auto [what, fragment] = GENERATE(table<std::string, std::string>({
      {"expired", "certificate has expired"},
      {"not yet valid", "certificate is not yet valid"},
      {"wrong root", "unable to get local issuer certificate"},
      {"no roots", "unable to get local issuer certificate"},
      {"missing intermediate", "unable to get local issuer certificate"},
      {"wrong purpose", "unsuitable certificate purpose"},
  }));
  std::vector<X509*> roots = {pki.root.get()};
  std::vector<X509*> intermediates = {pki.unit.get()};
  std::time_t at = kNow;
  std::optional<CertPurpose> purpose;
  if (what == "expired") at = kNow + 400 * kDay;
  if (what == "not yet valid") at = kNow - 2 * kDay;
  if (what == "wrong root") roots = {other.root.get()};
  if (what == "no roots") roots.clear();
  if (what == "missing intermediate") intermediates.clear();
  if (what == "wrong purpose") purpose = CertPurpose::kTlsServer;
  Status verified = VerifyChain(pki.leaf.get(), roots, intermediates, at, purpose);
  INFO(what << ": " << verified.ToString());
  REQUIRE_FALSE(verified.ok());
  CHECK(verified.code() == StatusCode::kPermissionDenied);
  CHECK_THAT(verified.message(), Catch::Contains(fragment));
  CHECK_THAT(verified.message(), Catch::Contains("CN=Jane Doe,OU=Sales,O=Acme"));
  CHECK(VerifyChain(nullptr, roots, intermediates, at).code() == StatusCode::kInvalidArgument);
}

}  // namespace notesd
