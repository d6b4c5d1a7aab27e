// base/logger.h — the server's log: every console line and task message, timestamped as
// Domino writes them (`11/29/2026 01:42:30 AM  Router: message`), fanned out to sinks
// (the console, the log in the data directory). Every record a sink gets is escaped
// for display (EscapeForDisplay): sinks write it as it is.
//
// Thread safety: all methods may be called from any thread; sinks are called one at a
// time, in order, under the logger's lock.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"

namespace notesd {

// A line's severity, numbered as syslog and sd-daemon.h's SD_ERR..SD_DEBUG are: under
// systemd the journal keeps it from the `<N>` prefix of a line on stdout.
enum class LogLevel { kError = 3, kWarning = 4, kNotice = 5, kInfo = 6, kDebug = 7 };

struct LogRecord {
  int64_t time_micros = 0;
  std::string source;  // "Router", "Server", "" for a bare console line
  std::string message;
  LogLevel level = LogLevel::kInfo;
  // "11/29/2026 01:42:30 AM  Router: message"
  std::string Formatted() const;
};

// Domino's console time stamp: MM/DD/YYYY HH:MM:SS AM/PM in local time.
std::string DominoTimestamp(int64_t time_micros);

class Logger {
 public:
  using Sink = std::function<void(const LogRecord&)>;
  explicit Logger(const Clock* clock) : clock_(clock) {}
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // Returns an id for RemoveSink.
  int AddSink(Sink sink);
  void RemoveSink(int id);

  // One message, one line per '\n'-separated part. Each part and the source are passed
  // through EscapeForDisplay (base/display_text.h) first, so no sink ever receives a
  // control character or invalid UTF-8 from untrusted text (names, URLs, mail headers).
  // `level` is the lines' severity (kInfo unless said).
  void Log(std::string_view source, std::string_view message, LogLevel level = LogLevel::kInfo);

 private:
  const Clock* clock_;
  std::mutex mutex_;
  int next_id_ = 1;
  std::vector<std::pair<int, Sink>> sinks_;
};

}  // namespace notesd
