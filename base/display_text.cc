#include "base/display_text.h"

#include <cstdint>

namespace notesd {

namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";

void AppendEscape(std::string& out, const char* prefix, unsigned value) {
  out += prefix;
  out += kHexDigits[(value >> 4) & 0xF];
  out += kHexDigits[value & 0xF];
}

// Length of the valid UTF-8 sequence of two or more bytes starting at text[i], with its
// code point, or 0 when none starts there (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF).
size_t Utf8SequenceAt(std::string_view text, size_t i, uint32_t* code_point) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  uint32_t value = 0;
  uint32_t minimum = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, value = lead & 0x1F, minimum = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, value = lead & 0x0F, minimum = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, value = lead & 0x07, minimum = 0x10000;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    value = (value << 6) | (byte(i + k) & 0x3F);
  }
  if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
  *code_point = value;
  return length;
}

// One ASCII byte; returns how many bytes of `text` it consumed (2 for a kept CRLF).
size_t AppendAscii(std::string& out, std::string_view text, size_t i, DisplayStyle style) {
  const char c = text[i];
  const bool multi_line = style == DisplayStyle::kMultiLine;
  if (c == '\\' && style == DisplayStyle::kReversible) {
    out += "\\\\";
  } else if (c >= 0x20 && c != 0x7F) {
    out += c;
  } else if (c == '\n' || c == '\t') {
    out += multi_line ? std::string(1, c) : std::string(c == '\n' ? "\\n" : "\\t");
  } else if (c == '\r' && multi_line && i + 1 < text.size() && text[i + 1] == '\n') {
    out += '\n';
    return 2;
  } else {
    AppendEscape(out, "\\x", static_cast<unsigned char>(c));
  }
  return 1;
}

}  // namespace

std::string EscapeForDisplay(std::string_view text, DisplayStyle style) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      i += AppendAscii(out, text, i, style);
      continue;
    }
    uint32_t code_point = 0;
    const size_t length = Utf8SequenceAt(text, i, &code_point);
    if (length == 0) {
      AppendEscape(out, "\\x", lead);
      ++i;
      continue;
    }
    if (code_point <= 0x9F) {
      AppendEscape(out, "\\u00", code_point);  // a C1 control
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

}  // namespace notesd
