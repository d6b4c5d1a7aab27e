// Interoperability of smime/ with real outside tools on this machine: `openssl cms`,
// `openssl smime` and GnuPG's gpgsm (an independent S/MIME implementation). The tests
// write temporary files and run the tools through std::system; see
// /work/shared/reference/interop-notes.md for the tool quirks handled here.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "pki/base64.h"
#include "pki/crypto.h"
#include "mime/mime_entity.h"
#include "smime/smime.h"
#include "tests/unit/smime_test_pki.h"
#include "tests/unit/unit_test_support.h"

namespace notesd::smime {
namespace {

using mime::MimeEntity;
using mime::ToCrlf;
using testing::SmimePki;
namespace fs = std::filesystem;

const char kEntity[] =
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Interop check: the quarterly figures.\r\n";

void WriteFile(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a shell command, output to `log`; returns its exit status.
int Run(const std::string& command, const fs::path& log) {
  std::string full = "(" + command + ") >'" + log.string() + "' 2>&1";
  int rc = std::system(full.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

struct Files {
  testing::TempDir dir{"notesd-smime-interop-"};
  fs::path Path(const std::string& name) const { return dir.path / name; }
  std::string Q(const std::string& name) const { return "'" + Path(name).string() + "'"; }
  Files() {
    const SmimePki& pki = SmimePki::Get();
    WriteFile(Path("root.pem"), *CertificateToPem(pki.root.get()));
    WriteFile(Path("ca.pem"), *CertificateToPem(pki.ca.get()));
    WriteFile(Path("alice.pem"), *CertificateToPem(pki.alice.cert.get()));
    WriteFile(Path("alice.key"), *PrivateKeyToPem(pki.alice.key.get()));
    WriteFile(Path("bob.pem"), *CertificateToPem(pki.bob.cert.get()));
    WriteFile(Path("bob.key"), *PrivateKeyToPem(pki.bob.key.get()));
    WriteFile(Path("entity.txt"), kEntity);
  }
};

std::string Message(const std::string& entity) {
  return *WrapAsMessage(entity, {{"From", "alice@example.com"}, {"To", "bob@example.com"}, {"Subject", "interop"}});
}

TEST_CASE("interop: openssl verifies our signature", "[smime][interop]") {
  const SmimePki& pki = SmimePki::Get();
  Files f;
  auto signed_entity = SignEntity(kEntity, pki.alice.cert.get(), pki.alice.key.get(), pki.Chain());
  REQUIRE(signed_entity.ok());
  WriteFile(f.Path("signed.eml"), Message(*signed_entity));
  for (std::string tool : {"cms", "smime"}) {
    CAPTURE(tool);
    int rc = Run("openssl " + tool + " -verify -CAfile " + f.Q("root.pem") + " -in " + f.Q("signed.eml") + " -out " +
                     f.Q("verified.txt"),
                 f.Path("log"));
    INFO(ReadFile(f.Path("log")));
    CHECK(rc == 0);
    CHECK(ReadFile(f.Path("verified.txt")).find("Interop check") != std::string::npos);
  }
  // An untrusted root: openssl refuses it too.
  WriteFile(f.Path("other.pem"), *CertificateToPem(pki.other_root.get()));
  CHECK(Run("openssl cms -verify -CAfile " + f.Q("other.pem") + " -in " + f.Q("signed.eml") + " -out /dev/null",
            f.Path("log")) != 0);
}

TEST_CASE("interop: openssl decrypts our encryption", "[smime][interop]") {
  const SmimePki& pki = SmimePki::Get();
  Files f;
  for (SmimeCipher cipher : {SmimeCipher::kAes256Cbc, SmimeCipher::kAes128Cbc}) {
    auto encrypted = EncryptEntity(kEntity, {pki.bob.cert.get(), pki.alice.cert.get()}, cipher);
    REQUIRE(encrypted.ok());
    WriteFile(f.Path("enc.eml"), Message(*encrypted));
    int rc = Run("openssl cms -decrypt -recip " + f.Q("bob.pem") + " -inkey " + f.Q("bob.key") + " -in " +
                     f.Q("enc.eml") + " -out " + f.Q("dec.txt"),
                 f.Path("log"));
    INFO(ReadFile(f.Path("log")));
    CHECK(rc == 0);
    CHECK(ReadFile(f.Path("dec.txt")) == kEntity);
    // The structure: classic EnvelopedData with RSA key transport.
    CHECK(Run("openssl cms -cmsout -print -in " + f.Q("enc.eml"), f.Path("print")) == 0);
    std::string printed = ReadFile(f.Path("print"));
    CHECK(printed.find("pkcs7-envelopedData") != std::string::npos);
    CHECK(printed.find(cipher == SmimeCipher::kAes256Cbc ? "aes-256-cbc" : "aes-128-cbc") != std::string::npos);
    CHECK(printed.find("rsaEncryption") != std::string::npos);
  }
}

TEST_CASE("interop: we read what openssl cms signs and encrypts", "[smime][interop]") {
  const SmimePki& pki = SmimePki::Get();
  Files f;
  SmimeKeys bob{{SmimeKey{pki.bob.cert.get(), pki.bob.key.get()}}};
  struct Case {
    const char* name;
    std::string command;
    LayerKind kind;
    bool opaque;
  };
  std::string sign = "-sign -signer " + f.Q("alice.pem") + " -inkey " + f.Q("alice.key") + " -certfile " +
                     f.Q("ca.pem") + " -in " + f.Q("entity.txt");
  Case cases[] = {
      {"detached", sign, LayerKind::kSigned, false},
      {"opaque", sign + " -nodetach", LayerKind::kSigned, true},
      {"encrypted", "-encrypt -aes256 -in " + f.Q("entity.txt") + " " + f.Q("bob.pem"), LayerKind::kEncrypted, false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    // -out first: openssl cms takes the recipient certificates last.
    int rc = Run("openssl cms -out " + f.Q("out.eml") + " " + c.command, f.Path("log"));
    INFO(ReadFile(f.Path("log")));
    REQUIRE(rc == 0);
    std::string message = "From: alice@example.com\nSubject: from openssl\n" + ReadFile(f.Path("out.eml"));
    auto report = ReadMessage(message, bob, pki.Roots(), pki.now);
    REQUIRE(report.ok());
    REQUIRE(report->layers.size() == 1);
    CHECK(report->layers[0].kind == c.kind);
    if (c.kind == LayerKind::kSigned) {
      CHECK(report->layers[0].signature.opaque == c.opaque);
      CHECK(report->layers[0].signature.status == SignatureStatus::kValid);
      CHECK(report->layers[0].signature.trusted);
      CHECK(report->layers[0].signature.signer_matches_from);
    } else {
      CHECK(report->layers[0].encrypted.decrypted);
    }
    REQUIRE(report->content_available);
    CHECK(ExtractContent(report->content).text.find("quarterly figures") != std::string::npos);
  }
  // openssl's sign-then-encrypt recipe (interop notes): sign without outer headers,
  // CRLF, then encrypt -binary.
  REQUIRE(Run("openssl cms " + sign + " -out " + f.Q("inner.eml"), f.Path("log")) == 0);
  WriteFile(f.Path("inner.eml"), ToCrlf(ReadFile(f.Path("inner.eml"))));
  REQUIRE(Run("openssl cms -encrypt -binary -aes256 -in " + f.Q("inner.eml") + " -out " + f.Q("both.eml") + " " +
                  f.Q("bob.pem"),
              f.Path("log")) == 0);
  auto report = ReadMessage(ReadFile(f.Path("both.eml")), bob, pki.Roots(), pki.now);
  REQUIRE(report.ok());
  REQUIRE(report->layers.size() == 2);
  CHECK(report->layers[0].encrypted.decrypted);
  CHECK(report->layers[1].signature.status == SignatureStatus::kValid);
  CHECK(report->AllSignaturesTrusted());
}

// gpgsm with its own GNUPGHOME: no dirmngr, no CRL checks, loopback pinentry, the test
// root trusted through trustlist.txt.
struct Gpgsm {
  Files& f;
  fs::path home;
  explicit Gpgsm(Files& files) : f(files), home(files.Path("gnupg")) {
    fs::create_directories(home);
    fs::permissions(home, fs::perms::owner_all, fs::perm_options::replace);
    WriteFile(home / "gpgsm.conf", "disable-dirmngr\ndisable-crl-checks\n");
    WriteFile(home / "gpg-agent.conf", "allow-loopback-pinentry\n");
  }
  ~Gpgsm() { Run("gpgconf --homedir '" + home.string() + "' --kill gpg-agent", f.Path("kill.log")); }
  std::string Cmd(const std::string& args) const {
    return "GNUPGHOME='" + home.string() + "' gpgsm --batch --pinentry-mode loopback " + args;
  }
};

TEST_CASE("interop: gpgsm verifies our signature and decrypts our encryption", "[smime][interop][gpgsm]") {
  if (std::system("command -v gpgsm >/dev/null 2>&1") != 0) {
    WARN("gpgsm is not installed: skipped");
    return;
  }
  const SmimePki& pki = SmimePki::Get();
  Files f;
  Gpgsm g(f);
  REQUIRE(Run(g.Cmd("--import " + f.Q("root.pem") + " " + f.Q("ca.pem")), f.Path("log")) == 0);
  std::string fingerprint = *CertificateFingerprint(pki.root.get(), DigestAlgorithm::kSha1, HexStyle::kColon);
  WriteFile(g.home / "trustlist.txt", fingerprint + " S relax\n");
  Run("GNUPGHOME='" + g.home.string() + "' gpg-connect-agent reloadagent /bye", f.Path("log"));

  // Verify: gpgsm takes the raw detached signature and the exact signed bytes.
  auto signed_entity = SignEntity(kEntity, pki.alice.cert.get(), pki.alice.key.get(), pki.Chain());
  REQUIRE(signed_entity.ok());
  MimeEntity outer = MimeEntity::Parse(*signed_entity);
  auto parts = outer.Parts();
  REQUIRE(parts.ok());
  REQUIRE(parts->size() == 2);
  WriteFile(f.Path("content.txt"), (*parts)[0]);
  WriteFile(f.Path("sig.p7s"), *MimeEntity::Parse((*parts)[1]).DecodedBody());
  Run(g.Cmd("--status-fd 1 --verify " + f.Q("sig.p7s") + " " + f.Q("content.txt")), f.Path("verify.log"));
  std::string status = ReadFile(f.Path("verify.log"));
  INFO(status);
  CHECK(status.find("[GNUPG:] GOODSIG") != std::string::npos);
  CHECK(status.find("[GNUPG:] VALIDSIG") != std::string::npos);
  CHECK((status.find("TRUST_FULLY") != std::string::npos || status.find("TRUST_ULTIMATE") != std::string::npos));

  // Decrypt: bob's key goes in as a legacy PKCS#12 (gpgsm 2.2 cannot read PBES2). gpgsm
  // refuses about one such file in 50 for its random salts: a refused one is made again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    REQUIRE(Run("openssl pkcs12 -export -in " + f.Q("bob.pem") + " -inkey " + f.Q("bob.key") +
                    " -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1 -passout pass:test -out " +
                    f.Q("bob.p12"),
                f.Path("log")) == 0);
    if (Run("echo test | " + g.Cmd("--passphrase-fd 0 --import " + f.Q("bob.p12")), f.Path("import.log")) == 0) break;
  }
  INFO(ReadFile(f.Path("import.log")));
  auto encrypted = EncryptEntity(kEntity, {pki.alice.cert.get(), pki.bob.cert.get()});
  REQUIRE(encrypted.ok());
  WriteFile(f.Path("enc.der"), *MimeEntity::Parse(*encrypted).DecodedBody());
  Run("echo test | " +
          g.Cmd("--passphrase-fd 0 --status-fd 2 --output " + f.Q("dec.txt") + " --decrypt " + f.Q("enc.der")),
      f.Path("decrypt.log"));
  std::string decrypt_status = ReadFile(f.Path("decrypt.log"));
  INFO(decrypt_status);
  CHECK(decrypt_status.find("DECRYPTION_OKAY") != std::string::npos);
  CHECK(ReadFile(f.Path("dec.txt")) == kEntity);

  // And the other way: gpgsm signs (detached) with bob's key; we verify.
  WriteFile(f.Path("entity.txt"), kEntity);
  int rc = Run("echo test | " + g.Cmd("--passphrase-fd 0 --include-certs -1 --detach-sign --output " + f.Q("gpg.p7s") +
                                      " " + f.Q("entity.txt")),
               f.Path("sign.log"));
  INFO(ReadFile(f.Path("sign.log")));
  REQUIRE(rc == 0);
  std::string message =
      "From: bob@example.com\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\";"
      " micalg=sha256; boundary=b1\r\n\r\n--b1\r\n" +
      std::string(kEntity) +
      "\r\n--b1\r\nContent-Type: application/pkcs7-signature\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      Base64Lines(ReadFile(f.Path("gpg.p7s"))) + "--b1--\r\n";
  auto report = ReadMessage(message, {}, pki.Roots(), pki.now);
  REQUIRE(report.ok());
  REQUIRE(report->layers.size() == 1);
  CHECK(report->layers[0].signature.status == SignatureStatus::kValid);
  CHECK(report->layers[0].signature.trusted);
  CHECK(report->layers[0].signature.signer_matches_from);
}

}  // namespace
}  // namespace notesd::smime
