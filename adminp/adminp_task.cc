#include "adminp/adminp_task.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <cstdlib>
#include <sstream>

#include "adminp/adminp_schedule.h"
#include "base/command_grammar.h"
#include "base/identity_keys.h"
#include "directory/directory.h"
#include "base/ascii.h"

namespace notesd {

namespace {

constexpr char kSource[] = "Admin Process";
constexpr TimeMicros kMicrosPerSecond = 1'000'000;
// How long the start-up pass waits for the other ServerTasks tasks to load.
constexpr std::chrono::seconds kStartupWaitLimit{120};

constexpr ConfigKey kAdminPInterval{
    "AdminPInterval", ConfigType::kInt, "60", 1, 1440, "Minutes between AdminP's Interval passes", "AdminP", false};
constexpr ConfigKey kAdminPDailyAt{"AdminPModifyPersonDocumentsAt",
                                   ConfigType::kInt,
                                   "0",
                                   0,
                                   23,
                                   "Hour (local time, 0..23) of AdminP's Daily pass",
                                   "AdminP",
                                   false};
constexpr ConfigKey kAdminPIntervalSeconds{
    "AdminP_Interval_Seconds",
    ConfigType::kInt,
    "0",
    0,
    86400,
    "notesd, for tests: when > 0, the Interval period in seconds, overriding `AdminPInterval`",
    "AdminP",
    false};
constexpr ConfigKey kAdminPMaxAttempts{
    "AdminP_MaxAttempts",
    ConfigType::kInt,
    "5",
    1,
    100,
    "Attempts before AdminP gives up a failing request (retried after 1, 5, 30, 120 minutes)",
    "AdminP",
    false};
const std::array<ConfigKey, 6> kAdminPKeys = {kAdminPInterval,
                                              kAdminPDailyAt,
                                              kAdminPIntervalSeconds,
                                              kAdminPMaxAttempts,
                                              identity_keys::kServerName,
                                              identity_keys::kKeyFileName};

constexpr char kPauseEnv[] = "NOTESD_TEST_ADMINP_PAUSE_MS";

// TELL ADMINP commands (base/command_grammar.h: `t adminp p all`, `t adminp sh req f`).
enum AdminPCommand { kProcess, kShowDatabases, kShowRequests, kHelp };
const CommandGrammar& AdminPGrammar() {
  static const std::vector<CommandForm> forms = WithTaskQuitForms({
      {{"PROCESS"},
       kProcess,
       CommandArgument::kRequired,
       "TELL ADMINP PROCESS needs ALL, NEW, PEOPLE, INTERVAL, DAILY, DELAYED or TIME"},
      {{"SHOW", "DATABASES"}, kShowDatabases, CommandArgument::kNone, "The databases AdminP works on"},
      {{"SHOW", "REQUESTS"}, kShowRequests, CommandArgument::kOptional, "Requests and their status"},
      {{"HELP"}, kHelp, CommandArgument::kNone, "The TELL ADMINP commands"},
  });
  static const CommandGrammar grammar{forms, "AdminP", "(try TELL ADMINP HELP)"};
  return grammar;
}

std::string Abbreviate(const std::string& name) {
  auto parsed = HierName::Parse(name);
  return parsed.ok() ? parsed->Abbreviated() : name;
}

std::string Describe(const AdminRequest& request) {
  return "'" + request.type + "'" + (request.target.empty() ? "" : " for " + request.target);
}

AdminPScheduleConfig ScheduleConfig(const NotesIni& ini) {
  AdminPScheduleConfig config;
  int64_t seconds = ConfigInt(ini, kAdminPIntervalSeconds);
  config.interval_seconds = seconds > 0 ? seconds : ConfigInt(ini, kAdminPInterval) * 60;
  config.daily_hour = static_cast<int>(ConfigInt(ini, kAdminPDailyAt));
  return config;
}

RetryPolicy RetryFrom(const NotesIni& ini) {
  RetryPolicy policy;
  policy.max_attempts = static_cast<int>(ConfigInt(ini, kAdminPMaxAttempts));
  return policy;
}

}  // namespace

// ---- selections and summaries -------------------------------------------------------

Result<PassSelection> ParseProcessSelection(std::string_view word) {
  NOTESD_ASSIGN_OR_RETURN(std::string choice,
                          MatchKeyword(word, {"ALL", "NEW", "PEOPLE", "INTERVAL", "DAILY", "DELAYED", "TIME"},
                                       "PROCESS option"));
  PassSelection selection;
  selection.ignore_backoff = true;
  const std::set<TimingClass> scheduled = {TimingClass::kImmediate, TimingClass::kInterval, TimingClass::kDaily,
                                           TimingClass::kDelayed};
  if (choice == "ALL") {
    selection.classes = scheduled;
  } else if (choice == "NEW") {
    selection.classes = scheduled;
    selection.classes.insert(TimingClass::kTimed);
    selection.only_new = true;
  } else if (choice == "PEOPLE") {
    selection.classes = scheduled;
    selection.only_people = true;
  } else if (choice == "INTERVAL") {
    selection.classes = {TimingClass::kImmediate, TimingClass::kInterval};
  } else if (choice == "DAILY") {
    selection.classes = {TimingClass::kDaily};
  } else if (choice == "DELAYED") {
    selection.classes = {TimingClass::kDelayed};
  } else {
    selection.classes = {TimingClass::kTimed};
  }
  return selection;
}

std::string PassSummary::Text() const {
  if (begun == 0) return "Admin Process: No requests to process";
  return "Admin Process: Processed " + std::to_string(begun) + " request(s): " + std::to_string(done) + " done, " +
         std::to_string(failed) + " failed, " + std::to_string(retrying) + " to retry";
}

// ---- AdminProcessor -------------------------------------------------------------------

void AdminProcessor::Log(const std::string& message) const {
  if (env_.handler_context.log) env_.handler_context.log->Log(kSource, message);
}

void AdminProcessor::SetActivity(std::string activity) {
  std::lock_guard lock(state_mutex_);
  activity_ = std::move(activity);
}

std::string AdminProcessor::Activity() const {
  std::lock_guard lock(state_mutex_);
  return activity_;
}

void AdminProcessor::SetRetryPolicy(const RetryPolicy& policy) {
  std::lock_guard lock(pass_mutex_);
  env_.retry = policy;
}

bool AdminProcessor::Selected(const AdminRequest& request, const PassSelection& selection) const {
  if (!selection.classes.count(request.timing)) return false;
  if (selection.only_new && !(request.status == RequestStatus::kNew && request.attempts == 0)) return false;
  if (selection.only_people) {
    const RequestTypeInfo* info = FindRequestType(request.type);
    if (info == nullptr || !info->updates_person_documents) return false;
  }
  // Requests addressed to another server are that server's (admin4.nsf replicates in Domino).
  const std::string& self = env_.handler_context.server_name;
  if (!request.server.empty() && !self.empty() && request.server != "*") {
    auto target = HierName::Parse(request.server);
    auto mine = HierName::Parse(self);
    if (target.ok() && mine.ok() && !(*target == *mine)) return false;
  }
  return true;
}

Result<PassSummary> AdminProcessor::RunPass(const PassSelection& selection, TimeMicros now) {
  std::lock_guard pass(pass_mutex_);
  if (selection.announce) Log("Searching Administration Requests database");
  PassSummary summary;
  // The pending requests are read a page at a time, so a pass over a batch of 100,000
  // holds one page of them; a chunk ends at the end of a page.
  std::string after;
  while (!(env_.stopping && env_.stopping())) {
    NOTESD_ASSIGN_OR_RETURN(AdminRequestsDb::PendingPage page,
                            env_.requests->PendingAfter(after, std::max<std::size_t>(env_.pass_page_size, 1)));
    if (page.requests.empty()) break;
    after = std::move(page.next_after);
    ProcessPage(page.requests, selection, now, summary);
  }
  SetActivity("Idle");
  return summary;
}

void AdminProcessor::ProcessPage(const std::vector<AdminRequest>& pending, const PassSelection& selection,
                                 TimeMicros now, PassSummary& summary) {
  std::size_t next = 0;
  while (next < pending.size()) {
    if (env_.stopping && env_.stopping()) break;
    const AdminRequest& request = pending[next];
    if (!Selected(request, selection)) {
      ++next;
      continue;
    }
    // A chunk: this request and the following selected pending ones of the same type, up
    // to the handler's batch size (requests the pass does not select are skipped). A
    // handler that does not batch, or no handler at all, makes a chunk of one.
    std::shared_ptr<AdminRequestHandler> handler = env_.handlers ? env_.handlers->Find(request.type) : nullptr;
    std::size_t max_batch = handler ? std::max<std::size_t>(handler->MaxBatch(), 1) : 1;
    std::vector<AdminRequest> chunk;
    while (next < pending.size() && chunk.size() < max_batch) {
      const AdminRequest& candidate = pending[next];
      if (Selected(candidate, selection)) {
        if (!EqualsIgnoreCase(candidate.type, request.type)) break;
        chunk.push_back(candidate);
      }
      ++next;
    }
    ProcessChunk(chunk, handler.get(), selection, now, summary);
  }
}

namespace {

// How the log speaks of a chunk: request by request for a handler that does not batch
// ("Performing 'X' for T (request U, attempt 1, posted by A)", "... completed"), as a
// group for a batching one ("Performing N 'X' request(s) (requests U1 .. Un)",
// "Performed N ...: D done, F failed"). Failures are logged one by one either way.
struct ChunkWording {
  bool itemised;
  std::string Group(const std::vector<AdminRequest>& requests) const {
    return itemised ? "request " + requests.front().unid
                    : std::to_string(requests.size()) + " '" + requests.front().type + "' request(s)";
  }
};

}  // namespace

std::vector<AdminRequest> AdminProcessor::BeginChunk(const std::vector<AdminRequest>& chunk,
                                                     const PassSelection& selection, TimeMicros now, bool itemised,
                                                     PassSummary& summary) {
  std::vector<std::string> unids;
  unids.reserve(chunk.size());
  for (const AdminRequest& request : chunk) unids.push_back(request.unid);
  Result<std::vector<Result<BeginOutcome>>> begun_all =
      env_.requests->BeginAttempts(unids, env_.retry, now, selection.ignore_backoff);
  if (!begun_all.ok()) {
    Log("Cannot begin " +
        (itemised ? "request " + unids.front()
                  : std::to_string(chunk.size()) + " '" + chunk.front().type + "' requests") +
        ": " + begun_all.status().message());
    return {};
  }
  std::vector<AdminRequest> running;
  for (std::size_t i = 0; i < begun_all->size(); ++i) {
    Result<BeginOutcome>& begun = (*begun_all)[i];
    if (!begun.ok()) {
      Log("Cannot begin request " + unids[i] + ": " + begun.status().message());
      continue;
    }
    if (begun->verdict == BeginVerdict::kGiveUp) {
      ++summary.failed;
      Log(Describe(begun->request) + " failed: " + begun->request.error + " (request " + begun->request.unid + ")");
    } else if (begun->verdict == BeginVerdict::kBegin) {
      running.push_back(std::move(begun->request));
    }
  }
  return running;
}

std::vector<BatchOutcome> AdminProcessor::RunHandler(const std::vector<AdminRequest>& running,
                                                     AdminRequestHandler* handler) {
  if (!handler)
    return std::vector<BatchOutcome>(running.size(),
                                     BatchOutcome{Status::InvalidArgument("no handler for '" + running.front().type +
                                                                          "' requests on this server"),
                                                  {}});
  HandlerContext context = env_.handler_context;
  context.results = {};
  std::vector<BatchOutcome> outcomes;
  try {
    outcomes = handler->HandleBatch(running, context);
  } catch (const std::exception& e) {
    return std::vector<BatchOutcome>(running.size(),
                                     BatchOutcome{Status::Internal(std::string("handler error: ") + e.what()), {}});
  }
  // One outcome per request is the handler's contract (admin_requests.h): a bug if not.
  // Release builds fail the chunk (retried like any internal error) rather than guess.
  assert(outcomes.size() == running.size() && "HandleBatch must return one outcome per request");
  if (outcomes.size() != running.size())
    return std::vector<BatchOutcome>(running.size(),
                                     BatchOutcome{Status::Internal("the handler returned " +
                                                                   std::to_string(outcomes.size()) + " outcomes for " +
                                                                   std::to_string(running.size()) + " requests"),
                                                  {}});
  return outcomes;
}

void AdminProcessor::ProcessChunk(const std::vector<AdminRequest>& chunk, AdminRequestHandler* handler,
                                  const PassSelection& selection, TimeMicros now, PassSummary& summary) {
  const ChunkWording wording{!handler || handler->MaxBatch() <= 1};
  std::vector<AdminRequest> running = BeginChunk(chunk, selection, now, wording.itemised, summary);
  if (running.empty()) return;
  summary.begun += static_cast<int>(running.size());
  const std::string what = wording.Group(running);
  if (wording.itemised) {
    const AdminRequest& request = running.front();
    SetActivity("Processing " + Describe(request));
    Log("Performing " + Describe(request) + " (request " + request.unid + ", attempt " +
        std::to_string(request.attempts) + ", posted by " + Abbreviate(request.author) + ")");
  } else {
    SetActivity("Processing " + what);
    Log("Performing " + what + " (requests " + running.front().unid + " .. " + running.back().unid + ")");
  }
  if (env_.after_begin) env_.after_begin(running.front());  // once per chunk (see the header)

  std::vector<BatchOutcome> outcomes = RunHandler(running, handler);
  std::vector<AdminRequestsDb::AttemptEnd> ends;
  ends.reserve(running.size());
  for (std::size_t i = 0; i < running.size(); ++i)
    ends.push_back({running[i].unid, std::move(outcomes[i].status), std::move(outcomes[i].results)});
  const Clock* clock = env_.handler_context.clock;
  TimeMicros finished_at = clock ? clock->NowMicros() : now;
  Result<std::vector<Result<AdminRequestsDb::FinishOutcome>>> finished =
      env_.requests->FinishAttempts(ends, env_.retry, finished_at);
  if (!finished.ok()) {
    // They stay InProgress and are redone at the next pass (the handler is idempotent).
    Log("Cannot record the outcome of " + what + ": " + finished.status().message());
    return;
  }
  int done = 0;
  int failed = 0;
  for (std::size_t i = 0; i < running.size(); ++i) {
    const AdminRequest& request = running[i];
    const Result<AdminRequestsDb::FinishOutcome>& one = (*finished)[i];
    if (!one.ok()) {
      Log("Cannot record the outcome of request " + request.unid + ": " + one.status().message());
      continue;
    }
    if (ends[i].outcome.ok()) {
      ++summary.done;
      ++done;
      if (wording.itemised) Log(Describe(request) + " completed (request " + request.unid + ")");
      continue;
    }
    ++failed;
    bool retry = one->request.retry_at != 0;
    (retry ? summary.retrying : summary.failed) += 1;
    Log(Describe(request) + " failed: " + ends[i].outcome.message() +
        (retry ? "; will retry after " + IsoTime(one->request.retry_at) : "; not retried") + " (request " +
        request.unid + ")");
  }
  if (!wording.itemised)
    Log("Performed " + what + ": " + std::to_string(done) + " done, " + std::to_string(failed) + " failed");
}

// ---- The task -------------------------------------------------------------------------

namespace {

class AdminPTask final : public Task {
 public:
  AdminPTask(TaskContext& context, std::shared_ptr<AdminRequestHandlerRegistry> handlers)
      : context_(context), handlers_(std::move(handlers)) {}
  ~AdminPTask() override { Stop(); }

  Status Start(const std::vector<std::string>&) override {
    NotesIni ini = context_.Config();
    NOTESD_ASSIGN_OR_RETURN(requests_, OpenAdminRequests(context_.Databases(), context_.DataDir()));
    NOTESD_ASSIGN_OR_RETURN(directory_, OpenDirectory(context_.Databases(), context_.DataDir()));
    if (const char* pause = std::getenv(kPauseEnv)) pause_ms_ = std::atoll(pause);

    AdminProcessor::Environment env;
    env.requests = requests_;
    env.handlers = handlers_;
    env.handler_context.data_dir = context_.DataDir();
    env.handler_context.server_name = ConfigText(ini, identity_keys::kServerName);
    env.handler_context.server_id_path = context_.DataDir() / ConfigText(ini, identity_keys::kKeyFileName);
    env.handler_context.clock = &context_.GetClock();
    env.handler_context.log = &context_.Log();
    env.handler_context.directory = directory_;
    env.handler_context.databases = &context_.Databases();
    env.handler_context.config = [this] { return context_.Config(); };
    env.retry = RetryFrom(ini);
    env.after_begin = [this](const AdminRequest& request) { TestPause(request); };
    env.stopping = [this] { return worker_->Stopping(); };
    processor_ = std::make_unique<AdminProcessor>(std::move(env));

    startup_give_up_ = std::chrono::steady_clock::now() + kStartupWaitLimit;
    worker_ =
        context_.NewWorker({"AdminP", "scheduler", std::chrono::seconds(1), [this] { return ScheduleStep(); }, {}});
    worker_->Start();
    return Status::Ok();
  }

  void Stop() override {
    if (worker_) worker_->Stop();
    processor_.reset();
    requests_.reset();
    directory_.reset();
  }

  Result<std::string> Tell(std::string_view command) override {
    NOTESD_ASSIGN_OR_RETURN(MatchedCommand matched, MatchCommand(command, AdminPGrammar()));
    std::vector<std::string> args = SplitWords(matched.rest);
    switch (matched.form->id) {
      case kProcess: return Process(args.front());
      case kShowDatabases: return ShowDatabases();
      case kShowRequests: return ShowRequests(args.empty() ? "" : args.front());
      case kHelp: return HelpText();
      default: return Status::Internal("TELL ADMINP " + FormWords(*matched.form) + " is the server's to answer");
    }
  }

  std::vector<TaskStatusRow> StatusRows() const override {
    std::string activity = processor_ ? processor_->Activity() : "Idle";
    return {{"Admin Process", activity}};
  }

 private:
  static std::string HelpText() {
    return "TELL ADMINP commands:\n"
           "  PROCESS ALL        immediate, interval, daily and delayed requests now\n"
           "  PROCESS NEW        requests never attempted\n"
           "  PROCESS PEOPLE     requests that update Person documents\n"
           "  PROCESS INTERVAL   immediate and interval requests\n"
           "  PROCESS DAILY      daily requests\n"
           "  PROCESS DELAYED    delayed requests\n"
           "  PROCESS TIME       timed requests\n"
           "  SHOW DATABASES     the databases AdminP works on\n"
           "  SHOW REQUESTS [PENDING|FAILED|DONE|ALL]   requests and their status\n"
           "  QUIT               stop AdminP";
  }

  // One step of the scheduler (once a second). The first runs the start-up pass, once the
  // server has loaded every ServerTasks task (requests for the CA need its certifiers
  // active; a pass before that would fail them and push them into back-off); later steps
  // run the passes the schedule says are due.
  WorkerWait ScheduleStep() {
    if (!startup_pass_done_) {
      if (!context_.ServerStarted() && std::chrono::steady_clock::now() < startup_give_up_)
        return std::chrono::milliseconds(50);
      RunScheduledPass(StartupSelection());
      schedule_.MarkAllRun(context_.GetClock().NowSeconds());
      startup_pass_done_ = true;
      return kWaitPeriod;
    }
    std::set<TimingClass> due = schedule_.TakeDue(context_.GetClock().NowSeconds(), ScheduleConfig(context_.Config()));
    if (due.empty()) return kWaitPeriod;
    PassSelection selection;
    selection.classes = due;
    selection.announce = due.size() > 1 || !due.count(TimingClass::kImmediate);
    RunScheduledPass(selection);
    return kWaitPeriod;
  }

  static PassSelection StartupSelection() {
    PassSelection selection;
    selection.classes = {TimingClass::kImmediate, TimingClass::kInterval, TimingClass::kDaily, TimingClass::kDelayed};
    return selection;
  }

  void RunScheduledPass(const PassSelection& selection) {
    processor_->SetRetryPolicy(RetryFrom(context_.Config()));
    Result<PassSummary> summary = processor_->RunPass(selection, context_.GetClock().NowMicros());
    if (!summary.ok()) {
      context_.Log().Log(kSource, "Cannot search the Administration Requests database: " + summary.status().message());
      return;
    }
    if (summary->begun > 0 || summary->failed > 0) context_.Log().Log("", summary->Text());
    context_.Stats().Counter("AdminP.Passes")++;
  }

  Result<std::string> Process(std::string_view word) {
    NOTESD_ASSIGN_OR_RETURN(PassSelection selection, ParseProcessSelection(word));
    processor_->SetRetryPolicy(RetryFrom(context_.Config()));
    NOTESD_ASSIGN_OR_RETURN(PassSummary summary, processor_->RunPass(selection, context_.GetClock().NowMicros()));
    context_.Stats().Counter("AdminP.Passes")++;
    return summary.Text();
  }

  // TEST ONLY (see the header): sleeps, waking early when the task stops.
  void TestPause(const AdminRequest& request) {
    if (pause_ms_ <= 0) return;
    context_.Log().Log(kSource, "TEST HOOK " + std::string(kPauseEnv) + ": pausing " + std::to_string(pause_ms_) +
                                    " ms with request " + request.unid + " InProgress");
    worker_->SleepFor(std::chrono::milliseconds(pause_ms_));
  }

  Result<std::string> ShowDatabases() {
    NOTESD_ASSIGN_OR_RETURN(std::vector<AdminRequest> all, requests_->List());
    std::size_t pending = 0;
    for (const AdminRequest& request : all) pending += request.IsPending() ? 1 : 0;
    std::ostringstream out;
    out << "Admin Process: Administration Requests database: admin4.nsf (" << all.size() << " request(s), " << pending
        << " pending)\n";
    out << "Admin Process: This server is the administration server of the Domino Directory names.nsf\n";
    std::string icls;
    if (auto certifiers = directory_->ListCertifiers(); certifiers.ok())
      for (const CertifierDocument& certifier : *certifiers)
        if (!certifier.icl_file.empty()) icls += (icls.empty() ? "" : ", ") + certifier.icl_file;
    out << "Admin Process: Issued Certificate Lists: " << (icls.empty() ? "none" : icls) << "\n";
    out << "Admin Process: Request types handled here: ";
    std::vector<std::string> types = handlers_->Types();
    for (std::size_t i = 0; i < types.size(); ++i) out << (i ? ", " : "") << types[i];
    if (types.empty()) out << "none";
    return out.str();
  }

  Result<std::string> ShowRequests(const std::string& filter_word) {
    std::string filter = "OPEN";
    if (!filter_word.empty()) {
      NOTESD_ASSIGN_OR_RETURN(filter,
                              MatchKeyword(filter_word, {"PENDING", "FAILED", "DONE", "ALL"}, "SHOW REQUESTS option"));
    }
    NOTESD_ASSIGN_OR_RETURN(std::vector<AdminRequest> all, requests_->List());
    std::vector<const AdminRequest*> shown;
    for (const AdminRequest& request : all) {
      bool keep = filter == "ALL" || (filter == "OPEN" && request.status != RequestStatus::kDone) ||
                  (filter == "PENDING" && request.IsPending()) ||
                  (filter == "FAILED" && request.status == RequestStatus::kFailed) ||
                  (filter == "DONE" && request.status == RequestStatus::kDone);
      if (keep) shown.push_back(&request);
    }
    std::string label = filter == "OPEN" ? "not done" : ToLowerAscii(filter);
    if (shown.empty()) return "Admin Process: No requests (" + label + ")";
    std::ostringstream out;
    out << "Admin Process: " << shown.size() << " request(s) (" << label << ")\n";
    char line[512];
    std::snprintf(line, sizeof line, "  %-32s  %-10s  %-3s  %-9s  %-26s  %s\n", "UNID", "Status", "Try", "Timing",
                  "Request", "Target / Author");
    out << line;
    for (const AdminRequest* request : shown) {
      std::string status = RequestStatusName(request->status);
      if (request->status == RequestStatus::kFailed && request->retry_at != 0) status += "*";
      std::snprintf(line, sizeof line, "  %-32s  %-10s  %-3d  %-9s  %-26s  %s / %s\n", request->unid.c_str(),
                    status.c_str(), request->attempts, TimingClassName(request->timing), request->type.c_str(),
                    request->target.c_str(), Abbreviate(request->author).c_str());
      out << line;
      if (!request->error.empty())
        out << "      Error: " << request->error
            << (request->retry_at != 0 ? " (retry after " + IsoTime(request->retry_at) + ")" : std::string()) << "\n";
    }
    std::string text = out.str();
    text.pop_back();
    return text;
  }

  TaskContext& context_;
  std::shared_ptr<AdminRequestHandlerRegistry> handlers_;
  std::shared_ptr<AdminRequestsDb> requests_;
  std::shared_ptr<Directory> directory_;
  std::unique_ptr<AdminProcessor> processor_;
  AdminPSchedule schedule_;         // the scheduler worker's own
  bool startup_pass_done_ = false;  // the scheduler worker's own
  std::chrono::steady_clock::time_point startup_give_up_;
  std::unique_ptr<TaskWorker> worker_;  // set in Start before it runs
  int64_t pause_ms_ = 0;
};

}  // namespace

std::span<const ConfigKey> AdminPConfigKeys() { return kAdminPKeys; }

TaskSpec AdminPTaskSpec(std::shared_ptr<AdminRequestHandlerRegistry> handlers) {
  return {"AdminP", "Admin Process", {"nadminp"}, kAdminPKeys, [handlers](TaskContext& context) {
            return std::make_unique<AdminPTask>(context, handlers);
          }};
}

}  // namespace notesd
