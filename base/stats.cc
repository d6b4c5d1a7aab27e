#include "base/stats.h"

#include "base/notes_ini.h"

namespace notesd {

std::atomic<int64_t>& StatsRegistry::Counter(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto& slot = counters_[name];
  if (!slot) slot = std::make_unique<std::atomic<int64_t>>(0);
  return *slot;
}

void StatsRegistry::SetGauge(const std::string& name, std::function<std::string()> read) {
  std::lock_guard lock(mutex_);
  gauges_[name] = std::move(read);
}

void StatsRegistry::RemovePrefix(const std::string& prefix) {
  std::lock_guard lock(mutex_);
  std::erase_if(gauges_, [&](const auto& entry) { return entry.first.rfind(prefix, 0) == 0; });
  // Counters are kept (references to them may still be held); they are reset instead.
  for (auto& [name, counter] : counters_)
    if (name.rfind(prefix, 0) == 0) counter->store(0);
}

std::vector<std::pair<std::string, std::string>> StatsRegistry::Snapshot(const std::string& pattern) const {
  std::map<std::string, std::string> rows;
  std::vector<std::pair<std::string, std::function<std::string()>>> gauges;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, counter] : counters_)
      if (WildcardMatch(pattern, name)) rows[name] = std::to_string(counter->load());
    for (const auto& [name, read] : gauges_)
      if (WildcardMatch(pattern, name)) gauges.emplace_back(name, read);
  }
  // Gauges are read outside the lock: they may look at other parts of the server.
  for (auto& [name, read] : gauges) rows[name] = read();
  return {rows.begin(), rows.end()};
}

}  // namespace notesd
