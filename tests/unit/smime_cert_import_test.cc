// Unit tests for smime/cert_import.h: DER, PEM, PKCS#7 bundles, PKCS#12, and the
// messages for files that are not what they should be.
#include <catch2/catch.hpp>

#include <openssl/pem.h>

#include <random>

#include "pki/crypto.h"
#include "smime/cert_import.h"
#include "tests/unit/smime_test_pki.h"

namespace notesd::smime {
namespace {

using testing::SmimePki;

std::string Pkcs7Der(const std::vector<X509*>& certs) {
  X509StackPtr stack(sk_X509_new_null());
  for (X509* c : certs) sk_X509_push(stack.get(), UpRef(c).release());
  // A degenerate SignedData ("certs-only"), as `openssl crl2pkcs7 -nocrl` writes it.
  Pkcs7Ptr p7(PKCS7_sign(nullptr, nullptr, stack.get(), nullptr, PKCS7_PARTIAL));
  REQUIRE(p7);
  BioPtr out(BIO_new(BIO_s_mem()));
  REQUIRE(i2d_PKCS7_bio(out.get(), p7.get()) == 1);
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string Pkcs12(const testing::TestUser& user, const char* password) {
  const SmimePki& pki = SmimePki::Get();
  X509StackPtr ca(sk_X509_new_null());
  sk_X509_push(ca.get(), UpRef(pki.ca.get()).release());
  Pkcs12Ptr p12(PKCS12_create(password, "user", user.key.get(), user.cert.get(), ca.get(), 0, 0, 0, 0, 0));
  REQUIRE(p12);
  BioPtr out(BIO_new(BIO_s_mem()));
  REQUIRE(i2d_PKCS12_bio(out.get(), p12.get()) == 1);
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

TEST_CASE("cert import: DER, PEM chain and PKCS#7 bundles", "[smime][certs]") {
  const SmimePki& pki = SmimePki::Get();
  std::string der = *CertificateToDer(pki.bob.cert.get());
  auto one = ReadCertificates(der, "bob.cer");
  REQUIRE(one.ok());
  REQUIRE(one->size() == 1);
  CHECK(X509_cmp((*one)[0].get(), pki.bob.cert.get()) == 0);

  std::string pem = "Bag Attributes: junk before the block\n" + *CertificateToPem(pki.bob.cert.get()) +
                    *CertificateToPem(pki.ca.get()) + *CertificateToPem(pki.root.get());
  auto chain = ReadCertificates(pem, "chain.pem");
  REQUIRE(chain.ok());
  REQUIRE(chain->size() == 3);
  CHECK(X509_cmp((*chain)[2].get(), pki.root.get()) == 0);

  std::string p7 = Pkcs7Der({pki.bob.cert.get(), pki.ca.get()});
  auto bundle = ReadCertificates(p7, "bob.p7b");
  REQUIRE(bundle.ok());
  CHECK(bundle->size() == 2);

  BioPtr in(BIO_new_mem_buf(p7.data(), static_cast<int>(p7.size())));
  Pkcs7Ptr parsed(d2i_PKCS7_bio(in.get(), nullptr));
  BioPtr out(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_PKCS7(out.get(), parsed.get()) == 1);
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  auto pem_bundle = ReadCertificates(std::string(data, static_cast<std::size_t>(n)), "bob.p7c");
  REQUIRE(pem_bundle.ok());
  CHECK(pem_bundle->size() == 2);
}

TEST_CASE("cert import: bad files say what is wrong", "[smime][certs]") {
  const SmimePki& pki = SmimePki::Get();
  std::string der = *CertificateToDer(pki.bob.cert.get());
  struct Case {
    std::string bytes;
    const char* expected;
  };
  std::string pem = *CertificateToPem(pki.bob.cert.get());
  std::string broken_pem = pem.substr(0, pem.size() / 2) + "\n-----END CERTIFICATE-----\n";
  Case cases[] = {
      {"", "bob.cer: the file is empty"},
      {der.substr(0, der.size() - 100), "truncated DER"},
      {"this is a text file\nnothing to see\n", "not a certificate"},
      {std::string("\x30\x03\x02\x01\x05", 5), "not a certificate"},
      {Pkcs12(pki.bob, "secret"), "PKCS#12"},
      {*PrivateKeyToPem(pki.bob.key.get()), "private key but no certificate"},
      {broken_pem, "damaged or truncated"},
      {Pkcs7Der({}), "holds no certificate"},
  };
  for (const Case& c : cases) {
    auto r = ReadCertificates(c.bytes, "bob.cer");
    REQUIRE_FALSE(r.ok());
    CAPTURE(r.status().message());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(r.status().message().rfind("bob.cer: ", 0) == 0);
    CHECK(r.status().message().find(c.expected) != std::string::npos);
  }
}

TEST_CASE("cert import: PKCS#12 with key and chain, wrong password", "[smime][certs]") {
  const SmimePki& pki = SmimePki::Get();
  std::string p12 = Pkcs12(pki.alice, "correct horse");
  auto ok = ReadPkcs12(p12, "correct horse", "alice.p12");
  REQUIRE(ok.ok());
  CHECK(X509_cmp(ok->cert.get(), pki.alice.cert.get()) == 0);
  CHECK(PublicKeysEqual(ok->key.get(), pki.alice.key.get()));
  REQUIRE(ok->chain.size() == 1);
  CHECK(X509_cmp(ok->chain[0].get(), pki.ca.get()) == 0);

  auto wrong = ReadPkcs12(p12, "battery staple", "alice.p12");
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().code() == StatusCode::kPermissionDenied);
  CHECK(wrong.status().message() == "alice.p12: wrong password");

  auto not_p12 = ReadPkcs12(*CertificateToPem(pki.alice.cert.get()), "", "alice.pem");
  REQUIRE_FALSE(not_p12.ok());
  CHECK(not_p12.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("cert import: random and truncated input never crashes", "[smime][certs][robust]") {
  const SmimePki& pki = SmimePki::Get();
  std::string inputs[] = {*CertificateToDer(pki.bob.cert.get()), *CertificateToPem(pki.bob.cert.get()),
                          Pkcs7Der({pki.bob.cert.get()}), Pkcs12(pki.bob, "x")};
  const unsigned seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 random(seed);
  for (const std::string& base : inputs) {
    for (int i = 0; i < 100; ++i) {
      std::string input = base;
      if (i % 2 == 0) input.resize(random() % input.size());
      for (int flips = static_cast<int>(random() % 3); flips > 0 && !input.empty(); --flips)
        input[random() % input.size()] = static_cast<char>(random());
      auto certs = ReadCertificates(input, "fuzz.cer");
      if (!certs.ok()) CHECK(certs.status().code() == StatusCode::kInvalidArgument);
      auto p12 = ReadPkcs12(input, "x", "fuzz.p12");
      (void)p12.ok();
    }
  }
}

}  // namespace
}  // namespace notesd::smime

TEST_CASE("smime: a 3DES PKCS#12 salt with a zero byte is found (gpgsm 2.2 cannot read it)", "[smime]") {
  const std::string pbe_3des("\x06\x0A\x2A\x86\x48\x86\xF7\x0D\x01\x0C\x01\x03\x30\x0E\x04\x08", 16);
  const std::string iterations("\x02\x02\x08\x00", 4);
  std::string good = "\x30\x82" + pbe_3des + std::string("\x11\x22\x33\x44\x55\x66\x77\x88", 8) + iterations;
  std::string bad = good + pbe_3des + std::string("\x30\x52\x34\x00\x96\x53\x14\x73", 8) + iterations;
  CHECK_FALSE(notesd::smime::HasGpgsmUnreadableSalt(good));
  CHECK(notesd::smime::HasGpgsmUnreadableSalt(bad));
  CHECK_FALSE(notesd::smime::HasGpgsmUnreadableSalt(""));
  CHECK_FALSE(notesd::smime::HasGpgsmUnreadableSalt(pbe_3des));  // cut before its salt
}
