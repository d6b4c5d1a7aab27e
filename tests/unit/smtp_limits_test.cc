// The SMTP listener's time bounds (router/smtp_limits.h): deadlines computed from given
// times (no sleeping).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "router/smtp_limits.h"

namespace notesd::smtp {
namespace {

using namespace std::chrono_literals;
using Clock = SessionDeadline::Clock;

DeadlineLimits Limits() {
  DeadlineLimits limits;
  limits.idle = 60s;
  limits.command = 10s;
  limits.data = 20s;
  limits.data_min_rate = 1000;
  return limits;
}

TEST_CASE("smtp deadline: a command line trickling in is cut at the command deadline", "[smtp][deadline]") {
  SessionDeadline deadline(Limits());
  const Clock::time_point t0{};
  deadline.BeginCommand(t0);
  CHECK(deadline.ReadDeadline(t0) == t0 + 10s);
  // One byte every 3 s does not move it.
  for (int i = 1; i <= 3; ++i) {
    deadline.Received(t0 + i * 3s, 1);
    CHECK(deadline.ReadDeadline(t0 + i * 3s) == t0 + 10s);
  }
  // A new line starts a new deadline.
  deadline.BeginCommand(t0 + 9s);
  CHECK(deadline.ReadDeadline(t0 + 9s) == t0 + 19s);
}

TEST_CASE("smtp deadline: silence is cut at the idle timeout when that is shorter", "[smtp][deadline]") {
  DeadlineLimits limits = Limits();
  limits.idle = 4s;
  SessionDeadline deadline(limits);
  const Clock::time_point t0{};
  deadline.BeginCommand(t0);
  CHECK(deadline.ReadDeadline(t0) == t0 + 4s);
  CHECK(deadline.ReadDeadline(t0 + 3s) == t0 + 7s);
  CHECK(deadline.ReadDeadline(t0 + 8s) == t0 + 10s);  // never past the whole-line deadline
}

TEST_CASE("smtp deadline: DATA must keep up the minimum rate", "[smtp][deadline]") {
  SessionDeadline deadline(Limits());
  const Clock::time_point t0{};
  deadline.BeginData(t0);
  CHECK(deadline.in_data());
  CHECK(deadline.ReadDeadline(t0) == t0 + 20s);
  SECTION("a drip earns 1 ms a byte and is cut about SMTPDataTimeoutSeconds after DATA") {
    Clock::time_point expected = t0 + 20s;
    for (int i = 1; i <= 6; ++i) {
      deadline.Received(t0 + i * 3s, 1);
      expected += 1ms;
      CHECK(deadline.ReadDeadline(t0 + i * 3s) == expected);
    }
  }
  SECTION("a fast sender is never cut, but banks at most SMTPDataTimeoutSeconds") {
    for (int i = 1; i <= 100; ++i) deadline.Received(t0 + i * 1s, 16384);  // 16 KB/s against 1 KB/s
    CHECK(deadline.ReadDeadline(t0 + 100s) == t0 + 100s + 20s);
  }
  SECTION("a sender at the rate keeps its deadline where it was") {
    for (int i = 1; i <= 30; ++i) deadline.Received(t0 + i * 1s, 1000);
    CHECK(deadline.ReadDeadline(t0 + 30s) == t0 + 20s + 30s);
  }
  SECTION("the next command gets the command deadline again") {
    deadline.BeginCommand(t0 + 5s);
    CHECK_FALSE(deadline.in_data());
    CHECK(deadline.ReadDeadline(t0 + 5s) == t0 + 15s);
  }
}

}  // namespace
}  // namespace notesd::smtp
