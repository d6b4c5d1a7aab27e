#include "store/database_set.h"

#include <functional>
#include <system_error>

namespace notesd {

DatabaseSet::~DatabaseSet() {
  // Newest first: a database opened later may have been opened because of an earlier one.
  std::lock_guard lock(mutex_);
  while (!entries_.empty()) entries_.pop_back();
}

std::size_t DatabaseSet::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

Result<std::shared_ptr<void>> DatabaseSet::GetErased(const std::filesystem::path& path, std::type_index type,
                                                     const ErasedOpener& open) {
  std::error_code ignored;
  std::filesystem::path canonical = std::filesystem::weakly_canonical(path, ignored);
  if (canonical.empty()) canonical = path;
  std::lock_guard lock(mutex_);
  for (const Entry& entry : entries_)
    if (entry.type == type && entry.path == canonical) return entry.database;
  Result<std::shared_ptr<void>> opened = open(canonical);
  if (!opened.ok()) {
    const std::string& message = opened.status().message();
    bool named =
        message.find(canonical.string()) != std::string::npos || message.find(path.string()) != std::string::npos;
    return named ? opened.status() : opened.status().WithContext(canonical.string());
  }
  entries_.push_back({canonical, type, *opened});
  return opened;
}

std::function<int64_t()> DatabaseSet::NoteClock() const {
  if (!clock_) return nullptr;
  const Clock* clock = clock_;
  return [clock] { return clock->NowMicros(); };
}

}  // namespace notesd
