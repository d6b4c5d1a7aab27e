#include "router/smtp_limits.h"

#include <algorithm>

namespace notesd::smtp {

void SessionDeadline::BeginCommand(Clock::time_point now) {
  in_data_ = false;
  deadline_ = now + limits_.command;
}

void SessionDeadline::BeginData(Clock::time_point now) {
  in_data_ = true;
  deadline_ = now + limits_.data;
}

void SessionDeadline::Received(Clock::time_point now, std::size_t bytes) {
  if (!in_data_) return;
  // Microseconds of credit; a read is at most a buffer (16 KB), so no overflow.
  auto credit = std::chrono::microseconds(static_cast<std::int64_t>(bytes) * 1'000'000 /
                                          static_cast<std::int64_t>(std::max<std::uint64_t>(limits_.data_min_rate, 1)));
  Clock::time_point cap = now + limits_.data;
  deadline_ = std::min(cap, std::chrono::time_point_cast<Clock::duration>(deadline_ + credit));
}

SessionDeadline::Clock::time_point SessionDeadline::ReadDeadline(Clock::time_point now) const {
  if (in_data_) return deadline_;
  return std::min(deadline_, now + limits_.idle);
}

}  // namespace notesd::smtp
