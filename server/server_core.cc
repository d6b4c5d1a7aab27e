#include "server/server_core.h"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <future>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "base/display_text.h"
#include "adminp/admin_requests.h"
#include "directory/directory.h"
#include "pki/hier_name.h"
#include "server/server_config.h"
#include "server/service_manager.h"
#include "base/ascii.h"

#ifndef NOTESD_VERSION
#define NOTESD_VERSION "0.0.0"
#endif

namespace notesd {

namespace {

// Log lines made by the thread that runs a console command are captured for the reply,
// so `nserver -c "tell router quit"` shows "Router: Task shut down" too.
thread_local std::string* t_capture = nullptr;

constexpr int kTaskColumnWidth = 21;
constexpr const char* kStartingAnswer =
    "Server is starting; try again (the ServerTasks are still loading; `nserver -c` retries for 30 s)";

// Console verbs that reach the tasks: refused until every ServerTasks task is loaded.
bool NeedsTasks(ConsoleVerb verb) {
  return verb == ConsoleVerb::kTell || verb == ConsoleVerb::kLoad || verb == ConsoleVerb::kRestartTask;
}

std::string PadRight(const std::string& text, size_t width) {
  return text.size() >= width ? text + " " : text + std::string(width - text.size(), ' ');
}

std::string Field(const std::string& label, const std::string& value) {
  return PadRight(label + ":", 24) + value + "\n";
}

}  // namespace

ServerCore::ServerCore(ServerOptions options, const TaskRegistry& registry)
    : options_(std::move(options)), registry_(registry) {
  catalogue_.Add(ServerConfigKeys());
  for (const TaskSpec* spec : registry_.All()) catalogue_.Add(spec->config_keys);
}

ServerCore::~ServerCore() {
  if (work_ || !io_threads_.empty()) Shutdown();
}

// ----------------------------------------------------------------------------- start-up

Status ServerCore::Prepare() {
  std::error_code ec;
  if (!std::filesystem::is_directory(options_.data_dir, ec))
    return Status::NotFound("data directory " + options_.data_dir.string() +
                            " does not exist (make one with `nserver --setup` or scripts/run-server.sh)");
  options_.data_dir = std::filesystem::canonical(options_.data_dir, ec);
  NOTESD_RETURN_IF_ERROR(lock_.Acquire(options_.data_dir));
  if (!std::filesystem::exists(options_.data_dir / "notes.ini"))
    return Status::NotFound("no notes.ini in " + options_.data_dir.string() +
                            " (run `nserver --setup` or copy notes.ini.sample there)");
  OpenLogFile();
  logger_.Log("", std::string("notesd Server (Release ") + NOTESD_VERSION + " for Linux/64) starting");
  return LoadConfig();
}

void ServerCore::OpenLogFile() {
  // console.log holds names and mail addresses: owner-only (console_log_file.h); capped by
  // Console_Log_Max_Kbytes once notes.ini is read (LoadConfig).
  console_log_.Open(options_.data_dir / "console.log");
  logger_.AddSink([this](const LogRecord& record) { console_log_.Write(record.Formatted()); });
  // Under systemd with stdout on the journal, each line carries its level (`<6>`) and no
  // time stamp: the journal keeps its own time.
  const bool journal = StreamIsJournal(STDOUT_FILENO);
  logger_.AddSink([journal](const LogRecord& record) {
    std::string line = journal ? JournalPrefix(record.level) + (record.source.empty() ? "" : record.source + ": ") +
                                     record.message + "\n"
                               : record.Formatted() + "\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
  });
  auto log_nsf = LogDatabase::Open(options_.data_dir / "log.nsf");
  if (log_nsf.ok()) {
    log_nsf_ = std::move(log_nsf).value();
    logger_.AddSink([this](const LogRecord& record) { log_nsf_->Append(record); });
  } else {
    std::fprintf(stderr, "nserver: cannot open log.nsf (console.log still has every line): %s\n",
                 log_nsf.status().message().c_str());
  }
  logger_.AddSink([](const LogRecord& record) {
    if (t_capture) *t_capture += (record.source.empty() ? "" : record.source + ": ") + record.message + "\n";
  });
}

Status ServerCore::LoadConfig() {
  std::vector<IniProblem> problems;
  Result<NotesIni> loaded = NotesIni::Load(options_.data_dir / "notes.ini", &problems);
  if (!loaded.ok()) return loaded.status();
  for (const IniProblem& problem : problems)
    logger_.Log("Server", problem.message + " (line skipped)", LogLevel::kWarning);
  for (const IniDuplicate& duplicate : loaded->Duplicates())
    logger_.Log("Server",
                "notes.ini: " + duplicate.name + " is set on line " + std::to_string(duplicate.used_line) +
                    " and again on line " + std::to_string(duplicate.ignored_line) + "; line " +
                    std::to_string(duplicate.used_line) + " is used (the first copy wins), line " +
                    std::to_string(duplicate.ignored_line) + " is ignored (SET CONFIG " + duplicate.name +
                    "=... leaves one line)",
                LogLevel::kWarning);
  for (const IniEntry& entry : loaded->Entries()) {
    Status valid = catalogue_.Validate(entry.name, entry.value);
    if (!valid.ok())
      logger_.Log("Server", "notes.ini: " + valid.message() + "; the default is used", LogLevel::kWarning);
  }
  stats_.Counter("Server.Config.Problems").store(static_cast<int64_t>(problems.size()));
  console_log_.SetMaxBytes(ConfigInt(*loaded, server_keys::kConsoleLogMaxKbytes) * 1024);
  std::lock_guard lock(config_mutex_);
  ini_ = std::move(loaded).value();
  return Status::Ok();
}

void ServerCore::StartSignals() {
  // A client that resets its connection must cost one failed write (EPIPE), never the
  // server: OpenSSL's socket BIO writes with write(2), which raises SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  signals_ = std::make_unique<boost::asio::signal_set>(io_, SIGINT, SIGTERM, SIGHUP);
  WaitForSignal();
}

// Re-arms through a member function: every wait gets a fresh handler, so none can be a
// moved-from or not-yet-assigned copy of itself.
void ServerCore::WaitForSignal() {
  signals_->async_wait([this](const boost::system::error_code& ec, int number) { OnSignal(ec, number); });
}

void ServerCore::StartRateSampling() {
  rate_timer_ = std::make_unique<boost::asio::steady_timer>(io_);
  transaction_rate_.Sample(MonotonicMillis(), stats_.Counter("Server.Trans.Total").load());
  SampleRateAfterAMinute();
}

void ServerCore::SampleRateAfterAMinute() {
  rate_timer_->expires_after(std::chrono::minutes(1));
  rate_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled at shutdown
    transaction_rate_.Sample(MonotonicMillis(), stats_.Counter("Server.Trans.Total").load());
    SampleRateAfterAMinute();
  });
}

void ServerCore::OnSignal(const boost::system::error_code& ec, int number) {
  if (ec) return;  // cancelled at shutdown
  if (number == SIGHUP) {
    // systemd's reload: RELOADING=1, the work, READY=1. console.log is reopened by name
    // first, so logrotate's move-then-HUP finds the server writing a new file.
    NotifyServiceManager(ReloadingMessage());
    console_log_.Reopen();
    Status reread = LoadConfig();
    logger_.Log("Server",
                reread.ok() ? "SIGHUP: notes.ini re-read, console.log reopened"
                            : "SIGHUP: cannot re-read notes.ini: " + reread.message(),
                reread.ok() ? LogLevel::kInfo : LogLevel::kError);
    NotifyServiceManager("READY=1\nSTATUS=Running");
  } else {
    logger_.Log("Server", std::string("Received ") + (number == SIGTERM ? "SIGTERM" : "SIGINT") + ", shutting down");
    RequestShutdown(false);
  }
  WaitForSignal();
}

Status ServerCore::CheckSystemDatabases() {
  // Open each system database that exists, once, for the tasks: a damaged one stops the
  // start with one message that says which file, what is wrong, and what to do, instead
  // of every task that needs it failing to start on its own.
  struct SystemDatabase {
    const char* file;
    const char* role;
    std::function<Status()> open;
  };
  const std::filesystem::path& dir = options_.data_dir;
  const SystemDatabase databases[] = {
      {"names.nsf", "the Domino Directory", [&] { return OpenDirectory(*databases_, dir).status(); }},
      {"admin4.nsf", "the Administration Requests database",
       [&] { return OpenAdminRequests(*databases_, dir).status(); }},
  };
  for (const SystemDatabase& database : databases) {
    std::filesystem::path path = dir / database.file;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) continue;
    Status opened = database.open();
    if (!opened.ok())
      return Status::Corruption(std::string("system database ") + path.string() + " (" + database.role +
                                ") is damaged and cannot be opened: " + opened.message() +
                                ". The server does not start. Restore " + database.file +
                                " from a backup (inspect it with `notes db info " + path.string() +
                                "`), then start the server again");
  }
  return Status::Ok();
}

void ServerCore::StartIoThreads() {
  NotesIni ini = Config();
  int64_t count = ConfigInt(ini, server_keys::kIoThreads);
  work_.emplace(io_.get_executor());
  for (int64_t i = 0; i < count; ++i) {
    io_threads_.emplace_back([this] {
      while (true) {
        try {
          io_.run();
          return;
        } catch (const std::exception& e) {
          logger_.Log("Server", std::string("Unexpected error in a network handler (the server goes on): ") + e.what(),
                      LogLevel::kError);
        }
      }
    });
  }
}

void ServerCore::StartConsole() {
  if (!options_.console) return;
  NotesIni ini = Config();
  int history = static_cast<int>(ConfigInt(ini, server_keys::kConsoleHistory));
  console_ = std::make_unique<ConsoleInput>(
      [this](const std::string& line) {
        CommandReply reply = Execute(line, "console");
        if (!reply.text.empty()) {
          std::string out = EscapeForDisplay(reply.text, DisplayStyle::kMultiLine);
          if (out.back() != '\n') out += '\n';
          std::fwrite(out.data(), 1, out.size(), stdout);
          std::fflush(stdout);
        }
      },
      [this](std::string_view line) { return MaskConsoleSecrets(line, registry_.TellGrammars()); },
      options_.data_dir / ".nserver_history", history);
  console_->Start();
}

void ServerCore::RegisterServerStats() {
  stats_.SetGauge("Server.Name", [this] { return ServerName(); });
  stats_.SetGauge("Server.Version.Notes", [] { return std::string("notesd ") + NOTESD_VERSION; });
  stats_.SetGauge("Server.Path.Data", [this] { return options_.data_dir.string(); });
  stats_.SetGauge("Server.Time.Start", [this] { return DominoTimestamp(started_micros_); });
  stats_.SetGauge("Server.ElapsedTime", [this] { return ElapsedTime(); });
  stats_.SetGauge("Server.Tasks", [this] { return std::to_string(tasks_ ? tasks_->RunningCount() : 0); });
  stats_.SetGauge("Server.ProcessId", [] { return std::to_string(::getpid()); });
  stats_.Counter("Server.Trans.Total");
  stats_.Counter("Server.Console.Commands");
  stats_.Counter("Server.Console.Errors");
}

int ServerCore::Run(bool* restart) {
  Status prepared = Prepare();
  if (!prepared.ok()) {
    PrintServerError(prepared.message());
    return 1;
  }
  started_millis_ = MonotonicMillis();
  started_micros_ = clock_.NowMicros();
  RegisterServerStats();
  logger_.Log("Server", "Server name: " + ServerName() + "; data directory: " + options_.data_dir.string());

  Status databases = CheckSystemDatabases();
  if (!databases.ok()) {
    logger_.Log("Server", databases.message(), LogLevel::kError);
    PrintServerError(databases.message());
    return 1;
  }

  NotesIni ini = Config();
  tasks_ = std::make_unique<TaskManager>(registry_, *this);  // SHOW TASKS may come before any task loads
  control_ = std::make_unique<ControlSocketServer>(
      io_, command_pool_, options_.data_dir / "nserver.sock",
      [this](const std::string& line) { return Execute(line, "nserver -c"); },
      static_cast<int>(ConfigInt(ini, server_keys::kControlTimeout)));
  Status listening = control_->Start();
  if (!listening.ok()) {
    logger_.Log("Server", listening.message(), LogLevel::kError);
    PrintServerError(listening.message());
    return 1;
  }
  StartSignals();
  StartRateSampling();
  StartIoThreads();
  tasks_->LoadAll(ParseServerTasks(ConfigText(ini, server_keys::kServerTasks)));
  state_ = State::kRunning;
  logger_.Log("Server", "Server started; type HELP for console commands");
  // Type=notify: `systemctl start` returns once the ServerTasks are loaded.
  NotifyServiceManager("READY=1\nSTATUS=Running");
  StartConsole();

  WaitForShutdown();
  state_ = State::kStopping;
  // RESTART SERVER re-executes in the same process: to systemd that is a reload (the new
  // image says READY=1 again), not a stop.
  NotifyServiceManager(restart_requested_ ? "RELOADING=1\nSTATUS=Restarting" : "STOPPING=1\nSTATUS=Shutting down");
  Shutdown();
  *restart = restart_requested_;
  return 0;
}

// ----------------------------------------------------------------------------- shutdown

void ServerCore::RequestShutdown(bool restart) {
  std::lock_guard lock(shutdown_mutex_);
  shutdown_requested_ = true;
  restart_requested_ = restart_requested_ || restart;
  shutdown_cv_.notify_all();
}

void ServerCore::WaitForShutdown() {
  std::unique_lock lock(shutdown_mutex_);
  shutdown_cv_.wait(lock, [this] { return shutdown_requested_; });
}

void ServerCore::Shutdown() {
  logger_.Log("Server", "Server shutdown in progress");
  if (console_) console_->Stop();
  if (tasks_) tasks_->StopAll();
  // The acceptor and signal set belong to the io threads: close them there.
  std::promise<void> closed;
  boost::asio::post(io_, [this, &closed] {
    if (control_) control_->Stop();
    if (signals_) signals_->cancel();
    if (rate_timer_) rate_timer_->cancel();
    closed.set_value();
  });
  if (!io_threads_.empty()) closed.get_future().wait();
  command_pool_.join();  // commands in flight finish and post their replies
  work_.reset();
  // Give replies in flight (EXIT's own answer) a moment, then stop whatever still waits.
  int64_t deadline = MonotonicMillis() + 2000;
  while (!io_.stopped() && MonotonicMillis() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  io_.stop();
  for (std::thread& thread : io_threads_) thread.join();
  io_threads_.clear();
  tasks_.reset();
  databases_.reset();
  logger_.Log("Server", "Server shutdown complete");
  lock_.Release();
}

// ----------------------------------------------------------------------------- context

NotesIni ServerCore::Config() {
  std::lock_guard lock(config_mutex_);
  return ini_;
}

Status ServerCore::SetConfig(std::string_view name, std::string_view value) {
  NOTESD_RETURN_IF_ERROR(catalogue_.Validate(name, value));
  std::lock_guard lock(config_mutex_);
  NotesIni updated = ini_;
  updated.Set(name, value);
  NOTESD_RETURN_IF_ERROR(updated.SaveAtomic(options_.data_dir / "notes.ini"));
  ini_ = std::move(updated);
  console_log_.SetMaxBytes(ConfigInt(ini_, server_keys::kConsoleLogMaxKbytes) * 1024);
  return Status::Ok();
}

void ServerCore::ReportTaskFailure(std::string_view task_name, std::string_view reason) {
  // Stop the task on the command thread: never on the failing task's own stack.
  boost::asio::post(command_pool_, [this, name = std::string(task_name), why = std::string(reason)] {
    if (tasks_) tasks_->Fail(name, why);
  });
}

void ServerCore::PostGuarded(std::string_view task_name, std::function<void()> work) {
  boost::asio::post(io_, [this, name = std::string(task_name), work = std::move(work)] {
    try {
      work();
    } catch (const std::exception& e) {
      ReportTaskFailure(name, e.what());
    }
  });
}

std::unique_ptr<TaskWorker> ServerCore::NewWorker(TaskWorkerOptions options) {
  options.step = [this, task = options.task_name, step = std::move(options.step)] {
    ThrowIfTestFailure(task);
    return step();
  };
  return std::make_unique<TaskWorker>(std::move(options), [this](std::string_view task, std::string_view reason) {
    ReportTaskFailure(task, reason);
  });
}

// TEST ONLY: Test_FailTask=<task> (read at every step) makes the named task's workers
// throw, so a test can prove the task stops alone. Every other value does nothing.
void ServerCore::ThrowIfTestFailure(const std::string& task_name) {
  std::string target = ConfigText(Config(), server_keys::kTestFailTask);
  if (!target.empty() && EqualsIgnoreCase(target, task_name))
    throw std::runtime_error("test failure requested by Test_FailTask=" + target);
}

Result<std::string> ServerCore::ExecuteRemoteConsoleCommand(std::string_view line, std::string_view caller,
                                                            std::string_view serving_task, bool* ok) {
  if (ok) *ok = false;
  const TaskSpec* serving = registry_.Find(serving_task);
  if (serving && StopsTask(line, *serving))
    return Status::InvalidArgument("'" + std::string(line) + "' would stop the " + serving->name +
                                   " task serving this remote console; use the server console or nserver -c");
  logger_.Log(serving ? serving->display_name : std::string(serving_task),
              "Remote console command from " + std::string(caller) + ": " +
                  MaskConsoleSecrets(line, registry_.TellGrammars()));
  CommandReply reply = Execute(std::string(line), "remote console: " + std::string(caller));
  if (ok) *ok = reply.ok;
  return reply.log_lines + reply.text;
}

// Whether a console line would stop or restart the task of `spec` (by its name or an alias).
bool ServerCore::StopsTask(std::string_view line, const TaskSpec& spec) const {
  Result<ConsoleCommand> command = ParseConsoleCommand(line);
  if (!command.ok()) return false;
  auto names_spec = [&](std::string_view name) { return registry_.Find(name) == &spec; };
  if (command->verb == ConsoleVerb::kRestartTask) return names_spec(command->argument);
  if (command->verb == ConsoleVerb::kTell) return names_spec(command->task) && IsTaskQuitCommand(command->task_command);
  return false;
}

// ----------------------------------------------------------------------------- commands

CommandReply ServerCore::Execute(const std::string& line, const std::string& origin) {
  std::lock_guard lock(execute_mutex_);
  executing_origin_ = origin;
  WriteLogFileLine("> " + MaskConsoleSecrets(line, registry_.TellGrammars()) +
                   (origin == "console" ? "" : "   [" + origin + "]"));
  stats_.Counter("Server.Trans.Total")++;
  stats_.Counter("Server.Console.Commands")++;

  std::string captured;
  t_capture = &captured;
  Result<ConsoleCommand> parsed = ParseConsoleCommand(line);
  bool refused = parsed.ok() && NeedsTasks(parsed->verb) && state_.load() == State::kStarting;
  Result<std::string> answer = refused       ? Result<std::string>(Status::Unavailable(kStartingAnswer))
                               : parsed.ok() ? Dispatch(*parsed)
                                             : Result<std::string>(parsed.status());
  t_capture = nullptr;

  CommandReply reply;
  reply.ok = answer.ok();
  reply.starting = refused;
  reply.text = answer.ok() ? answer.value() : answer.status().message();
  reply.log_lines = captured;
  if (!reply.ok) stats_.Counter("Server.Console.Errors")++;
  std::istringstream lines(reply.text);
  for (std::string text; std::getline(lines, text);) WriteLogFileLine(text);
  return reply;
}

void ServerCore::WriteLogFileLine(std::string_view text) {
  LogRecord record{clock_.NowMicros(), "", EscapeForDisplay(text)};
  console_log_.Write(record.Formatted());
}

Result<std::string> ServerCore::Dispatch(const ConsoleCommand& command) {
  switch (command.verb) {
    case ConsoleVerb::kShowTasks: return ShowTasks();
    case ConsoleVerb::kShowServer: return ShowServer();
    case ConsoleVerb::kShowConfig: return ShowConfig(command.argument);
    case ConsoleVerb::kShowStat: return ShowStat(command.argument.empty() ? "*" : command.argument);
    case ConsoleVerb::kSetConfig: return SetConfigCommand(command.argument);
    case ConsoleVerb::kLoad: return LoadCommand(command.argument);
    case ConsoleVerb::kShowClock: return ShowClock();
    case ConsoleVerb::kShowDirectory: return ShowDirectory();
    case ConsoleVerb::kShowUsers: return ShowUsers();
    case ConsoleVerb::kDrop: return DropCommand(command.argument);
    case ConsoleVerb::kBroadcast: return BroadcastCommand(command.argument);
    case ConsoleVerb::kSetClock: return SetClock(command.argument);
    case ConsoleVerb::kTell: return tasks_->Tell(command.task, command.task_command);
    case ConsoleVerb::kRestartTask: {
      NOTESD_RETURN_IF_ERROR(tasks_->Restart(command.argument));
      return std::string();
    }
    case ConsoleVerb::kRestartServer: RequestShutdown(true); return std::string("Server restart in progress");
    case ConsoleVerb::kHelp: return ConsoleHelpText();
    case ConsoleVerb::kExit: RequestShutdown(false); return std::string("Server shutdown in progress");
  }
  return Status::Internal("unhandled console verb");
}

// Domino's SHOW DIRECTORY: every database (.nsf, mail.box) below the data directory.
// Body-file folders (*.bodies) and spools hold no databases and are not walked.
std::string ServerCore::ShowDirectory() {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::string, std::uintmax_t>> rows;  // (name, bytes)
  std::error_code ec;
  fs::recursive_directory_iterator it(options_.data_dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    std::string extension = entry.path().extension().string();
    std::error_code entry_error;
    if (entry.is_directory(entry_error)) {
      if (extension == ".bodies" || extension == ".spool") it.disable_recursion_pending();
      continue;
    }
    if (extension != ".nsf" && entry.path().filename() != "mail.box") continue;
    rows.emplace_back(fs::relative(entry.path(), options_.data_dir, entry_error).string(),
                      entry.file_size(entry_error));
  }
  std::sort(rows.begin(), rows.end());
  std::string out = "Databases in " + options_.data_dir.string() + "\n";
  out += "  " + PadRight("Database", 40) + "Size\n";
  for (const auto& [name, bytes] : rows)
    out += "  " + PadRight(EscapeForDisplay(name), 40) + std::to_string((bytes + 1023) / 1024) + " KB\n";
  out += std::to_string(rows.size()) + " database(s)";
  if (ec) out += "\n(the walk stopped early: " + ec.message() + ")";
  return out;
}

// Domino's SHOW USERS: User name, Databases open, Minutes since last used; with the door
// and the client's address, since one person may read mail over IMAP and the web at once.
std::string ServerCore::ShowUsers() {
  std::vector<SessionRegistry::SessionInfo> sessions = sessions_.List();
  if (sessions.empty()) return "No users are connected";
  std::int64_t now = MonotonicMillis();
  std::string out = "  " + PadRight("User name", 32) + PadRight("Door", 8) + PadRight("Client", 18) +
                    PadRight("Databases open", 24) + "Minutes since last used\n";
  for (const SessionRegistry::SessionInfo& session : sessions) {
    Result<HierName> name = HierName::Parse(session.user);
    std::string user =
        session.user.empty() ? "(not signed in)" : EscapeForDisplay(name.ok() ? name->Abbreviated() : session.user);
    out += "  " + PadRight(user, 32) + PadRight(session.protocol, 8) + PadRight(session.client_address, 18) +
           PadRight(session.database.empty() ? "-" : EscapeForDisplay(session.database), 24) +
           std::to_string((now - session.last_used_millis) / 60'000) + "\n";
  }
  out += std::to_string(sessions.size()) + " session(s)";
  return out;
}

Result<std::string> ServerCore::DropCommand(const std::string& argument) {
  std::string who = argument;
  if (who.size() >= 2 && who.front() == '"' && who.back() == '"') who = who.substr(1, who.size() - 2);
  std::size_t dropped = sessions_.Drop(who);
  bool all = who == "*" || EqualsIgnoreCase(who, "ALL");
  if (dropped == 0 && !all) return Status::NotFound("No sessions of '" + who + "' (SHOW USERS lists them)");
  logger_.Log("Server", "DROP " + who + ": " + std::to_string(dropped) + " session(s) closed");
  return std::to_string(dropped) + " session(s) dropped";
}

Result<std::string> ServerCore::BroadcastCommand(const std::string& argument) {
  std::string text = argument;
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
  sessions_.Broadcast(text);
  if (text.empty()) return std::string("Broadcast message withdrawn");
  logger_.Log("Server", "Broadcast: " + text);
  return std::string("Broadcast message sent: connected users see it at their next command");
}

std::string ServerCore::ShowClock() {
  int64_t offset = clock_.OffsetMicros() / 1'000'000;
  return Field("Server time", DominoTimestamp(clock_.NowMicros())) +
         Field("Clock offset", "+" + std::to_string(offset) + " s (moved forward by SET CLOCK)") +
         Field("SET CLOCK", ConfigBool(Config(), server_keys::kTestClockAdvance) ? "allowed (Test_ClockAdvance=1)"
                                                                                 : "refused (Test_ClockAdvance=0)");
}

Result<std::string> ServerCore::SetClock(const std::string& argument) {
  if (!ConfigBool(Config(), server_keys::kTestClockAdvance))
    return Status::PermissionDenied(
        "SET CLOCK is for tests only: it needs Test_ClockAdvance=1 in notes.ini (the clock is unchanged)");
  NOTESD_ASSIGN_OR_RETURN(int64_t seconds, ParseClockAdvance(argument));
  clock_.Advance(seconds * 1'000'000);
  std::string now = DominoTimestamp(clock_.NowMicros());
  logger_.Log("Server", "Clock moved forward by " + std::to_string(seconds) + " s by " + executing_origin_ +
                            " (test clock; offset now +" + std::to_string(clock_.OffsetMicros() / 1'000'000) +
                            " s): server time is " + now);
  stats_.Counter("Server.Clock.OffsetSeconds").store(clock_.OffsetMicros() / 1'000'000);
  return std::string();
}

std::string ServerCore::ServerName() {
  NotesIni ini = Config();
  std::string name = ConfigText(ini, server_keys::kServerName);
  return name.empty() ? "(not set up: no ServerName in notes.ini)" : name;
}

std::string ServerCore::ElapsedTime() const {
  int64_t seconds = (MonotonicMillis() - started_millis_) / 1000;
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%02lld:%02lld:%02lld", static_cast<long long>(seconds / 3600),
                static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60));
  return buffer;
}

std::string ServerCore::ShowTasks() {
  std::string out = Field("Server name", ServerName()) + Field("Server directory", options_.data_dir.string()) +
                    Field("Elapsed time", ElapsedTime()) + "\n";
  out += "  " + PadRight("Task", kTaskColumnWidth) + "Description\n";
  std::vector<TaskStatusRow> rows = {
      {"Database Server", "Perform console commands"},
      {"Database Server", "Listen for console commands on " + control_->Path().string()},
  };
  for (TaskStatusRow& row : tasks_->StatusRows()) rows.push_back(std::move(row));
  for (const TaskStatusRow& row : rows) out += "  " + PadRight(row.task, kTaskColumnWidth) + row.description + "\n";
  out.pop_back();
  return out;
}

std::string ServerCore::ShowServer() {
  NotesIni ini = Config();
  std::string domain = ConfigText(ini, server_keys::kDomain);
  std::string out = std::string("notesd Server (Release ") + NOTESD_VERSION + " for Linux/64) " +
                    DominoTimestamp(clock_.NowMicros()) + "\n\n";
  out += Field("Server name", ServerName());
  out += Field("Domain name", domain.empty() ? "(not set up)" : domain);
  out += Field("Server directory", options_.data_dir.string());
  out += Field("Elapsed time", ElapsedTime());
  out += Field("Transactions/minute", TransactionsPerMinute());
  out += Field("Transactions", std::to_string(stats_.Counter("Server.Trans.Total").load()));
  out += Field("Server state", StateText());
  out += Field("Tasks running", std::to_string(tasks_->RunningCount()));
  out += Field("Process id", std::to_string(::getpid()));
  out += MailLines();
  out += Field("Console log file", (options_.data_dir / "console.log").string());
  out.pop_back();
  return out;
}

std::string ServerCore::TransactionsPerMinute() const {
  TransactionRate::Rates rates = transaction_rate_.Read();
  return "Last minute: " + std::to_string(rates.last_minute) + "; Last hour: " + std::to_string(rates.last_hour) +
         "; Peak: " + std::to_string(rates.peak);
}

// Domino's "Pending mail: 0   Dead mail: 0", from the Router's gauges (mail.box's views);
// without a Router there is no queue to count.
std::string ServerCore::MailLines() {
  auto gauge = [this](const std::string& name) -> std::string {
    for (const auto& [found, value] : stats_.Snapshot(name))
      if (found == name) return value;
    return "";
  };
  std::string pending = gauge("Mail.Waiting");
  std::string dead = gauge("Mail.Dead");
  if (pending.empty() || dead.empty()) return Field("Mail", "the Router is not running (LOAD ROUTER)");
  return Field("Number of Mailboxes", "1") + PadRight("Pending mail: " + pending, 24) + "Dead mail: " + dead + "\n";
}

std::string ServerCore::StateText() const {
  switch (state_.load()) {
    case State::kStarting: return "Starting (loading ServerTasks; TELL, LOAD and RESTART TASK wait)";
    case State::kRunning: return "Running";
    case State::kStopping: return "Shutting down";
  }
  return "Unknown";
}

Result<std::string> ServerCore::ShowConfig(const std::string& pattern) {
  NotesIni ini = Config();
  std::string out;
  std::vector<IniDuplicate> duplicates = ini.Duplicates();
  for (const IniEntry& entry : ini.Entries()) {
    if (!WildcardMatch(pattern, entry.name)) continue;
    out += entry.name + "=" + entry.value;
    for (const IniDuplicate& duplicate : duplicates)
      if (duplicate.ignored_line == entry.line_number)
        out += "   (ignored: line " + std::to_string(entry.line_number) + " repeats line " +
               std::to_string(duplicate.used_line) + ", which wins)";
    out += "\n";
  }
  bool has_wildcard = pattern.find_first_of("*?") != std::string::npos;
  if (out.empty() && !has_wildcard)
    if (const ConfigKey* key = catalogue_.Find(pattern))
      out = std::string(key->name) + "=" + key->default_value + "   (not in notes.ini; this is the default)\n";
  if (out.empty()) return Status::NotFound("No notes.ini setting matches '" + pattern + "'");
  out.pop_back();
  return out;
}

// Domino's `Show Stat Mail` shows every Mail.* statistic: a name without a wildcard is
// that statistic and every one below it.
std::string ServerCore::ShowStat(const std::string& pattern) {
  std::map<std::string, std::string> rows;
  for (auto& [name, value] : stats_.Snapshot(pattern)) rows[name] = std::move(value);
  if (pattern.find_first_of("*?") == std::string::npos)
    for (auto& [name, value] : stats_.Snapshot(pattern + ".*")) rows[name] = std::move(value);
  std::string out;
  for (const auto& [name, value] : rows) out += "  " + name + " = " + value + "\n";
  if (out.empty()) return "No statistics match '" + pattern + "'";
  out.pop_back();
  return out;
}

// Domino writes any setting; a name no part of notesd reads is most often a typo, so the
// answer says so and names the nearest known key. `$` names are user variables.
std::string ServerCore::UnknownKeyWarning(const std::string& name) const {
  if (name.front() == '$' || catalogue_.Find(name)) return "";
  const ConfigKey* nearest = catalogue_.Nearest(name);
  return "\nWarning: " + name + " is not a setting notesd reads (written anyway)" +
         (nearest ? std::string("; did you mean ") + nearest->name + "?" : std::string());
}

Result<std::string> ServerCore::SetConfigCommand(const std::string& assignment) {
  size_t equals = assignment.find('=');
  if (equals == std::string::npos)
    return Status::InvalidArgument("SET CONFIG needs name=value, got '" + assignment + "'");
  std::string name = TrimSpaces(std::string_view(assignment).substr(0, equals));
  std::string value = TrimSpaces(std::string_view(assignment).substr(equals + 1));
  if (name.empty()) return Status::InvalidArgument("SET CONFIG needs a setting name before '='");
  NOTESD_RETURN_IF_ERROR(SetConfig(name, value));
  return name + "=" + value + UnknownKeyWarning(name);
}

Result<std::string> ServerCore::LoadCommand(const std::string& argument) {
  std::vector<std::string> words = SplitWords(argument);
  std::vector<std::string> args(words.begin() + 1, words.end());
  NOTESD_RETURN_IF_ERROR(tasks_->Load(words.front(), args));
  return std::string();
}

}  // namespace notesd
