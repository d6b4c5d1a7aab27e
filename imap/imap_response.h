// imap/imap_response.h — writing IMAP4rev1 responses correctly (RFC 3501 sections 7 and 9).
//
// Owns: strings as quoted strings or literals (whichever the bytes allow), NIL, astrings,
// flag lists, sequence sets (COPYUID/APPENDUID, RFC 4315), INTERNALDATE date-times, the
// names of FETCH response items ("BODY[HEADER.FIELDS (From)]<0>"), and ENVELOPE and
// BODYSTRUCTURE: their plain data structs, their rendering, and building them from a
// message's bytes with the MIME reader (mime/mail_header.h, mime/mime_entity.h).
//
// SECURITY: the Build* functions read mail from outside: they never throw, memory and
// work are bounded by the message size, multipart nesting is followed at most
// kMaxBodyDepth levels (deeper parts are described as application/octet-stream), at most
// mime::kMaxParts parts per multipart.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "imap/imap_parser.h"

namespace notesd::imap {

// A string longer than this is written as a literal even when it could be quoted.
inline constexpr std::size_t kMaxQuotedBytes = 1024;
inline constexpr int kMaxBodyDepth = 32;

// Appends `text` as a quoted string ("a \"b\"", '\' and '"' escaped), or as a literal
// "{n}\r\n<bytes>" when it holds CR, LF, NUL or 8-bit bytes or is over kMaxQuotedBytes.
// (IMAP4rev1 has no way to send a NUL byte except in a literal, where it is tolerated
// by clients; messages are sent as literals anyway.)
void AppendString(std::string* out, std::string_view text);
// NIL when absent, else AppendString.
void AppendNString(std::string* out, const std::optional<std::string>& text);
// An atom when every byte is an ASTRING-CHAR and the text is not empty and not "NIL";
// else AppendString.
void AppendAString(std::string* out, std::string_view text);
// "(\Seen $Forwarded)"; flags are written as they are (the caller keeps them valid).
void AppendFlagList(std::string* out, const std::vector<std::string>& flags);

// "1:3,5,7:*" from a parsed set, ranges as written.
std::string FormatSequenceSet(const SequenceSet& set);
// Numbers in their order, ascending runs compressed: {3,4,5,9,2} -> "3:5,9,2" (the
// order matters: COPYUID pairs source and destination UIDs by position). Empty gives "".
std::string FormatUidSet(const std::vector<std::uint32_t>& uids);

// "02-Dec-2026 18:00:00 +0000" (no quotes), in the zone `zone_minutes` east of UTC.
std::string FormatDateTime(std::int64_t unix_seconds, int zone_minutes = 0);

// The name of a FETCH response item for the attribute asked: "FLAGS", "RFC822.SIZE",
// "BODY[1.2.HEADER.FIELDS (From To)]<0>" (BODY.PEEK answers as BODY; a partial
// answers with its origin only, RFC 3501 7.4.2).
std::string FetchItemName(const FetchAttribute& attribute);
// The section inside the brackets: "", "1.2", "HEADER.FIELDS.NOT (Subject)", "3.MIME".
std::string SectionName(const Section& section);

// ENVELOPE (RFC 3501 7.4.2). Header values are given raw (unfolded, encoded words kept):
// the client decodes them.
struct Address {
  std::optional<std::string> name;     // display name, quotes removed
  std::optional<std::string> adl;      // source route ("@a,@b"), almost always absent
  std::optional<std::string> mailbox;  // local part; for a group start the group name
  std::optional<std::string> host;     // domain; absent for a group start and end
};

struct Envelope {
  std::optional<std::string> date;
  std::optional<std::string> subject;
  std::vector<Address> from, sender, reply_to, to, cc, bcc;
  std::optional<std::string> in_reply_to;
  std::optional<std::string> message_id;
};

// "(date subject (from) (sender) (reply-to) (to) (cc) (bcc) in-reply-to message-id)";
// an empty address list is NIL.
void AppendEnvelope(std::string* out, const Envelope& envelope);

// Parses an address-list field value ("Jane <jane@acme.example>, \"Doe, J\" <j@x>,
// group: a@b;") into ENVELOPE addresses; a group gives a start (mailbox = group name)
// and an end entry (all absent). What cannot be read is skipped. Never fails.
std::vector<Address> ParseAddressList(std::string_view value);

// The ENVELOPE of a message from its header block. Sender and Reply-To default to From
// when absent (RFC 3501 7.4.2).
Envelope BuildEnvelope(std::string_view message);

// BODYSTRUCTURE / BODY of one entity.
struct BodyStructure {
  std::string type;                                         // upper case: "TEXT", "MULTIPART"
  std::string subtype;                                      // upper case: "PLAIN", "MIXED"
  std::vector<std::pair<std::string, std::string>> params;  // names upper case; values as read
  // Multipart: the parts; single part: empty.
  std::vector<BodyStructure> parts;
  // Single part only.
  std::optional<std::string> id;           // Content-ID
  std::optional<std::string> description;  // Content-Description
  std::string encoding = "7BIT";           // Content-Transfer-Encoding, upper case
  std::uint64_t size = 0;                  // octets of the body as sent
  std::uint64_t lines = 0;                 // TEXT and MESSAGE/RFC822 only
  // MESSAGE/RFC822 only: the enclosed message's envelope and structure (one element).
  std::optional<Envelope> envelope;
  std::vector<BodyStructure> message;
  // Extension data (BODYSTRUCTURE only).
  std::optional<std::string> md5;          // Content-MD5
  std::optional<std::string> disposition;  // upper case: "ATTACHMENT", "INLINE"
  std::vector<std::pair<std::string, std::string>> disposition_params;
  std::vector<std::string> language;    // Content-Language tags
  std::optional<std::string> location;  // Content-Location
};

// The BODYSTRUCTURE (extended, with extension data) or BODY (not) form.
void AppendBodyStructure(std::string* out, const BodyStructure& body, bool extended);

// The structure of a message (or of any entity) from its bytes. `default_type` is what
// an entity without Content-Type is: "text/plain" normally, "message/rfc822" inside
// multipart/digest.
BodyStructure BuildBodyStructure(std::string_view entity, std::string_view default_type = "text/plain");

}  // namespace notesd::imap
