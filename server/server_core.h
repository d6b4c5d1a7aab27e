// server/server_core.h — the skeleton of nserver: owns the data directory lock, notes.ini,
// the log, statistics, the io_context and its threads, signals, the console, the control
// socket and the task manager, and the start/stop order. Tasks get it as their
// TaskContext.
//
// Start-up: lock the data directory, read notes.ini (malformed lines are logged and
// skipped), open the log, listen on the control socket, load ServerTasks= in order, read
// the console. Shutdown (EXIT/QUIT, SIGTERM, SIGINT): stop the console, stop the tasks in
// reverse order, close the control socket, remove the socket and lock files.
// SIGHUP re-reads notes.ini (duplicated settings are warned about at every read, naming
// both lines; the first copy wins, as in Domino) and reopens console.log (logrotate).
// Under systemd (service_manager.h) the core reports READY=1 when the ServerTasks are
// loaded, RELOADING=1/READY=1 around SIGHUP and STOPPING=1 at shutdown, and its stdout
// lines carry the journal's level prefix.
//
// Start-up order: the control socket answers as soon as it listens, but commands that need
// the tasks (TELL, LOAD, RESTART TASK) are refused with "Server is starting; try again"
// (CommandReply::starting; `nserver -c` sends them again for up to 30 s) until every
// ServerTasks task is loaded; SHOW SERVER, SHOW TASKS, SHOW CONFIG and the like answer at
// once. A damaged system database (names.nsf, admin4.nsf that exists but does not open)
// stops the start: the log and stderr name the file, what is wrong and what to do, and
// nserver exits 1 without loading any task.
//
// The clock every task reads (GetClock) is the system clock plus an offset. For testers
// only, SET CLOCK +n[s|m|h|d] moves it forward when notes.ini has Test_ClockAdvance=1
// (read at each command; otherwise refused); every step is logged with who asked. Tasks
// that poll the clock (AdminP's schedule, the CA's regular CRLs) act on it within about a
// second. It never moves back; a restart resets it.
//
// Task workers (NewWorker, task/task_worker.h): an exception escaping a worker's step stops
// its task alone ("<Task>: task stopped: <reason>"). For testers only,
// Test_FailTask=<task> (read at every step) makes that task's workers throw.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/config_keys.h"
#include "base/logger.h"
#include "base/stats.h"
#include "task/task.h"
#include "server/console_command.h"
#include "server/console_input.h"
#include "server/console_log_file.h"
#include "server/control_socket.h"
#include "server/data_dir_lock.h"
#include "server/log_database.h"
#include "server/task_manager.h"
#include "server/transaction_rate.h"

namespace notesd {

struct ServerOptions {
  std::filesystem::path data_dir;
  bool console = true;  // read commands from stdin
};

class ServerCore final : public TaskContext {
 public:
  // `registry` must outlive the server.
  ServerCore(ServerOptions options, const TaskRegistry& registry);
  ServerCore(const ServerCore&) = delete;
  ServerCore& operator=(const ServerCore&) = delete;
  ~ServerCore() override;

  // Runs until shutdown. Returns the process exit status; `restart` is set when the
  // server should start again (RESTART SERVER).
  int Run(bool* restart);

  // Executes one console line and returns the answer. Thread-safe; commands run one at a
  // time. `origin` names who typed it for the log ("console", "nserver -c", a user name).
  CommandReply Execute(const std::string& line, const std::string& origin);

  // TaskContext
  boost::asio::io_context& Io() override { return io_; }
  Logger& Log() override { return logger_; }
  StatsRegistry& Stats() override { return stats_; }
  const Clock& GetClock() override { return clock_; }
  const std::filesystem::path& DataDir() override { return options_.data_dir; }
  DatabaseSet& Databases() override { return *databases_; }
  SessionRegistry& Sessions() override { return sessions_; }
  NotesIni Config() override;
  Status SetConfig(std::string_view name, std::string_view value) override;
  void ReportTaskFailure(std::string_view task_name, std::string_view reason) override;
  void PostGuarded(std::string_view task_name, std::function<void()> work) override;
  std::unique_ptr<TaskWorker> NewWorker(TaskWorkerOptions options) override;
  Result<std::string> ExecuteRemoteConsoleCommand(std::string_view line, std::string_view caller,
                                                  std::string_view serving_task, bool* ok) override;
  bool ServerStarted() const override { return state_.load() == State::kRunning; }

  const ConfigCatalogue& Catalogue() const { return catalogue_; }

 private:
  Status Prepare();
  bool StopsTask(std::string_view line, const TaskSpec& spec) const;
  Status LoadConfig();
  void OpenLogFile();
  Status CheckSystemDatabases();
  // Writes one line to console.log only (the console line and its answer: the console
  // shows the answer itself), escaped for display.
  void WriteLogFileLine(std::string_view text);
  void StartSignals();
  void OnSignal(const boost::system::error_code& ec, int number);
  void WaitForSignal();
  // Samples Server.Trans.Total for SHOW SERVER's Transactions/minute, once a minute.
  void StartRateSampling();
  void SampleRateAfterAMinute();
  void StartIoThreads();
  void StartConsole();
  void RequestShutdown(bool restart);
  void WaitForShutdown();
  void Shutdown();
  void RegisterServerStats();

  Result<std::string> Dispatch(const ConsoleCommand& command);
  std::string ShowTasks();
  std::string ShowServer();
  std::string StateText() const;
  void ThrowIfTestFailure(const std::string& task_name);
  Result<std::string> ShowConfig(const std::string& pattern);
  std::string ShowStat(const std::string& pattern);
  Result<std::string> SetConfigCommand(const std::string& assignment);
  std::string UnknownKeyWarning(const std::string& name) const;
  Result<std::string> LoadCommand(const std::string& argument);
  std::string ShowClock();
  std::string ShowDirectory();
  std::string ShowUsers();
  Result<std::string> DropCommand(const std::string& argument);
  Result<std::string> BroadcastCommand(const std::string& argument);
  Result<std::string> SetClock(const std::string& argument);
  std::string ServerName();
  std::string ElapsedTime() const;
  std::string MailLines();
  std::string TransactionsPerMinute() const;

  ServerOptions options_;
  const TaskRegistry& registry_;
  ConfigCatalogue catalogue_;
  SystemClock clock_;
  Logger logger_{&clock_};
  StatsRegistry stats_;
  SessionRegistry sessions_;  // before the tasks: they hold Sessions until they stop
  DataDirLock lock_;

  std::mutex config_mutex_;
  NotesIni ini_;

  ConsoleLogFile console_log_;
  std::unique_ptr<LogDatabase> log_nsf_;

  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> io_threads_;
  boost::asio::thread_pool command_pool_{1};
  std::unique_ptr<boost::asio::signal_set> signals_;
  std::unique_ptr<boost::asio::steady_timer> rate_timer_;
  TransactionRate transaction_rate_;
  std::unique_ptr<ControlSocketServer> control_;
  std::unique_ptr<ConsoleInput> console_;
  // Every database the server and its tasks have open; closed after the tasks stopped,
  // before the data-directory lock is released.
  std::unique_ptr<DatabaseSet> databases_ = std::make_unique<DatabaseSet>(&clock_);
  std::unique_ptr<TaskManager> tasks_;

  std::mutex execute_mutex_;
  std::string executing_origin_;  // who typed the command being executed; guarded by execute_mutex_
  std::mutex shutdown_mutex_;
  std::condition_variable shutdown_cv_;
  bool shutdown_requested_ = false;
  bool restart_requested_ = false;
  // kStarting until every ServerTasks task is loaded; kStopping from shutdown on.
  enum class State { kStarting, kRunning, kStopping };
  std::atomic<State> state_{State::kStarting};
  int64_t started_millis_ = 0;
  int64_t started_micros_ = 0;
};

// The program: parses nserver's command line and runs the server, the setup, or `-c`.
// Tests link it with extra task kinds in `registry`.
int NserverMain(int argc, char** argv, TaskRegistry& registry);

}  // namespace notesd
