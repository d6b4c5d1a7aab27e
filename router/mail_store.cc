#include "router/mail_store.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>

#include "base/wall_clock.h"
#include "base/notes_ini.h"
#include "directory/directory.h"
#include "router/mail_folders.h"
#include "router/mail_message.h"
#include "router/message_spool.h"
#include "base/ascii.h"

namespace notesd {

namespace {

// The arrival time a deposit records: the depositor's (its server clock), else now by
// the store's clock.
TimeMicros ArrivalOf(const MailEnvelope& envelope, const std::function<int64_t()>& clock) {
  if (envelope.arrival != 0) return envelope.arrival;
  return clock ? clock() : WallClock().NowMicros();
}

std::string PaddedTime(TimeMicros time) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%020lld", static_cast<long long>(time < 0 ? 0 : time));
  return buffer;
}

Bytes ToBytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

std::string FromBytes(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

// The summary items are read from this much of a body file (a header is rarely longer).
constexpr std::uint64_t kBodyHeadBytes = 64 * 1024;

constexpr char kBodiesSuffix[] = ".bodies";
constexpr std::int64_t kSweepIntervalMicros = 10'000'000;

// Removes every file of `dir` (spool files a crash left behind).
void RemoveFilesIn(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) std::filesystem::remove(entry.path(), ec);
}

}  // namespace

Note MailBoxNote(const MailEnvelope& envelope, std::string_view original, TimeMicros now) {
  // Every path into mail.box comes through here: nothing leaves with a bare CR or LF.
  std::string canonical;
  std::string_view message = original;
  if (!IsCrlfCanonical(original)) {
    canonical = CanonicalCrlf(original);
    message = canonical;
  }
  MessageSummary summary = SummariseMessage(message);
  Note note("Memo");
  note.SetText("From", summary.from, kItemSummary);
  note.SetTextList("SendTo", summary.send_to, kItemSummary);
  note.SetTextList("CopyTo", summary.copy_to, kItemSummary);
  note.SetText("Subject", summary.subject, kItemSummary);
  note.SetTime("PostedDate", summary.date.value_or(now), kItemSummary);
  note.SetNumber("Size", static_cast<double>(message.size()), kItemSummary);
  note.SetText("SMTPOriginator", envelope.sender, kItemSummary);
  note.SetTextList("Recipients", envelope.recipients, kItemSummary);
  note.SetTextList("$Pending", envelope.recipients, kItemSummary);
  note.SetTime("$Arrival", now, kItemSummary);
  note.SetText("$Origin", envelope.origin);
  note.SetText("$Trace", envelope.trace);
  if (envelope.is_report) note.SetNumber("$Report", 1, kItemSummary);
  if (!summary.message_id.empty()) note.SetText("$MessageID", summary.message_id);
  note.SetBinary("$Message", ToBytes(message));
  return note;
}

QueuedMessage QueuedFromNote(const Note& note, bool with_body) {
  QueuedMessage m;
  m.note_id = note.id();
  m.unid = note.unid();
  m.sender = note.GetText("SMTPOriginator");
  m.recipients = note.GetTextList("Recipients");
  m.pending = note.GetTextList("$Pending");
  m.outbound = note.GetTextList("$Outbound");
  m.dead_recipients = note.GetTextList("$DeadRecipients");
  m.routing_state = note.GetText("RoutingState");
  m.failure_reason = note.GetText("FailureReason");
  m.last_error = note.GetText("$LastError");
  m.origin = note.GetText("$Origin");
  m.trace = note.GetText("$Trace");
  m.from = note.GetText("From");
  m.send_to = note.GetTextList("SendTo");
  m.copy_to = note.GetTextList("CopyTo");
  m.subject = note.GetText("Subject");
  m.message_id = note.GetText("$MessageID");
  m.attempts = static_cast<int>(note.GetNumber("$Attempts"));
  m.next_attempt = note.GetTime("$NextAttempt");
  m.delivery_attempts = static_cast<int>(note.GetNumber("$DeliveryAttempts"));
  m.next_delivery = note.GetTime("$NextDelivery");
  m.delivery_error = note.GetText("$DeliveryError");
  m.arrival = note.GetTime("$Arrival", note.created());
  m.posted = note.GetTime("PostedDate", m.arrival);
  m.is_report = note.GetNumber("$Report") != 0;
  m.size = static_cast<std::uint64_t>(note.GetNumber("Size"));
  m.body_in_file = note.GetNumber("$MessageFile") != 0;
  if (with_body && !m.body_in_file) m.message = FromBytes(note.GetBinary("$Message"));
  return m;
}

Note MailFileNote(const QueuedMessage& message, TimeMicros delivered) {
  // The summary was read from the header when mail.box accepted the message.
  Note note("Memo");
  note.set_unid(message.unid);
  note.SetText("From", message.from, kItemSummary);
  note.SetTextList("SendTo", message.send_to, kItemSummary);
  note.SetTextList("CopyTo", message.copy_to, kItemSummary);
  note.SetText("Subject", message.subject, kItemSummary);
  note.SetTime("PostedDate", message.posted, kItemSummary);
  note.SetTime("DeliveredDate", delivered, kItemSummary);
  const std::uint64_t size = message.body_in_file ? message.size : message.message.size();
  note.SetNumber("Size", static_cast<double>(size), kItemSummary);
  note.SetText("SMTPOriginator", message.sender, kItemSummary);
  note.SetTextList("Recipients", message.recipients, kItemSummary);
  note.SetText("$Origin", message.origin);
  if (message.body_in_file)
    note.SetNumber("$MessageFile", 1);
  else
    note.SetBinary("$Message", ToBytes(message.message));
  return note;
}

StoredMail StoredFromNote(const Note& note, bool with_body) {
  StoredMail m;
  m.note_id = note.id();
  m.unid = note.unid();
  m.from = note.GetText("From");
  m.send_to = note.GetTextList("SendTo");
  m.subject = note.GetText("Subject");
  m.posted = note.GetTime("PostedDate");
  m.delivered = note.GetTime("DeliveredDate");
  m.size = static_cast<std::int64_t>(note.GetNumber("Size"));
  m.sender = note.GetText("SMTPOriginator");
  m.body_in_file = note.GetNumber("$MessageFile") != 0;
  m.flags = note.GetTextList(kMailFlagsItem);
  m.folder_unid = note.GetText("$Folder");
  m.uid = static_cast<std::uint32_t>(note.GetNumber("$UID"));
  if (with_body && !m.body_in_file) m.message = FromBytes(note.GetBinary("$Message"));
  return m;
}

std::string DeferredRoutingKey(TimeMicros next_delivery) { return kDeferredKeyPrefix + PaddedTime(next_delivery); }

ViewDefinition RoutingViewDefinition() {
  return {kRoutingView,
          [](const Note& note) {
            std::vector<std::string> keys;
            if (note.GetText("RoutingState") == "DEAD") return std::vector<std::string>{"dead"};
            if (!note.GetTextList("$Pending").empty())
              keys.push_back(note.GetNumber("$DeliveryAttempts") > 0 ? DeferredRoutingKey(note.GetTime("$NextDelivery"))
                                                                     : std::string("pending"));
            if (!note.GetTextList("$Outbound").empty()) keys.push_back("transfer");
            return keys;
          },
          false, 2};
}

ViewDefinition InboxViewDefinition() {
  return {kInboxView,
          [](const Note& note) {
            // Messages only (version 2: folder notes are not in it).
            if (note.form() == kFolderForm) return std::vector<std::string>{};
            return std::vector<std::string>{PaddedTime(note.GetTime("DeliveredDate"))};
          },
          false, 2};
}

Result<std::unique_ptr<MailStore>> MailStore::Open(const std::filesystem::path& data_dir,
                                                   const MailStoreOptions& options) {
  NsfOptions nsf;
  nsf.title = "Mail Router Mailbox";
  nsf.clock = options.clock;
  nsf.no_sync = options.no_sync;
  nsf.views.push_back(RoutingViewDefinition());
  nsf.initial_map_size = std::size_t{64} << 20;
  NOTESD_ASSIGN_OR_RETURN(std::unique_ptr<NsfDatabase> box, NsfDatabase::Open(data_dir / "mail.box", nsf));
  std::unique_ptr<MailStore> store(new MailStore(data_dir, options, std::move(box)));
  // No session can be receiving yet: whatever is spooled was cut off by a crash.
  RemoveFilesIn(store->spool_dir());
  std::error_code ec;
  if (!std::filesystem::is_empty(store->MailBoxBodyPath(""), ec) && !ec) {
    NOTESD_RETURN_IF_ERROR(store->WriteMailBox(
        [&store](WriteTxn& txn) { return store->RemoveUnreferencedBodies(txn, std::chrono::seconds(0)); }));
  }
  return store;
}

MailStore::MailStore(std::filesystem::path data_dir, MailStoreOptions options, std::unique_ptr<NsfDatabase> mail_box)
    : data_dir_(std::move(data_dir)), options_(std::move(options)), mail_box_(std::move(mail_box)) {
  committer_ = std::thread([this] { CommitterLoop(); });
}

MailStore::~MailStore() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_changed_.notify_all();
  if (committer_.joinable()) committer_.join();
}

void MailStore::WriteMailBoxAsync(MailBoxWork work, Done done) {
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) {
      done(Status::Unavailable("mail.box is closing"));
      return;
    }
    queue_.push_back({std::move(work), std::move(done)});
  }
  queue_changed_.notify_one();
}

Status MailStore::WriteMailBox(MailBoxWork work) {
  auto promise = std::make_shared<std::promise<Status>>();
  std::future<Status> result = promise->get_future();
  WriteMailBoxAsync(std::move(work), [promise](const Status& status) { promise->set_value(status); });
  return result.get();
}

void MailStore::DepositAsync(const MailEnvelope& envelope, const std::string& message,
                             std::function<void(const Result<std::string>&)> done) {
  if (envelope.recipients.empty()) {
    done(Status::InvalidArgument("a message needs at least one recipient"));
    return;
  }
  auto unid = std::make_shared<std::string>();
  auto note = std::make_shared<Note>(MailBoxNote(envelope, message, ArrivalOf(envelope, options_.clock)));
  WriteMailBoxAsync(
      [note, unid](WriteTxn& txn) -> Status {
        NOTESD_ASSIGN_OR_RETURN(Note stored, txn.Create(*note));
        *unid = stored.unid();
        return Status::Ok();
      },
      [this, note, unid, done = std::move(done)](const Status& status) {
        if (status.ok()) {
          note->set_unid(*unid);
          TrackReceived(*note);
          done(*unid);
          NotifyWork();
        } else {
          done(status);
        }
      });
}

void MailStore::DepositAsync(const MailEnvelope& envelope, const MessageBody& body,
                             std::function<void(const Result<std::string>&)> done) {
  if (body.spool_file.empty()) return DepositAsync(envelope, body.bytes, std::move(done));
  auto location = std::make_shared<std::filesystem::path>(body.spool_file);
  auto fail = [location, &done](const Status& status) {
    std::error_code ec;
    std::filesystem::remove(*location, ec);
    done(status);
  };
  if (envelope.recipients.empty()) return fail(Status::InvalidArgument("a message needs at least one recipient"));
  auto head = ReadFileBytes(body.spool_file, kBodyHeadBytes);
  if (!head.ok()) return fail(head.status());
  auto note = std::make_shared<Note>(MailBoxNote(envelope, *head, ArrivalOf(envelope, options_.clock)));
  note->RemoveItem("$Message");
  note->SetNumber("Size", static_cast<double>(body.size), kItemSummary);
  note->SetNumber("$MessageFile", 1);
  auto unid = std::make_shared<std::string>();
  std::filesystem::path bodies = MailBoxBodyPath("");
  WriteMailBoxAsync(
      // The body is durable under its UNID before the note that refers to it commits.
      // A retry (a new UNID) moves it from wherever the last attempt left it.
      [this, note, unid, location, bodies](WriteTxn& txn) -> Status {
        NOTESD_ASSIGN_OR_RETURN(Note stored, txn.Create(*note));
        *unid = stored.unid();
        NOTESD_RETURN_IF_ERROR(SyncFile(*location));
        NOTESD_RETURN_IF_ERROR(EnsurePrivateDirectory(bodies));
        std::filesystem::path target = MailBoxBodyPath(*unid);
        if (::rename(location->c_str(), target.c_str()) != 0)
          return Status::IOError("cannot move " + location->string() + " to " + target.string() + ": " +
                                 std::strerror(errno));
        *location = target;
        return SyncDirectory(bodies);
      },
      [this, note, unid, location, done = std::move(done)](const Status& status) {
        if (status.ok()) {
          note->set_unid(*unid);
          TrackReceived(*note);
          done(*unid);
          NotifyWork();
          return;
        }
        std::error_code ec;
        std::filesystem::remove(*location, ec);
        done(status);
      });
}

std::filesystem::path MailStore::MailBoxBodyPath(std::string_view unid) const {
  std::filesystem::path dir = data_dir_ / (std::string("mail.box") + kBodiesSuffix);
  return unid.empty() ? dir : dir / std::string(unid);
}

Result<std::string> MailStore::ReadBody(const QueuedMessage& message, std::uint64_t max_bytes) const {
  if (!message.body_in_file) return max_bytes > 0 ? message.message.substr(0, max_bytes) : message.message;
  return ReadFileBytes(MailBoxBodyPath(message.unid), max_bytes);
}

Status MailStore::LinkBodyIntoMailFile(const QueuedMessage& message, std::string_view mail_file) const {
  std::filesystem::path dir = data_dir_ / (std::string(mail_file) + kBodiesSuffix);
  NOTESD_RETURN_IF_ERROR(EnsurePrivateDirectory(dir));
  std::filesystem::path source = MailBoxBodyPath(message.unid), target = dir / message.unid;
  if (::link(source.c_str(), target.c_str()) != 0 && errno != EEXIST)
    return Status::IOError("cannot link " + source.string() + " to " + target.string() + ": " + std::strerror(errno));
  return SyncDirectory(dir);
}

Result<std::string> MailStore::ReadMailFileBody(std::string_view mail_file, std::string_view unid) const {
  if (!IsValidUnid(unid)) return Status::InvalidArgument("'" + std::string(unid) + "' is not a UNID");
  return ReadFileBytes(data_dir_ / (std::string(mail_file) + kBodiesSuffix) / std::string(unid));
}

Status MailStore::LinkMailFileBody(std::string_view mail_file, std::string_view from_unid,
                                   std::string_view to_unid) const {
  if (!IsValidUnid(from_unid) || !IsValidUnid(to_unid))
    return Status::InvalidArgument("'" + std::string(from_unid) + "' or '" + std::string(to_unid) + "' is not a UNID");
  std::filesystem::path dir = data_dir_ / (std::string(mail_file) + kBodiesSuffix);
  std::filesystem::path source = dir / std::string(from_unid), target = dir / std::string(to_unid);
  if (::link(source.c_str(), target.c_str()) != 0 && errno != EEXIST)
    return Status::IOError("cannot link " + source.string() + " to " + target.string() + ": " + std::strerror(errno));
  return SyncDirectory(dir);
}

Status MailStore::RemoveMailFileBody(std::string_view mail_file, std::string_view unid) const {
  if (!IsValidUnid(unid)) return Status::InvalidArgument("'" + std::string(unid) + "' is not a UNID");
  std::filesystem::path path = data_dir_ / (std::string(mail_file) + kBodiesSuffix) / std::string(unid);
  std::error_code ec;
  if (!std::filesystem::remove(path, ec) && ec && ec != std::errc::no_such_file_or_directory)
    return Status::IOError("cannot remove " + path.string() + ": " + ec.message());
  return Status::Ok();
}

Status MailStore::RemoveUnreferencedBodies(WriteTxn& txn, std::chrono::seconds min_age) const {
  std::error_code ec;
  const auto now = std::filesystem::file_time_type::clock::now();
  for (const auto& entry : std::filesystem::directory_iterator(MailBoxBodyPath(""), ec)) {
    // A file this young may belong to a deposit whose shared transaction just failed
    // and is being retried alone.
    if (min_age.count() > 0 && now - entry.last_write_time(ec) < min_age) continue;
    std::string unid = entry.path().filename().string();
    if (!IsValidUnid(unid)) continue;  // not ours
    auto note = txn.GetByUnid(unid);
    if (note.ok()) continue;
    if (note.status().code() != StatusCode::kNotFound) return note.status();
    std::filesystem::remove(entry.path(), ec);
  }
  return Status::Ok();
}

void MailStore::SweepBodies() {
  const std::int64_t now = MonotonicMillis() * 1000;  // an interval, not a date
  std::int64_t last = last_sweep_micros_.load();
  if (now - last < kSweepIntervalMicros || !last_sweep_micros_.compare_exchange_strong(last, now)) return;
  std::error_code ec;
  if (std::filesystem::is_empty(MailBoxBodyPath(""), ec) || ec) return;
  WriteMailBoxAsync([this](WriteTxn& txn) { return RemoveUnreferencedBodies(txn, std::chrono::seconds(60)); },
                    [](const Status&) {});
}

void MailStore::SetTracking(std::shared_ptr<TrackingStore> tracking) {
  std::lock_guard<std::mutex> lock(tracking_mutex_);
  tracking_ = std::move(tracking);
}

std::shared_ptr<TrackingStore> MailStore::tracking() const {
  std::lock_guard<std::mutex> lock(tracking_mutex_);
  return tracking_;
}

void MailStore::TrackReceived(const Note& note) {
  std::shared_ptr<TrackingStore> store = tracking();
  if (!store) return;
  TrackingEvent e;
  e.time = note.GetTime("$Arrival");
  e.event = "received";
  e.message_id = note.GetText("$MessageID");
  e.unid = note.unid();
  e.sender = note.GetText("SMTPOriginator");
  for (const std::string& r : note.GetTextList("Recipients")) e.recipient += (e.recipient.empty() ? "" : ", ") + r;
  e.from = note.GetText("From");
  e.subject = note.GetText("Subject");
  e.detail = note.GetText("$Origin");
  store->Append(std::move(e));
}

Result<std::string> MailStore::Deposit(const MailEnvelope& envelope, const std::string& message) {
  auto promise = std::make_shared<std::promise<Result<std::string>>>();
  auto result = promise->get_future();
  DepositAsync(envelope, message, [promise](const Result<std::string>& unid) { promise->set_value(unid); });
  return result.get();
}

void MailStore::CommitterLoop() {
  for (;;) {
    std::vector<Request> batch;
    {
      std::unique_lock lock(queue_mutex_);
      queue_changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    CommitBatch(batch);
  }
}

void MailStore::CommitBatch(std::vector<Request>& batch) {
  Status together = mail_box_->Write([&](WriteTxn& txn) -> Status {
    for (Request& request : batch) NOTESD_RETURN_IF_ERROR(request.work(txn));
    return Status::Ok();
  });
  if (together.ok() || batch.size() == 1) {
    for (Request& request : batch) request.done(together);
    return;
  }
  // One piece failed the shared transaction: give each its own, so only it fails.
  for (Request& request : batch) request.done(mail_box_->Write(request.work));
}

Result<std::shared_ptr<NsfDatabase>> MailStore::MailFile(std::string_view relative_path, bool create) {
  NOTESD_ASSIGN_OR_RETURN(std::string normal, NormalizeMailFilePath(relative_path));
  std::filesystem::path relative(normal);
  std::string key = ToLowerAscii(normal);
  std::lock_guard lock(files_mutex_);
  if (auto it = mail_files_.find(key); it != mail_files_.end()) return it->second;
  std::filesystem::path full = data_dir_ / relative;
  if (!create && !std::filesystem::exists(full))
    return Status::NotFound("mail file " + relative.string() + " does not exist");
  std::error_code ec;
  std::filesystem::create_directories(full.parent_path(), ec);
  NsfOptions nsf;
  nsf.title = "Mail file " + relative.stem().string();
  nsf.clock = options_.clock;
  nsf.no_sync = options_.no_sync;
  nsf.views = MailFileViewDefinitions();
  nsf.label = relative.string();
  NOTESD_ASSIGN_OR_RETURN(std::unique_ptr<NsfDatabase> db, NsfDatabase::Open(full, nsf));
  // INBOX, and UIDs for messages from before folders (a no-op once done: one lookup).
  const TimeMicros now = options_.clock ? options_.clock() : WallClock().NowMicros();
  NOTESD_RETURN_IF_ERROR(db->Write([now](WriteTxn& txn) {
                             return FileUnfiledMessages(txn, now).status();
                           }).WithContext(relative.string()));
  std::shared_ptr<NsfDatabase> shared = std::move(db);
  mail_files_[key] = shared;
  return shared;
}

namespace {

std::string ChangeKey(std::string_view mail_file) {
  auto normal = NormalizeMailFilePath(mail_file);
  return ToLowerAscii(normal.ok() ? std::string_view(*normal) : mail_file);
}

}  // namespace

std::uint64_t MailStore::MailFileChangeCount(std::string_view mail_file) {
  std::lock_guard lock(changes_mutex_);
  auto it = changes_.find(ChangeKey(mail_file));
  return it == changes_.end() ? 0 : it->second;
}

void MailStore::NoteMailFileChange(std::string_view mail_file) {
  {
    std::lock_guard lock(changes_mutex_);
    ++changes_[ChangeKey(mail_file)];
  }
  changes_changed_.notify_all();
}

std::uint64_t MailStore::WaitForMailFileChange(std::string_view mail_file, std::uint64_t seen,
                                               std::chrono::milliseconds timeout) {
  const std::string key = ChangeKey(mail_file);
  std::unique_lock lock(changes_mutex_);
  auto count = [&] {
    auto it = changes_.find(key);
    return it == changes_.end() ? std::uint64_t{0} : it->second;
  };
  changes_changed_.wait_for(lock, timeout, [&] { return count() != seen; });
  return count();
}

void MailStore::NotifyWork() {
  {
    std::lock_guard lock(work_mutex_);
    work_signalled_ = true;
  }
  work_changed_.notify_all();
}

void MailStore::WaitForWork(std::chrono::milliseconds timeout) {
  std::unique_lock lock(work_mutex_);
  work_changed_.wait_for(lock, timeout, [this] { return work_signalled_; });
  work_signalled_ = false;
}

Result<std::shared_ptr<MailStore>> OpenMailStore(DatabaseSet& databases, const std::filesystem::path& data_dir) {
  return databases.Get<MailStore>(data_dir, [&databases](const std::filesystem::path& dir) {
    MailStoreOptions options;
    options.clock = databases.NoteClock();
    return MailStore::Open(dir, options);
  });
}

}  // namespace notesd
