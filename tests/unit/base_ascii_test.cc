// Unit tests for base/ascii: the one set of case and trimming helpers.
#include <catch2/catch.hpp>

#include "base/ascii.h"

using namespace notesd;

TEST_CASE("ASCII case folding touches only the 26 letters", "[ascii]") {
  CHECK(ToLowerAscii("Jane ADMIN/Acme-42") == "jane admin/acme-42");
  CHECK(ToUpperAscii("jane admin/acme-42") == "JANE ADMIN/ACME-42");
  // UTF-8 bytes stay as they are (no locale can fold them).
  CHECK(ToLowerAscii("\xC3\x89T\xC3\x89") == "\xC3\x89t\xC3\x89");
  CHECK(ToUpperAscii("caf\xC3\xA9") == "CAF\xC3\xA9");
  CHECK(AsciiToLower('@') == '@');
  CHECK(AsciiToLower('[') == '[');
  CHECK(AsciiToUpper('`') == '`');
  CHECK(AsciiToUpper('{') == '{');
}

TEST_CASE("EqualsIgnoreCase and StartsWithIgnoreCase", "[ascii]") {
  struct Row {
    const char* a;
    const char* b;
    bool equal;
    bool starts;
  };
  auto row = GENERATE(values<Row>({
      {"Content-Type", "content-type", true, true},
      {"MAIL FROM:<a@b>", "mail from:", false, true},
      {"FROM", "FROM:", false, false},
      {"", "", true, true},
      {"abc", "", false, true},
      {"\xC3\x89", "\xC3\xA9", false, false},  // not ASCII letters: compared as bytes
      {"[", "{", false, false},
  }));
  CHECK(EqualsIgnoreCase(row.a, row.b) == row.equal);
  CHECK(StartsWithIgnoreCase(row.a, row.b) == row.starts);
}

TEST_CASE("Trimming blanks and white space", "[ascii]") {
  CHECK(TrimBlanks(" \t value \t") == "value");
  CHECK(TrimBlanks("\r\nvalue\r\n") == "\r\nvalue\r\n");
  CHECK(TrimWhitespace(" \r\n\tvalue\r\n ") == "value");
  CHECK(TrimBlanks("   ").empty());
  CHECK(TrimWhitespace("").empty());
  CHECK(TrimSpaces("  a b  ") == "a b");
}
