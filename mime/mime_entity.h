// mime/mime_entity.h — the one bounded MIME reader (S/MIME, the client's mail reading).
//
// Owns: splitting an entity into header fields (mime/mail_header.h) and body, reading
// Content-Type and Content-Disposition (parameters quoted or not; RFC 2231 extended and
// continued parameters, "filename*=utf-8''a%20b", "filename*0*=", decoded), Content-Transfer-
// Encoding (base64, quoted-printable, 7bit, 8bit, binary) and the file name of a part
// (Content-Disposition filename, else Content-Type name), and splitting a multipart body
// into its parts byte for byte (a signed part must be verified over its exact bytes).
//
// Why hand-written and not GMime 3 (notmuch's library): S/MIME verifies over the exact
// bytes of a part, and this reader only ever hands out views into the bytes it was given
// (Parts() is byte for byte), so nothing is re-serialised between the wire and the
// signature check; it is a few hundred lines with the same bounds as the rest of the
// server, where GMime would add GLib and GObject to the server and the client. Charsets
// are converted with glibc's iconv, which GMime would use too.
//
// SECURITY: everything here reads mail from outside. No function throws; work and
// memory are bounded by the input size; the number of header fields, parameters, RFC 2231
// sections and parts is capped (kMaxHeaderFields, kMaxParams, kMaxParts) and callers
// bound their own recursion. Line endings may be
// CRLF or bare LF, and may be mixed.
//
// Thread safety: values only; no shared state.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "mime/mail_header.h"

namespace notesd::mime {

inline constexpr std::size_t kMaxParts = 1000;
inline constexpr std::size_t kMaxParams = 64;

// A parsed Content-Type (or Content-Disposition) value.
struct MimeType {
  std::string type;     // lower case, "text"; for Content-Disposition the disposition
  std::string subtype;  // lower case, "plain"; empty for Content-Disposition
  // Lower-case names; values unquoted. An RFC 2231 parameter ("name*", "name*0*", ...)
  // is stored under its plain name, decoded to UTF-8, and wins over a plain one.
  std::map<std::string, std::string> params;

  // The parameter's value, or "" when absent.
  std::string Param(std::string_view name) const;
  // "text/plain"
  std::string MediaType() const { return subtype.empty() ? type : type + "/" + subtype; }
};

// Parses "text/plain; charset=utf-8; name=\"a b.txt\"". Never fails: an RFC 2231 value
// that cannot be decoded (unknown charset, invalid bytes) is kept as written (its
// %XX escapes undone); a value it cannot
// read gives type "text", subtype "plain" (RFC 2045's default) and the parameters it
// could read. With `is_disposition`, the first token is the disposition ("attachment").
MimeType ParseMimeType(std::string_view value, bool is_disposition = false);

// One MIME entity (a whole message is one too). The entity keeps views into the bytes
// it was parsed from: those bytes must outlive it.
class MimeEntity {
 public:
  // Splits `raw` at the first empty line. Never fails: an entity with no empty line is
  // all header (no body) if every line looks like a header field, else all body.
  static MimeEntity Parse(std::string_view raw);

  const std::vector<HeaderField>& headers() const { return headers_; }
  // The first field named `name` (case-insensitive), unfolded; nullopt when absent.
  std::optional<std::string> Header(std::string_view name) const;
  // Content-Type (defaults to text/plain when absent).
  const MimeType& content_type() const { return content_type_; }
  // Content-Transfer-Encoding, lower case; "7bit" when absent.
  std::string TransferEncoding() const;
  // The file name from Content-Disposition filename, else Content-Type name (RFC 2231
  // and RFC 2047 encoded forms decoded to UTF-8); "" when
  // neither is given. Directory parts are removed ("../a/b.txt" -> "b.txt").
  std::string FileName() const;
  // True for Content-Disposition: attachment.
  bool IsAttachment() const;

  // The header block as written (without the empty line) and the body as written.
  std::string_view header_bytes() const { return header_bytes_; }
  std::string_view body() const { return body_; }
  std::string_view raw() const { return raw_; }

  // The body with its transfer encoding undone. InvalidArgument for a damaged base64
  // body; unknown encodings are returned as written.
  Result<std::string> DecodedBody() const;

  // For a multipart entity: the bytes of each body part, exactly as written between the
  // boundary lines (the line break before a boundary line belongs to the boundary).
  // InvalidArgument when the entity is not multipart, has no boundary parameter, or no
  // part is found; a missing close delimiter is tolerated (the last part runs to the end).
  Result<std::vector<std::string_view>> Parts() const;

 private:
  std::string_view raw_;
  std::string_view header_bytes_;
  std::string_view body_;
  std::vector<HeaderField> headers_;
  MimeType content_type_;
};

// Decodes quoted-printable (soft line breaks, =XX escapes; a malformed escape is kept as
// written, as RFC 2045 suggests). Never fails.
std::string DecodeQuotedPrintable(std::string_view text);

// Every bare LF becomes CRLF; existing CRLF pairs are kept (canonical form, RFC 5751).
std::string ToCrlf(std::string_view text);

}  // namespace notesd::mime
