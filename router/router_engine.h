// router/router_engine.h — the Router's work, without threads: one routing pass over
// mail.box (resolve, deliver to mail files, queue Internet recipients, report failures,
// defer what cannot be delivered yet) and one transfer pass (send what is due to the
// relay host). Both retry on one schedule (RetryDelaySeconds) and expire what waited
// longer than expire_minutes.
// router/router_task.cc runs these passes on its threads; the unit tests run them
// directly with a test clock and a fake transport. The delivery guarantees are described
// at the top of router/router_task.h.
//
// Thread safety: RoutePending and TransferDue may run at the same time on two threads
// (they touch disjoint items of a mail.box note, and every mail.box change re-reads the
// note inside its transaction); each alone is not reentrant. SetConfig and the Describe
// methods are safe from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/logger.h"
#include "base/stats.h"
#include "directory/directory.h"
#include "router/mail_store.h"
#include "router/smtp_client.h"

namespace notesd {

struct RouterConfig {
  std::vector<std::string> local_domains;  // SMTPDomains
  std::string host_name = "localhost";     // DSN Reporting-MTA, EHLO name
  RelayOptions relay;                      // relay.host empty: Internet mail waits
  std::int64_t retry_interval_seconds = 60;
  std::int64_t retry_max_seconds = 3600;
  std::int64_t expire_minutes = 1440;
  std::size_t batch = 500;                          // messages per pass
  std::size_t batch_bytes = std::size_t{64} << 20;  // message bytes per pass
  bool tracking_enabled = true;                     // MTEnabled
  std::int64_t tracking_keep_days = 7;              // MTKeepDays
  bool tracking_exclude_subject = false;            // MTExcludeSubject
};

// The outbound side, behind an interface so tests can stand in for the relay.
class OutboundTransport {
 public:
  virtual ~OutboundTransport() = default;
  virtual Status Connect() = 0;
  virtual TransferOutcome Send(const OutboundMessage& message) = 0;
  virtual void Quit() = 0;
  // From any thread: abandon the transfer in progress as soon as possible.
  virtual void Cancel() = 0;
};
using TransportFactory = std::function<std::unique_ptr<OutboundTransport>(const RelayOptions&)>;
// Makes SmtpClient transports.
TransportFactory SmtpTransportFactory();

// Seconds to wait after a failed delivery or transfer attempt, when `earlier_failures`
// attempts of the same message failed before it: retry_interval_seconds, doubling with
// each failure, at most retry_max_seconds. The one schedule of both queues.
std::int64_t RetryDelaySeconds(const RouterConfig& config, int earlier_failures);

struct QueueCounts {
  std::size_t pending = 0;   // messages with recipients not yet routed (deferred ones too)
  std::size_t deferred = 0;  // of those, messages whose local delivery failed and waits
  std::size_t transfer = 0;  // messages waiting for the SMTP transfer
  std::size_t dead = 0;
};

class RouterEngine {
 public:
  // Everything is borrowed and must outlive the engine. Statistics: Mail.Delivered,
  // Mail.Transferred, Mail.TransferFailures, Mail.TotalFailures, Mail.DSNs,
  // Mail.Dead.Total (messages that became dead) are counters in `stats`.
  RouterEngine(MailStore& store, const Directory& directory, const Clock& clock, Logger* log, StatsRegistry& stats);

  void SetConfig(RouterConfig config);
  RouterConfig config() const;

  // Routes up to config.batch messages that have pending recipients: the deferred ones
  // whose next attempt is due first, then new ones. Returns how many it looked at (0:
  // nothing to do). A recipient whose mail file cannot be opened or written, or whom the
  // directory cannot resolve now, stays pending: the message is deferred on the retry
  // schedule (logged once per attempt, shown by DescribeQueues), and once it has waited
  // expire_minutes the recipient is reported (4.4.7) or becomes dead mail. An error
  // leaves mail.box as it was for the messages concerned; they are routed again by a
  // later pass. Mail.Delivered counts a message for a mail file when mail.box records
  // that delivery, so a pass whose mail.box update failed is counted by the pass that
  // finishes it.
  Result<std::size_t> RoutePending();
  // Transfers up to config.batch messages whose next attempt is due. Returns how many it
  // looked at.
  Result<std::size_t> TransferDue(const TransportFactory& transports);
  // From any thread (the Router stopping): the transfer pass in progress gives up its
  // connection at once and leaves the remaining messages as they were; later passes do
  // nothing until ResumeTransfers().
  void CancelTransfers();
  void ResumeTransfers();
  // Microseconds until the earliest transfer is due (0 if one is due now; -1 if none).
  std::int64_t MicrosUntilNextTransfer() const;

  Result<QueueCounts> Counts() const;
  // TELL ROUTER SHOW QUEUES / DELIVERY STATS.
  std::string DescribeQueues() const;
  std::string DescribeStats() const;

  // Dead mail, as Domino's administrator handles it in mail.box. `unid` names one dead
  // message; "*" is all of them. ReleaseDead gives each its dead recipients back as
  // pending (attempts and errors cleared) and wakes routing, which tries them again (and
  // may make it dead again); DeleteDead removes it (its body file goes with the next
  // sweep). Both return how many messages they changed; NotFound "no dead message X in
  // mail.box" when `unid` names none.
  Result<std::size_t> ReleaseDead(std::string_view unid);
  Result<std::size_t> DeleteDead(std::string_view unid);
  // TELL ROUTER SHOW DEAD: the first 50 dead messages, with sender, recipients and why.
  std::string DescribeDead() const;

  // Test hook: runs after the mail files were written and before mail.box is updated;
  // an error stops the pass there, as a crash would.
  std::function<Status()> after_local_delivery;

 private:
  void Log(const std::string& message) const;
  Result<std::size_t> ChangeDead(std::string_view unid, const char* event,
                                 const std::function<Status(WriteTxn&, Note&)>& change);
  // Messages of the ($Routing) view under keys starting with `prefix` and at most
  // `last_key`, in key order, up to config.batch messages or config.batch_bytes.
  Result<std::vector<QueuedMessage>> ReadQueue(const std::string& prefix, const std::string& last_key,
                                               bool with_body) const;
  // The messages under exactly `key` ("transfer").
  Result<std::vector<QueuedMessage>> ReadQueue(const char* key, bool with_body) const {
    return ReadQueue(key, key, with_body);
  }
  // What RoutePending works on: due deferred messages, then new ones.
  Result<std::vector<QueuedMessage>> ReadRoutable(TimeMicros now) const;

  MailStore& store_;
  const Directory& directory_;
  const Clock& clock_;
  Logger* log_;
  StatsRegistry& stats_;
  mutable std::mutex config_mutex_;
  RouterConfig config_;
  std::mutex transport_mutex_;
  OutboundTransport* active_transport_ = nullptr;  // while a transfer pass runs
  std::atomic<bool> transfers_cancelled_{false};
};

}  // namespace notesd
