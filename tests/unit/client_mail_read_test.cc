// tests/unit/client_mail_read_test.cc — what `notes mail read` shows, replaying mail the
// interop tests (tests/integration/test_smime_interop.py) received from real outside
// programs: s-nail's quoted-printable plain mail and `openssl cms -encrypt` content, both
// CRLF as they arrive over SMTP.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "client_cli/cli_output.h"
#include "client_cli/mail_smime.h"

namespace notesd::client {
namespace {

// s-nail 14.9.24's plain message as our SMTP listener stored it (Date and Message-ID as sent).
constexpr char kSnailPlain[] =
    "Date: Sun, 29 Nov 2026 05:39:10 +0000\r\n"
    "From: Outside Person <outside@example.org>\r\n"
    "To: jane@acme.example\r\n"
    "Subject: Plain from s-nail\r\n"
    "Message-ID: <20261129053910.yTODqYeu@client.example.org>\r\n"
    "User-Agent: s-nail v14.9.24\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Hello from s-nail.\r\n"
    "=46rom here on, a line that mbox would quote.\r\n"
    "=2E\r\n"
    "The end.\r\n";

TEST_CASE("mail read: plain mail shows its decoded text, not its header block", "[client][mail]") {
  // Before: the raw message was printed, headers and "=46rom" included, every CR as \x0D.
  CHECK(RenderContent(kSnailPlain) == "Hello from s-nail.\nFrom here on, a line that mbox would quote.\n.\nThe end.\n");
}

TEST_CASE("mail read: CRLF text from an S/MIME layer shows without \\x0D", "[client][mail]") {
  // The entity `openssl cms -encrypt` wrapped, as decrypted.
  CHECK(RenderContent("Content-Type: text/plain\r\n\r\nSealed with openssl cms.\r\n") == "Sealed with openssl cms.\n");
  CHECK(RenderContent("Content-Type: text/plain\r\n\r\nno final line break") == "no final line break\n");
  // Attachments are listed after the text.
  std::string mixed =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
      "--b\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Transfer-Encoding: "
      "base64\r\n\r\nQUJD\r\n--b--\r\n";
  CHECK(RenderContent(mixed) == "See attached.\nAttachment: r.pdf (application/pdf, 3 bytes)\n");
}

TEST_CASE("console output: CRLF is a line break, a lone CR and other controls stay escaped", "[client][output]") {
  CHECK(SanitizeOutput("a\r\nb\n\tc") == "a\nb\n\tc");
  CHECK(SanitizeOutput("over\rwrite") == "over\\x0Dwrite");
  CHECK(SanitizeOutput("end\r") == "end\\x0D");
  CHECK(SanitizeOutput("\x1b[31mred") == "\\x1B[31mred");
  CHECK(Sanitize("a\r\nb") == "a\\x0D\\nb");  // single-line fields keep escaping both
}

TEST_CASE("mail read: an encrypted-only message says it is not signed", "[client][mail]") {
  // `openssl cms -encrypt` without signing: the description used to omit "Signed".
  JudgedMessage judged;
  smime::SmimeLayer layer;
  layer.kind = smime::LayerKind::kEncrypted;
  layer.encrypted.decrypted = true;
  judged.report.layers.push_back(std::move(layer));
  judged.verdicts.emplace_back();
  std::vector<std::pair<std::string, std::string>> lines = DescribeSmime(judged, {});
  CHECK(std::find(lines.begin(), lines.end(), std::pair<std::string, std::string>{"Signed", "no"}) != lines.end());
  CHECK(std::find(lines.begin(), lines.end(), std::pair<std::string, std::string>{"Encrypted", "no"}) == lines.end());
}

}  // namespace
}  // namespace notesd::client
