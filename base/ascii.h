// base/ascii.h — the one set of ASCII text helpers: case folding, case-insensitive
// comparison, trimming. notes.ini names, console words, mail header names, MIME tokens,
// SMTP verbs and Notes names all compare this way.
//
// Only the 26 ASCII letters are folded and only ASCII blanks are trimmed, whatever the
// process locale: every byte >= 0x80 (UTF-8) is kept as it is, so a UTF-8 name never
// changes under folding. Pure functions; thread safe.
#pragma once

#include <string>
#include <string_view>

namespace notesd {

// 'A'..'Z' -> 'a'..'z' (and back); any other byte is returned unchanged.
constexpr char AsciiToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr char AsciiToUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string ToLowerAscii(std::string_view text);
std::string ToUpperAscii(std::string_view text);

// Equal when the texts have the same length and differ only in the case of ASCII letters.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// True when `text` begins with `prefix`, ignoring the case of ASCII letters.
bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix);

// Without leading and trailing spaces and tabs (a notes.ini value, a header value).
std::string_view TrimBlanks(std::string_view text);
// Without leading and trailing spaces, tabs, CR and LF.
std::string_view TrimWhitespace(std::string_view text);
// TrimBlanks as an owned string (callers that keep the value).
inline std::string TrimSpaces(std::string_view text) { return std::string(TrimBlanks(text)); }

}  // namespace notesd
