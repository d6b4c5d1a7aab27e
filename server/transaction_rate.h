// server/transaction_rate.h — SHOW SERVER's "Transactions/minute" line: the last minute,
// the last hour and the peak minute, from a counter sampled once a minute.
//
// The core samples Server.Trans.Total once a minute (Sample); Read turns the samples into
// rates. A minute with no sample (a busy io thread, a suspended process) is spread over
// nothing: the next sample's difference counts for the minute it closes. Keeps at most an
// hour of samples.
// Thread safety: all methods may be called from any thread at once.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <utility>

namespace notesd {

class TransactionRate {
 public:
  struct Rates {
    std::uint64_t last_minute = 0;  // transactions in the last full minute
    std::uint64_t last_hour = 0;    // in the last hour (or since the first sample)
    std::uint64_t peak = 0;         // the busiest minute since the first sample
  };

  // Records `total` (a counter that only grows) at `now_millis` (a monotonic clock). A
  // sample less than 30 s after the previous one replaces it (the first one stays, as the
  // baseline).
  void Sample(std::int64_t now_millis, std::uint64_t total);
  Rates Read() const;

 private:
  static constexpr std::int64_t kMinuteMillis = 60'000;
  static constexpr std::size_t kHourOfSamples = 61;

  mutable std::mutex mutex_;
  std::deque<std::pair<std::int64_t, std::uint64_t>> samples_;  // (millis, total), oldest first
  std::uint64_t peak_ = 0;
};

}  // namespace notesd
