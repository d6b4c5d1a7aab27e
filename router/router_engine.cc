#include "router/router_engine.h"

#include <algorithm>
#include <map>
#include <set>

#include "pki/crypto.h"
#include "base/notes_ini.h"
#include "router/dsn.h"
#include "router/mail_folders.h"
#include "router/mail_message.h"
#include "router/recipient_resolver.h"
#include "base/ascii.h"
#include "base/display_text.h"

namespace notesd {

namespace {

constexpr std::int64_t kMicros = 1'000'000;

class SmtpTransport final : public OutboundTransport {
 public:
  explicit SmtpTransport(const RelayOptions& options) : client_(options) {}
  Status Connect() override { return client_.Connect(); }
  TransferOutcome Send(const OutboundMessage& message) override { return client_.Send(message); }
  void Quit() override { client_.Quit(); }
  void Cancel() override { client_.Cancel(); }

 private:
  SmtpClient client_;
};

std::vector<std::string> Without(const std::vector<std::string>& list, const std::set<std::string>& remove) {
  std::vector<std::string> out;
  for (const std::string& item : list)
    if (!remove.count(item)) out.push_back(item);
  return out;
}

void AppendUnique(std::vector<std::string>& list, const std::vector<std::string>& more) {
  for (const std::string& item : more)
    if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

// "5.1.1" from a reply text that starts with an enhanced status code, else the class.
std::string EnhancedStatus(const SmtpReply& reply) {
  std::string_view text = reply.text;
  std::size_t space = text.find(' ');
  std::string_view first = text.substr(0, space);
  int dots = 0;
  bool ok = !first.empty() && (first[0] == '2' || first[0] == '4' || first[0] == '5');
  for (char c : first) {
    if (c == '.')
      ++dots;
    else if (c < '0' || c > '9')
      ok = false;
  }
  if (ok && dots == 2) return std::string(first);
  return reply.permanent() ? "5.0.0" : "4.0.0";
}

// The failure report of a recipient that waited longer than RouterMessageExpireMinutes.
FailedRecipient ExpiredRecipient(const std::string& recipient, const std::string& last_error) {
  return {recipient, "4.4.7",
          "X-Notes; delivery time expired" +
              (last_error.empty() ? std::string() : " (last error: " + last_error + ")")};
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// What routing reads of a message stored as a file: enough for any header.
constexpr std::uint64_t kBodyHeadForRouting = 64 * 1024;

std::string RandomToken() {
  auto bytes = RandomBytes(12);
  return bytes.ok() ? HexEncode(*bytes) : std::to_string(MonotonicMillis());
}

// A change to one mail.box note, applied inside the transaction to the note as stored
// then (so the routing and transfer threads never overwrite each other's items).
struct NoteChange {
  NoteId id = 0;
  std::set<std::string> pending_done;  // remove from $Pending
  std::vector<std::string> outbound_add;
  std::set<std::string> outbound_done;  // remove from $Outbound
  std::vector<std::string> dead_add;
  std::string failure_reason;
  bool count_attempt = false;  // a failed transfer: $Attempts, $NextAttempt, $LastError
  TimeMicros next_attempt = 0;
  std::string last_error;
  bool count_delivery_attempt = false;  // a failed local delivery: $DeliveryAttempts...
  TimeMicros next_delivery = 0;
  std::string delivery_error;
  std::vector<Note> reports;  // DSNs to create in the same transaction
  // The routing pass knows the note is finished (every recipient routed locally or
  // reported): delete it without reading it first. Safe because only the routing pass
  // changes a note while it has pending recipients.
  bool finished = false;
};

// Applies a change; returns true when the message became dead (for statistics).
Result<bool> ApplyChange(WriteTxn& txn, const NoteChange& change) {
  for (const Note& report : change.reports) NOTESD_RETURN_IF_ERROR(txn.Create(report).status());
  if (change.finished) {
    Status deleted = txn.Delete(change.id);
    if (!deleted.ok() && deleted.code() != StatusCode::kNotFound) return deleted;
    return false;
  }
  auto stored = txn.Get(change.id);
  if (!stored.ok()) {
    if (stored.status().code() == StatusCode::kNotFound) return false;  // released by the administrator
    return stored.status();
  }
  Note note = std::move(stored).value();
  std::vector<std::string> pending = Without(note.GetTextList("$Pending"), change.pending_done);
  std::vector<std::string> outbound = Without(note.GetTextList("$Outbound"), change.outbound_done);
  AppendUnique(outbound, change.outbound_add);
  std::vector<std::string> dead = note.GetTextList("$DeadRecipients");
  AppendUnique(dead, change.dead_add);
  if (pending.empty() && outbound.empty() && dead.empty()) {
    NOTESD_RETURN_IF_ERROR(txn.Delete(change.id));
    return false;
  }
  note.SetTextList("$Pending", pending, kItemSummary);
  note.SetTextList("$Outbound", outbound, kItemSummary);
  note.SetTextList("$DeadRecipients", dead, kItemSummary);
  if (!change.failure_reason.empty()) note.SetText("FailureReason", change.failure_reason, kItemSummary);
  if (change.count_attempt) {
    note.SetNumber("$Attempts", note.GetNumber("$Attempts") + 1, kItemSummary);
    note.SetTime("$NextAttempt", change.next_attempt, kItemSummary);
    note.SetText("$LastError", change.last_error, kItemSummary);
  }
  if (change.count_delivery_attempt) {
    note.SetNumber("$DeliveryAttempts", note.GetNumber("$DeliveryAttempts") + 1, kItemSummary);
    note.SetTime("$NextDelivery", change.next_delivery, kItemSummary);
    note.SetText("$DeliveryError", change.delivery_error, kItemSummary);
  }
  bool becomes_dead = pending.empty() && outbound.empty() && note.GetText("RoutingState") != "DEAD";
  if (becomes_dead) note.SetText("RoutingState", "DEAD", kItemSummary);
  NOTESD_RETURN_IF_ERROR(txn.Update(note).status());
  return becomes_dead;
}

// What a pass did, counted in the statistics and logged once mail.box holds it.
struct PassTally {
  std::int64_t delivered = 0, transferred = 0, transfer_failures = 0, failures = 0, reports = 0;
  std::vector<std::string> log_lines;
  std::vector<TrackingEvent> events;  // Message Tracking, appended once mail.box holds the pass
};

TrackingEvent TrackEvent(const QueuedMessage& m, const char* event, const std::string& recipient, std::string detail,
                         TimeMicros now) {
  TrackingEvent e;
  e.time = now;
  e.event = event;
  e.message_id = m.message_id;
  e.unid = m.unid;
  e.sender = m.sender;
  e.recipient = recipient;
  e.from = m.from;
  e.subject = m.subject;
  e.detail = std::move(detail);
  return e;
}

// A failed recipient's reason for people (FailureReason, the log): the diagnostic without
// the "X-Notes; " type a DSN needs; an SMTP reply keeps its "smtp; " type.
std::string ReasonText(const FailedRecipient& failed) {
  constexpr std::string_view kNotesType = "X-Notes; ";
  std::string_view text = failed.diagnostic;
  if (text.starts_with(kNotesType)) text.remove_prefix(kNotesType.size());
  return std::string(text);
}

// The recipients of `m` that failed for good, in `change`: one failure report to the
// sender, created in the pass's transaction, or dead recipients when the message is a
// report itself or has no sender. `verb`: "deliver" or "transfer", for the log.
void ReportFailures(const QueuedMessage& m, const std::vector<FailedRecipient>& failed, const RouterConfig& cfg,
                    TimeMicros now, const char* verb, NoteChange& change, PassTally& tally) {
  if (failed.empty()) return;
  tally.failures += static_cast<std::int64_t>(failed.size());
  change.failure_reason = ReasonText(failed.front());
  if (!m.sender.empty() && !m.is_report) {
    DsnInput dsn{cfg.host_name, m.sender, m.message, m.arrival, now, failed, "DSN" + RandomToken()};
    MailEnvelope envelope;
    envelope.recipients = {m.sender};
    envelope.origin = "Router delivery failure report";
    envelope.is_report = true;
    change.reports.push_back(MailBoxNote(envelope, BuildDsn(dsn), now));
    ++tally.reports;
  } else {
    for (const FailedRecipient& f : failed) change.dead_add.push_back(f.recipient);
  }
  const bool reported = !m.sender.empty() && !m.is_report;
  for (const FailedRecipient& f : failed)
    tally.events.push_back(TrackEvent(m, reported ? "failed" : "dead", f.recipient,
                                      ReasonText(f) + (reported ? " (DSN sent)" : " (dead mail)"), now));
  for (const FailedRecipient& f : failed)
    tally.log_lines.push_back("Unable to " + std::string(verb) + " message " + m.unid + " to " + f.recipient + ": " +
                              ReasonText(f));
}

// Message Tracking's events, once mail.box holds what they tell.
void AppendTracking(MailStore& store, const std::vector<TrackingEvent>& events) {
  if (std::shared_ptr<TrackingStore> tracking = store.tracking(); tracking)
    for (const TrackingEvent& event : events) tracking->Append(event);
}

// The tail both passes share: records `changes` in mail.box in one transaction, then logs
// the tally's lines and adds its counts to the statistics, only once mail.box holds them
// (a failed update is neither logged nor counted: a later pass redoes it). `what` names
// the pass in the error ("delivery", "transfer").
Status RecordPass(MailStore& store, StatsRegistry& stats, Logger* log, const std::vector<NoteChange>& changes,
                  const PassTally& tally, const char* what) {
  std::int64_t became_dead = 0;
  Status recorded = store.WriteMailBox([&](WriteTxn& txn) -> Status {
    became_dead = 0;
    for (const NoteChange& change : changes) {
      NOTESD_ASSIGN_OR_RETURN(bool dead, ApplyChange(txn, change));
      became_dead += dead ? 1 : 0;
    }
    return Status::Ok();
  });
  if (!recorded.ok()) return recorded.WithContext(std::string("mail.box update after ") + what);
  if (log)
    for (const std::string& line : tally.log_lines) log->Log("Router", line);
  stats.Counter("Mail.Delivered") += tally.delivered;
  stats.Counter("Mail.Transferred") += tally.transferred;
  stats.Counter("Mail.TransferFailures") += tally.transfer_failures;
  stats.Counter("Mail.TotalFailures") += tally.failures;
  stats.Counter("Mail.DSNs") += tally.reports;
  stats.Counter("Mail.Dead.Total") += became_dead;
  if (tally.reports > 0) store.NotifyWork();  // the reports wait in mail.box for routing
  AppendTracking(store, tally.events);
  return Status::Ok();
}

}  // namespace

std::int64_t RetryDelaySeconds(const RouterConfig& config, int earlier_failures) {
  std::int64_t delay = config.retry_interval_seconds;
  for (int a = 0; a < earlier_failures && delay < config.retry_max_seconds; ++a) delay *= 2;
  return std::min(delay, config.retry_max_seconds);
}

TransportFactory SmtpTransportFactory() {
  return [](const RelayOptions& options) { return std::make_unique<SmtpTransport>(options); };
}

RouterEngine::RouterEngine(MailStore& store, const Directory& directory, const Clock& clock, Logger* log,
                           StatsRegistry& stats)
    : store_(store), directory_(directory), clock_(clock), log_(log), stats_(stats) {}

void RouterEngine::SetConfig(RouterConfig config) {
  std::lock_guard lock(config_mutex_);
  config_ = std::move(config);
}

RouterConfig RouterEngine::config() const {
  std::lock_guard lock(config_mutex_);
  return config_;
}

void RouterEngine::Log(const std::string& message) const {
  if (log_) log_->Log("Router", message);
}

namespace {

// Appends the notes of the ($Routing) entries under `prefix` whose key is at most
// `last_key` (the view is in key order), while the batch has room.
Status AppendQueued(const ReadTxn& txn, const std::string& prefix, const std::string& last_key, bool with_body,
                    const RouterConfig& cfg, std::vector<QueuedMessage>& out, std::size_t& bytes) {
  if (out.size() >= cfg.batch || bytes >= cfg.batch_bytes) return Status::Ok();
  NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries,
                          txn.Scan(kRoutingView, ScanOptions{prefix, prefix, cfg.batch - out.size()}));
  for (const ViewEntry& entry : entries) {
    if (entry.key > last_key) break;
    auto note = txn.Get(entry.id);
    if (!note.ok()) continue;
    out.push_back(QueuedFromNote(*note, with_body));
    if (with_body) bytes += out.back().body_in_file ? out.back().size : out.back().message.size();
    if (bytes >= cfg.batch_bytes) break;
  }
  return Status::Ok();
}

// Reads the bodies of the messages stored as files (mail_store.h), the first `limit`
// bytes of each (0: all of it).
Status ReadFileBodies(const MailStore& store, std::vector<QueuedMessage>& messages, std::uint64_t limit) {
  for (QueuedMessage& m : messages) {
    if (!m.body_in_file) continue;
    NOTESD_ASSIGN_OR_RETURN(std::string body, store.ReadBody(m, limit));
    m.message = std::move(body);
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<QueuedMessage>> RouterEngine::ReadQueue(const std::string& prefix, const std::string& last_key,
                                                           bool with_body) const {
  RouterConfig cfg = config();
  std::vector<QueuedMessage> out;
  Status read = store_.mail_box().Read([&](const ReadTxn& txn) -> Status {
    out.clear();
    std::size_t bytes = 0;
    return AppendQueued(txn, prefix, last_key, with_body, cfg, out, bytes);
  });
  if (!read.ok()) return read;
  // A transfer sends the whole message.
  if (with_body) NOTESD_RETURN_IF_ERROR(ReadFileBodies(store_, out, /*limit=*/0));
  return out;
}

Result<std::vector<QueuedMessage>> RouterEngine::ReadRoutable(TimeMicros now) const {
  RouterConfig cfg = config();
  std::vector<QueuedMessage> out;
  Status read = store_.mail_box().Read([&](const ReadTxn& txn) -> Status {
    out.clear();
    std::size_t bytes = 0;
    NOTESD_RETURN_IF_ERROR(AppendQueued(txn, kDeferredKeyPrefix, DeferredRoutingKey(now), true, cfg, out, bytes));
    return AppendQueued(txn, "pending", "pending", true, cfg, out, bytes);
  });
  if (!read.ok()) return read;
  // Local delivery links a body file and a failure report quotes only the header, so
  // routing reads only the head of a message stored as a file.
  NOTESD_RETURN_IF_ERROR(ReadFileBodies(store_, out, kBodyHeadForRouting));
  return out;
}

Result<std::size_t> RouterEngine::RoutePending() {
  RouterConfig cfg = config();
  const TimeMicros now = clock_.NowMicros();
  NOTESD_ASSIGN_OR_RETURN(std::vector<QueuedMessage> messages, ReadRoutable(now));
  if (messages.empty()) return std::size_t{0};
  ResolutionCache cache(std::chrono::minutes(10));  // for this pass only
  RecipientResolver resolver(directory_, cfg.local_domains, &cache);

  // 1. Resolve every pending recipient.
  std::vector<std::map<std::string, std::vector<RouteTarget>>> routes(messages.size());
  std::map<std::string, std::vector<std::size_t>> by_mail_file;  // lower-cased path -> messages
  std::map<std::string, std::string> mail_file_spelling;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    for (const std::string& recipient : messages[i].pending) {
      std::vector<RouteTarget> targets = resolver.Resolve(recipient);
      for (const RouteTarget& t : targets) {
        if (t.kind != RouteTarget::Kind::kLocal) continue;
        std::string key = ToLowerAscii(t.mail_file);
        mail_file_spelling[key] = t.mail_file;
        auto& list = by_mail_file[key];
        if (std::find(list.begin(), list.end(), i) == list.end()) list.push_back(i);
      }
      routes[i][recipient] = std::move(targets);
    }
  }

  // 2. Deliver: one transaction per mail file, skipping messages it already holds (the
  //    mail.box UNID is the idempotency key: a pass cut short after this step is replayed
  //    without duplicates). A mail file that fails is not logged here but once per
  //    message in step 3, with the attempt and the next one.
  std::map<std::string, std::string> failed_files;  // lower-cased path -> why
  for (const auto& [key, mail_file_indexes] : by_mail_file) {
    // clang 14 (the fuzz build) cannot capture a structured binding in a lambda.
    const auto& indexes = mail_file_indexes;
    const std::string& spelling = mail_file_spelling[key];
    auto db = store_.MailFile(spelling, /*create=*/true);
    if (!db.ok()) {
      failed_files[key] = "unable to open mail file " + spelling + ": " + db.status().message();
      continue;
    }
    Status written = (*db)->Write([&](WriteTxn& txn) -> Status {
      std::vector<Note> notes;
      for (std::size_t i : indexes) {
        auto existing = txn.GetByUnid(messages[i].unid);
        if (existing.ok()) continue;
        if (existing.status().code() != StatusCode::kNotFound) return existing.status();
        if (messages[i].body_in_file) NOTESD_RETURN_IF_ERROR(store_.LinkBodyIntoMailFile(messages[i], spelling));
        notes.push_back(MailFileNote(messages[i], now));
      }
      // Filed into INBOX here: each takes its UID in this transaction (never two alike).
      return CreateInInbox(txn, notes, now).status();
    });
    if (!written.ok())
      failed_files[key] = "unable to deliver to mail file " + spelling + ": " + written.message();
    else
      store_.NoteMailFileChange(spelling);
  }
  if (after_local_delivery) NOTESD_RETURN_IF_ERROR(after_local_delivery());

  // 3. Record the outcome in mail.box, with the failure reports, in one transaction.
  std::vector<NoteChange> changes;
  PassTally tally;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const QueuedMessage& m = messages[i];
    NoteChange change;
    change.id = m.note_id;
    std::vector<FailedRecipient> failed;
    std::vector<std::string> waiting;  // recipients that stay pending
    std::string wait_reason;           // why the first of them waits
    std::set<std::string> done_files, waiting_files;
    const bool expired = m.arrival + cfg.expire_minutes * 60 * kMicros <= now;
    for (const std::string& recipient : m.pending) {
      const std::vector<RouteTarget>& targets = routes[i][recipient];
      std::string reason;
      for (const RouteTarget& t : targets) {
        if (!reason.empty()) break;
        if (t.kind == RouteTarget::Kind::kRetry) reason = t.reason;
        if (t.kind != RouteTarget::Kind::kLocal) continue;
        if (auto it = failed_files.find(ToLowerAscii(t.mail_file)); it != failed_files.end()) reason = it->second;
      }
      if (!reason.empty() && !expired) {
        waiting.push_back(recipient);
        if (wait_reason.empty()) wait_reason = reason;
        for (const RouteTarget& t : targets)
          if (t.kind == RouteTarget::Kind::kLocal) waiting_files.insert(ToLowerAscii(t.mail_file));
        continue;
      }
      change.pending_done.insert(recipient);
      if (!reason.empty()) failed.push_back(ExpiredRecipient(recipient, reason));
      for (const RouteTarget& t : targets) {
        if (t.kind == RouteTarget::Kind::kLocal && !failed_files.count(ToLowerAscii(t.mail_file))) {
          done_files.insert(ToLowerAscii(t.mail_file));
          tally.events.push_back(TrackEvent(m, "delivered", recipient, "mail file " + t.mail_file, now));
        }
        if (t.kind == RouteTarget::Kind::kOutbound) change.outbound_add.push_back(t.address);
        if (t.kind == RouteTarget::Kind::kFailed) failed.push_back({t.recipient, t.status, "X-Notes; " + t.reason});
      }
    }
    // A mail file holds the message once all its recipients there are routed: counted
    // then, and only then, so a replayed pass or a recipient still waiting for another
    // mail file never counts it twice, and a failed mail.box update never loses it.
    for (const std::string& file : done_files) tally.delivered += waiting_files.count(file) ? 0 : 1;
    if (!waiting.empty()) {
      change.count_delivery_attempt = true;
      std::int64_t delay = RetryDelaySeconds(cfg, m.delivery_attempts);
      change.next_delivery = now + delay * kMicros;
      change.delivery_error = wait_reason;
      tally.log_lines.push_back("Unable to deliver message " + m.unid + " to " + Joined(waiting) + ": " + wait_reason +
                                " (attempt " + std::to_string(m.delivery_attempts + 1) + ", next attempt in " +
                                std::to_string(delay) + " s)");
    }
    ReportFailures(m, failed, cfg, now, "deliver", change, tally);
    change.finished = change.pending_done.size() == m.pending.size() && change.outbound_add.empty() &&
                      change.dead_add.empty() && m.outbound.empty() && m.dead_recipients.empty();
    changes.push_back(std::move(change));
  }
  NOTESD_RETURN_IF_ERROR(RecordPass(store_, stats_, log_, changes, tally, "delivery"));
  return messages.size();
}

Result<std::size_t> RouterEngine::TransferDue(const TransportFactory& transports) {
  RouterConfig cfg = config();
  NOTESD_ASSIGN_OR_RETURN(std::vector<QueuedMessage> queued, ReadQueue("transfer", true));
  const TimeMicros now = clock_.NowMicros();
  std::vector<QueuedMessage> due;
  for (QueuedMessage& m : queued)
    if (m.next_attempt <= now) due.push_back(std::move(m));
  if (due.empty()) return std::size_t{0};

  std::vector<NoteChange> changes;
  changes.reserve(due.size());
  std::unique_ptr<OutboundTransport> transport;
  struct ActiveReset {
    RouterEngine* engine;
    ~ActiveReset() {
      std::lock_guard lock(engine->transport_mutex_);
      engine->active_transport_ = nullptr;
    }
  } active_reset{this};
  Status connected = Status::Unavailable("no relay host configured (SMTPRelayHost)");
  PassTally tally;

  for (std::size_t i = 0; i < due.size() && !transfers_cancelled_; ++i) {
    const QueuedMessage& m = due[i];
    NoteChange& change = changes.emplace_back();
    change.id = m.note_id;
    std::vector<FailedRecipient> failed;
    std::string temporary_error;
    bool expired = m.arrival + cfg.expire_minutes * 60 * kMicros <= now;
    if (expired) {
      for (const std::string& r : m.outbound) {
        change.outbound_done.insert(r);
        failed.push_back(ExpiredRecipient(r, m.last_error));
      }
    } else {
      if (!transport && !cfg.relay.host.empty()) {
        transport = transports(cfg.relay);
        {
          std::lock_guard lock(transport_mutex_);
          active_transport_ = transport.get();
        }
        if (transfers_cancelled_) transport->Cancel();
        connected = transport->Connect();
        if (!connected.ok()) Log("Unable to connect to relay host: " + connected.message());
      }
      if (!connected.ok()) {
        temporary_error = connected.message();
      } else {
        std::string data = m.trace.empty() ? m.message : m.trace + "\r\n" + m.message;
        TransferOutcome outcome = transport->Send({m.sender, m.outbound, data});
        if (!outcome.transport.ok()) {
          temporary_error = outcome.transport.message();
          connected = outcome.transport;  // the connection is gone: the rest wait too
        } else {
          bool any = false;
          for (std::size_t r = 0; r < m.outbound.size() && r < outcome.recipients.size(); ++r) {
            const SmtpReply& reply = outcome.recipients[r];
            if (reply.positive()) {
              change.outbound_done.insert(m.outbound[r]);
              tally.events.push_back(
                  TrackEvent(m, "transferred", m.outbound[r], cfg.relay.host + ": " + reply.ToString(), now));
              any = true;
            } else if (reply.permanent()) {
              change.outbound_done.insert(m.outbound[r]);
              failed.push_back({m.outbound[r], EnhancedStatus(reply), "smtp; " + reply.ToString()});
            } else {
              temporary_error = reply.ToString();
            }
          }
          if (any) {
            ++tally.transferred;
            Log("Transferred message " + m.unid + " to " + cfg.relay.host + " via SMTP");
          }
        }
      }
    }
    if (transfers_cancelled_) {  // stopping: this message was not really tried
      changes.pop_back();
      break;
    }
    if (!temporary_error.empty()) {
      ++tally.transfer_failures;
      change.count_attempt = true;
      change.next_attempt = now + RetryDelaySeconds(cfg, m.attempts) * kMicros;
      change.last_error = temporary_error;
    }
    ReportFailures(m, failed, cfg, now, "transfer", change, tally);
  }
  if (transport && !transfers_cancelled_) transport->Quit();

  NOTESD_RETURN_IF_ERROR(RecordPass(store_, stats_, log_, changes, tally, "transfer"));
  return due.size();
}

void RouterEngine::CancelTransfers() {
  transfers_cancelled_ = true;
  std::lock_guard lock(transport_mutex_);
  if (active_transport_) active_transport_->Cancel();
}

void RouterEngine::ResumeTransfers() { transfers_cancelled_ = false; }

std::int64_t RouterEngine::MicrosUntilNextTransfer() const {
  auto queued = ReadQueue("transfer", false);
  if (!queued.ok() || queued->empty()) return -1;
  TimeMicros earliest = INT64_MAX;
  for (const QueuedMessage& m : *queued) earliest = std::min(earliest, m.next_attempt);
  if (earliest == INT64_MAX) return -1;
  return std::max<std::int64_t>(0, earliest - clock_.NowMicros());
}

Result<QueueCounts> RouterEngine::Counts() const {
  QueueCounts counts;
  Status read = store_.mail_box().Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(auto pending, txn.LookupIds(kRoutingView, "pending"));
    NOTESD_ASSIGN_OR_RETURN(auto deferred, txn.Scan(kRoutingView, ScanOptions::WithPrefix(kDeferredKeyPrefix)));
    NOTESD_ASSIGN_OR_RETURN(auto transfer, txn.LookupIds(kRoutingView, "transfer"));
    NOTESD_ASSIGN_OR_RETURN(auto dead, txn.LookupIds(kRoutingView, "dead"));
    counts.deferred = deferred.size();
    counts.pending = pending.size() + deferred.size();
    counts.transfer = transfer.size();
    counts.dead = dead.size();
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return counts;
}

std::string RouterEngine::DescribeQueues() const {
  RouterConfig cfg = config();
  auto counts = Counts();
  if (!counts.ok()) return "Unable to read mail.box: " + counts.status().message();
  std::string relay = cfg.relay.host.empty() ? std::string("(no relay host: SMTPRelayHost is not set)")
                                             : cfg.relay.host + ":" + std::to_string(cfg.relay.port);
  std::string out = "Mail routing queues (mail.box)\n";
  out += "  Local delivery queue:     " + std::to_string(counts->pending) + " message(s), " +
         std::to_string(counts->deferred) + " waiting to be retried\n";
  const TimeMicros now = clock_.NowMicros();
  auto seconds_until = [now](TimeMicros when) {
    return std::to_string(std::max<std::int64_t>(0, (when - now) / kMicros));
  };
  auto deferred = ReadQueue(kDeferredKeyPrefix, std::string(kDeferredKeyPrefix) + "~", false);
  if (deferred.ok()) {
    std::size_t shown = 0;
    for (const QueuedMessage& m : *deferred) {
      if (++shown > 20) {
        out += "    ...\n";
        break;
      }
      out += "    " + m.unid + "  to " + Joined(m.pending) + ", delivery attempts " +
             std::to_string(m.delivery_attempts) + ", next in " + seconds_until(m.next_delivery) +
             " s, last error: " + m.delivery_error + "\n";
    }
  }
  out += "  SMTP queue to relay host: " + std::to_string(counts->transfer) + " message(s) for " + relay + "\n";
  auto queued = ReadQueue("transfer", false);
  if (queued.ok()) {
    std::size_t shown = 0;
    for (const QueuedMessage& m : *queued) {
      if (++shown > 20) {
        out += "    ...\n";
        break;
      }
      out += "    " + m.unid + "  to " + std::to_string(m.outbound.size()) + " recipient(s), attempts " +
             std::to_string(m.attempts) + ", next in " + seconds_until(m.next_attempt) + " s" +
             (m.last_error.empty() ? std::string() : ", last error: " + m.last_error) + "\n";
    }
  }
  out += "  Dead mail:                " + std::to_string(counts->dead) +
         " message(s) (kept in mail.box for the administrator)";
  return out;
}

namespace {

constexpr std::string_view kAllDead = "*";

// The dead messages `unid` names ("*": all), as note ids.
Result<std::vector<NoteId>> DeadNotes(const WriteTxn& txn, std::string_view unid) {
  NOTESD_ASSIGN_OR_RETURN(std::vector<NoteId> dead, txn.LookupIds(kRoutingView, "dead"));
  if (unid == kAllDead) return dead;
  for (NoteId id : dead) {
    NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(id));
    if (EqualsIgnoreCase(note.unid(), unid)) return std::vector<NoteId>{id};
  }
  return Status::NotFound("no dead message " + std::string(unid) + " in mail.box (TELL ROUTER SHOW DEAD lists them)");
}

// The administrator's hand on a dead message, for Message Tracking: one event per dead
// recipient ("released", "purged").
void TrackDeadMessage(const Note& note, const char* event, TimeMicros now, std::vector<TrackingEvent>& events) {
  for (const std::string& recipient : note.GetTextList("$DeadRecipients")) {
    TrackingEvent e;
    e.time = now;
    e.event = event;
    e.message_id = note.GetText("$MessageID");
    e.unid = note.unid();
    e.sender = note.GetText("SMTPOriginator");
    e.recipient = recipient;
    e.from = note.GetText("From");
    e.subject = note.GetText("Subject");
    e.detail = std::string("by the administrator (") + (std::string_view(event) == "released" ? "RELEASE" : "PURGE") +
               " DEAD)";
    events.push_back(std::move(e));
  }
}

}  // namespace

// One mail.box transaction over the dead messages `unid` names: `change` updates or
// deletes each; every one is tracked as `event`. Returns how many there were.
Result<std::size_t> RouterEngine::ChangeDead(std::string_view unid, const char* event,
                                             const std::function<Status(WriteTxn&, Note&)>& change) {
  std::size_t changed = 0;
  std::vector<TrackingEvent> events;
  const TimeMicros now = clock_.NowMicros();
  Status written = store_.WriteMailBox([&](WriteTxn& txn) -> Status {
    changed = 0;
    events.clear();
    NOTESD_ASSIGN_OR_RETURN(std::vector<NoteId> ids, DeadNotes(txn, unid));
    for (NoteId id : ids) {
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(id));
      TrackDeadMessage(note, event, now, events);
      NOTESD_RETURN_IF_ERROR(change(txn, note));
      ++changed;
    }
    return Status::Ok();
  });
  if (!written.ok()) return written;
  AppendTracking(store_, events);
  return changed;
}

Result<std::size_t> RouterEngine::ReleaseDead(std::string_view unid) {
  Result<std::size_t> released = ChangeDead(unid, "released", [](WriteTxn& txn, Note& note) {
    std::vector<std::string> pending = note.GetTextList("$Pending");
    AppendUnique(pending, note.GetTextList("$DeadRecipients"));
    note.SetTextList("$Pending", pending, kItemSummary);
    note.SetTextList("$DeadRecipients", {}, kItemSummary);
    note.SetText("RoutingState", "", kItemSummary);
    note.SetNumber("$DeliveryAttempts", 0, kItemSummary);
    note.SetNumber("$Attempts", 0, kItemSummary);
    note.RemoveItem("$NextDelivery");
    note.RemoveItem("$NextAttempt");
    return txn.Update(note).status();
  });
  if (!released.ok()) return released.status().WithContext("releasing dead mail");
  if (*released > 0) {
    Log("Released " + std::to_string(*released) + " dead message(s) for routing again");
    store_.NotifyWork();
  }
  return released;
}

Result<std::size_t> RouterEngine::DeleteDead(std::string_view unid) {
  Result<std::size_t> deleted =
      ChangeDead(unid, "purged", [](WriteTxn& txn, Note& note) { return txn.Delete(note.id()); });
  if (!deleted.ok()) return deleted.status().WithContext("deleting dead mail");
  if (*deleted > 0) Log("Deleted " + std::to_string(*deleted) + " dead message(s) from mail.box");
  return deleted;
}

std::string RouterEngine::DescribeDead() const {
  constexpr std::size_t kShown = 50;
  std::vector<QueuedMessage> dead;
  std::size_t total = 0;
  Status read = store_.mail_box().Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::vector<NoteId> ids, txn.LookupIds(kRoutingView, "dead"));
    total = ids.size();
    dead.clear();
    for (std::size_t i = 0; i < ids.size() && i < kShown; ++i) {
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.GetSummary(ids[i]));
      QueuedMessage m;
      m.unid = note.unid();
      m.sender = note.GetText("SMTPOriginator");
      m.dead_recipients = note.GetTextList("$DeadRecipients");
      m.failure_reason = note.GetText("FailureReason");
      m.subject = note.GetText("Subject");
      dead.push_back(std::move(m));
    }
    return Status::Ok();
  });
  if (!read.ok()) return "Unable to read mail.box: " + read.message();
  std::string out = "Dead mail in mail.box: " + std::to_string(total) + " message(s)";
  for (const QueuedMessage& m : dead)
    out += "\n  " + m.unid + "  from <" + m.sender + "> to " + Joined(m.dead_recipients) + ", subject \"" +
           EscapeForDisplay(m.subject) + "\": " + EscapeForDisplay(m.failure_reason);
  if (total > dead.size()) out += "\n  ...";
  if (total > 0) out += "\n(TELL ROUTER RELEASE DEAD unid|* routes again; TELL ROUTER DELETE DEAD unid|* deletes)";
  return out;
}

std::string RouterEngine::DescribeStats() const {
  auto counts = Counts();
  auto line = [](const std::string& label, std::int64_t value) {
    std::string padded = label;
    padded.resize(std::max<std::size_t>(label.size(), 42), ' ');
    return "  " + padded + std::to_string(value) + "\n";
  };
  std::string out = "Router delivery statistics (since the Router started)\n";
  out += line("Messages delivered to mail files:", stats_.Counter("Mail.Delivered").load());
  out += line("Messages transferred by SMTP:", stats_.Counter("Mail.Transferred").load());
  out += line("Transfer attempts failed (will retry):", stats_.Counter("Mail.TransferFailures").load());
  out += line("Recipients that failed:", stats_.Counter("Mail.TotalFailures").load());
  out += line("Delivery failure reports sent:", stats_.Counter("Mail.DSNs").load());
  if (counts.ok()) {
    out += line("Messages waiting:", static_cast<std::int64_t>(counts->pending + counts->transfer));
    out += line("Dead messages:", static_cast<std::int64_t>(counts->dead));
  }
  out.pop_back();
  return out;
}

}  // namespace notesd
