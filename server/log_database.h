// server/log_database.h — log.nsf: every console line and task message as a note
// (Form "Event": Time, Source, Text), as Domino's log.nsf keeps them.
//
// Records are queued by the logger sink and written by a background thread in one
// transaction per batch (at most every 200 ms), so logging never waits for a disk sync.
// Flush() and the destructor write what is queued. A write error is reported once on
// stderr and the records are kept in console.log regardless.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "base/logger.h"
#include "store/nsf_database.h"

namespace notesd {

class LogDatabase {
 public:
  static Result<std::unique_ptr<LogDatabase>> Open(const std::filesystem::path& path);
  ~LogDatabase();
  LogDatabase(const LogDatabase&) = delete;
  LogDatabase& operator=(const LogDatabase&) = delete;

  // The logger sink: queues the record. Thread-safe, never blocks on I/O.
  void Append(const LogRecord& record);
  // Writes everything queued so far.
  void Flush();

 private:
  explicit LogDatabase(std::unique_ptr<NsfDatabase> db);
  void WriterLoop();
  void WriteBatch(std::deque<LogRecord>& batch);

  std::unique_ptr<NsfDatabase> db_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable written_;
  std::deque<LogRecord> queue_;
  uint64_t queued_total_ = 0;
  uint64_t written_total_ = 0;
  bool stopping_ = false;
  bool reported_error_ = false;
  std::thread writer_;
};

}  // namespace notesd
