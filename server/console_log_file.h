// server/console_log_file.h — console.log in the data directory, capped and reopenable.
//
// Console_Log_Max_Kbytes (notes.ini, 0 = no cap): when a line would take console.log past
// the cap, console.log is renamed console.log.1 (replacing the older one: one old file is
// kept) and a new console.log is started. Domino wraps its console.log in place instead;
// a renamed file keeps its lines in order and works with `tail -F` and logrotate.
// Reopen() closes and opens console.log again by name: logrotate moves the file, then
// sends SIGHUP, and the server goes on in a new console.log. Files are mode 0600 (they
// hold names and addresses).
//
// Thread safety: every method may be called from any thread (one mutex).
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string_view>

namespace notesd {

class ConsoleLogFile {
 public:
  ConsoleLogFile() = default;
  ConsoleLogFile(const ConsoleLogFile&) = delete;
  ConsoleLogFile& operator=(const ConsoleLogFile&) = delete;

  // Opens (appends to, or creates) `path`. A file that cannot be opened leaves the log
  // closed: Write does nothing until a Reopen succeeds.
  void Open(const std::filesystem::path& path);
  // 0: no cap. Takes effect at the next Write.
  void SetMaxBytes(int64_t max_bytes);
  // Closes the file and opens `path` again (a new file if it was moved away).
  void Reopen();
  // Appends `line` and a newline, rotating first when the cap would be passed.
  void Write(std::string_view line);

 private:
  void OpenLocked();
  void RotateLocked();

  std::mutex mutex_;
  std::filesystem::path path_;
  std::ofstream file_;
  int64_t size_ = 0;
  int64_t max_bytes_ = 0;
};

}  // namespace notesd
