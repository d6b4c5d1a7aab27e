#include "router/message_tracking.h"

#include <cstdio>
#include <ctime>
#include <utility>

#include "base/ascii.h"
#include "base/time_text.h"
#include "base/wall_clock.h"

namespace notesd {

namespace {

constexpr char kForm[] = "MTEvent";

std::string TimeKey(TimeMicros time) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%020lld", static_cast<long long>(time < 0 ? 0 : time));
  return buffer;
}

bool ContainsFolded(std::string_view haystack, const std::string& folded_needle) {
  return folded_needle.empty() || ToLowerAscii(haystack).find(folded_needle) != std::string::npos;
}

TrackingEvent FromNote(const Note& note) {
  TrackingEvent e;
  e.time = note.GetTime("MTTime");
  e.event = note.GetText("MTEvent");
  e.message_id = note.GetText("MessageID");
  e.unid = note.GetText("MessageUNID");
  e.sender = note.GetText("Sender");
  e.recipient = note.GetText("Recipient");
  e.from = note.GetText("From");
  e.subject = note.GetText("Subject");
  e.detail = note.GetText("Detail");
  return e;
}

}  // namespace

Result<std::unique_ptr<TrackingStore>> TrackingStore::Open(const std::filesystem::path& path,
                                                           std::function<TimeMicros()> clock) {
  NsfOptions options;
  options.title = "Message Tracking Store";
  options.clock = clock;
  options.views.push_back({kTrackingView,
                           [](const Note& note) {
                             if (note.form() != kForm) return std::vector<std::string>{};
                             return std::vector<std::string>{TimeKey(note.GetTime("MTTime"))};
                           },
                           false, 1});
  NOTESD_ASSIGN_OR_RETURN(std::unique_ptr<NsfDatabase> db, NsfDatabase::Open(path, options));
  if (!clock) clock = [] { return WallClock().NowMicros(); };
  return std::unique_ptr<TrackingStore>(new TrackingStore(std::move(db), std::move(clock)));
}

TrackingStore::TrackingStore(std::unique_ptr<NsfDatabase> db, std::function<TimeMicros()> clock)
    : db_(std::move(db)), clock_(std::move(clock)) {
  appender_ = std::thread([this] { Run(); });
}

TrackingStore::~TrackingStore() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  appender_.join();
}

void TrackingStore::Configure(bool enabled, bool exclude_subject) {
  std::lock_guard<std::mutex> lock(mutex_);
  enabled_ = enabled;
  exclude_subject_ = exclude_subject;
}

bool TrackingStore::enabled() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return enabled_;
}

std::uint64_t TrackingStore::dropped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

bool TrackingStore::Append(TrackingEvent event) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!enabled_ || stopping_) return false;
    if (queue_.size() >= kMaxQueued) {
      ++dropped_;
      return false;
    }
    if (event.time == 0) event.time = clock_();
    if (exclude_subject_) event.subject.clear();
    queue_.push_back(std::move(event));
    ++queued_total_;
  }
  wake_.notify_one();
  return true;
}

Status TrackingStore::Flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  const std::uint64_t target = queued_total_;
  written_.wait(lock, [&] { return written_total_ >= target || stopping_; });
  return last_error_;
}

void TrackingStore::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) break;
    std::vector<TrackingEvent> batch(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
    queue_.clear();
    lock.unlock();
    Status status = WriteBatch(batch);
    lock.lock();
    last_error_ = status;
    written_total_ += batch.size();
    written_.notify_all();
  }
  written_.notify_all();
}

Status TrackingStore::WriteBatch(std::vector<TrackingEvent>& batch) {
  return db_->Write([&batch](WriteTxn& txn) -> Status {
    for (const TrackingEvent& e : batch) {
      Note note(kForm);
      note.SetTime("MTTime", e.time, kItemSummary);
      note.SetText("MTEvent", e.event, kItemSummary);
      note.SetText("MessageID", e.message_id, kItemSummary);
      note.SetText("MessageUNID", e.unid, kItemSummary);
      note.SetText("Sender", e.sender, kItemSummary);
      note.SetText("Recipient", e.recipient, kItemSummary);
      note.SetText("From", e.from, kItemSummary);
      if (!e.subject.empty()) note.SetText("Subject", e.subject, kItemSummary);
      note.SetText("Detail", e.detail, kItemSummary);
      NOTESD_RETURN_IF_ERROR(txn.Create(note).status());
    }
    return Status::Ok();
  });
}

Result<std::vector<TrackingEvent>> TrackingStore::Query(const TrackingQuery& query) {
  (void)Flush();
  const std::string from = ToLowerAscii(query.from);
  const std::string to = ToLowerAscii(query.to);
  const std::string subject = ToLowerAscii(query.subject);
  std::deque<TrackingEvent> found;
  Status status = db_->Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries,
                            txn.Scan(kTrackingView, ScanOptions::StartingAt(TimeKey(query.since))));
    for (const ViewEntry& entry : entries) {
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.GetSummary(entry.id));
      TrackingEvent e = FromNote(note);
      if (!from.empty() && !ContainsFolded(e.sender, from) && !ContainsFolded(e.from, from)) continue;
      if (!ContainsFolded(e.recipient, to)) continue;
      if (!ContainsFolded(e.subject, subject)) continue;
      found.push_back(std::move(e));
      if (query.limit != 0 && found.size() > query.limit) found.pop_front();
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return std::vector<TrackingEvent>(std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
}

Result<std::size_t> TrackingStore::PurgeBefore(TimeMicros before) {
  (void)Flush();
  std::size_t purged = 0;
  NOTESD_RETURN_IF_ERROR(db_->Write([&](WriteTxn& txn) -> Status {
    purged = 0;
    NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries, txn.Scan(kTrackingView));
    const std::string last = TimeKey(before);
    for (const ViewEntry& entry : entries) {
      if (entry.key >= last) break;
      NOTESD_RETURN_IF_ERROR(txn.Delete(entry.id));
      ++purged;
    }
    return Status::Ok();
  }));
  return purged;
}

Result<std::shared_ptr<TrackingStore>> OpenTrackingStore(DatabaseSet& databases,
                                                         const std::filesystem::path& data_dir) {
  return databases.Get<TrackingStore>(data_dir / kTrackingFileName, [&databases](const std::filesystem::path& path) {
    return TrackingStore::Open(path, databases.NoteClock());
  });
}

Result<TimeMicros> ParseTrackingTime(std::string_view text) {
  std::string t(text);
  if (!t.empty() && (t.back() == 'Z' || t.back() == 'z')) t.pop_back();
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char tail = 0;
  const int n = std::sscanf(t.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d", &year, &month, &day, &tail, &hour, &minute, &second);
  const bool ok = (n == 3 && t.size() == 10) || ((n == 6 || n == 7) && (tail == 'T' || tail == 't' || tail == ' '));
  if (!ok || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return Status::InvalidArgument("since=" + std::string(text) +
                                   ": expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (UTC)");
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<TimeMicros>(timegm(&tm)) * 1'000'000;
}

Result<TrackingQuery> ParseTrackingQuery(std::string_view text) {
  TrackingQuery query;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ' || text[i] == '\t') {
      ++i;
      continue;
    }
    const std::size_t eq = text.find('=', i);
    const std::size_t space = text.find_first_of(" \t", i);
    if (eq == std::string_view::npos || (space != std::string_view::npos && space < eq))
      return Status::InvalidArgument(
          "TRACK: expected from=, to=, subject= or since=, not \"" +
          std::string(text.substr(i, space == std::string_view::npos ? text.npos : space - i)) + "\"");
    const std::string key = ToLowerAscii(text.substr(i, eq - i));
    i = eq + 1;
    std::string value;
    if (i < text.size() && text[i] == '"') {
      const std::size_t close = text.find('"', i + 1);
      if (close == std::string_view::npos)
        return Status::InvalidArgument("TRACK: unterminated quote after " + key + "=");
      value = std::string(text.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      const std::size_t end = text.find_first_of(" \t", i);
      value = std::string(text.substr(i, end == std::string_view::npos ? text.npos : end - i));
      i = end == std::string_view::npos ? text.size() : end;
    }
    if (key == "from") {
      query.from = value;
    } else if (key == "to") {
      query.to = value;
    } else if (key == "subject") {
      query.subject = value;
    } else if (key == "since") {
      NOTESD_ASSIGN_OR_RETURN(query.since, ParseTrackingTime(value));
    } else {
      return Status::InvalidArgument("TRACK: unknown key " + key + "= (from, to, subject, since)");
    }
  }
  return query;
}

std::string FormatTrackingLine(const TrackingEvent& event) {
  std::string line = FormatMicros(event.time, "%Y-%m-%d %H:%M:%SZ");
  line += ' ';
  line += event.event;
  line += ' ';
  line += event.message_id.empty() ? event.unid : event.message_id;
  line += " from <" + event.sender + ">";
  if (!event.recipient.empty()) line += " to " + event.recipient;
  if (!event.subject.empty()) line += " \"" + event.subject + "\"";
  if (!event.detail.empty()) line += ": " + event.detail;
  return line;
}

}  // namespace notesd
