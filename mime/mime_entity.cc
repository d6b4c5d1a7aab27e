// mime/mime_entity.cc — the bounded MIME reader. Every loop advances through the input
// and stops at its end, so garbage costs at most one pass over the bytes.
#include "mime/mime_entity.h"

#include <charconv>

#include "base/ascii.h"
#include "pki/base64.h"

namespace notesd::mime {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) { return TrimWhitespace(s); }

// A header line starts with a field name (printable, no colon or space) then ':'.
bool LooksLikeFieldLine(std::string_view line) {
  std::size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  for (std::size_t i = 0; i < colon; ++i) {
    auto c = static_cast<unsigned char>(line[i]);
    if (c <= 32 || c >= 127) return false;
  }
  return true;
}

// The next line of `text` from `pos`: [pos, end of content) and the position after its
// line break. Returns false at the end.
bool NextLine(std::string_view text, std::size_t& pos, std::string_view& line) {
  if (pos >= text.size()) return false;
  std::size_t lf = text.find('\n', pos);
  std::size_t end = lf == std::string_view::npos ? text.size() : lf;
  std::size_t content_end = (end > pos && text[end - 1] == '\r') ? end - 1 : end;
  line = text.substr(pos, content_end - pos);
  pos = lf == std::string_view::npos ? text.size() : lf + 1;
  return true;
}

// A token or quoted string from `s` at `pos` (RFC 2045 parameter value).
std::string ReadValue(std::string_view s, std::size_t& pos) {
  std::string out;
  if (pos < s.size() && s[pos] == '"') {
    ++pos;
    while (pos < s.size() && s[pos] != '"') {
      if (s[pos] == '\\' && pos + 1 < s.size()) ++pos;
      out += s[pos++];
    }
    if (pos < s.size()) ++pos;  // closing quote
    return out;
  }
  while (pos < s.size() && s[pos] != ';' && !IsSpace(s[pos])) out += s[pos++];
  return out;
}

// %XX escapes undone (RFC 2231 extended values); a malformed escape is kept as written.
std::string PercentDecode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = AsciiToLower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Splits "filename*0*" into ("filename", 0, extended=true); false for a plain name.
bool SplitSectionName(std::string_view name, std::string* base, unsigned* section, bool* extended) {
  std::size_t star = name.find('*');
  if (star == std::string_view::npos || star == 0) return false;
  *base = std::string(name.substr(0, star));
  std::string_view rest = name.substr(star + 1);
  *section = 0;
  *extended = true;
  if (rest.empty()) return true;  // "name*": one extended value
  *extended = rest.ends_with('*');
  if (*extended) rest.remove_suffix(1);
  if (rest.empty() || rest.size() > 3) return false;
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), *section);
  return ec == std::errc() && ptr == rest.data() + rest.size();
}

// Joins the sections of each RFC 2231 parameter ("name*" is section 0, extended;
// "name*N" / "name*N*" section N) into one value under its plain name, decoded to UTF-8
// when its charset is known; it replaces a plain parameter of that name, as RFC 2231
// readers prefer. A gap in the numbering ends the value (the sections after it are lost).
void JoinRfc2231(std::map<std::string, std::string>& params) {
  std::map<std::string, std::map<unsigned, std::pair<std::string, bool>>> gathered;
  for (auto it = params.begin(); it != params.end();) {
    std::string base;
    unsigned section = 0;
    bool extended = false;
    if (!SplitSectionName(it->first, &base, &section, &extended)) {
      ++it;
      continue;
    }
    gathered[base].emplace(section, std::make_pair(std::move(it->second), extended));
    it = params.erase(it);
  }
  for (auto& [base, sections] : gathered) {
    std::string charset;
    std::string value;
    unsigned expected = 0;
    for (auto& [number, part] : sections) {
      if (number != expected++) break;
      auto& [text, extended] = part;
      std::string_view piece = text;
      if (number == 0 && extended) {  // charset'language'bytes
        std::size_t q1 = piece.find('\'');
        std::size_t q2 = q1 == std::string_view::npos ? q1 : piece.find('\'', q1 + 1);
        if (q2 != std::string_view::npos) {
          charset = std::string(piece.substr(0, q1));
          piece = piece.substr(q2 + 1);
        }
      }
      value += extended ? PercentDecode(piece) : std::string(piece);
    }
    if (!charset.empty())
      if (std::optional<std::string> utf8 = ToUtf8(value, charset)) value = std::move(*utf8);
    params[base] = std::move(value);
  }
}

}  // namespace

std::string MimeType::Param(std::string_view name) const {
  auto it = params.find(ToLowerAscii(name));
  return it == params.end() ? std::string() : it->second;
}

MimeType ParseMimeType(std::string_view value, bool is_disposition) {
  MimeType out;
  std::size_t semicolon = value.find(';');
  std::string_view head = Trim(value.substr(0, semicolon));
  if (is_disposition) {
    out.type = ToLowerAscii(head);
  } else {
    std::size_t slash = head.find('/');
    if (slash != std::string_view::npos && slash > 0 && slash + 1 < head.size()) {
      out.type = ToLowerAscii(Trim(head.substr(0, slash)));
      out.subtype = ToLowerAscii(Trim(head.substr(slash + 1)));
    } else {
      out.type = "text";
      out.subtype = "plain";
    }
  }
  if (semicolon == std::string_view::npos) return out;
  std::size_t pos = semicolon + 1;
  while (pos < value.size() && out.params.size() < kMaxParams) {
    while (pos < value.size() && (IsSpace(value[pos]) || value[pos] == ';')) ++pos;
    std::size_t name_start = pos;
    while (pos < value.size() && value[pos] != '=' && value[pos] != ';') ++pos;
    std::string name = ToLowerAscii(Trim(value.substr(name_start, pos - name_start)));
    if (pos >= value.size() || value[pos] != '=') continue;  // a stray token: skip it
    ++pos;
    while (pos < value.size() && (value[pos] == ' ' || value[pos] == '\t')) ++pos;
    std::string param_value = ReadValue(value, pos);
    if (!name.empty() && !out.params.contains(name)) out.params.emplace(std::move(name), std::move(param_value));
    while (pos < value.size() && value[pos] != ';') ++pos;  // skip junk to the next ';'
  }
  JoinRfc2231(out.params);
  return out;
}

MimeEntity MimeEntity::Parse(std::string_view raw) {
  MimeEntity e;
  e.raw_ = raw;
  // Find the empty line that ends the header block.
  std::size_t pos = 0;
  std::string_view line;
  std::size_t header_end = std::string_view::npos;
  std::size_t body_start = raw.size();
  bool all_fields = true;
  while (true) {
    std::size_t line_start = pos;
    if (!NextLine(raw, pos, line)) break;
    if (line.empty()) {
      header_end = line_start;
      body_start = pos;
      break;
    }
    if (line.front() != ' ' && line.front() != '\t' && !LooksLikeFieldLine(line)) all_fields = false;
  }
  if (header_end == std::string_view::npos) {
    if (all_fields) {
      header_end = raw.size();
    } else {
      header_end = 0;
      body_start = 0;
    }
  } else if (header_end > 0 && !all_fields) {
    // Text before the empty line that is not a header block: treat it all as body.
    header_end = 0;
    body_start = 0;
  }
  e.header_bytes_ = raw.substr(0, header_end);
  e.body_ = raw.substr(body_start);

  e.headers_ = ParseHeaderFields(e.header_bytes_);
  if (auto ct = e.Header("Content-Type")) {
    e.content_type_ = ParseMimeType(*ct);
  } else {
    e.content_type_.type = "text";
    e.content_type_.subtype = "plain";
  }
  return e;
}

std::optional<std::string> MimeEntity::Header(std::string_view name) const {
  for (const HeaderField& h : headers_)
    if (EqualsIgnoreCase(h.name, name)) return h.value;
  return std::nullopt;
}

std::string MimeEntity::TransferEncoding() const {
  auto cte = Header("Content-Transfer-Encoding");
  if (!cte) return "7bit";
  return ToLowerAscii(Trim(*cte));
}

std::string MimeEntity::FileName() const {
  std::string name;
  if (auto cd = Header("Content-Disposition")) name = ParseMimeType(*cd, true).Param("filename");
  if (name.empty()) name = content_type_.Param("name");
  name = DecodeEncodedWords(name);  // what some clients send instead of RFC 2231
  std::size_t slash = name.find_last_of("/\\");
  if (slash != std::string::npos) name = name.substr(slash + 1);
  return name;
}

bool MimeEntity::IsAttachment() const {
  auto cd = Header("Content-Disposition");
  return cd && ParseMimeType(*cd, true).type == "attachment";
}

Result<std::string> MimeEntity::DecodedBody() const {
  std::string cte = TransferEncoding();
  if (cte == "base64") return Base64DecodeMime(body_);
  if (cte == "quoted-printable") return DecodeQuotedPrintable(body_);
  return std::string(body_);
}

Result<std::vector<std::string_view>> MimeEntity::Parts() const {
  if (content_type_.type != "multipart") return Status::InvalidArgument("not a multipart entity");
  std::string boundary = content_type_.Param("boundary");
  if (boundary.empty() || boundary.size() > 200)
    return Status::InvalidArgument("multipart entity without a usable boundary");
  const std::string delimiter = "--" + boundary;
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  std::size_t part_start = std::string_view::npos;
  std::string_view line;
  bool closed = false;
  while (!closed && parts.size() < kMaxParts) {
    std::size_t line_start = pos;
    if (!NextLine(body_, pos, line)) break;
    if (!line.starts_with(delimiter)) continue;
    std::string_view rest = line.substr(delimiter.size());
    bool is_close = rest.starts_with("--");
    if (is_close) rest.remove_prefix(2);
    if (!Trim(rest).empty()) continue;  // a longer line that merely starts like a boundary
    if (part_start != std::string_view::npos) {
      // The line break before the delimiter line belongs to the delimiter.
      std::size_t end = line_start;
      if (end > part_start && body_[end - 1] == '\n') --end;
      if (end > part_start && body_[end - 1] == '\r') --end;
      parts.push_back(body_.substr(part_start, end - part_start));
    }
    part_start = pos;
    closed = is_close;
  }
  if (!closed && part_start != std::string_view::npos && part_start < body_.size() && parts.size() < kMaxParts)
    parts.push_back(body_.substr(part_start));
  if (parts.empty()) return Status::InvalidArgument("multipart entity without any part");
  return parts;
}

std::string DecodeQuotedPrintable(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '=') {
      out += c;
      continue;
    }
    // Soft line break: '=' then optional white space then CRLF or LF.
    std::size_t j = i + 1;
    while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
    if (j < text.size() && (text[j] == '\n' || (text[j] == '\r' && j + 1 < text.size() && text[j + 1] == '\n'))) {
      i = text[j] == '\r' ? j + 1 : j;
      continue;
    }
    if (j == text.size()) {  // '=' at the very end: a soft break without the line break
      i = j;
      continue;
    }
    if (i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
      continue;
    }
    out += c;
  }
  return out;
}

std::string ToCrlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32 + 2);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

}  // namespace notesd::mime
