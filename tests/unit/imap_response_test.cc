// Tests of the IMAP response writer (imap/imap_response.h): strings, sets, dates, FETCH
// item names, ENVELOPE and BODYSTRUCTURE built from message bytes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "imap/imap_parser.h"
#include "imap/imap_response.h"

namespace notesd::imap {
namespace {

using namespace std::string_literals;

std::string String(std::string_view text) {
  std::string out;
  AppendString(&out, text);
  return out;
}

std::string AString(std::string_view text) {
  std::string out;
  AppendAString(&out, text);
  return out;
}

std::string Body(std::string_view message, bool extended) {
  std::string out;
  AppendBodyStructure(&out, BuildBodyStructure(message), extended);
  return out;
}

std::string Crlf(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

bool SameAddress(const Address& a, const std::optional<std::string>& name, const std::optional<std::string>& mailbox,
                 const std::optional<std::string>& host, const std::optional<std::string>& adl = std::nullopt) {
  return a.name == name && a.mailbox == mailbox && a.host == host && a.adl == adl;
}

}  // namespace

TEST_CASE("strings are quoted when they can be, literals otherwise", "[imap]") {
  CHECK(String("hello") == "\"hello\"");
  CHECK(String("") == "\"\"");
  CHECK(String(R"(a"b\c)") == R"("a\"b\\c")");
  CHECK(String("line\r\nbreak") == "{11}\r\nline\r\nbreak");
  CHECK(String("caf\xc3\xa9") == "{5}\r\ncaf\xc3\xa9");
  CHECK(String("a\0b"s) == "{3}\r\na\0b"s);
  CHECK(String(std::string(kMaxQuotedBytes, 'a')) == "\"" + std::string(kMaxQuotedBytes, 'a') + "\"");
  CHECK(String(std::string(kMaxQuotedBytes + 1, 'a')) == "{1025}\r\n" + std::string(kMaxQuotedBytes + 1, 'a'));

  std::string out;
  AppendNString(&out, std::nullopt);
  out += ' ';
  AppendNString(&out, "x"s);
  CHECK(out == "NIL \"x\"");

  CHECK(AString("INBOX") == "INBOX");
  CHECK(AString("Archive/2026") == "Archive/2026");
  CHECK(AString("a]b") == "a]b");
  CHECK(AString("Sent Items") == "\"Sent Items\"");
  CHECK(AString("") == "\"\"");
  CHECK(AString("nil") == "\"nil\"");
  CHECK(AString("50%") == "\"50%\"");
  CHECK(AString("{5}") == "\"{5}\"");

  out.clear();
  AppendFlagList(&out, {"\\Seen", "$Forwarded"});
  CHECK(out == "(\\Seen $Forwarded)");
  out.clear();
  AppendFlagList(&out, {});
  CHECK(out == "()");
}

TEST_CASE("sequence sets and UID sets", "[imap]") {
  std::string error;
  std::optional<SequenceSet> set = ParseSequenceSet("1:*,5,*:3,7:9", &error);
  REQUIRE(set);
  CHECK(FormatSequenceSet(*set) == "1:*,5,*:3,7:9");
  set = ParseSequenceSet("$", &error);
  REQUIRE(set);
  CHECK(FormatSequenceSet(*set) == "$");

  CHECK(FormatUidSet({3, 4, 5, 9, 2}) == "3:5,9,2");
  CHECK(FormatUidSet({}) == "");
  CHECK(FormatUidSet({7}) == "7");
  CHECK(FormatUidSet({1, 2}) == "1:2");
  CHECK(FormatUidSet({5, 4, 3}) == "5,4,3");  // order kept: COPYUID pairs by position
  CHECK(FormatUidSet({4294967294u, 4294967295u, 1}) == "4294967294:4294967295,1");
}

TEST_CASE("INTERNALDATE date-times", "[imap]") {
  CHECK(FormatDateTime(1796234400) == "02-Dec-2026 18:00:00 +0000");
  CHECK(FormatDateTime(1796234400, 60) == "02-Dec-2026 19:00:00 +0100");
  CHECK(FormatDateTime(1796234400, -330) == "02-Dec-2026 12:30:00 -0530");
  CHECK(FormatDateTime(0) == "01-Jan-1970 00:00:00 +0000");
  CHECK(FormatDateTime(-1) == "31-Dec-1969 23:59:59 +0000");
  CHECK(FormatDateTime(951782400) == "29-Feb-2000 00:00:00 +0000");

  // What APPEND parses comes back the same.
  auto parsed = ParseCommand("a APPEND INBOX \"02-Dec-2026 19:00:00 +0100\" {0+}\r\n");
  REQUIRE(std::holds_alternative<Command>(parsed));
  const AppendArgs& append = std::get<AppendArgs>(std::get<Command>(parsed).args);
  REQUIRE(append.date_time);
  CHECK(FormatDateTime(append.date_time->ToUnixSeconds(), append.date_time->zone_minutes) ==
        "02-Dec-2026 19:00:00 +0100");
}

TEST_CASE("FETCH response item names", "[imap]") {
  auto parsed = ParseCommand(
      "a FETCH 1 (BODY.PEEK[1.2.HEADER.FIELDS (From \"X Y\")]<0.100> RFC822.SIZE BODY[] BODY.PEEK[3.MIME] "
      "BODY[HEADER.FIELDS.NOT (Received)] BODY[TEXT]<10.5> BODY BODYSTRUCTURE UID FLAGS ENVELOPE INTERNALDATE RFC822 "
      "RFC822.HEADER RFC822.TEXT BODY[4.1])");
  REQUIRE(std::holds_alternative<Command>(parsed));
  std::vector<std::string> names;
  for (const FetchAttribute& a : std::get<FetchArgs>(std::get<Command>(parsed).args).attributes)
    names.push_back(FetchItemName(a));
  CHECK(names == std::vector<std::string>{"BODY[1.2.HEADER.FIELDS (From \"X Y\")]<0>", "RFC822.SIZE", "BODY[]",
                                          "BODY[3.MIME]", "BODY[HEADER.FIELDS.NOT (Received)]", "BODY[TEXT]<10>",
                                          "BODY", "BODYSTRUCTURE", "UID", "FLAGS", "ENVELOPE", "INTERNALDATE", "RFC822",
                                          "RFC822.HEADER", "RFC822.TEXT", "BODY[4.1]"});
}

TEST_CASE("address lists for ENVELOPE", "[imap]") {
  std::vector<Address> a = ParseAddressList("Jane Doe <jane@acme.example>");
  REQUIRE(a.size() == 1);
  CHECK(SameAddress(a[0], "Jane Doe", "jane", "acme.example"));

  a = ParseAddressList(R"("Doe, John" <john@x.example>, bob@y.example (Bob B), carol@z.example)");
  REQUIRE(a.size() == 3);
  CHECK(SameAddress(a[0], "Doe, John", "john", "x.example"));
  CHECK(SameAddress(a[1], "Bob B", "bob", "y.example"));
  CHECK(SameAddress(a[2], std::nullopt, "carol", "z.example"));

  a = ParseAddressList("undisclosed-recipients:;");
  REQUIRE(a.size() == 2);
  CHECK(SameAddress(a[0], std::nullopt, "undisclosed-recipients", std::nullopt));
  CHECK(SameAddress(a[1], std::nullopt, std::nullopt, std::nullopt));

  a = ParseAddressList("team: a@b.example, C <c@d.example>;, e@f.example");
  REQUIRE(a.size() == 5);
  CHECK(SameAddress(a[0], std::nullopt, "team", std::nullopt));
  CHECK(SameAddress(a[1], std::nullopt, "a", "b.example"));
  CHECK(SameAddress(a[2], "C", "c", "d.example"));
  CHECK(SameAddress(a[3], std::nullopt, std::nullopt, std::nullopt));
  CHECK(SameAddress(a[4], std::nullopt, "e", "f.example"));

  a = ParseAddressList("<@relay.example:joe@z.example>");
  REQUIRE(a.size() == 1);
  CHECK(SameAddress(a[0], std::nullopt, "joe", "z.example", "@relay.example"));

  CHECK(ParseAddressList("").empty());
  CHECK(ParseAddressList("<>").empty());
  // Damaged input never throws and gives what it can.
  CHECK(ParseAddressList("\"unterminated <x@y").size() == 1);
  CHECK(ParseAddressList("((((").empty());
}

TEST_CASE("ENVELOPE from a message", "[imap]") {
  const std::string message = Crlf(
      "Date: Wed, 02 Dec 2026 18:00:00 +0000\n"
      "From: Jane Doe <jane@acme.example>\n"
      "To: bob@outside.example,\n \"Q, R\" <q@r.example>\n"
      "Subject: =?utf-8?q?caf=C3=A9?= menu\n"
      "Message-ID: <1@acme.example>\n"
      "\n"
      "body\n");
  std::string out;
  AppendEnvelope(&out, BuildEnvelope(message));
  CHECK(out ==
        "(\"Wed, 02 Dec 2026 18:00:00 +0000\" \"=?utf-8?q?caf=C3=A9?= menu\" "
        "((\"Jane Doe\" NIL \"jane\" \"acme.example\")) ((\"Jane Doe\" NIL \"jane\" \"acme.example\")) "
        "((\"Jane Doe\" NIL \"jane\" \"acme.example\")) "
        "((NIL NIL \"bob\" \"outside.example\")(\"Q, R\" NIL \"q\" \"r.example\")) NIL NIL NIL "
        "\"<1@acme.example>\")");

  out.clear();
  AppendEnvelope(&out, BuildEnvelope(Crlf("From: a@b.example\nSender: s@b.example\nReply-To: r@b.example\n"
                                          "In-Reply-To: <0@b.example>\n\nx\n")));
  CHECK(out ==
        "(NIL NIL ((NIL NIL \"a\" \"b.example\")) ((NIL NIL \"s\" \"b.example\")) ((NIL NIL \"r\" \"b.example\")) "
        "NIL NIL NIL \"<0@b.example>\" NIL)");
}

TEST_CASE("BODYSTRUCTURE of a plain message", "[imap]") {
  const std::string message = Crlf("From: a@b.example\nSubject: x\n\nbody\n");
  CHECK(Body(message, true) == "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 6 1 NIL NIL NIL NIL)");
  CHECK(Body(message, false) == "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 6 1)");

  // A text part without a charset is US-ASCII (RFC 2045 5.2), said explicitly.
  CHECK(Body(Crlf("Content-Type: text/plain; format=flowed\n\nx\n"), false) ==
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\" \"FORMAT\" \"flowed\") NIL NIL \"7BIT\" 3 1)");

  const std::string html = Crlf(
      "Content-Type: text/html; charset=\"utf-8\"\nContent-Transfer-Encoding: 8bit\n"
      "Content-Description: the page\nContent-Location: http://x.example/p\n\n<p>a</p>\n<p>b</p>\n");
  CHECK(Body(html, true) ==
        "(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL \"the page\" \"8BIT\" 20 2 NIL NIL NIL "
        "\"http://x.example/p\")");
}

TEST_CASE("BODYSTRUCTURE of a multipart message with an attachment", "[imap]") {
  const std::string message = Crlf(
      "From: a@b.example\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"XX\"\n"
      "\n"
      "preamble\n"
      "--XX\n"
      "Content-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: quoted-printable\n"
      "\n"
      "caf=C3=A9\n"
      "--XX\n"
      "Content-Type: application/pdf; name=\"a.pdf\"\n"
      "Content-Disposition: attachment; filename=\"a.pdf\"\n"
      "Content-Transfer-Encoding: base64\n"
      "Content-ID: <pdf1>\n"
      "Content-Language: en, de\n"
      "\n"
      "JVBERi0xLjQK\n"
      "--XX--\n");
  CHECK(Body(message, true) ==
        "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 9 1 NIL NIL NIL NIL)"
        "(\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") \"<pdf1>\" NIL \"BASE64\" 12 NIL "
        "(\"ATTACHMENT\" (\"FILENAME\" \"a.pdf\")) (\"en\" \"de\") NIL) "
        "\"MIXED\" (\"BOUNDARY\" \"XX\") NIL NIL NIL)");
  CHECK(Body(message, false) ==
        "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 9 1)"
        "(\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") \"<pdf1>\" NIL \"BASE64\" 12) \"MIXED\")");
}

TEST_CASE("BODYSTRUCTURE of an enclosed message and of a digest", "[imap]") {
  const std::string inner = Crlf("Subject: inner\nFrom: x@y.example\n\nhi\n");
  const std::string message = Crlf("Content-Type: message/rfc822\n\n") + inner;
  const std::string size = std::to_string(inner.size());
  CHECK(Body(message, true) ==
        "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" " + size +
            " (NIL \"inner\" ((NIL NIL \"x\" \"y.example\")) ((NIL NIL \"x\" \"y.example\")) "
            "((NIL NIL \"x\" \"y.example\")) NIL NIL NIL NIL NIL) "
            "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 4 1 NIL NIL NIL NIL) 4 NIL NIL NIL NIL)");

  const std::string digest =
      Crlf("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\n1\n--d\n\nSubject: two\n\n2\n--d--\n");
  std::string body = Body(digest, false);
  CHECK(body.rfind("((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" ", 0) == 0);
  CHECK(body.find("(NIL \"one\" NIL NIL NIL NIL NIL NIL NIL NIL)") != std::string::npos);
  CHECK(body.size() > 10);
  CHECK(body.substr(body.size() - 10) == " \"DIGEST\")");
}

TEST_CASE("BODYSTRUCTURE nesting is bounded and damaged multiparts still describe", "[imap]") {
  std::string message;
  const int depth = 60;
  for (int i = 0; i < depth; ++i)
    message +=
        "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" + std::to_string(i) + "\r\n";
  message += "\r\nleaf\r\n";
  for (int i = depth - 1; i >= 0; --i) message += "--b" + std::to_string(i) + "--\r\n";
  std::string body = Body(message, true);
  CHECK(body.find("\"APPLICATION\" \"OCTET-STREAM\"") != std::string::npos);
  CHECK(std::count(body.begin(), body.end(), '(') == std::count(body.begin(), body.end(), ')'));

  // A multipart without a boundary is sent as a plain text part.
  CHECK(Body(Crlf("Content-Type: multipart/mixed\n\nno parts\n"), false) ==
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 10 1)");
}

}  // namespace notesd::imap
