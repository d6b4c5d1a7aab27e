// router/mail_store.h — mail.box (the Router's queue) and the mail files, as .nsf
// databases, and the one place that knows their note layout.
//
// Owns: the process's one handle on `<data>/mail.box` and on every `<data>/mail/*.nsf`
// it has opened (LMDB wants each file opened once per process: the SMTP task, the Router
// and the HTTP API share one MailStore through OpenMailStore), the group commit of mail.box
// writes, and the note layouts below.
//
// mail.box note (Form "Memo"), one per message waiting to be routed:
//   $Message        binary     the RFC 5322 message as received, its line ends made
//                              CRLF-canonical (CanonicalCrlf, router/mail_message.h)
//   $MessageFile    number     1 when the message is instead the file
//                              `<data>/mail.box.bodies/<UNID>` (large SMTP messages,
//                              see "Large messages" below); $Message is then absent
//   From, Subject   text       summary, from the header (as written)
//   SendTo, CopyTo  text list  summary, addresses of To and Cc
//   PostedDate      time       the Date header, else the arrival time
//   Size            number     bytes of the message
//   SMTPOriginator  text       envelope sender ("" = the null sender <>, e.g. a DSN)
//   Recipients      text list  envelope recipients as given (addresses or Notes names)
//   $Pending        text list  recipients not yet routed (resolved and delivered)
//   $Outbound       text list  Internet recipients waiting for the SMTP transfer
//   $DeadRecipients text list  recipients that failed and could not be reported
//   RoutingState    text       "DEAD" once only dead recipients are left (kept for the
//                              administrator); "" otherwise
//   FailureReason   text       why the last recipient failed
//   $Attempts       number     outbound transfer attempts; $NextAttempt time; $LastError text
//   $DeliveryAttempts number   failed local delivery attempts of the recipients still in
//                              $Pending; $NextDelivery time (when they are tried again);
//                              $DeliveryError text (why the last attempt failed)
//   $Arrival        time       when mail.box accepted it
//   $Origin         text       "SMTP from helo [ip]" or "Notes user CN=..."
//   $Trace          text       the Received: field for this hop (no CRLF), prepended
//                              when the message is relayed out
//   $Report         number     1 for a delivery status report (never bounced again)
//   $MessageID      text       the Message-ID field, for Message Tracking
// View ($Routing): while $Pending has entries, "pending" (never tried) or, after a failed
// local delivery, "deferred/<$NextDelivery as 20 digits>" (so the due ones come first, as
// in Postfix's deferred queue); "transfer" while $Outbound has entries; "dead" when
// RoutingState is DEAD.
//
// Mail file note (Form "Memo"), one per message, with the SAME UNID as the mail.box
// note it came from (the idempotency key of exactly-once delivery, see
// router/router_task.h): $Message, From, SendTo, CopyTo, Subject, PostedDate, Size,
// SMTPOriginator, Recipients, $Origin, $MessageFile as above (a body file is
// `<data>/<mail file>.bodies/<UNID>`, e.g. mail/jdoe.nsf.bodies/), plus
//   DeliveredDate   time       when it entered the mail file (IMAP's INTERNALDATE)
//   $Flags          text list  summary; the owner's flags, normalised (NormalizeFlags,
//                              router/mail_folders.h): "\Seen", "\Deleted", keywords;
//                              absent until one is set (router/mail_service.h)
//   $Folder         text       summary; the UNID of the folder note it is filed in
//   $UID            number     summary; its IMAP UID in that folder
// A message is in exactly one folder. Delivery files it into INBOX in the transaction
// that creates it (CreateInInbox); an IMAP APPEND or a COPY creates a new note (a new
// UNID; a copied body file is hard-linked as bodies/<new UNID>, never duplicated); a
// MOVE keeps the note and gives it a new UID in the target folder.
// Folder note (Form "Folder"), one per folder; INBOX always exists:
//   $FolderName     text       the IMAP mailbox name ("INBOX", "Work/2026"; '/' is the
//                              hierarchy delimiter)
//   $UIDValidity    number     chosen when the folder is created: the clock's seconds,
//                              above every value this file gave before (the info map
//                              key $LastUIDValidity), so a re-created folder differs
//   $UIDNext        number     the UID the next message filed here gets (ascending,
//                              never reused)
// A folder renamed keeps its note, UNID, UIDVALIDITY and UIDs; renaming INBOX (RFC 3501)
// renames its note to the new name (its messages go with it) and creates a new, empty
// INBOX with a new UIDVALIDITY.
// Views of a mail file (every opener defines them: MailFileViewDefinitions):
//   ($Inbox)        DeliveredDate as 20 zero-padded decimal digits (delivery order, all
//                   messages of every folder; no folder notes)
//   ($Folders)      folder notes by $FolderName
//   ($FolderUID)    messages by "<$Folder>/<$UID as 10 zero-padded digits>": FETCH 1:*
//                   and UID ranges are ordered range scans; listings read only the
//                   summary items (ReadTxn::GetSummary), never a body
//   ($FolderCount)  per message "<$Folder>", "<$Folder>/unseen" without \Seen and
//                   "<$Folder>/deleted" with \Deleted: STATUS counts are key counts
//   ($Unfiled)      "unfiled" for a Memo without $UID: messages of a mail file from
//                   before folders, filed into INBOX in delivery order when the mail
//                   file is opened (FileUnfiledMessages; one lookup once done)
// A COPY links the body file before its commit, as delivery does; a crash in between
// leaves a body file no note refers to in the mail file's .bodies (not swept yet).
//
// Group commit: Deposit and WriteMailBox hand their work to one committer thread, which
// runs everything queued in ONE LMDB write transaction (one fsync for many messages) and
// answers each caller when it is durable. If that transaction fails, each piece of work
// is retried alone, so one bad request never fails the others.
//
// Large messages: a message the SMTP listener spooled to a file (over kSpoolThreshold,
// router/message_spool.h says why a file and not LMDB) is stored as that file, never
// read whole into memory on its way in: the committer fsyncs the spool file, renames it
// to mail.box.bodies/<UNID> and fsyncs the directory inside the transaction that
// creates the note, so after the 250 the message is in mail.box exactly once, body and
// note; a crash before the commit leaves only an unreferenced file. Local delivery hard-
// links the file into the mail file's .bodies directory before the mail file's commit
// (same UNID: a replayed delivery finds the link there). Files no note refers to (the
// note was delivered and deleted, or a crash came between rename and commit) are removed
// by SweepBodies(), run on the committer so it never races a deposit in flight; spool
// files left by a crash are removed at Open. Outbound transfer still reads a large body
// whole (known limit: the relay path is not streamed).
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
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

#include "router/message_tracking.h"
#include "store/database_set.h"
#include "store/nsf_database.h"
#include "base/status.h"

namespace notesd {

inline constexpr char kRoutingView[] = "($Routing)";
inline constexpr char kInboxView[] = "($Inbox)";
inline constexpr char kDeferredKeyPrefix[] = "deferred/";

// The envelope and provenance of a message handed to the Router.
struct MailEnvelope {
  std::string sender;                   // "" = null reverse-path
  std::vector<std::string> recipients;  // at least one
  std::string origin;                   // for $Origin and the log
  std::string trace;                    // Received: field for this hop, without CRLF
  bool is_report = false;               // a DSN (never answered by another DSN)
  TimeMicros arrival = 0;               // when the server took it, by its Clock; 0: the wall clock now
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
  std::string message_id;  // $MessageID
  int attempts = 0;
  TimeMicros next_attempt = 0;
  int delivery_attempts = 0;     // failed local delivery attempts ($DeliveryAttempts)
  TimeMicros next_delivery = 0;  // $NextDelivery
  std::string delivery_error;    // $DeliveryError
  TimeMicros arrival = 0;
  TimeMicros posted = 0;
  bool is_report = false;
  std::uint64_t size = 0;     // Size
  bool body_in_file = false;  // $MessageFile: `message` is empty, MailStore::ReadBody reads it
  std::string message;        // $Message (empty when read without the body)
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
  bool body_in_file = false;       // $MessageFile: MailStore::ReadMailFileBody reads it
  std::vector<std::string> flags;  // $Flags
  std::string folder_unid;         // $Folder: the UNID of its folder's note
  std::string folder;              // the folder's name (filled in by the mail service)
  std::uint32_t uid = 0;           // $UID in that folder
  std::string message;             // $Message (empty when read without the body)
};
inline constexpr char kMailFlagsItem[] = "$Flags";

// Builds the mail.box note for a new message (summary items from its header). The one
// way into mail.box (SMTP, the client API, failure reports): $Message is CanonicalCrlf
// of `message`.
Note MailBoxNote(const MailEnvelope& envelope, std::string_view message, TimeMicros now);
QueuedMessage QueuedFromNote(const Note& note, bool with_body);
// Builds the mail file note for a delivered message: same UNID as the mail.box note.
Note MailFileNote(const QueuedMessage& message, TimeMicros delivered);
StoredMail StoredFromNote(const Note& note, bool with_body);
// The ($Routing) key of a message whose local delivery waits until `next_delivery`.
std::string DeferredRoutingKey(TimeMicros next_delivery);
// Views of the two kinds of database (also for tools that open them read-write).
ViewDefinition RoutingViewDefinition();
ViewDefinition InboxViewDefinition();

// A message handed to mail.box: its bytes, or a spool file of `size` CRLF-canonical
// bytes (MessageSpool::TakeFile) that mail.box takes over from then on: it moves it into
// mail.box.bodies or, when the deposit fails, removes it.
struct MessageBody {
  std::string bytes;
  std::filesystem::path spool_file;
  std::uint64_t size = 0;
};

struct MailStoreOptions {
  bool no_sync = false;         // benchmarks of the protocol only: loses durability
  std::size_t max_batch = 512;  // pieces of work per mail.box transaction
  // Stamps notes' created and modified times and the arrival of a deposit that names
  // none; default: the system clock.
  std::function<int64_t()> clock;
};

class MailStore {
 public:
  // Opens (creating if missing) `<data_dir>/mail.box` and starts the committer thread.
  static Result<std::unique_ptr<MailStore>> Open(const std::filesystem::path& data_dir,
                                                 const MailStoreOptions& options = {});
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
  void DepositAsync(const MailEnvelope& envelope, const std::string& message,
                    std::function<void(const Result<std::string>&)> done);
  void DepositAsync(const MailEnvelope& envelope, const MessageBody& body,
                    std::function<void(const Result<std::string>&)> done);
  Result<std::string> Deposit(const MailEnvelope& envelope, const std::string& message);

  // Where spooled messages are written while they arrive (MessageSpool).
  std::filesystem::path spool_dir() const { return data_dir_ / "mail.box.spool"; }
  // A mail.box message's body: `message.message`, or its body file (the first
  // `max_bytes` bytes; all when 0). NotFound / IOError naming the file.
  Result<std::string> ReadBody(const QueuedMessage& message, std::uint64_t max_bytes = 0) const;
  // Before a mail file note of a body_in_file message is committed: hard-links the body
  // into the mail file's .bodies directory (durably; already there is fine).
  Status LinkBodyIntoMailFile(const QueuedMessage& message, std::string_view mail_file) const;
  // The body file of mail file note `unid` (StoredMail::body_in_file).
  Result<std::string> ReadMailFileBody(std::string_view mail_file, std::string_view unid) const;
  // Hard-links the body file of mail file note `from_unid` as that of `to_unid` (a
  // copied message), durably; already there is fine. IOError naming the files.
  Status LinkMailFileBody(std::string_view mail_file, std::string_view from_unid, std::string_view to_unid) const;
  // Removes the body file of mail file note `unid` once the note is deleted (none there
  // is fine). IOError naming the file.
  Status RemoveMailFileBody(std::string_view mail_file, std::string_view unid) const;
  // Queues the removal of mail.box body files no note refers to (older than a minute);
  // at most every 10 s, and quick when there are none. The Router calls it as it goes.
  void SweepBodies();

  NsfDatabase& mail_box() { return *mail_box_; }

  // The mail file at `relative_path` (e.g. "mail/jdoe.nsf"), opened once and kept.
  // InvalidArgument for a path NormalizeMailFilePath (directory/directory.h) refuses
  // (outside mail/, a system database...); NotFound when it does not exist and !create.
  Result<std::shared_ptr<NsfDatabase>> MailFile(std::string_view relative_path, bool create);

  // A counter per mail file of the changes made to it in this process (deliveries, the
  // mail service's writes): what IMAP IDLE and NOOP poll. 0 before the first change.
  std::uint64_t MailFileChangeCount(std::string_view mail_file);
  void NoteMailFileChange(std::string_view mail_file);
  // Waits until the count differs from `seen` or `timeout` passed; returns the count.
  std::uint64_t WaitForMailFileChange(std::string_view mail_file, std::uint64_t seen,
                                      std::chrono::milliseconds timeout);

  // Message Tracking (router/message_tracking.h): set by the Router at Start; a deposit
  // records "received" once it committed, the Router its passes' events. None: nothing
  // is recorded.
  void SetTracking(std::shared_ptr<TrackingStore> tracking);
  std::shared_ptr<TrackingStore> tracking() const;

  // The Router waits here for new work; Deposit and NotifyWork wake it.
  void NotifyWork();
  // Waits until NotifyWork was called since the last wait, or `timeout` passed.
  void WaitForWork(std::chrono::milliseconds timeout);

  const std::filesystem::path& data_dir() const { return data_dir_; }

 private:
  void TrackReceived(const Note& note);
  mutable std::mutex tracking_mutex_;
  std::shared_ptr<TrackingStore> tracking_;
  struct Request {
    MailBoxWork work;
    Done done;
  };

  MailStore(std::filesystem::path data_dir, MailStoreOptions options, std::unique_ptr<NsfDatabase> mail_box);
  void CommitterLoop();
  // mail.box.bodies/<unid>; the directory itself for "".
  std::filesystem::path MailBoxBodyPath(std::string_view unid) const;
  // Removes body files older than `min_age` that no note refers to.
  Status RemoveUnreferencedBodies(WriteTxn& txn, std::chrono::seconds min_age) const;
  void CommitBatch(std::vector<Request>& batch);

  std::filesystem::path data_dir_;
  MailStoreOptions options_;
  std::unique_ptr<NsfDatabase> mail_box_;

  std::mutex queue_mutex_;
  std::condition_variable queue_changed_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  std::thread committer_;

  std::atomic<std::int64_t> last_sweep_micros_{0};

  std::mutex files_mutex_;
  std::map<std::string, std::shared_ptr<NsfDatabase>> mail_files_;

  std::mutex changes_mutex_;
  std::condition_variable changes_changed_;
  std::map<std::string, std::uint64_t> changes_;  // lower-cased mail file path -> count

  std::mutex work_mutex_;
  std::condition_variable work_changed_;
  bool work_signalled_ = false;
};

// The MailStore of `data_dir` from the server's open databases (store/database_set.h),
// shared by the SMTP task, the Router and the HTTP API: opened on first use, closed with
// the set at server shutdown. Errors as MailStore::Open. Thread-safe.
Result<std::shared_ptr<MailStore>> OpenMailStore(DatabaseSet& databases, const std::filesystem::path& data_dir);

}  // namespace notesd
