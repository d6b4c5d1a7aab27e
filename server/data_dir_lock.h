// server/data_dir_lock.h — one server per data directory: an exclusive flock on
// `<data>/nserver.lock` holding the owner's pid. The kernel drops the lock when the
// process dies, so a crash never leaves the directory locked; an orderly stop also
// removes the file.
#pragma once

#include <filesystem>

#include "base/status.h"

namespace notesd {

class DataDirLock {
 public:
  DataDirLock() = default;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock() { Release(); }

  // Unavailable, naming the running server's pid, when another process holds the lock.
  Status Acquire(const std::filesystem::path& data_dir);
  // Removes the lock file and drops the lock. Idempotent.
  void Release();

 private:
  int fd_ = -1;
  std::filesystem::path path_;
};

}  // namespace notesd
