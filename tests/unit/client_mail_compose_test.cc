// Tests of `notes mail send`'s message builder (client_cli/mail_compose.h).
#include <catch2/catch.hpp>

#include "client_cli/mail_compose.h"

namespace notesd::client {
namespace {

ComposeRequest Basic() {
  ComposeRequest r;
  r.from_name = "Jane Admin";
  r.from_address = "jane@acme.example";
  r.to = {"john@acme.example", "Sales"};
  r.subject = "Hello";
  r.body = "line one\nline two";
  r.date_seconds = 1767225600;  // Thu, 01 Jan 2026 00:00:00 +0000
  r.unique = "abc123";
  return r;
}

TEST_CASE("mail compose: a plain text message with CRLF lines", "[client][mail]") {
  auto m = ComposeMessage(Basic());
  REQUIRE(m.ok());
  CHECK(*m ==
        "From: Jane Admin <jane@acme.example>\r\n"
        "To: john@acme.example, Sales\r\n"
        "Subject: Hello\r\n"
        "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
        "Message-ID: <abc123@acme.example>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 7bit\r\n\r\n"
        "line one\r\nline two\r\n");
}

TEST_CASE("mail compose: non-ASCII subject and body, attachments", "[client][mail]") {
  ComposeRequest r = Basic();
  r.subject = "Caf\xc3\xa9";
  r.body = "d\xc3\xa9j\xc3\xa0 vu\r\n";
  r.attachments = {{"notes.txt", "abc"}, {"we\"ird.bin", std::string("\0\1\2", 3)}};
  auto m = ComposeMessage(r);
  REQUIRE(m.ok());
  CHECK(m->find("Subject: =?utf-8?B?Q2Fmw6k=?=\r\n") != std::string::npos);
  CHECK(m->find("Content-Type: multipart/mixed; boundary=\"=_notesd_abc123\"\r\n") != std::string::npos);
  CHECK(m->find("Content-Transfer-Encoding: 8bit\r\n\r\nd\xc3\xa9j\xc3\xa0 vu\r\n--=_notesd_abc123\r\n") !=
        std::string::npos);
  CHECK(m->find("Content-Type: text/plain; name=\"notes.txt\"\r\nContent-Transfer-Encoding: base64\r\n"
                "Content-Disposition: attachment; filename=\"notes.txt\"\r\n\r\nYWJj\r\n") != std::string::npos);
  CHECK(m->find("filename=\"we_ird.bin\"\r\n\r\nAAEC\r\n--=_notesd_abc123--\r\n") != std::string::npos);
}

TEST_CASE("mail compose: refuses header injection and no recipients", "[client][mail]") {
  ComposeRequest r = Basic();
  r.subject = "x\r\nBcc: victim@example.org";
  CHECK_FALSE(ComposeMessage(r).ok());
  r = Basic();
  r.to.clear();
  CHECK_FALSE(ComposeMessage(r).ok());
  r = Basic();
  r.to = {"a@b.example\nX: y"};
  CHECK_FALSE(ComposeMessage(r).ok());
}

}  // namespace
}  // namespace notesd::client
