// router/mail_message.h — reading the few things the Router needs from an RFC 5322
// message (summary headers, addresses, dates) and writing dates and trace lines.
//
// The message itself is never rewritten beyond its line ends: every message is stored
// and sent CRLF-canonical (CrlfCanonicalizer below), otherwise byte for byte. The other
// helpers only look at the header block.
//
// SECURITY: the message comes from outside. Every function here bounds its work by the
// input size, never throws, and returns empty values for what it cannot read.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/mail_header.h"
#include "store/note.h"
#include "base/status.h"

namespace notesd {

// Header fields are read with mime/mail_header.h (HeaderBlock, HeaderValue, HeaderValues),
// the one header reader of notesd.

// The addr-specs of an address-list header value: `Jane <j@x.example>, k@y.example,
// "Roe, John" <r@z>` -> {"j@x.example", "k@y.example", "r@z"}. Group syntax and comments
// are skipped. Entries without '@' are kept as written (Notes names).
std::vector<std::string> AddressesIn(std::string_view value);

// RFC 5322 date-time ("Sun, 29 Nov 2026 02:54:00 +0000", obsolete zones accepted) ->
// microseconds since the epoch; nullopt when it cannot be read.
std::optional<TimeMicros> ParseRfc5322Date(std::string_view text);
// "Sun, 29 Nov 2026 02:54:00 +0000" (always UTC).
std::string FormatRfc5322Date(TimeMicros time);

// True when any byte has the high bit set (needs 8BITMIME to relay as is).
bool HasEightBitBytes(std::string_view bytes);

// Makes line ends CRLF-canonical, as RFC 5321 section 2.3.8 asks of a message that is
// sent on (and as Postfix's smtpd and Exim do with bare line ends): a bare LF and a bare
// CR each become CRLF; CRLF stays; every other byte (NUL, 8-bit) is kept. So "a\n.\r\n"
// is two lines, and no receiver, however lenient about line ends, can read a line end,
// an end of DATA or a second command into the message that another one does not read.
// "\r\r\n" is a bare CR and a CRLF: two line ends. A message that was already CRLF is
// unchanged byte for byte (S/MIME signatures are over the CRLF form, RFC 8551 3.1.1, so
// canonicalising an LF-only signed message keeps its signature valid).
//
// Streaming: Feed() chunks as they arrive (a CR at the end of a chunk waits for the next
// one), then Finish(). Each call appends to `out`; the output is at most twice the input.
// CanonicalCrlf() does it for one whole string. Pure; thread safety: none (one per stream).
class CrlfCanonicalizer {
 public:
  void Feed(std::string_view bytes, std::string* out);
  void Finish(std::string* out);

 private:
  bool pending_cr_ = false;
};
std::string CanonicalCrlf(std::string_view bytes);
// True when `bytes` has no bare CR and no bare LF (CanonicalCrlf would not change it).
bool IsCrlfCanonical(std::string_view bytes);

// What the Router shows of a message without parsing MIME.
struct MessageSummary {
  std::string from;                  // the From field as written
  std::vector<std::string> send_to;  // To addresses
  std::vector<std::string> copy_to;  // Cc addresses
  std::string subject;               // as written (encoded words are decoded for display by the client)
  std::string message_id;
  std::optional<TimeMicros> date;  // the Date field
};
MessageSummary SummariseMessage(std::string_view message);

}  // namespace notesd
