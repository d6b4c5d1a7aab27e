// mime/mail_header.h — the one reader of RFC 5322 header fields, for the Router, SMTP,
// S/MIME and the client.
//
// Owns: finding the header block of a message, reading its fields in order (a folded
// field is unfolded as RFC 5322 2.2.3 says: only the line breaks go), looking fields up
// by name ignoring case, and decoding RFC 2047 encoded words ("=?utf-8?b?...?=",
// "=?iso-8859-1?q?...?=") into UTF-8 for display.
//
// SECURITY: every function reads mail from outside. None throws; work is bounded by the
// input size; a value is cut at kMaxHeaderValue bytes and a block read at most
// kMaxHeaderFields fields deep. Line ends may be CRLF or bare LF, mixed.
//
// Thread safety: pure functions on their arguments.
#pragma once

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notesd::mime {

inline constexpr std::size_t kMaxHeaderFields = 1000;
inline constexpr std::size_t kMaxHeaderValue = 64 * 1024;

struct HeaderField {
  std::string name;   // as written
  std::string value;  // unfolded, leading/trailing white space removed
};

// The header block of a message: everything before the first empty line (CRLF CRLF or
// LF LF), its last line break included; the whole message when it has no empty line;
// empty when the message starts with an empty line.
std::string_view HeaderBlock(std::string_view message);

// Reads the fields of a header block one by one without copying the block. A line that
// is neither a field ("name:") nor a continuation of one is skipped, as is a continuation
// line before the first field. The block must outlive the reader.
class HeaderReader {
 public:
  explicit HeaderReader(std::string_view block) : block_(block) {}
  // The next field: its name (white space around it removed) and its folded value (from
  // after the colon to the end of its last continuation line). False at the end.
  bool Next(std::string_view* name, std::string_view* folded_value);

 private:
  std::string_view block_;
  std::size_t pos_ = 0;
};

// A folded value unfolded: line breaks removed, any other CR or LF made a space, white
// space around it removed, cut at kMaxHeaderValue bytes.
std::string UnfoldValue(std::string_view folded_value);

// Every field of a header block, unfolded, at most kMaxHeaderFields of them.
std::vector<HeaderField> ParseHeaderFields(std::string_view block);

// The unfolded value of the first field called `name` (case-insensitive) in the header
// block of `message`; nullopt when absent.
std::optional<std::string> HeaderValue(std::string_view message, std::string_view name);
// The unfolded values of the fields called `name`, in order, at most `max` of them (a
// forged message may carry a field twice; a check must see all of them).
std::vector<std::string> HeaderValues(std::string_view message, std::string_view name,
                                      std::size_t max = std::numeric_limits<std::size_t>::max());

// Decodes the RFC 2047 encoded words of an unstructured value (Subject) or a display
// name (From) into UTF-8: B and Q encodings, any charset glibc's iconv knows (UTF-8,
// US-ASCII and ISO-8859-1 always). White space between two adjacent encoded words goes,
// as RFC 2047 6.2 says. A word that cannot be decoded (unknown charset, damaged base64,
// bytes invalid in its charset) is kept exactly as written; text outside encoded words
// is kept as is. Never fails.
std::string DecodeEncodedWords(std::string_view value);

// Converts `bytes` in `charset` (a MIME charset name, case-insensitive) to UTF-8 with
// glibc's iconv. nullopt for an unknown charset or bytes that are invalid in it.
std::optional<std::string> ToUtf8(std::string_view bytes, std::string_view charset);

}  // namespace notesd::mime
