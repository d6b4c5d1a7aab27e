// Unit tests for mime/mail_header.h and the RFC 2231 part of mime/mime_entity.h: the one
// header reader, RFC 2047 encoded words, RFC 2231 parameters.
#include <catch2/catch.hpp>

#include "mime/mail_header.h"
#include "mime/mime_entity.h"
#include "mime/mime_writer.h"

namespace notesd::mime {
namespace {

TEST_CASE("header reader: unfolding, case-insensitive lookup, repeats", "[mime]") {
  const std::string message =
      "From: Jane <jane@acme.example>\r\n"
      "Subject: a long\r\n"
      "\tsubject line\r\n"
      "X-Bare: lf only\n"
      " folded too\n"
      "from: second@acme.example\r\n"
      "\r\n"
      "Subject: not a header\r\n";
  CHECK(HeaderBlock(message).ends_with("second@acme.example\r\n"));
  CHECK(HeaderValue(message, "SUBJECT") == "a long\tsubject line");
  CHECK(HeaderValue(message, "x-bare") == "lf only folded too");
  CHECK(HeaderValues(message, "From") == std::vector<std::string>{"Jane <jane@acme.example>", "second@acme.example"});
  CHECK(HeaderValues(message, "From", 1).size() == 1);
  CHECK_FALSE(HeaderValue(message, "To"));
  CHECK(HeaderBlock("\r\nbody").empty());
  CHECK(ParseHeaderFields("A: 1\r\n junk line\r\nnot a field\r\nB:2\r\n").size() == 2);
}

TEST_CASE("header reader: a value is cut at kMaxHeaderValue", "[mime]") {
  std::string message = "Subject: " + std::string(kMaxHeaderValue, 'a') + "\r\n" + " more\r\n\r\n";
  std::size_t size = HeaderValue(message, "Subject")->size();
  CHECK(size <= kMaxHeaderValue);
  CHECK(size + 1 >= kMaxHeaderValue);  // the blank after the colon counted, then trimmed
}

TEST_CASE("RFC 2047 encoded words decode to UTF-8; damaged ones stay as written", "[mime]") {
  struct Row {
    const char* in;
    const char* out;
  };
  auto row = GENERATE(values<Row>({
      {"=?utf-8?b?R3LDvMOfZSBhdXMgS8O2bG4=?=",
       "Gr\xC3\xBC\xC3\x9F"
       "e aus K\xC3\xB6ln"},
      {"=?UTF-8?B?4oKsIDEwMA==?=", "\xE2\x82\xAC 100"},
      {"=?iso-8859-1?q?caf=E9_cr=E8me?=", "caf\xC3\xA9 cr\xC3\xA8me"},
      {"Re: =?ISO-8859-1?Q?Gr=FC=DFe?= again",
       "Re: Gr\xC3\xBC\xC3\x9F"
       "e again"},
      {"=?utf-8?q?a?= =?utf-8?q?b?=", "ab"},  // white space between words goes
      {"=?utf-8?q?a?=\t =?utf-8?q?_b?=", "a b"},
      {"=?utf-8*en?q?hi?=", "hi"},  // RFC 2231 language tag
      {"plain subject", "plain subject"},
      {"=?utf-8?b?!!!?=", "=?utf-8?b?!!!?="},  // damaged base64
      {"=?no-such-charset?q?x?=", "=?no-such-charset?q?x?="},
      {"=?utf-8?x?abc?=", "=?utf-8?x?abc?="},  // unknown encoding
      {"=?utf-8?q?a=Z?=", "=?utf-8?q?a=Z?="},  // bad Q escape
      {"=?utf-8?q?unterminated", "=?utf-8?q?unterminated"},
      {"=?", "=?"},
      {"a =?utf-8?q?b?= c", "a b c"},  // space next to text is kept
      {"=?us-ascii?q?x?= plain =?utf-8?q?y?=", "x plain y"},
  }));
  INFO(row.in);
  CHECK(DecodeEncodedWords(row.in) == row.out);
}

TEST_CASE("ToUtf8: charsets through iconv", "[mime]") {
  CHECK(ToUtf8("caf\xE9", "ISO-8859-1") == "caf\xC3\xA9");
  CHECK(ToUtf8("\xA4", "iso-8859-15") == "\xE2\x82\xAC");
  CHECK_FALSE(ToUtf8("x", "x-unknown"));
  CHECK_FALSE(ToUtf8("\xFF", "us-ascii-not"));
}

TEST_CASE("RFC 2231 parameters: extended, continued, and bad ones", "[mime]") {
  struct Row {
    const char* disposition;
    const char* file_name;
  };
  auto row = GENERATE(values<Row>({
      {"attachment; filename*=utf-8''%E2%82%AC%20rates.pdf", "\xE2\x82\xAC rates.pdf"},
      {"attachment; filename*=iso-8859-1'de'Gr%FC%DFe.txt",
       "Gr\xC3\xBC\xC3\x9F"
       "e.txt"},
      {"attachment; filename*0*=utf-8''caf%C3%A9; filename*1=\" menu\"; filename*2*=%2Epdf", "caf\xC3\xA9 menu.pdf"},
      {"attachment; filename*1=b.txt; filename*0=a", "ab.txt"},  // order of sections does not matter
      {"attachment; filename=\"plain.txt\"; filename*=utf-8''better.txt", "better.txt"},
      {"attachment; filename*=x-unknown''a%41", "aA"},  // unknown charset: bytes kept
      {"attachment; filename*=utf-8''100%", "100%"},    // malformed escape kept
      {"attachment; filename*0=a; filename*2=c", "a"},  // a gap ends the value
      {"attachment; filename*=no-quotes", "no-quotes"},
      {"attachment; filename=\"=?utf-8?b?w6kudHh0?=\"", "\xC3\xA9.txt"},  // RFC 2047 in a parameter
  }));
  INFO(row.disposition);
  std::string entity =
      std::string("Content-Type: application/octet-stream\r\nContent-Disposition: ") + row.disposition + "\r\n\r\nbody";
  CHECK(MimeEntity::Parse(entity).FileName() == row.file_name);
}

TEST_CASE("RFC 2231 in Content-Type name and a continued boundary", "[mime]") {
  MimeType type = ParseMimeType("multipart/mixed; boundary*0=\"abc\"; boundary*1=\"def\"; name*=utf-8''x%20y");
  CHECK(type.Param("boundary") == "abcdef");
  CHECK(type.Param("name") == "x y");
}

}  // namespace
}  // namespace notesd::mime

namespace notesd::mime {
namespace {

TEST_CASE("MIME writer: encoded words and an attachment part read back", "[mime]") {
  CHECK(EncodeWord("plain") == "plain");
  CHECK(DecodeEncodedWords(EncodeWord("Gr\xC3\xBC\xC3\x9F"
                                      "e")) ==
        "Gr\xC3\xBC\xC3\x9F"
        "e");
  CHECK(SafeFileName("a\"b\\c\n.txt") == "a_b_c_.txt");
  CHECK(SafeFileName("") == "attachment");
  std::string part = AttachmentPart("r\xC3\xA9sum\xC3\xA9.pdf", "application/pdf", "%PDF-1.4\n");
  MimeEntity entity = MimeEntity::Parse(part);
  CHECK(entity.IsAttachment());
  CHECK(entity.FileName() == "r\xC3\xA9sum\xC3\xA9.pdf");
  CHECK(*entity.DecodedBody() == "%PDF-1.4\n");
  CHECK(part.ends_with("\r\n"));
}

}  // namespace
}  // namespace notesd::mime
