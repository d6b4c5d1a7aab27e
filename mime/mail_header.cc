// mime/mail_header.cc — header fields and encoded words. Each loop moves forward through
// its input, so a hostile header costs one pass.
#include "mime/mail_header.h"

#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "base/ascii.h"
#include "pki/base64.h"

namespace notesd::mime {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// The line of `text` at `pos` without its line break; `pos` moves past the break.
std::string_view TakeLine(std::string_view text, std::size_t& pos) {
  std::size_t lf = text.find('\n', pos);
  std::size_t end = lf == std::string_view::npos ? text.size() : lf;
  std::string_view line = text.substr(pos, end - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos = lf == std::string_view::npos ? text.size() : lf + 1;
  return line;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// RFC 2047 4.2 "Q": '_' is a space, =XX a byte. nullopt for a malformed escape.
std::optional<std::string> DecodeQ(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      out += ' ';
    } else if (text[i] == '=') {
      if (i + 2 >= text.size()) return std::nullopt;
      int high = HexDigit(text[i + 1]);
      int low = HexDigit(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// One encoded word "=?charset?e?text?=" at the start of `text`: its length and decoded
// UTF-8, or nullopt when `text` does not start with one that can be decoded.
struct DecodedWord {
  std::size_t length;
  std::string utf8;
};
std::optional<DecodedWord> DecodeWordAt(std::string_view text) {
  if (!text.starts_with("=?")) return std::nullopt;
  std::size_t q1 = text.find('?', 2);
  if (q1 == std::string_view::npos || q1 + 2 >= text.size() || text[q1 + 2] != '?') return std::nullopt;
  std::size_t end = text.find("?=", q1 + 3);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view charset = text.substr(2, q1 - 2);
  charset = charset.substr(0, charset.find('*'));  // RFC 2231 5: "utf-8*en"
  std::string_view payload = text.substr(q1 + 3, end - q1 - 3);
  if (charset.empty() || payload.find_first_of(" \t\r\n") != std::string_view::npos) return std::nullopt;
  std::optional<std::string> bytes;
  char encoding = AsciiToUpper(text[q1 + 1]);
  if (encoding == 'B') {
    Result<std::string> decoded = Base64DecodeMime(payload);
    if (decoded.ok()) bytes = std::move(decoded).value();
  } else if (encoding == 'Q') {
    bytes = DecodeQ(payload);
  }
  if (!bytes) return std::nullopt;
  std::optional<std::string> utf8 = ToUtf8(*bytes, charset);
  if (!utf8) return std::nullopt;
  return DecodedWord{end + 2, std::move(*utf8)};
}

struct IconvCloser {
  void operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }
};

}  // namespace

std::string_view HeaderBlock(std::string_view message) {
  if (message.starts_with("\r\n") || message.starts_with("\n")) return {};
  std::size_t crlf = message.find("\r\n\r\n");
  std::size_t lf = message.find("\n\n");
  std::size_t end = std::min(crlf == std::string_view::npos ? message.size() : crlf + 2,
                             lf == std::string_view::npos ? message.size() : lf + 1);
  return message.substr(0, end);
}

bool HeaderReader::Next(std::string_view* name, std::string_view* folded_value) {
  while (pos_ < block_.size()) {
    std::string_view line = TakeLine(block_, pos_);
    std::size_t colon = line.find(':');
    if (line.empty() || IsBlank(line.front()) || colon == std::string_view::npos) continue;
    std::size_t value_start = static_cast<std::size_t>(line.data() - block_.data()) + colon + 1;
    std::size_t value_end = value_start + (line.size() - colon - 1);
    // Continuation lines start with a blank.
    while (pos_ < block_.size() && IsBlank(block_[pos_])) {
      std::string_view more = TakeLine(block_, pos_);
      value_end = static_cast<std::size_t>(more.data() - block_.data()) + more.size();
    }
    *name = TrimBlanks(line.substr(0, colon));
    *folded_value = block_.substr(value_start, value_end - value_start);
    return true;
  }
  return false;
}

std::string UnfoldValue(std::string_view folded_value) {
  std::string value;
  value.reserve(std::min(folded_value.size(), kMaxHeaderValue));
  for (std::size_t i = 0; i < folded_value.size() && value.size() < kMaxHeaderValue; ++i) {
    char c = folded_value[i];
    bool line_break = (c == '\r' && i + 1 < folded_value.size() && folded_value[i + 1] == '\n') ||
                      (c == '\n' && i + 1 < folded_value.size() && IsBlank(folded_value[i + 1]));
    if (line_break) {
      if (c == '\r') ++i;  // CRLF: both go
      continue;
    }
    value += (c == '\r' || c == '\n') ? ' ' : c;
  }
  return std::string(TrimWhitespace(value));
}

std::vector<HeaderField> ParseHeaderFields(std::string_view block) {
  std::vector<HeaderField> fields;
  HeaderReader reader(block);
  std::string_view name, folded;
  while (fields.size() < kMaxHeaderFields && reader.Next(&name, &folded))
    fields.push_back({std::string(name), UnfoldValue(folded)});
  return fields;
}

std::optional<std::string> HeaderValue(std::string_view message, std::string_view name) {
  std::vector<std::string> values = HeaderValues(message, name, 1);
  if (values.empty()) return std::nullopt;
  return std::move(values.front());
}

std::vector<std::string> HeaderValues(std::string_view message, std::string_view name, std::size_t max) {
  std::vector<std::string> values;
  HeaderReader reader(HeaderBlock(message));
  std::string_view field, folded;
  while (values.size() < max && reader.Next(&field, &folded))
    if (EqualsIgnoreCase(field, name)) values.push_back(UnfoldValue(folded));
  return values;
}

std::string DecodeEncodedWords(std::string_view value) {
  std::string out;
  std::size_t pending_space_start = std::string::npos;  // white space after an encoded word
  bool after_word = false;
  std::size_t i = 0;
  while (i < value.size()) {
    if (value[i] == '=' && i + 1 < value.size() && value[i + 1] == '?') {
      if (std::optional<DecodedWord> word = DecodeWordAt(value.substr(i))) {
        // White space between two encoded words is dropped (RFC 2047 6.2).
        if (after_word && pending_space_start != std::string::npos) out.resize(pending_space_start);
        out += word->utf8;
        i += word->length;
        after_word = true;
        pending_space_start = std::string::npos;
        continue;
      }
    }
    if (IsBlank(value[i])) {
      if (pending_space_start == std::string::npos) pending_space_start = out.size();
    } else {
      after_word = false;
      pending_space_start = std::string::npos;
    }
    out += value[i++];
  }
  return out;
}

std::optional<std::string> ToUtf8(std::string_view bytes, std::string_view charset) {
  std::string name = ToLowerAscii(charset);
  if (name == "utf-8" || name == "utf8" || name == "us-ascii" || name == "ascii") return std::string(bytes);
  iconv_t raw = iconv_open("UTF-8", name.c_str());
  if (raw == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::unique_ptr<void, IconvCloser> cd(raw);
  std::string out(bytes.size() * 4 + 16, '\0');
  char* in_ptr = const_cast<char*>(bytes.data());  // iconv's signature; it does not write
  std::size_t in_left = bytes.size();
  char* out_ptr = out.data();
  std::size_t out_left = out.size();
  while (in_left > 0) {
    if (iconv(raw, &in_ptr, &in_left, &out_ptr, &out_left) != static_cast<std::size_t>(-1)) continue;
    if (errno != E2BIG) return std::nullopt;  // EILSEQ / EINVAL: not valid in that charset
    std::size_t used = out.size() - out_left;
    out.resize(out.size() * 2);
    out_ptr = out.data() + used;
    out_left = out.size() - used;
  }
  iconv(raw, nullptr, nullptr, &out_ptr, &out_left);  // flush a stateful charset
  out.resize(out.size() - out_left);
  return out;
}

}  // namespace notesd::mime
