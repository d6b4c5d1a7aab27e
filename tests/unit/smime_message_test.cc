// Unit tests for smime/smime.h and mime/mime_entity.h: sign, encrypt, read back, the
// variants other clients produce, tampering, recipient checks, and garbage input.
#include <algorithm>
#include <catch2/catch.hpp>

#include <random>

#include "pki/base64.h"
#include "mime/mime_entity.h"
#include "smime/smime.h"
#include "tests/unit/smime_test_pki.h"

namespace notesd::smime {
namespace {

using mime::MimeEntity;
using testing::SmimePki;

const char kEntity[] =
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 7bit\r\n"
    "\r\n"
    "Hello Bob,\r\n"
    "the quarterly figures are attached.\r\n";

std::string Outer(const std::string& from, const std::string& entity) {
  return *WrapAsMessage(entity, {{"From", "Alice Able <" + from + ">"},
                                 {"To", "bob@example.com"},
                                 {"Subject", "figures"},
                                 {"Date", "Mon, 1 Jan 2024 10:00:00 +0000"},
                                 {"Message-ID", "<1@example.com>"}});
}

std::string SignedMessage() {
  const SmimePki& pki = SmimePki::Get();
  auto signed_entity = SignEntity(kEntity, pki.alice.cert.get(), pki.alice.key.get(), pki.Chain());
  REQUIRE(signed_entity.ok());
  return Outer(pki.alice.email, *signed_entity);
}

SmimeKeys KeysOf(const testing::TestUser& u) { return SmimeKeys{{SmimeKey{u.cert.get(), u.key.get()}}}; }

// The base64 body of the part whose Content-Type contains `type`.
std::pair<std::size_t, std::size_t> Base64BodyRange(const std::string& message, const std::string& type) {
  std::size_t at = message.find(type);
  REQUIRE(at != std::string::npos);
  std::size_t start = message.find("\r\n\r\n", at) + 4;
  std::size_t end = message.find("\r\n--", start);
  if (end == std::string::npos) end = message.size();
  return {start, end};
}

TEST_CASE("smime: a signed message reads as valid and trusted", "[smime]") {
  const SmimePki& pki = SmimePki::Get();
  std::string message = SignedMessage();
  CHECK(message.find("protocol=\"application/pkcs7-signature\"") != std::string::npos);
  CHECK(message.find("micalg=sha-256") != std::string::npos);
  auto report = ReadMessage(message, {}, pki.Roots(), pki.now);
  REQUIRE(report.ok());
  REQUIRE(report->layers.size() == 1);
  const SignedLayer& s = report->layers[0].signature;
  CHECK(report->layers[0].kind == LayerKind::kSigned);
  CHECK(s.status == SignatureStatus::kValid);
  CHECK(s.trusted);
  CHECK(s.trust_detail.empty());
  CHECK_FALSE(s.opaque);
  CHECK(s.micalg == "sha-256");
  REQUIRE(s.signer);
  CHECK(X509_cmp(s.signer.get(), pki.alice.cert.get()) == 0);
  CHECK(s.certificates.size() == 2);  // alice and the intermediate CA
  REQUIRE(s.signing_time);
  CHECK(std::abs(*s.signing_time - pki.now) < 600);
  CHECK(s.signer_matches_from);
  CHECK(report->AllSignaturesTrusted());
  CHECK_FALSE(report->AnyTampered());
  REQUIRE(report->content_available);
  CHECK(report->content == kEntity);
  CHECK(ExtractContent(report->content).text == "Hello Bob,\r\nthe quarterly figures are attached.\r\n");
}

TEST_CASE("smime: From that differs from the signer is reported", "[smime]") {
  const SmimePki& pki = SmimePki::Get();
  auto signed_entity = SignEntity(kEntity, pki.alice.cert.get(), pki.alice.key.get(), pki.Chain());
  REQUIRE(signed_entity.ok());
  auto report = ReadMessage(Outer("ceo@example.com", *signed_entity), {}, pki.Roots(), pki.now);
  REQUIRE(report.ok());
  CHECK(report->layers[0].signature.status == SignatureStatus::kValid);
  CHECK_FALSE(report->layers[0].signature.signer_matches_from);
}

TEST_CASE("smime: a signature from an untrusted root is valid but untrusted", "[smime]") {
  const SmimePki& pki = SmimePki::Get();
  auto signed_entity = SignEntity(kEntity, pki.mallory.cert.get(), pki.mallory.key.get(), {});
  REQUIRE(signed_entity.ok());
  auto report = ReadMessage(Outer(pki.mallory.email, *signed_entity), {}, pki.Roots(), pki.now);
  REQUIRE(report.ok());
  const SignedLayer& s = report->layers[0].signature;
  CHECK(s.status == SignatureStatus::kValid);
  CHECK_FALSE(s.trusted);
  CHECK_FALSE(s.trust_detail.empty());
  CHECK_FALSE(report->AnyTampered());
  CHECK_FALSE(report->AllSignaturesTrusted());
}

TEST_CASE("smime: a changed byte in the signed body reads as tampered", "[smime]") {
  const SmimePki& pki = SmimePki::Get();
  std::string message = SignedMessage();
  std::size_t at = message.find("quarterly");
  REQUIRE(at != std::string::npos);
  message[at] = 'Q';
  auto report = ReadMessage(message, {}, pki.Roots(), pki.now);
  REQUIRE(report.ok());
  CHECK(report->layers[0].signature.status == SignatureStatus::kTampered);
  CHECK(report->layers[0].signature.status_detail.find("altered") != std::string::npos);
  CHECK(report->AnyTampered());
  CHECK_FALSE(report->AllSignaturesTrusted());
}

TEST_CASE("smime: a changed byte in the signature reads as tampered", "[smime]") {
  const SmimePki& pki = SmimePki::Get();
  std::string message = SignedMessage();
  auto [start, end] = Base64BodyRange(message, "application/pkcs7-signature; name");
  auto der = Base64DecodeMime(std::string_view(message).substr(start, end - start));
  REQUIRE(der.ok());
  // The RSA signature value is at the end of the SignerInfo, the last element.
  std::size_t offsets[] = {der->size() - 10, der->size() - 200};
  for (std::size_t offset : offsets) {
    std::string bad = *der;
    bad[offset] = static_cast<char>(bad[offset] ^ 0x01);
    std::string altered = message.substr(0, start) + Base64Lines(bad) + message.substr(end);
    auto report = ReadMessage(altered, {}, pki.Roots(), pki.now);
    REQUIRE(report.ok());
    REQUIRE(report->layers.size() == 1);
    CHECK(report->layers[0].signature.status == SignatureStatus::kTampered);
  }
}

TEST_CASE("smime: encrypted for two recipients, each decrypts, a third cannot", "[smime]") {
  const SmimePki& pki = SmimePki::Get();
  auto encrypted = EncryptEntity(kEntity, {pki.bob.cert.get(), pki.alice.cert.get()});
  REQUIRE(encrypted.ok());
  CHECK(encrypted->find("smime-type=enveloped-data") != std::string::npos);
  CHECK(encrypted->find("filename=\"smime.p7m\"") != std::string::npos);
  std::string message = Outer(pki.alice.email, *encrypted);
  for (const testing::TestUser* u : {&pki.bob, &pki.alice}) {
    auto report = ReadMessage(message, KeysOf(*u), pki.Roots(), pki.now);
    REQUIRE(report.ok());
    REQUIRE(report->layers.size() == 1);
    const EncryptedLayer& e = report->layers[0].encrypted;
    CHECK(e.decrypted);
    REQUIRE(e.recipients.size() == 2);
    // RecipientInfos is a DER SET OF: its order follows the encoded bytes, not the call.
    for (const testing::TestUser* r : {&pki.bob, &pki.alice}) {
      auto named = std::find_if(e.recipients.begin(), e.recipients.end(),
                                [&](const RecipientId& id) { return id.serial_hex == SerialHex(r->cert.get()); });
      REQUIRE(named != e.recipients.end());
      CHECK(named->issuer == SubjectText(pki.ca.get()));
      CHECK(named->is_mine == (u == r));
    }
    CHECK(report->content == kEntity);
  }
  auto report = ReadMessage(message, KeysOf(pki.carol), pki.Roots(), pki.now);
  REQUIRE(report.ok());
  const EncryptedLayer& e = report->layers[0].encrypted;
  CHECK_FALSE(e.decrypted);
  CHECK(e.error.find("not encrypted for you") != std::string::npos);
  CHECK(e.error.find(SerialHex(pki.bob.cert.get())) != std::string::npos);
  CHECK_FALSE(report->content_available);
  CHECK(report->content.empty());

  auto no_keys = ReadMessage(message, {}, pki.Roots(), pki.now);
  REQUIRE(no_keys.ok());
  CHECK(no_keys->layers[0].encrypted.error.find("no decryption key") != std::string::npos);
}

TEST_CASE("smime: AES-128 encryption reads back", "[smime]") {
  const SmimePki& pki = SmimePki::Get();
  auto encrypted = EncryptEntity(kEntity, {pki.bob.cert.get()}, SmimeCipher::kAes128Cbc);
  REQUIRE(encrypted.ok());
  auto report = ReadMessage(Outer(pki.alice.email, *encrypted), KeysOf(pki.bob), {}, pki.now);
  REQUIRE(report.ok());
  CHECK(report->layers[0].encrypted.decrypted);
  CHECK(report->content == kEntity);
}

TEST_CASE("smime: signed then encrypted, with an attachment inside the signed part", "[smime]") {
  const SmimePki& pki = SmimePki::Get();
  // The length from the array (the sanitized build caught a hand-counted 32 reading past
  // this 29-byte literal).
  static constexpr char kPdf[] = "%PDF-1.4\n\x00\x01\x02\xff binary \r\n bytes";
  std::string pdf(kPdf, sizeof kPdf - 1);
  std::string entity = ComposeEntity("See attached.\n", {{"figures.pdf", "application/pdf", pdf}}, "abc123");
  auto signed_entity = SignEntity(entity, pki.alice.cert.get(), pki.alice.key.get(), pki.Chain());
  REQUIRE(signed_entity.ok());
  auto encrypted = EncryptEntity(*signed_entity, {pki.bob.cert.get(), pki.alice.cert.get()});
  REQUIRE(encrypted.ok());
  auto report = ReadMessage(Outer(pki.alice.email, *encrypted), KeysOf(pki.bob), pki.Roots(), pki.now);
  REQUIRE(report.ok());
  REQUIRE(report->layers.size() == 2);
  CHECK(report->layers[0].kind == LayerKind::kEncrypted);
  CHECK(report->layers[0].encrypted.decrypted);
  CHECK(report->layers[1].kind == LayerKind::kSigned);
  CHECK(report->layers[1].signature.status == SignatureStatus::kValid);
  CHECK(report->layers[1].signature.trusted);
  CHECK(report->layers[1].signature.signer_matches_from);
  CHECK(report->AllSignaturesTrusted());
  MessageContent content = ExtractContent(report->content);
  CHECK(content.text == "See attached.\r\n");
  REQUIRE(content.attachments.size() == 1);
  CHECK(content.attachments[0].file_name == "figures.pdf");
  CHECK(content.attachments[0].content_type == "application/pdf");
  CHECK(content.attachments[0].bytes == pdf);
}

TEST_CASE("smime: LF-only line endings are accepted", "[smime]") {
  const SmimePki& pki = SmimePki::Get();
  std::string message = SignedMessage();
  std::string lf;
  for (char c : message)
    if (c != '\r') lf += c;
  auto report = ReadMessage(lf, {}, pki.Roots(), pki.now);
  REQUIRE(report.ok());
  REQUIRE(report->layers.size() == 1);
  CHECK(report->layers[0].signature.status == SignatureStatus::kValid);
  CHECK(report->layers[0].signature.trusted);

  auto encrypted = EncryptEntity(kEntity, {pki.bob.cert.get()});
  REQUIRE(encrypted.ok());
  std::string enc_lf;
  for (char c : Outer(pki.alice.email, *encrypted))
    if (c != '\r') enc_lf += c;
  auto decrypted = ReadMessage(enc_lf, KeysOf(pki.bob), {}, pki.now);
  REQUIRE(decrypted.ok());
  CHECK(decrypted->layers[0].encrypted.decrypted);
}

// An opaque signed-data entity built with OpenSSL directly (as other clients send it).
std::string OpaqueSigned(const std::string& content_type_line, bool base64 = true) {
  const SmimePki& pki = SmimePki::Get();
  BioPtr in(BIO_new_mem_buf(kEntity, static_cast<int>(sizeof kEntity - 1)));
  X509StackPtr certs(sk_X509_new_null());
  sk_X509_push(certs.get(), UpRef(pki.ca.get()).release());
  CmsContentInfoPtr cms(CMS_sign(pki.alice.cert.get(), pki.alice.key.get(), certs.get(), in.get(), CMS_BINARY));
  REQUIRE(cms);
  BioPtr out(BIO_new(BIO_s_mem()));
  REQUIRE(i2d_CMS_bio(out.get(), cms.get()) == 1);
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  std::string der(data, static_cast<std::size_t>(n));
  std::string entity = content_type_line + "\r\n";
  if (base64) entity += "Content-Transfer-Encoding: base64\r\n";
  entity += "\r\n" + (base64 ? Base64Lines(der) : der);
  return entity;
}

TEST_CASE("smime: opaque signed-data and its content-type variants", "[smime]") {
  const SmimePki& pki = SmimePki::Get();
  auto line = GENERATE(std::string("Content-Type: application/pkcs7-mime; smime-type=signed-data; name=\"smime.p7m\""),
                       std::string("Content-Type: application/x-pkcs7-mime; smime-type=signed-data; name=smime.p7m"),
                       std::string("Content-Type: application/pkcs7-mime; name=\"smime.p7m\""),
                       std::string("Content-Type: application/octet-stream;\r\n name=\"SMIME.P7M\""),
                       std::string("Content-Type: application/octet-stream\r\nContent-Disposition: attachment; "
                                   "filename=\"message.p7m\""));
  CAPTURE(line);
  auto report = ReadMessage(Outer(pki.alice.email, OpaqueSigned(line)), {}, pki.Roots(), pki.now);
  REQUIRE(report.ok());
  REQUIRE(report->layers.size() == 1);
  const SignedLayer& s = report->layers[0].signature;
  CHECK(s.opaque);
  CHECK(s.status == SignatureStatus::kValid);
  CHECK(s.trusted);
  CHECK(report->content == kEntity);
}

TEST_CASE("smime: an opaque signed message with altered content is tampered", "[smime]") {
  const SmimePki& pki = SmimePki::Get();
  std::string entity = OpaqueSigned("Content-Type: application/pkcs7-mime; smime-type=signed-data", false);
  std::size_t at = entity.find("quarterly");
  REQUIRE(at != std::string::npos);
  entity[at] = 'Q';
  auto report = ReadMessage(Outer(pki.alice.email, entity), {}, pki.Roots(), pki.now);
  REQUIRE(report.ok());
  CHECK(report->layers[0].signature.status == SignatureStatus::kTampered);
}

TEST_CASE("smime: x-pkcs7 and octet-stream variants of encrypted and detached signed mail", "[smime]") {
  const SmimePki& pki = SmimePki::Get();
  auto encrypted = EncryptEntity(kEntity, {pki.bob.cert.get()});
  REQUIRE(encrypted.ok());
  std::string body = encrypted->substr(encrypted->find("\r\n\r\n"));
  for (std::string header : {"Content-Type: application/x-pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n"
                             "Content-Transfer-Encoding: base64",
                             "Content-Type: application/octet-stream; name=\"smime.p7m\"\r\n"
                             "Content-Transfer-Encoding: BASE64"}) {
    auto report = ReadMessage(Outer(pki.alice.email, header + body), KeysOf(pki.bob), {}, pki.now);
    REQUIRE(report.ok());
    REQUIRE(report->layers.size() == 1);
    CHECK(report->layers[0].encrypted.decrypted);
    CHECK(report->content == kEntity);
  }
  // Detached signature as x-pkcs7-signature and as octet-stream .p7s, micalg in capitals.
  std::string message = SignedMessage();
  const std::string from = "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"";
  for (std::string to : {"Content-Type: application/x-pkcs7-signature; name=\"smime.p7s\"",
                         "Content-Type: application/octet-stream; name=\"smime.p7s\""}) {
    std::string variant = message;
    variant.replace(variant.find(from), from.size(), to);
    variant.replace(variant.find("micalg=sha-256"), 14, "micalg=SHA256");
    auto report = ReadMessage(variant, {}, pki.Roots(), pki.now);
    REQUIRE(report.ok());
    REQUIRE(report->layers.size() == 1);
    CHECK(report->layers[0].signature.status == SignatureStatus::kValid);
  }
}

TEST_CASE("smime: a message without S/MIME has no layers", "[smime]") {
  auto report = ReadMessage(Outer("a@b.example", kEntity), {}, {}, std::time(nullptr));
  REQUIRE(report.ok());
  CHECK(report->layers.empty());
  CHECK(report->content_available);
  CHECK_FALSE(report->IsSigned());
}

TEST_CASE("smime: PGP/MIME signed mail is not taken for S/MIME", "[smime]") {
  std::string pgp =
      "From: a@b.example\r\nContent-Type: multipart/signed; protocol=\"application/pgp-signature\";"
      " micalg=pgp-sha256; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x\r\n"
      "Content-Type: application/pgp-signature\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n--x--\r\n";
  auto report = ReadMessage(pgp, {}, {}, std::time(nullptr));
  REQUIRE(report.ok());
  CHECK(report->layers.empty());
  CHECK(report->content == pgp);
}

TEST_CASE("smime: signing refuses a key that does not match", "[smime]") {
  const SmimePki& pki = SmimePki::Get();
  auto r = SignEntity(kEntity, pki.alice.cert.get(), pki.bob.key.get(), {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK_FALSE(EncryptEntity(kEntity, {}).ok());
}

TEST_CASE("smime: split and wrap a composed message", "[smime]") {
  std::string plain =
      "From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: hi\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nHello\r\n";
  SplitResult split = SplitMessage(plain);
  REQUIRE(split.outer_headers.size() == 3);
  CHECK(split.outer_headers[0].name == "From");
  CHECK(split.entity == "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nHello\r\n");
  auto wrapped = WrapAsMessage(split.entity, split.outer_headers);
  REQUIRE(wrapped.ok());
  CHECK(*wrapped == plain);
  CHECK_FALSE(WrapAsMessage("x", {{"Subject", "a\r\nBcc: evil@x"}}).ok());
  CHECK_FALSE(WrapAsMessage("x", {{"Content-Type", "text/html"}}).ok());
}

TEST_CASE("smime: recipient certificate checks", "[smime]") {
  const SmimePki& pki = SmimePki::Get();
  RecipientCheckOptions trusted;
  trusted.trusted_roots = pki.Roots();
  trusted.intermediates = pki.Chain();
  CHECK(CheckRecipientCertificate(pki.bob.cert.get(), "Bob@Example.com", pki.now, trusted).ok());

  X509Ptr expired = pki.IssueUser(pki.bob.key.get(), "Bob Baker", {"bob@example.com"},
                                  kKeyUsageDigitalSignature | kKeyUsageKeyEncipherment, kExtKeyUsageEmailProtection,
                                  pki.now - 400 * 86400, pki.now - 35 * 86400);
  X509Ptr sign_only = pki.IssueUser(pki.bob.key.get(), "Bob Baker", {"bob@example.com"}, kKeyUsageDigitalSignature);
  X509Ptr tls_only = pki.IssueUser(pki.bob.key.get(), "Bob Baker", {"bob@example.com"},
                                   kKeyUsageDigitalSignature | kKeyUsageKeyEncipherment, kExtKeyUsageClientAuth);
  struct Case {
    X509* cert;
    const char* address;
    StatusCode code;
    const char* reason;
  };
  Case cases[] = {
      {nullptr, "bob@example.com", StatusCode::kNotFound, "no certificate"},
      {expired.get(), "bob@example.com", StatusCode::kInvalidArgument, "expired on"},
      {pki.bob.cert.get(), "robert@example.com", StatusCode::kInvalidArgument, "is for bob@example.com"},
      {sign_only.get(), "bob@example.com", StatusCode::kInvalidArgument, "keyEncipherment"},
      {tls_only.get(), "bob@example.com", StatusCode::kInvalidArgument, "emailProtection"},
      {pki.mallory.cert.get(), "mallory@other.example", StatusCode::kPermissionDenied, "not trusted"},
  };
  for (const Case& c : cases) {
    Status s = CheckRecipientCertificate(c.cert, c.address, pki.now, trusted);
    CAPTURE(s.message());
    CHECK(s.code() == c.code);
    CHECK(s.message().find(std::string("cannot encrypt to ") + c.address) != std::string::npos);
    CHECK(s.message().find(c.reason) != std::string::npos);
  }
  RecipientCheckOptions revoked;
  std::string bob_serial = SerialHex(pki.bob.cert.get());
  revoked.is_revoked = [&](X509* cert) { return SerialHex(cert) == bob_serial; };
  Status s = CheckRecipientCertificate(pki.bob.cert.get(), "bob@example.com", pki.now, revoked);
  CHECK(s.code() == StatusCode::kPermissionDenied);
  CHECK(s.message().find("revoked") != std::string::npos);

  auto chosen = ChooseRecipientCertificate("bob@example.com", {expired.get(), pki.bob.cert.get()}, pki.now, trusted);
  REQUIRE(chosen.ok());
  CHECK(*chosen == pki.bob.cert.get());
  auto none = ChooseRecipientCertificate("bob@example.com", {expired.get(), sign_only.get()}, pki.now, trusted);
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().message().find("none of its 2 certificates") != std::string::npos);
  CHECK(ChooseRecipientCertificate("bob@example.com", {}, pki.now).status().code() == StatusCode::kNotFound);
}

TEST_CASE("mime: content type parameters, folding, quoted boundary, encodings", "[smime][mime]") {
  std::string raw =
      "Content-Type: multipart/mixed;\n boundary=\"=_a b;c\"; charset=UTF-8\n"
      "Subject: x\n\npreamble\n--=_a b;c\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"
      "=46rom here=\n on=2E\n--=_a b;c\nContent-Type: application/pdf\nContent-Disposition: attachment;"
      " filename=\"../../etc/x.pdf\"\nContent-Transfer-Encoding: base64\n\nSGVs\nbG8=\n--=_a b;c--\nepilogue\n";
  MimeEntity e = MimeEntity::Parse(raw);
  CHECK(e.content_type().MediaType() == "multipart/mixed");
  CHECK(e.content_type().Param("boundary") == "=_a b;c");
  CHECK(e.content_type().Param("CHARSET") == "UTF-8");
  auto parts = e.Parts();
  REQUIRE(parts.ok());
  REQUIRE(parts->size() == 2);
  MessageContent content = ExtractContent(raw);
  CHECK(content.text == "From here on.");  // the last line break belongs to the boundary
  REQUIRE(content.attachments.size() == 1);
  CHECK(content.attachments[0].file_name == "x.pdf");
  CHECK(content.attachments[0].bytes == "Hello");
}

TEST_CASE("smime: garbage and truncated input never crash ReadMessage", "[smime][robust]") {
  const SmimePki& pki = SmimePki::Get();
  std::string signed_message = SignedMessage();
  auto encrypted =
      EncryptEntity(*SignEntity(kEntity, pki.alice.cert.get(), pki.alice.key.get(), {}), {pki.bob.cert.get()});
  REQUIRE(encrypted.ok());
  std::string encrypted_message = Outer(pki.alice.email, *encrypted);
  const unsigned seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 random(seed);
  SmimeKeys keys = KeysOf(pki.bob);
  for (const std::string* base : {&signed_message, &encrypted_message}) {
    for (int i = 0; i < 60; ++i) {
      std::string input = *base;
      // Truncate, flip bytes, or both.
      if (i % 2 == 0) input.resize(random() % input.size() + 1);
      for (int flips = static_cast<int>(random() % 4); flips > 0; --flips)
        input[random() % input.size()] = static_cast<char>(random());
      auto report = ReadMessage(input, keys, pki.Roots(), pki.now);
      if (report.ok()) {
        for (const SmimeLayer& l : report->layers) (void)l.signature.status;
      }
    }
  }
  for (int i = 0; i < 200; ++i) {
    std::string junk(random() % 400 + 1, '\0');
    for (char& c : junk) c = static_cast<char>(random());
    if (i % 3 == 0) junk = "Content-Type: multipart/signed; boundary=x\r\n\r\n--x\r\n" + junk + "\r\n--x\r\n" + junk;
    if (i % 3 == 1)
      junk = "Content-Type: application/pkcs7-mime\r\nContent-Transfer-Encoding: base64\r\n\r\n" + Base64Lines(junk);
    auto report = ReadMessage(junk, keys, pki.Roots(), pki.now);
    if (report.ok()) CHECK_FALSE(report->AllSignaturesTrusted());
  }
  CHECK_FALSE(ReadMessage("", keys, {}, pki.now).ok());
}

TEST_CASE("smime: nesting deeper than the limit is refused", "[smime][robust]") {
  const SmimePki& pki = SmimePki::Get();
  std::string entity = kEntity;
  for (std::size_t i = 0; i <= kMaxLayers; ++i) entity = *EncryptEntity(entity, {pki.bob.cert.get()});
  auto report = ReadMessage(entity, KeysOf(pki.bob), {}, pki.now);
  REQUIRE_FALSE(report.ok());
  CHECK(report.status().message().find("nests more than") != std::string::npos);
}

}  // namespace
}  // namespace notesd::smime
