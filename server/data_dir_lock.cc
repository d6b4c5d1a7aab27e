#include "server/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace notesd {

namespace {
std::string ReadPid(int fd) {
  char buffer[32] = {};
  ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
  std::string pid = n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? "unknown" : pid;
}
}  // namespace

Status DataDirLock::Acquire(const std::filesystem::path& data_dir) {
  path_ = data_dir / "nserver.lock";
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) return Status::IOError("cannot open lock file " + path_.string() + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    std::string pid = ReadPid(fd_);
    ::close(fd_);
    fd_ = -1;
    return Status::Unavailable("another nserver (pid " + pid + ") is already running on " + data_dir.string());
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0)
    return Status::IOError("cannot write lock file " + path_.string() + ": " + std::strerror(errno));
  return Status::Ok();
}

void DataDirLock::Release() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // while still holding the lock, so no one else's file is removed
  ::close(fd_);
  fd_ = -1;
}

}  // namespace notesd
