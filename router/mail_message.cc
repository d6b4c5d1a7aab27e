#include "router/mail_message.h"

#include <cctype>
#include <charconv>
#include <ctime>

#include "base/notes_ini.h"
#include "base/ascii.h"
#include "base/time_text.h"

namespace notesd {

using mime::HeaderValue;

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Removes (comments), honouring quoted strings and nesting.
std::string StripComments(std::string_view text) {
  std::string out;
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      if (depth == 0) out += text.substr(i, 2);
      ++i;
      continue;
    }
    if (!quoted && c == '(') {
      ++depth;
      continue;
    }
    if (!quoted && c == ')' && depth > 0) {
      --depth;
      continue;
    }
    if (depth > 0) continue;
    if (c == '"') quoted = !quoted;
    out += c;
  }
  return out;
}

int MonthIndex(std::string_view name) {
  static const char* const kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};
  for (int i = 0; i < 12; ++i)
    if (EqualsIgnoreCase(name, kMonths[i])) return i;
  return -1;
}

bool ParseNumber(std::string_view text, int* out) {
  if (text.empty() || text.size() > 9) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// Zone offset in minutes east of UTC.
std::optional<int> ZoneMinutes(std::string_view zone) {
  if (zone.size() == 5 && (zone[0] == '+' || zone[0] == '-')) {
    int hhmm = 0;
    if (!ParseNumber(zone.substr(1), &hhmm)) return std::nullopt;
    int minutes = hhmm / 100 * 60 + hhmm % 100;
    return zone[0] == '-' ? -minutes : minutes;
  }
  struct Named {
    const char* name;
    int minutes;
  };
  static const Named kZones[] = {{"UT", 0},        {"GMT", 0},       {"Z", 0},         {"EST", -5 * 60},
                                 {"EDT", -4 * 60}, {"CST", -6 * 60}, {"CDT", -5 * 60}, {"MST", -7 * 60},
                                 {"MDT", -6 * 60}, {"PST", -8 * 60}, {"PDT", -7 * 60}};
  for (const Named& named : kZones)
    if (EqualsIgnoreCase(zone, named.name)) return named.minutes;
  return 0;  // RFC 5322 4.3: an unknown zone is taken as UTC
}

std::vector<std::string_view> SplitBlanks(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (IsBlank(text[i]) || text[i] == ',')) ++i;
    std::size_t start = i;
    while (i < text.size() && !IsBlank(text[i]) && text[i] != ',') ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

}  // namespace

std::vector<std::string> AddressesIn(std::string_view value) {
  std::string text = StripComments(value);
  std::vector<std::string> entries;
  std::string current;
  bool quoted = false;
  bool angled = false;
  auto flush = [&] {
    std::string entry = std::string(TrimWhitespace(current));
    current.clear();
    if (entry.empty()) return;
    std::size_t open = entry.find('<');
    std::size_t close = entry.rfind('>');
    if (open != std::string::npos && close != std::string::npos && close > open) {
      entry = std::string(TrimWhitespace(std::string_view(entry).substr(open + 1, close - open - 1)));
    } else if (!entry.empty() && entry.back() == ';') {
      return;  // "undisclosed-recipients:;"
    }
    if (!entry.empty()) entries.push_back(entry);
  };
  for (char c : text) {
    if (c == '"' && !angled) quoted = !quoted;
    if (!quoted && c == '<') angled = true;
    if (!quoted && c == '>') angled = false;
    if (!quoted && !angled && c == ',') {
      flush();
      continue;
    }
    if (!quoted && !angled && c == ':') {  // "group: a@b, c@d;" — drop the display name
      current.clear();
      continue;
    }
    if (!quoted && !angled && c == ';') {
      flush();
      continue;
    }
    current += c;
  }
  flush();
  return entries;
}

std::optional<TimeMicros> ParseRfc5322Date(std::string_view text) {
  std::string cleaned = StripComments(text);
  std::vector<std::string_view> words = SplitBlanks(cleaned);
  std::size_t i = 0;
  if (i < words.size() && !words[i].empty() && std::isalpha(static_cast<unsigned char>(words[i].front()))) ++i;
  if (words.size() < i + 4) return std::nullopt;
  int day = 0, year = 0;
  if (!ParseNumber(words[i], &day)) return std::nullopt;
  int month = MonthIndex(words[i + 1]);
  if (month < 0 || !ParseNumber(words[i + 2], &year)) return std::nullopt;
  if (year < 50 && words[i + 2].size() <= 2)
    year += 2000;
  else if (year < 1000)
    year += 1900;
  std::string_view clock = words[i + 3];
  int hour = 0, minute = 0, second = 0;
  std::size_t c1 = clock.find(':');
  if (c1 == std::string_view::npos) return std::nullopt;
  std::size_t c2 = clock.find(':', c1 + 1);
  if (!ParseNumber(clock.substr(0, c1), &hour)) return std::nullopt;
  if (!ParseNumber(clock.substr(c1 + 1, c2 == std::string_view::npos ? std::string_view::npos : c2 - c1 - 1), &minute))
    return std::nullopt;
  if (c2 != std::string_view::npos && !ParseNumber(clock.substr(c2 + 1), &second)) return std::nullopt;
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || year > 9999) return std::nullopt;
  int zone = 0;
  if (words.size() > i + 4) {
    auto minutes = ZoneMinutes(words[i + 4]);
    if (!minutes) return std::nullopt;
    zone = *minutes;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::time_t seconds = timegm(&tm);
  if (seconds == static_cast<std::time_t>(-1)) return std::nullopt;
  return (static_cast<TimeMicros>(seconds) - zone * 60) * 1'000'000;
}

std::string FormatRfc5322Date(TimeMicros time) { return FormatMicros(time, kRfc5322DateFormat); }

bool HasEightBitBytes(std::string_view bytes) {
  for (char c : bytes)
    if (static_cast<unsigned char>(c) & 0x80) return true;
  return false;
}

void CrlfCanonicalizer::Feed(std::string_view bytes, std::string* out) {
  std::size_t i = 0;
  if (pending_cr_ && !bytes.empty()) {
    out->append("\r\n");
    pending_cr_ = false;
    if (bytes.front() == '\n') i = 1;
  }
  // Copies runs without line ends at once: most of a message is such runs.
  while (i < bytes.size()) {
    std::size_t end = bytes.find_first_of("\r\n", i);
    if (end == std::string_view::npos) {
      out->append(bytes.substr(i));
      return;
    }
    out->append(bytes.substr(i, end - i));
    if (bytes[end] == '\n') {  // a bare LF (a CRLF's LF is consumed with its CR)
      out->append("\r\n");
      i = end + 1;
      continue;
    }
    if (end + 1 == bytes.size()) {  // a CR at the end: its LF may come in the next chunk
      pending_cr_ = true;
      return;
    }
    out->append("\r\n");
    i = bytes[end + 1] == '\n' ? end + 2 : end + 1;
  }
}

void CrlfCanonicalizer::Finish(std::string* out) {
  if (pending_cr_) out->append("\r\n");
  pending_cr_ = false;
}

std::string CanonicalCrlf(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 64 + 2);
  CrlfCanonicalizer canonicalizer;
  canonicalizer.Feed(bytes, &out);
  canonicalizer.Finish(&out);
  return out;
}

bool IsCrlfCanonical(std::string_view bytes) {
  for (std::size_t i = bytes.find_first_of("\r\n"); i != std::string_view::npos; i = bytes.find_first_of("\r\n", i)) {
    if (bytes[i] == '\n' || i + 1 == bytes.size() || bytes[i + 1] != '\n') return false;
    i += 2;
  }
  return true;
}

MessageSummary SummariseMessage(std::string_view message) {
  MessageSummary summary;
  summary.from = HeaderValue(message, "From").value_or("");
  if (auto to = HeaderValue(message, "To")) summary.send_to = AddressesIn(*to);
  if (auto cc = HeaderValue(message, "Cc")) summary.copy_to = AddressesIn(*cc);
  summary.subject = HeaderValue(message, "Subject").value_or("");
  summary.message_id = HeaderValue(message, "Message-ID").value_or("");
  if (auto date = HeaderValue(message, "Date")) summary.date = ParseRfc5322Date(*date);
  return summary;
}

}  // namespace notesd
