// Unit tests for base/time_text: the one strftime helper.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "base/time_text.h"

using namespace notesd;

TEST_CASE("times format in UTC by default", "[time]") {
  // 2026-12-02 14:21:44 UTC, a Wednesday.
  const std::time_t seconds = 1796221304;
  CHECK(FormatSeconds(seconds, "%Y-%m-%dT%H:%M:%SZ") == "2026-12-02T14:21:44Z");
  CHECK(FormatSeconds(seconds, kRfc5322DateFormat) == "Wed, 02 Dec 2026 14:21:44 +0000");
  CHECK(FormatMicros(seconds * 1'000'000LL + 999'999, "%H:%M:%S") == "14:21:44");
}

TEST_CASE("microseconds before the epoch round down to the earlier second", "[time]") {
  CHECK(FormatMicros(-1, "%Y-%m-%d %H:%M:%S") == "1969-12-31 23:59:59");
  CHECK(FormatMicros(-1'000'000, "%Y-%m-%d %H:%M:%S") == "1969-12-31 23:59:59");
  CHECK(FormatMicros(0, "%Y-%m-%d %H:%M:%S") == "1970-01-01 00:00:00");
}

TEST_CASE("local time follows TZ", "[time]") {
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  setenv("TZ", "UTC-2", 1);  // two hours east of UTC
  tzset();
  CHECK(FormatSeconds(1796221304, "%H:%M", TimeZoneOf::kLocal) == "16:21");
  if (old)
    setenv("TZ", saved.c_str(), 1);
  else
    unsetenv("TZ");
  tzset();
}

TEST_CASE("an over-long or empty result is '?', not a truncated text", "[time]") {
  CHECK(FormatSeconds(0, "") == "?");
  CHECK(FormatSeconds(0, std::string(200, 'x').c_str()) == "?");
}
