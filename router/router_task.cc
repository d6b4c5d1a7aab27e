#include "router/router_task.h"

#include <atomic>

#include "base/command_grammar.h"

#include "router/mail_config.h"
#include "router/router_engine.h"
#include "base/ascii.h"

namespace notesd {

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(1000);
constexpr auto kBatchPause = std::chrono::milliseconds(50);
constexpr std::int64_t kConfigRefreshMillis = 5 * 60 * 1000;

// TELL ROUTER commands (base/command_grammar.h: `t router sh q`, `t router del st`).
enum RouterCommand { kShowQueues, kDeliveryStats, kUpdateConfig, kShowDead, kReleaseDead, kPurgeDead, kTrack };
const CommandGrammar& RouterGrammar() {
  static const std::vector<CommandForm> forms = WithTaskQuitForms({
      {{"SHOW", "QUEUES"}, kShowQueues, CommandArgument::kNone, "The mail.box queues"},
      {{"DELIVERY", "STATS"}, kDeliveryStats, CommandArgument::kNone, "Delivery statistics since the Router started"},
      {{"UPDATE", "CONFIGURATION"}, kUpdateConfig, CommandArgument::kNone, "Read the Router's notes.ini keys again"},
      {{"SHOW", "DEAD"}, kShowDead, CommandArgument::kNone, "The dead messages in mail.box and why they failed"},
      {{"RELEASE", "DEAD"},
       kReleaseDead,
       CommandArgument::kRequired,
       "Route dead mail again to its recipients: RELEASE DEAD unid, or * for all"},
      {{"PURGE", "DEAD"},
       kPurgeDead,
       CommandArgument::kRequired,
       "Delete dead mail from mail.box: PURGE DEAD unid, or * for all"},
      {{"TRACK"},
       kTrack,
       CommandArgument::kOptional,
       "Message Tracking: TRACK [from=x] [to=x] [subject=x] [since=YYYY-MM-DD[THH:MM[:SS]]], newest last, 200 lines"},
  });
  static const CommandGrammar grammar{
      forms, "Router",
      "(try SHOW QUEUES, SHOW DEAD, RELEASE DEAD, PURGE DEAD, TRACK, DELIVERY STATS, UPDATE CONFIG or QUIT)"};
  return grammar;
}

class RouterTask final : public Task {
 public:
  explicit RouterTask(TaskContext& context) : context_(context) {}
  ~RouterTask() override { Stop(); }

  Status Start(const std::vector<std::string>&) override {
    NOTESD_ASSIGN_OR_RETURN(auto directory, OpenDirectory(context_.Databases(), context_.DataDir()));
    NOTESD_ASSIGN_OR_RETURN(auto store, OpenMailStore(context_.Databases(), context_.DataDir()));
    NOTESD_ASSIGN_OR_RETURN(tracking_, OpenTrackingStore(context_.Databases(), context_.DataDir()));
    store->SetTracking(tracking_);
    state_ = std::make_shared<State>(std::move(directory), std::move(store), context_);
    engine_ = &state_->engine;
    store_ = state_->store.get();
    ResetStatistics();
    UpdateConfig();
    // The routing step waits on mail.box itself (a deposit wakes it): stopping wakes it
    // there. Stopping the transfer cancels a transfer in progress: never wait for a hung
    // relay host.
    routing_ = context_.NewWorker(
        {"Router", "routing", kPollInterval, [this] { return RoutingStep(); }, [this] { store_->NotifyWork(); }});
    transfer_ = context_.NewWorker({"Router", "transfer", kPollInterval,
                                    [this, transports = SmtpTransportFactory()] { return TransferStep(transports); },
                                    [this] { engine_->CancelTransfers(); }});
    routing_->Start();
    transfer_->Start();
    RegisterGauges();
    return Status::Ok();
  }

  void Stop() override {
    if (!engine_) return;
    if (transfer_) transfer_->Stop();  // first: cancels a transfer in progress at once
    if (routing_) routing_->Stop();
    context_.Stats().RemovePrefix("Mail.");
    if (store_) store_->SetTracking(nullptr);
    tracking_.reset();
    engine_ = nullptr;
    store_ = nullptr;
    state_.reset();  // a gauge being read keeps it alive until it returns
  }

  Result<std::string> Tell(std::string_view command) override {
    NOTESD_ASSIGN_OR_RETURN(MatchedCommand matched, MatchCommand(command, RouterGrammar()));
    switch (matched.form->id) {
      case kShowQueues: return engine_->DescribeQueues();
      case kShowDead: return engine_->DescribeDead();
      case kReleaseDead: {
        NOTESD_ASSIGN_OR_RETURN(std::size_t released, engine_->ReleaseDead(matched.rest));
        return "Router: " + std::to_string(released) + " dead message(s) released for routing";
      }
      case kPurgeDead: {
        NOTESD_ASSIGN_OR_RETURN(std::size_t purged, engine_->DeleteDead(matched.rest));
        return "Router: " + std::to_string(purged) + " dead message(s) deleted from mail.box";
      }
      case kTrack: return Track(matched.rest);
      case kDeliveryStats: return engine_->DescribeStats();
      case kUpdateConfig: {
        std::string summary = UpdateConfig();
        WakeTransfer();
        return "Router: " + summary;
      }
      default: return Status::Internal("TELL ROUTER " + FormWords(*matched.form) + " is the server's to answer");
    }
  }

  std::vector<TaskStatusRow> StatusRows() const override {
    std::string routing = busy_routing_ ? "Delivering mail" : "Idle";
    std::string transfer = busy_transfer_ ? "Transferring mail to the relay host" : "Idle";
    return {{"Router", "Delivery: " + routing}, {"Router", "SMTP transfer: " + transfer}};
  }

 private:
  // Reads the keys; returns the one-line summary UPDATE CONFIG answers with.
  std::string UpdateConfig() {
    std::vector<std::string> problems;
    RouterConfig config = mail_keys::ReadRouterConfig(context_.Config(), &problems);
    for (const std::string& problem : problems) context_.Log().Log("Router", problem);
    std::string domains;
    for (const std::string& d : config.local_domains) domains += (domains.empty() ? "" : ",") + d;
    std::string summary = "configuration updated: relay host " +
                          (config.relay.host.empty() ? std::string("(none)")
                                                     : config.relay.host + ":" + std::to_string(config.relay.port)) +
                          ", local Internet domains " + (domains.empty() ? std::string("(directory only)") : domains);
    tracking_->Configure(config.tracking_enabled, config.tracking_exclude_subject);
    tracking_keep_days_ = config.tracking_keep_days;
    engine_->SetConfig(std::move(config));
    config_read_millis_ = MonotonicMillis();
    context_.Log().Log("Router", summary);  // the logger prefixes the source: "Router: configuration updated ..."
    return summary;
  }

  // TELL ROUTER TRACK: one line per event, newest last.
  Result<std::string> Track(std::string_view arguments) {
    NOTESD_ASSIGN_OR_RETURN(TrackingQuery query, ParseTrackingQuery(arguments));
    NOTESD_ASSIGN_OR_RETURN(std::vector<TrackingEvent> events, tracking_->Query(query));
    if (events.empty()) return std::string("Router: no tracked events match");
    std::string out;
    for (const TrackingEvent& e : events) out += FormatTrackingLine(e) + "\n";
    out.pop_back();
    return out;
  }

  // Once a day by the server's clock (SET CLOCK moves it), and at the first pass: deletes
  // the tracking records older than MTKeepDays.
  void PurgeTracking() {
    constexpr std::int64_t kDay = std::int64_t{86400} * 1'000'000;
    const std::int64_t now = context_.GetClock().NowMicros();
    if (last_tracking_purge_ != 0 && now - last_tracking_purge_ < kDay) return;
    last_tracking_purge_ = now;
    auto purged = tracking_->PurgeBefore(now - tracking_keep_days_.load() * kDay);
    if (!purged.ok())
      context_.Log().Log("Router", "Message Tracking purge failed: " + purged.status().message());
    else if (*purged > 0)
      context_.Log().Log("Router", "Message Tracking: purged " + std::to_string(*purged) + " record(s) older than " +
                                       std::to_string(tracking_keep_days_.load()) + " day(s)");
  }

  void ResetStatistics() {
    for (const char* name : {"Mail.Delivered", "Mail.Transferred", "Mail.TransferFailures", "Mail.TotalFailures",
                             "Mail.DSNs", "Mail.Dead.Total"})
      context_.Stats().Counter(name) = 0;
  }

  void RegisterGauges() {
    std::weak_ptr<State> weak = state_;
    auto count = [weak](std::size_t QueueCounts::*field) {
      return [weak, field] {
        auto state = weak.lock();
        if (!state) return std::string("0");
        auto counts = state->engine.Counts();
        return counts.ok() ? std::to_string((*counts).*field) : std::string("?");
      };
    };
    context_.Stats().SetGauge("Mail.Waiting", count(&QueueCounts::pending));
    context_.Stats().SetGauge("Mail.WaitingForTransfer", count(&QueueCounts::transfer));
    context_.Stats().SetGauge("Mail.Dead", count(&QueueCounts::dead));
  }

  void WakeTransfer() {
    if (transfer_) transfer_->Wake();
  }

  // One routing pass. When idle it waits on mail.box for new work (a deposit wakes it;
  // otherwise it looks every kPollInterval) and asks to run again at once.
  WorkerWait RoutingStep() {
    if (MonotonicMillis() - config_read_millis_ > kConfigRefreshMillis) UpdateConfig();
    PurgeTracking();
    store_->SweepBodies();  // body files of delivered messages (rate-limited, see mail_store.h)
    busy_routing_ = true;
    auto routed = engine_->RoutePending();
    busy_routing_ = false;
    if (!routed.ok()) {
      context_.Log().Log("Router", "Routing pass failed: " + routed.status().message() + " (will retry)");
      store_->WaitForWork(kPollInterval);
      return kRunAgain;
    }
    if (*routed > 0) {
      WakeTransfer();
      // Under load, let the next batch grow for a moment: every pass costs the mail
      // files and mail.box a synchronous flush, and the disk's flushes are what limits
      // throughput (SMTP's group commit needs them too).
      return *routed < engine_->config().batch ? WorkerWait(kBatchPause) : kRunAgain;
    }
    store_->WaitForWork(kPollInterval);
    return kRunAgain;
  }

  // One transfer pass; while it sends something, the next follows at once, otherwise
  // it waits kPollInterval or until routing queues Internet mail (WakeTransfer).
  WorkerWait TransferStep(const TransportFactory& transports) {
    busy_transfer_ = true;
    auto sent = engine_->TransferDue(transports);
    busy_transfer_ = false;
    if (!sent.ok()) context_.Log().Log("Router", "Transfer pass failed: " + sent.status().message() + " (will retry)");
    return sent.ok() && *sent > 0 ? kRunAgain : kWaitPeriod;
  }

  // What the Router's threads and statistics gauges use, kept alive by whoever holds it.
  struct State {
    State(std::shared_ptr<Directory> d, std::shared_ptr<MailStore> s, TaskContext& context)
        : directory(std::move(d)),
          store(std::move(s)),
          engine(*store, *directory, context.GetClock(), &context.Log(), context.Stats()) {}
    std::shared_ptr<Directory> directory;
    std::shared_ptr<MailStore> store;
    RouterEngine engine;
  };

  TaskContext& context_;
  std::shared_ptr<State> state_;
  RouterEngine* engine_ = nullptr;        // in state_
  MailStore* store_ = nullptr;            // in state_
  std::unique_ptr<TaskWorker> routing_;   // set in Start before it runs
  std::unique_ptr<TaskWorker> transfer_;  // set in Start before it runs
  std::atomic<bool> busy_routing_{false};
  std::atomic<bool> busy_transfer_{false};
  std::atomic<std::int64_t> config_read_millis_{0};
  std::shared_ptr<TrackingStore> tracking_;
  std::atomic<std::int64_t> tracking_keep_days_{7};
  std::int64_t last_tracking_purge_ = 0;  // routing thread only
};

}  // namespace

TaskSpec RouterTaskSpec() {
  return {"Router", "Router", {"nrouter"}, mail_keys::kRouterKeys, [](TaskContext& context) {
            return std::make_unique<RouterTask>(context);
          }};
}

}  // namespace notesd
