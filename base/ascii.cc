// base/ascii.cc — locale-independent on purpose (see the header).
#include "base/ascii.h"

namespace notesd {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsWhitespace(char c) { return IsBlank(c) || c == '\r' || c == '\n'; }

template <typename Predicate>
std::string_view TrimIf(std::string_view text, Predicate drop) {
  while (!text.empty() && drop(text.front())) text.remove_prefix(1);
  while (!text.empty() && drop(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string ToLowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = AsciiToLower(c);
  return out;
}

std::string ToUpperAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = AsciiToUpper(c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (AsciiToLower(a[i]) != AsciiToLower(b[i])) return false;
  return true;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

std::string_view TrimBlanks(std::string_view text) { return TrimIf(text, IsBlank); }

std::string_view TrimWhitespace(std::string_view text) { return TrimIf(text, IsWhitespace); }

}  // namespace notesd
