// imap/imap_section.h — the bytes of a FETCH body section (RFC 3501 6.4.5), for BODY[...],
// BODY.PEEK[...], RFC822.HEADER and RFC822.TEXT.
//
// Owns: walking part numbers through multiparts and encapsulated messages
// (message/rfc822), and cutting HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT and MIME
// out of the message's bytes, and the <origin.count> partial range. Parts are found with
// the MIME reader (mime/mime_entity.h), so they are byte for byte what was stored: a
// signed part fetched this way still verifies.
//
// SECURITY: reads mail from outside. Never throws; the walk is as deep as the section's
// part numbers (bounded by the parser) and each step is bounded by the message size.
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "imap/imap_parser.h"

namespace notesd::imap {

// The bytes of `section` of `message`. BODY[] is the whole message; BODY[HEADER] the
// header with its empty line; BODY[TEXT] what follows; BODY[HEADER.FIELDS (A B)] the
// fields named (any case), as written, in message order, then an empty line;
// BODY[1.2] the body of part 1.2 (its content without its MIME header); BODY[1.2.MIME]
// that MIME header with its empty line; BODY[3.HEADER] / BODY[3.TEXT] the header / text
// of the message enclosed in part 3 (message/rfc822). A message that is not multipart
// has one part, 1, its body. nullopt when the section does not exist in this message
// (no such part, or HEADER/TEXT of a part that is no message): the session answers "".
std::optional<std::string> ExtractSection(std::string_view message, const Section& section);

// The <origin.count> slice of `bytes` (all of them without a partial); empty when the
// origin is past the end; a count past the end is cut.
std::string_view ApplyPartial(std::string_view bytes, const std::optional<Partial>& partial);

}  // namespace notesd::imap
