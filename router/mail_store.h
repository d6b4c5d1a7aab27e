// router/mail_store.h — mail.box (the Router's queue) and the mail files, as .nsf
// databases, and the one place that knows their note layout.
//
// Owns: the process's one handle on `<data>/mail.box` and on every `<data>/mail/*.nsf`
// it has opened (LMDB wants each file opened once per process: the SMTP task, the Router
// and the HTTP API share them through OpenSharedMailStore), the group commit of mail.box
// writes, and the note layouts below.
//
// mail.box note (Form "Memo"), one per message waiting to be routed:
//   $Message        binary     the RFC 5322 message as received, its line ends made
//                              CRLF-canonical (CanonicalCrlf, router/mail_message.h)
//   From, Subject   text       summary, from the header (as written)
//   SendTo, CopyTo  text list  summary, addresses of To and Cc
//   PostedDate      time       the Date header, else the arrival time
//   Size            number     bytes of $Message
//   SMTPOriginator  text       envelope sender ("" = the null sender <>, e.g. a DSN)
//   Recipients      text list  envelope recipients as given (addresses or Notes names)
//   $Pending        text list  recipients not yet routed (resolved and delivered)
//   $Outbound       text list  Internet recipients waiting for the SMTP transfer
//   $DeadRecipients text list  recipients that failed and could not be reported
//   RoutingState    text       "DEAD" once only dead recipients are left (kept for the
//                              administrator); "" otherwise
//   FailureReason   text       why the last recipient failed
//   $Attempts       number     outbound transfer attempts; $NextAttempt time; $LastError text
//   $Arrival        time       when mail.box accepted it
//   $Origin         text       "SMTP from helo [ip]" or "Notes user CN=..."
//   $Trace          text       the Received: field for this hop (no CRLF), prepended
//                              when the message is relayed out
//   $Report         number     1 for a delivery status report (never bounced again)
// View ($Routing): "pending" while $Pending has entries, "transfer" while $Outbound has
// entries, "dead" when RoutingState is DEAD.
//
// Mail file note (Form "Memo"), one per delivered message, with the SAME UNID as the
// mail.box note it came from (the idempotency key of exactly-once delivery, see
// router/router_task.h): $Message, From, SendTo, CopyTo, Subject, PostedDate, Size,
// SMTPOriginator, Recipients, $Origin as above, plus DeliveredDate (time).
// View ($Inbox): DeliveredDate as 20 zero-padded decimal digits (delivery order).
//
// Group commit: Deposit and WriteMailBox hand their work to one committer thread, which
// runs everything queued in ONE LMDB write transaction (one fsync for many messages) and
// answers each caller when it is durable. If that transaction fails, each piece of work
// is retried alone, so one bad request never fails the others.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/nsf_database.h"
#include "core/status.h"

namespace notesd {

inline constexpr char kRoutingView[] = "($Routing)";
inline constexpr char kInboxView[] = "($Inbox)";

// The envelope and provenance of a message handed to the Router.
struct MailEnvelope {
  std::string sender;                   // "" = null reverse-path
  std::vector<std::string> recipients;  // at least one
  std::string origin;                   // for $Origin and the log
  std::string trace;                    // Received: field for this hop, without CRLF
  bool is_report = false;               // a DSN (never answered by another DSN)
};

// A mail.box note, read back.
struct QueuedMessage {
  NoteId note_id = 0;
  std::string unid;
  std::string sender;
  std::vector<std::string> recipients;
  std::vector<std::string> pending;
  std::vector<std::string> outbound;
  std::vector<std::string> dead_recipients;
  std::string routing_state;
  std::string failure_reason;
  std::string last_error;
  std::string origin;
  std::string trace;
  std::string from;
  std::vector<std::string> send_to;
  std::vector<std::string> copy_to;
  std::string subject;
  int attempts = 0;
  TimeMicros next_attempt = 0;
  TimeMicros arrival = 0;
  TimeMicros posted = 0;
  bool is_report = false;
  std::string message;  // $Message (empty when read without the body)
};

// A mail file note, read back.
struct StoredMail {
  NoteId note_id = 0;
  std::string unid;
  std::string from;
  std::vector<std::string> send_to;
  std::string subject;
  TimeMicros posted = 0;
  TimeMicros delivered = 0;
  std::int64_t size = 0;
  std::string sender;
  std::string message;  // $Message (empty when read without the body)
};

// Builds the mail.box note for a new message (summary items from its header). The one
// way into mail.box (SMTP, the client API, failure reports): $Message is CanonicalCrlf
// of `message`.
Note MailBoxNote(const MailEnvelope& envelope, std::string_view message, TimeMicros now);
QueuedMessage QueuedFromNote(const Note& note, bool with_body);
// Builds the mail file note for a delivered message: same UNID as the mail.box note.
Note MailFileNote(const QueuedMessage& message, TimeMicros delivered);
StoredMail StoredFromNote(const Note& note, bool with_body);
// Views of the two kinds of database (also for tools that open them read-write).
ViewDefinition RoutingViewDefinition();
ViewDefinition InboxViewDefinition();

struct MailStoreOptions {
  bool no_sync = false;  // benchmarks of the protocol only: loses durability
  std::size_t max_batch = 512;  // pieces of work per mail.box transaction
};

class MailStore {
 public:
  // Opens (creating if missing) `<data_dir>/mail.box` and starts the committer thread.
  static Result<std::unique_ptr<MailStore>> Open(const std::filesystem::path& data_dir,
                                                 MailStoreOptions options = {});
  // Stops the committer (work already queued is finished first).
  ~MailStore();
  MailStore(const MailStore&) = delete;
  MailStore& operator=(const MailStore&) = delete;

  // Work on mail.box inside the shared transaction. It may run more than once (a retry
  // alone, map growth): it must only touch the transaction and its own captured outputs.
  using MailBoxWork = std::function<Status(WriteTxn&)>;
  using Done = std::function<void(const Status&)>;

  // Queues `work`; `done` runs on the committer thread once the transaction holding it
  // committed (Ok) or failed (the error). `done` must be quick and must not block.
  void WriteMailBoxAsync(MailBoxWork work, Done done);
  // As WriteMailBoxAsync, waiting for the result.
  Status WriteMailBox(MailBoxWork work);

  // Accepts a message into mail.box: durable when `done` gets Ok with the note's UNID.
  // InvalidArgument for no recipients.
  void DepositAsync(MailEnvelope envelope, std::string message,
                    std::function<void(const Result<std::string>&)> done);
  Result<std::string> Deposit(MailEnvelope envelope, std::string message);

  NsfDatabase& mail_box() { return *mail_box_; }

  // The mail file at `relative_path` (e.g. "mail/jdoe.nsf"), opened once and kept.
  // InvalidArgument for a path that is absolute, has "..", or does not end in .nsf;
  // NotFound when it does not exist and !create.
  Result<std::shared_ptr<NsfDatabase>> MailFile(std::string_view relative_path, bool create);

  // The Router waits here for new work; Deposit and NotifyWork wake it.
  void NotifyWork();
  // Waits until NotifyWork was called since the last wait, or `timeout` passed.
  void WaitForWork(std::chrono::milliseconds timeout);

  const std::filesystem::path& data_dir() const { return data_dir_; }

 private:
  struct Request {
    MailBoxWork work;
    Done done;
  };

  MailStore(std::filesystem::path data_dir, MailStoreOptions options, std::unique_ptr<NsfDatabase> mail_box);
  void CommitterLoop();
  void CommitBatch(std::vector<Request>& batch);

  std::filesystem::path data_dir_;
  MailStoreOptions options_;
  std::unique_ptr<NsfDatabase> mail_box_;

  std::mutex queue_mutex_;
  std::condition_variable queue_changed_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  std::thread committer_;

  std::mutex files_mutex_;
  std::map<std::string, std::shared_ptr<NsfDatabase>> mail_files_;

  std::mutex work_mutex_;
  std::condition_variable work_changed_;
  bool work_signalled_ = false;
};

// The process's one MailStore for `data_dir`, opened on first use and shared by the SMTP
// task, the Router and the HTTP API; closed when the last user drops it. Thread-safe.
Result<std::shared_ptr<MailStore>> OpenSharedMailStore(const std::filesystem::path& data_dir);

}  // namespace notesd
