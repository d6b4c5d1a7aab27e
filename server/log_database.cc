#include "server/log_database.h"

#include <chrono>
#include <cstdio>

namespace notesd {

namespace {
std::vector<ViewDefinition> LogViews() {
  return {{"(ByTime)",
           [](const Note& note) {
             char key[32];
             std::snprintf(key, sizeof key, "%020lld", static_cast<long long>(note.GetTime("Time")));
             return std::vector<std::string>{key};
           },
           false, 1}};
}
}  // namespace

Result<std::unique_ptr<LogDatabase>> LogDatabase::Open(const std::filesystem::path& path) {
  NsfOptions options;
  options.title = "Server log";
  options.views = LogViews();
  NOTESD_ASSIGN_OR_RETURN(auto db, NsfDatabase::Open(path, std::move(options)));
  return std::unique_ptr<LogDatabase>(new LogDatabase(std::move(db)));
}

LogDatabase::LogDatabase(std::unique_ptr<NsfDatabase> db) : db_(std::move(db)) {
  writer_ = std::thread([this] { WriterLoop(); });
}

LogDatabase::~LogDatabase() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
}

void LogDatabase::Append(const LogRecord& record) {
  std::lock_guard lock(mutex_);
  queue_.push_back(record);
  ++queued_total_;
  wake_.notify_all();
}

void LogDatabase::Flush() {
  std::unique_lock lock(mutex_);
  uint64_t target = queued_total_;
  wake_.notify_all();
  written_.wait_for(lock, std::chrono::seconds(10), [&] { return written_total_ >= target; });
}

void LogDatabase::WriterLoop() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) return;
    // Let a burst gather into one transaction.
    if (!stopping_) wake_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopping_; });
    std::deque<LogRecord> batch;
    batch.swap(queue_);
    lock.unlock();
    WriteBatch(batch);
    lock.lock();
    written_total_ += batch.size();
    written_.notify_all();
  }
}

void LogDatabase::WriteBatch(std::deque<LogRecord>& batch) {
  Status written = db_->Write([&](WriteTxn& txn) -> Status {
    for (const LogRecord& record : batch) {
      Note note("Event");
      note.SetTime("Time", record.time_micros, kItemSummary);
      note.SetText("Source", record.source, kItemSummary);
      note.SetText("Text", record.message, kItemSummary);
      NOTESD_RETURN_IF_ERROR(txn.Create(note).status());
    }
    return Status::Ok();
  });
  if (!written.ok() && !reported_error_) {
    reported_error_ = true;
    std::fprintf(stderr, "nserver: cannot write log.nsf (console.log still has every line): %s\n",
                 written.message().c_str());
  }
}

}  // namespace notesd
