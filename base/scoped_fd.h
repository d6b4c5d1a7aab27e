// base/scoped_fd.h: ScopedFd, the one owner of a POSIX file descriptor (RAII).
#pragma once

#include <unistd.h>

namespace notesd {

// Owns a file descriptor and closes it when it goes out of scope. Not copyable.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }
  // Closes now and reports close()'s result (a late write error shows up here).
  int Close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd);
  }

 private:
  int fd_;
};

}  // namespace notesd
