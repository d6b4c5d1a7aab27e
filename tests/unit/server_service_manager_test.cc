// The service-manager pieces of nserver: sd_notify datagrams to a path and to an abstract
// socket, JOURNAL_STREAM matching, and console.log's cap (one old file, whole lines).
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "base/scoped_fd.h"
#include "server/console_log_file.h"
#include "server/service_manager.h"
#include "unit_test_support.h"

namespace notesd {
namespace {

using testing::TempDir;

// Binds a datagram socket at `name` ("/path" or "@abstract"); returns the fd.
int BindDatagram(const std::string& name) {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, name.data(), name.size());
  if (name[0] == '@') address.sun_path[0] = '\0';
  auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), length) == 0);  // NOLINT(*-reinterpret-cast)
  return fd;
}

std::string Receive(int fd) {
  char buffer[512];
  ssize_t got = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
  return got > 0 ? std::string(buffer, static_cast<size_t>(got)) : std::string();
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("sd_notify reaches a path socket and an abstract one, and is a no-op without NOTIFY_SOCKET",
          "[server][systemd]") {
  TempDir dir;
  const std::string path = (dir.path / "notify.sock").string();
  const std::string abstract = "@notesd-test-" + std::to_string(::getpid());
  for (const std::string& name : {path, abstract}) {
    ScopedFd fd(BindDatagram(name));
    ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
    CHECK(NotifyServiceManager("READY=1\nSTATUS=Running"));
    CHECK(Receive(fd.get()) == "READY=1\nSTATUS=Running");
  }
  ::setenv("NOTIFY_SOCKET", "relative/path", 1);
  CHECK_FALSE(NotifyServiceManager("READY=1"));
  ::unsetenv("NOTIFY_SOCKET");
  CHECK_FALSE(NotifyServiceManager("READY=1"));
  CHECK(ReloadingMessage().rfind("RELOADING=1\nMONOTONIC_USEC=", 0) == 0);
}

TEST_CASE("JOURNAL_STREAM names the stream by device and inode", "[server][systemd]") {
  TempDir dir;
  std::ofstream(dir.path / "out") << "";
  ScopedFd fd(::open((dir.path / "out").c_str(), O_RDONLY | O_CLOEXEC));
  struct stat info {};
  REQUIRE(::fstat(fd.get(), &info) == 0);
  const std::string mine = std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino);
  ::setenv("JOURNAL_STREAM", mine.c_str(), 1);
  CHECK(StreamIsJournal(fd.get()));
  ::setenv("JOURNAL_STREAM", (std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino + 1)).c_str(), 1);
  CHECK_FALSE(StreamIsJournal(fd.get()));
  ::setenv("JOURNAL_STREAM", "garbage", 1);
  CHECK_FALSE(StreamIsJournal(fd.get()));
  ::unsetenv("JOURNAL_STREAM");
  CHECK_FALSE(StreamIsJournal(fd.get()));
  CHECK(JournalPrefix(LogLevel::kError) == "<3>");
  CHECK(JournalPrefix(LogLevel::kWarning) == "<4>");
  CHECK(JournalPrefix(LogLevel::kInfo) == "<6>");
}

TEST_CASE("console.log past its cap becomes console.log.1, one old file kept, lines whole", "[server][log]") {
  TempDir dir;
  const auto log = dir.path / "console.log";
  ConsoleLogFile file;
  file.Open(log);
  file.SetMaxBytes(100);
  const std::string line(39, 'a');  // 40 bytes with its newline: two fit, the third rotates
  for (int i = 0; i < 7; ++i) file.Write(line);
  CHECK(std::filesystem::file_size(log) == 40);
  CHECK(std::filesystem::file_size(dir.path / "console.log.1") == 80);
  CHECK_FALSE(std::filesystem::exists(dir.path / "console.log.2"));
  CHECK((std::filesystem::status(log).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));

  // A line longer than the cap still goes in whole, alone in its file.
  file.Write(std::string(300, 'b'));
  CHECK(ReadFile(log) == std::string(300, 'b') + "\n");

  // Reopen after a move (logrotate): the server writes a new file by name.
  std::filesystem::rename(log, dir.path / "moved");
  file.SetMaxBytes(0);
  file.Reopen();
  file.Write("after");
  CHECK(ReadFile(log) == "after\n");
  CHECK(ReadFile(dir.path / "moved") == std::string(300, 'b') + "\n");
}

}  // namespace notesd
