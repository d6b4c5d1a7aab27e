#include "server/transaction_rate.h"

#include <algorithm>

namespace notesd {

void TransactionRate::Sample(std::int64_t now_millis, std::uint64_t total) {
  std::lock_guard lock(mutex_);
  // A sample too close to the last one (a timer that fired early, a test) replaces it, so
  // no "minute" of three seconds makes a false peak; the first one stays as the baseline.
  bool too_close = samples_.size() >= 2 && now_millis - samples_.back().first < kMinuteMillis / 2;
  if (too_close) {
    samples_.back() = {now_millis, total};
  } else {
    samples_.emplace_back(now_millis, total);
  }
  if (samples_.size() >= 2) {
    const auto& newest = samples_.back();
    const auto& before = samples_[samples_.size() - 2];
    if (newest.first - before.first >= kMinuteMillis / 2) peak_ = std::max(peak_, newest.second - before.second);
  }
  while (samples_.size() > kHourOfSamples) samples_.pop_front();
}

TransactionRate::Rates TransactionRate::Read() const {
  std::lock_guard lock(mutex_);
  Rates rates;
  if (samples_.size() < 2) return rates;
  const auto& newest = samples_.back();
  const auto& before = samples_[samples_.size() - 2];
  if (newest.first - before.first >= kMinuteMillis / 2) rates.last_minute = newest.second - before.second;
  rates.last_hour = newest.second - samples_.front().second;
  rates.peak = peak_;
  return rates;
}

}  // namespace notesd
