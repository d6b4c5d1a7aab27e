// base/display_text.h — the one function that makes untrusted text safe to show: on a
// terminal, in console.log and log.nsf (the logger escapes every message), in the
// client's output (mail headers and bodies, names, certificates), in .nsf text dumps.
//
// Policy (EscapeForDisplay):
//   - valid UTF-8 is kept as it is, except the controls below;
//   - C0 controls (0x00-0x1F) and DEL become `\xNN` (upper-case hex), except tab (`\t`)
//     and line feed (`\n`) on one line: a terminal acts on none of them;
//   - C1 controls (U+0080-U+009F, e.g. U+009B, the one-character CSI) become `\u00NN`;
//   - each byte that is not part of valid UTF-8 (a stray continuation byte, a truncated
//     or overlong sequence, a surrogate, above U+10FFFF) becomes `\xNN` (the byte);
//   - kMultiLine keeps tab and line feed, and shows CRLF as a line feed; a CR alone is
//     always `\x0D` (it would let text overwrite the start of its line);
//   - a backslash is kept, so escaping twice changes nothing, except in kReversible,
//     which doubles it (a dump that must be read back without ambiguity).
// Thread safety: pure.
#pragma once

#include <string>
#include <string_view>

namespace notesd {

enum class DisplayStyle {
  kOneLine,     // a log line, a header field: line breaks are escaped
  kMultiLine,   // a message body shown as text: line breaks and tabs are kept
  kReversible,  // kOneLine, and a backslash is doubled
};

std::string EscapeForDisplay(std::string_view text, DisplayStyle style = DisplayStyle::kOneLine);

}  // namespace notesd
