// base/clock.h — the time source behind an interface (LevelDB's Env idea), so a test can
// say "the AdminP interval has elapsed" or "the certificate expired yesterday" without
// sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace notesd {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch.
  virtual int64_t NowMicros() const = 0;
  int64_t NowSeconds() const { return NowMicros() / 1'000'000; }
};

// Wall-clock time plus an offset that can be advanced (for testers: a lifecycle that
// normally takes days runs in seconds). Thread-safe.
class SystemClock final : public Clock {
 public:
  int64_t NowMicros() const override {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration_cast<std::chrono::microseconds>(now).count() + offset_micros_.load();
  }
  void Advance(int64_t micros) { offset_micros_ += micros; }
  int64_t OffsetMicros() const { return offset_micros_.load(); }

 private:
  std::atomic<int64_t> offset_micros_{0};
};

// Monotonic milliseconds for elapsed-time displays and deadlines.
inline int64_t MonotonicMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace notesd
