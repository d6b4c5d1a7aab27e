// base/stats.h — server statistics for SHOW STAT: named counters (`Server.Trans.Total`)
// and gauges computed on demand. Names are dotted and case-insensitive for lookups.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace notesd {

class StatsRegistry {
 public:
  // A counter that lives as long as the registry; the returned reference stays valid.
  std::atomic<int64_t>& Counter(const std::string& name);
  // A value computed when shown (e.g. Server.Tasks). Replaces an existing gauge.
  void SetGauge(const std::string& name, std::function<std::string()> read);
  // Removes every statistic whose name starts with `prefix` (a task being unloaded).
  void RemovePrefix(const std::string& prefix);
  // All statistics matching the wildcard pattern ("*" for all), sorted by name.
  std::vector<std::pair<std::string, std::string>> Snapshot(const std::string& pattern) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<std::atomic<int64_t>>> counters_;
  std::map<std::string, std::function<std::string()>> gauges_;
};

}  // namespace notesd
