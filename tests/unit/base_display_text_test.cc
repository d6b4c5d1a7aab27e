// Unit tests for base/display_text: the one escaping function for untrusted text.
#include <catch2/catch.hpp>

#include "base/display_text.h"

using namespace notesd;

TEST_CASE("EscapeForDisplay: controls, C1 and invalid UTF-8 escaped, valid UTF-8 kept", "[display]") {
  struct Row {
    std::string input;
    const char* one_line;
    const char* multi_line;
  };
  auto row = GENERATE(values<Row>({
      {"plain text", "plain text", "plain text"},
      {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\xA7", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\xA7",
       "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\xA7"},
      {"\x1B[31mred", "\\x1B[31mred", "\\x1B[31mred"},  // ESC
      {"\xC2\x9B"
       "31m",
       "\\u009B31m", "\\u009B31m"},                                                      // U+009B, CSI in one character
      {"\xC2\x80\xC2\x9F\xC2\xA0", "\\u0080\\u009F\xC2\xA0", "\\u0080\\u009F\xC2\xA0"},  // C1 bounds; U+00A0 kept
      {std::string("a\0b", 3), "a\\x00b", "a\\x00b"},                                    // NUL
      {"del\x7F", "del\\x7F", "del\\x7F"},
      {"bell\x07", "bell\\x07", "bell\\x07"},
      {"\xFF\xFE", "\\xFF\\xFE", "\\xFF\\xFE"},  // never UTF-8
      {"\x9B"
       "31m",
       "\\x9B31m", "\\x9B31m"},                                              // a lone continuation byte (8-bit CSI)
      {"\xC3", "\\xC3", "\\xC3"},                                            // truncated
      {"\xC0\xAF", "\\xC0\\xAF", "\\xC0\\xAF"},                              // overlong '/'
      {"\xE0\x80\xAF", "\\xE0\\x80\\xAF", "\\xE0\\x80\\xAF"},                // overlong, 3 bytes
      {"\xED\xA0\x80", "\\xED\\xA0\\x80", "\\xED\\xA0\\x80"},                // a surrogate
      {"\xF4\x90\x80\x80", "\\xF4\\x90\\x80\\x80", "\\xF4\\x90\\x80\\x80"},  // above U+10FFFF
      {"a\nb\tc", "a\\nb\\tc", "a\nb\tc"},
      {"a\r\nb", "a\\x0D\\nb", "a\nb"},
      {"over\rwrite", "over\\x0Dwrite", "over\\x0Dwrite"},
      {"C:\\path", "C:\\path", "C:\\path"},
  }));
  INFO(row.input);
  CHECK(EscapeForDisplay(row.input) == row.one_line);
  CHECK(EscapeForDisplay(row.input, DisplayStyle::kMultiLine) == row.multi_line);
}

TEST_CASE("EscapeForDisplay: escaping twice changes nothing; kReversible doubles backslashes", "[display]") {
  const std::string evil = "x\x1B]0;title\x07\xC2\x9B\xFF\\y\n";
  const std::string once = EscapeForDisplay(evil);
  CHECK(EscapeForDisplay(once) == once);
  CHECK(once.find('\x1B') == std::string::npos);
  CHECK(EscapeForDisplay("a\\b\n", DisplayStyle::kReversible) == "a\\\\b\\n");
}

TEST_CASE("EscapeForDisplay: the output never holds a control or invalid UTF-8", "[display]") {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte += static_cast<char>(b);
  every_byte += "\xC2\x85\xC2\x9B";
  std::string out = EscapeForDisplay(every_byte, DisplayStyle::kMultiLine);
  for (unsigned char c : out) {
    INFO(static_cast<int>(c));
    CHECK((c >= 0x20 || c == '\n' || c == '\t'));
    CHECK(c != 0x7F);
    CHECK(c < 0x80);  // only invalid or C1 bytes were above 0x7F here: all escaped
  }
}
