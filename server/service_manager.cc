#include "server/service_manager.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <cstring>

#include "base/scoped_fd.h"

namespace notesd {

bool NotifyServiceManager(std::string_view state) {
  const char* name = std::getenv("NOTIFY_SOCKET");
  if (name == nullptr || name[0] == '\0') return false;
  std::string_view path = name;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) return false;
  if (path[0] != '/' && path[0] != '@') return false;
  std::memcpy(address.sun_path, path.data(), path.size());
  socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  // `@name` is the abstract namespace: a leading NUL, and no terminating one counted.
  if (path[0] == '@') address.sun_path[0] = '\0';
  ScopedFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return false;
  ssize_t sent = ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
                          reinterpret_cast<const sockaddr*>(&address), length);  // NOLINT(*-reinterpret-cast)
  return sent == static_cast<ssize_t>(state.size());
}

std::string ReloadingMessage() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const int64_t micros = static_cast<int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
  return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(micros);
}

bool StreamIsJournal(int fd) {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long device = 0;
  unsigned long long inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;  // NOLINT(cert-err34-c)
  struct stat info {};
  if (::fstat(fd, &info) != 0) return false;
  return static_cast<unsigned long long>(info.st_dev) == device &&
         static_cast<unsigned long long>(info.st_ino) == inode;
}

std::string JournalPrefix(LogLevel level) { return "<" + std::to_string(static_cast<int>(level)) + ">"; }

void PrintServerError(std::string_view message) {
  static const bool journal = StreamIsJournal(STDERR_FILENO);
  std::string line = (journal ? JournalPrefix(LogLevel::kError) : "") + "nserver: " + std::string(message) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace notesd
