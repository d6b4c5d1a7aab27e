// router/message_tracking.h — Message Tracking (Domino's mtstore): one record per event
// in a message's path through this server, in `<data>/mtstore.nsf`, kept MTKeepDays.
//
// Note layout of mtstore.nsf (Form "MTEvent"), one note per event:
//   MTTime       time       when it happened (the server's clock)
//   MTEvent      text       received | delivered | transferred | failed | dead |
//                           released | purged
//   MessageID    text       the Message-ID field ("" when the message has none)
//   MessageUNID  text       the mail.box note's UNID (also the mail file note's UNID)
//   Sender       text       envelope sender ("" = the null sender <>)
//   Recipient    text       the envelope recipient concerned ("" for a whole-message
//                           event such as received)
//   From         text       the From field
//   Subject      text       the Subject field; absent with MTExcludeSubject=1
//   Detail       text       received: the origin ("SMTP from helo [ip]", "Notes user CN=..");
//                           delivered: the mail file; transferred: the relay host and its
//                           answer; failed: the reason (and "DSN sent"); dead: the reason
// View ($ByTime): MTTime as 20 zero-padded digits, so a query and the purge are ordered
// range scans and the oldest records come first.
//
// Writes: Append only queues (a bounded queue, kMaxQueued; when it is full the event is
// dropped and counted in Mail.Tracking.Dropped, never blocking routing); one appender
// thread writes everything queued in ONE transaction of mtstore.nsf. Routing therefore
// never waits for mtstore.nsf. Flush waits until what was queued before it is written
// (queries call it, so a query sees what happened before it).
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "store/database_set.h"
#include "store/nsf_database.h"

namespace notesd {

struct TrackingEvent {
  TimeMicros time = 0;  // 0: now, by the store's clock
  std::string event;
  std::string message_id;
  std::string unid;
  std::string sender;
  std::string recipient;
  std::string from;
  std::string subject;
  std::string detail;
};

// What a query selects; empty fields match everything. Text matches are case-insensitive
// substrings: `from` against the envelope sender and the From field, `to` against the
// recipient, `subject` against the Subject.
struct TrackingQuery {
  std::string from;
  std::string to;
  std::string subject;
  TimeMicros since = 0;
  std::size_t limit = 200;  // the newest `limit` matching records, oldest first
};

inline constexpr char kTrackingFileName[] = "mtstore.nsf";
inline constexpr char kTrackingView[] = "($ByTime)";

class TrackingStore {
 public:
  static constexpr std::size_t kMaxQueued = 10000;

  static Result<std::unique_ptr<TrackingStore>> Open(const std::filesystem::path& path,
                                                     std::function<TimeMicros()> clock);
  ~TrackingStore();
  TrackingStore(const TrackingStore&) = delete;
  TrackingStore& operator=(const TrackingStore&) = delete;

  // Off: Append does nothing. MTExcludeSubject: subjects are not recorded.
  void Configure(bool enabled, bool exclude_subject);
  bool enabled() const;

  // Queues one event (see "Writes" above). Returns false when it was dropped.
  bool Append(TrackingEvent event);
  // Waits until every event queued before the call is written.
  Status Flush();
  // The records matching `query` (after a Flush).
  Result<std::vector<TrackingEvent>> Query(const TrackingQuery& query);
  // Deletes the records older than `before`; returns how many.
  Result<std::size_t> PurgeBefore(TimeMicros before);
  std::uint64_t dropped() const;

 private:
  TrackingStore(std::unique_ptr<NsfDatabase> db, std::function<TimeMicros()> clock);
  void Run();
  Status WriteBatch(std::vector<TrackingEvent>& batch);

  std::unique_ptr<NsfDatabase> db_;
  std::function<TimeMicros()> clock_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable written_;
  std::deque<TrackingEvent> queue_;
  std::uint64_t queued_total_ = 0;   // events ever queued
  std::uint64_t written_total_ = 0;  // of those, handled by the appender (written or failed)
  std::uint64_t dropped_ = 0;
  Status last_error_;
  bool enabled_ = false;
  bool exclude_subject_ = false;
  bool stopping_ = false;
  std::thread appender_;
};

// The server's one mtstore.nsf, through the DatabaseSet (shared by the Router, the SMTP
// task and the HTTP API).
Result<std::shared_ptr<TrackingStore>> OpenTrackingStore(DatabaseSet& databases, const std::filesystem::path& data_dir);

// `from=x to=x subject="a b" since=2026-12-03[T07:10[:00]]` (UTC; any order, all
// optional; keys case-insensitive) as a query; InvalidArgument names a bad word.
Result<TrackingQuery> ParseTrackingQuery(std::string_view text);
// since= text (YYYY-MM-DD, optionally THH:MM or THH:MM:SS, a trailing Z allowed) in UTC.
Result<TimeMicros> ParseTrackingTime(std::string_view text);

// One line of TELL ROUTER TRACK: "2026-12-03 07:10:00Z delivered <id> from -> to: detail".
std::string FormatTrackingLine(const TrackingEvent& event);

}  // namespace notesd
