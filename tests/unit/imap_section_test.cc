// Tests of FETCH body sections (imap/imap_section.h): part numbers through multiparts
// and enclosed messages, HEADER / HEADER.FIELDS[.NOT] / TEXT / MIME, partial ranges.
#include <catch2/catch.hpp>

#include <string>

#include "imap/imap_parser.h"
#include "imap/imap_section.h"

namespace notesd::imap {
namespace {

std::string Crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

// The section of "BODY[<spec>]" as the parser reads it.
Section SectionOf(const std::string& spec) {
  auto parsed = ParseCommand("a FETCH 1 BODY[" + spec + "]");
  REQUIRE(std::holds_alternative<Command>(parsed));
  return std::get<FetchArgs>(std::get<Command>(parsed).args).attributes.at(0).section;
}

std::optional<std::string> Extract(std::string_view message, const std::string& spec) {
  return ExtractSection(message, SectionOf(spec));
}

const std::string kInner = Crlf(
    "Subject: inner\n"
    "From: x@y.example\n"
    "\n"
    "inner body\n");

const std::string kMessage = Crlf(
                                 "From: Jane <jane@acme.example>\n"
                                 "To: bob@outside.example\n"
                                 "Subject: parts\n"
                                 " folded\n"
                                 "MIME-Version: 1.0\n"
                                 "Content-Type: multipart/mixed; boundary=\"b1\"\n"
                                 "\n"
                                 "--b1\n"
                                 "Content-Type: text/plain\n"
                                 "\n"
                                 "first\n"
                                 "--b1\n"
                                 "Content-Type: multipart/alternative; boundary=b2\n"
                                 "\n"
                                 "--b2\n"
                                 "Content-Type: text/plain\n"
                                 "\n"
                                 "alt text\n"
                                 "--b2\n"
                                 "Content-Type: text/html\n"
                                 "\n"
                                 "<p>alt</p>\n"
                                 "--b2--\n"
                                 "--b1\n"
                                 "Content-Type: message/rfc822\n"
                                 "\n") +
                             kInner + Crlf("--b1--\n");

}  // namespace

TEST_CASE("body sections of a multipart message", "[imap]") {
  CHECK(Extract(kMessage, "") == kMessage);
  const std::string header = kMessage.substr(0, kMessage.find("\r\n\r\n") + 4);
  CHECK(Extract(kMessage, "HEADER") == header);
  CHECK(Extract(kMessage, "TEXT") == kMessage.substr(header.size()));
  CHECK(Extract(kMessage, "HEADER.FIELDS (subject TO)") ==
        Crlf("To: bob@outside.example\nSubject: parts\n folded\n\n"));
  CHECK(Extract(kMessage, "HEADER.FIELDS.NOT (Subject To MIME-Version Content-Type)") ==
        Crlf("From: Jane <jane@acme.example>\n\n"));
  CHECK(Extract(kMessage, "HEADER.FIELDS (X-Absent)") == "\r\n");

  CHECK(Extract(kMessage, "1") == "first");
  CHECK(Extract(kMessage, "1.MIME") == Crlf("Content-Type: text/plain\n\n"));
  CHECK(Extract(kMessage, "2.1") == "alt text");
  CHECK(Extract(kMessage, "2.2") == "<p>alt</p>");
  CHECK(Extract(kMessage, "2.2.MIME") == Crlf("Content-Type: text/html\n\n"));
  // Part 3 is an enclosed message: 3 is all of it, 3.HEADER / 3.TEXT its parts, and its
  // part 1 (it is not multipart) its body.
  const std::string inner = kInner.substr(0, kInner.size() - 2);  // the CRLF before "--b1--" is the boundary's
  CHECK(Extract(kMessage, "3") == inner);
  CHECK(Extract(kMessage, "3.HEADER") == Crlf("Subject: inner\nFrom: x@y.example\n\n"));
  CHECK(Extract(kMessage, "3.TEXT") == "inner body");
  CHECK(Extract(kMessage, "3.HEADER.FIELDS (FROM)") == Crlf("From: x@y.example\n\n"));
  CHECK(Extract(kMessage, "3.1") == "inner body");
  CHECK(Extract(kMessage, "3.MIME") == Crlf("Content-Type: message/rfc822\n\n"));

  // Sections that do not exist.
  CHECK_FALSE(Extract(kMessage, "4"));
  CHECK_FALSE(Extract(kMessage, "2.3"));
  CHECK_FALSE(Extract(kMessage, "1.1"));
  CHECK_FALSE(Extract(kMessage, "1.HEADER"));  // part 1 is no message
  CHECK_FALSE(Extract(kMessage, "3.2"));
}

TEST_CASE("body sections of a single-part message", "[imap]") {
  const std::string message = Crlf("Subject: one\n\nthe body\nline two\n");
  CHECK(Extract(message, "1") == Crlf("the body\nline two\n"));
  CHECK(Extract(message, "TEXT") == Crlf("the body\nline two\n"));
  CHECK(Extract(message, "HEADER") == Crlf("Subject: one\n\n"));
  CHECK_FALSE(Extract(message, "2"));
  CHECK_FALSE(Extract(message, "1.1"));
  // Bare LF line ends are cut the same way.
  CHECK(Extract("Subject: lf\n\nbody\n", "HEADER") == "Subject: lf\n\n");
  CHECK(Extract("Subject: lf\n\nbody\n", "TEXT") == "body\n");
}

TEST_CASE("partial ranges", "[imap]") {
  CHECK(ApplyPartial("0123456789", std::nullopt) == "0123456789");
  CHECK(ApplyPartial("0123456789", Partial{0, 4}) == "0123");
  CHECK(ApplyPartial("0123456789", Partial{8, 100}) == "89");
  CHECK(ApplyPartial("0123456789", Partial{10, 1}).empty());
  CHECK(ApplyPartial("0123456789", Partial{4294967295u, 1}).empty());
}

}  // namespace notesd::imap
