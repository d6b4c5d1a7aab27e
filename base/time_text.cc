#include "base/time_text.h"

namespace notesd {

std::string FormatSeconds(std::time_t seconds, const char* format, TimeZoneOf zone) {
  std::tm parts{};
  bool broken_down =
      zone == TimeZoneOf::kUtc ? gmtime_r(&seconds, &parts) != nullptr : localtime_r(&seconds, &parts) != nullptr;
  if (!broken_down) return "?";
  char text[128];
  std::size_t length = std::strftime(text, sizeof text, format, &parts);
  if (length == 0) return "?";
  return std::string(text, length);
}

std::string FormatMicros(long long micros, const char* format, TimeZoneOf zone) {
  long long seconds = micros / 1'000'000;
  if (micros % 1'000'000 < 0) --seconds;
  return FormatSeconds(static_cast<std::time_t>(seconds), format, zone);
}

std::string Rfc3339FromSeconds(std::time_t seconds) {
  return seconds == 0 ? std::string() : FormatSeconds(seconds, kRfc3339Format);
}

std::string Rfc3339FromMicros(long long micros) {
  return micros == 0 ? std::string() : FormatMicros(micros, kRfc3339Format);
}

}  // namespace notesd
