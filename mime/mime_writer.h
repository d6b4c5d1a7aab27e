// mime/mime_writer.h — the pieces of MIME that notesd writes: RFC 2047 header words for
// non-ASCII text, the text part's headers, and a base64 attachment part. The composer of
// `notes mail send` and S/MIME's ComposeEntity build their messages from these, so both
// write attachments the same way. Every line ends in CRLF.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace notesd::mime {

// True when every byte is 7-bit.
bool IsAscii(std::string_view text);

// `text` as it is when ASCII, else one RFC 2047 encoded word "=?utf-8?B?...?=".
std::string EncodeWord(std::string_view text);

// A file name safe inside a quoted parameter: '"', '\' and control bytes become '_';
// "attachment" when empty. UTF-8 is kept as it is.
std::string SafeFileName(std::string_view name);

// "Content-Type: text/plain; charset=utf-8" and "Content-Transfer-Encoding: 7bit" (8bit
// when `body` is not ASCII), each line ending in CRLF; no empty line after them.
std::string TextPartHeaders(std::string_view body);

// One attachment part without its boundary line: Content-Type `content_type` with
// name=, Content-Transfer-Encoding base64, Content-Disposition attachment with filename=
// (both SafeFileName(file_name)), the empty line, and `bytes` in base64 lines of 76.
std::string AttachmentPart(std::string_view file_name, std::string_view content_type, std::string_view bytes);

}  // namespace notesd::mime
