// pop3/pop3_protocol.h — the pure POP3 command parser (RFC 1939, CAPA of RFC 2449, STLS
// of RFC 2595, AUTH of RFC 5034): bytes in, a command / need-more / error out; no
// sockets, no store. Also the byte helpers of the replies (dot-stuffing, TOP's cut).
//
// Lines: a command line ends with CRLF (a bare LF is taken too, as most servers do). RFC
// 2449 bounds a command at 255 octets and a reply line at 512; a line may carry an AUTH
// response of a long password, so the reader takes up to kMaxLineBytes (1024, with the
// line end) and answers a longer one with kLineTooLong, without keeping its bytes.
//
// SECURITY: every byte is untrusted. Memory is bounded by kMaxLineBytes plus one read;
// a NUL byte or another control character in a command line is refused (kBadLine).
// Numbers are decimal digits only, 1..2^31-1 for message numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notesd::pop3 {

inline constexpr std::size_t kMaxLineBytes = 1024;

// Collects bytes into lines. Not thread-safe (one session's).
class LineReader {
 public:
  enum class Result { kLine, kNeedMore, kLineTooLong, kBadLine };
  // Appends bytes the client sent.
  void Feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next complete line, without its CRLF, in *line. kNeedMore: no complete line yet
  // (what there is stays buffered, at most kMaxLineBytes). kLineTooLong: the line ran
  // over the bound (its bytes are dropped; the caller answers and closes). kBadLine: a
  // NUL or other control byte (the line is consumed).
  Result Next(std::string* line);
  // Drops what is buffered (after STLS: input sent before the handshake is not ours).
  void Clear() { buffer_.clear(); }
  // True when part of a line is buffered.
  bool partial() const { return !buffer_.empty(); }
  // The bytes buffered (below kMaxLineBytes whenever Next said kNeedMore).
  std::size_t buffered() const { return buffer_.size(); }

 private:
  std::string buffer_;
};

enum class Verb { kUser, kPass, kQuit, kStat, kList, kRetr, kDele, kNoop, kRset, kTop, kUidl, kCapa, kStls, kAuth };

struct Command {
  Verb verb = Verb::kNoop;
  std::string keyword;                 // upper case, as the client named it
  std::vector<std::string> words;      // the arguments, split on spaces
  std::vector<std::uint32_t> numbers;  // LIST, RETR, DELE, TOP, UIDL: the message number(s)
  std::string rest;                    // PASS: everything after "PASS " (a password may hold spaces)
};

struct ParseResult {
  std::optional<Command> command;  // set on success
  std::string error;               // otherwise: the text of the -ERR reply ("unknown command")
};

// Parses one command line (without CRLF). The keyword is case-insensitive; argument counts
// and numbers are checked here, so the handler sees only well-formed commands.
ParseResult ParseCommand(std::string_view line);

// A message as RETR sends it: each line starting with "." gets one more, the message ends
// with CRLF (added when missing) and then ".\r\n". Appended to *out.
void AppendDotStuffed(std::string_view message, std::string* out);

// TOP's part of a message: the header, the empty line after it, and the first `lines`
// lines of the body (all of them when there are fewer). A message without an empty line
// is all header.
std::string_view TopOf(std::string_view message, std::uint32_t lines);

}  // namespace notesd::pop3
