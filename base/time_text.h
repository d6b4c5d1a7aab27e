// base/time_text.h — the one way a time becomes text: strftime over UTC or local time.
//
// Every place that shows a time (log lines, mail Date fields, ISO stamps in admin4.nsf,
// the client's listings) formats it here, so no caller repeats the gmtime_r/strftime dance.
#pragma once

#include <ctime>
#include <string>

namespace notesd {

enum class TimeZoneOf { kUtc, kLocal };

// `seconds` since the epoch, formatted with strftime's `format` in UTC or the process's
// local time zone. "?" when the time cannot be broken down or the text would exceed 127
// characters.
std::string FormatSeconds(std::time_t seconds, const char* format, TimeZoneOf zone = TimeZoneOf::kUtc);

// The same for microseconds since the epoch (base/clock.h's TimeMicros); the fraction of
// a second is dropped (rounded toward negative infinity).
std::string FormatMicros(long long micros, const char* format, TimeZoneOf zone = TimeZoneOf::kUtc);

// RFC 3339 in UTC ("2026-12-03T05:58:00Z"), the form every JSON time takes (the client
// API, `notes ... --json`): sortable, and read by every JSON consumer's date parser. ""
// for 0 (no time).
inline constexpr char kRfc3339Format[] = "%Y-%m-%dT%H:%M:%SZ";
std::string Rfc3339FromSeconds(std::time_t seconds);
std::string Rfc3339FromMicros(long long micros);

// An RFC 5322 Date field value in UTC: "Tue, 01 Dec 2026 14:21:44 +0000".
inline constexpr char kRfc5322DateFormat[] = "%a, %d %b %Y %H:%M:%S +0000";

}  // namespace notesd
