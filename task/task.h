// task/task.h — the server task interface and the registry of task kinds.
//
// A task (CA, AdminP, Router, SMTP, HTTP, ...) is small: it implements Task and is
// registered by name with a TaskSpec. The server core owns everything else — the
// io_context, signals, notes.ini, logging, the start/stop order — and hands a task a
// TaskContext. A task never writes its own accept loop for the console or reads
// notes.ini from disk itself.
#pragma once

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/command_grammar.h"
#include "base/config_keys.h"
#include "base/logger.h"
#include "base/notes_ini.h"
#include "base/stats.h"
#include "base/status.h"
#include "store/database_set.h"
#include "task/session_registry.h"
#include "task/task_worker.h"

namespace notesd {

// One row of SHOW TASKS: the task column and the description column.
struct TaskStatusRow {
  std::string task;         // "Router"
  std::string description;  // "Idle"
};

// What the server core offers a running task. All methods are thread-safe. The context
// outlives every task it is handed to.
class TaskContext {
 public:
  virtual ~TaskContext() = default;
  virtual boost::asio::io_context& Io() = 0;
  virtual Logger& Log() = 0;
  virtual StatsRegistry& Stats() = 0;
  virtual const Clock& GetClock() = 0;
  virtual const std::filesystem::path& DataDir() = 0;
  // The server's open databases (store/database_set.h): each opened once, kept open
  // until server shutdown, after every task stopped. A task takes what it needs at Start
  // through the typed accessors (OpenDirectory, OpenAdminRequests, OpenIcl,
  // OpenMailStore) and drops it in Stop.
  virtual DatabaseSet& Databases() = 0;
  // Who is connected through which door (task/session_registry.h): SHOW USERS, DROP,
  // BROADCAST.
  virtual SessionRegistry& Sessions() = 0;
  // A copy of the current notes.ini (re-read on SIGHUP, changed by SET CONFIG).
  virtual NotesIni Config() = 0;
  // Writes one setting to notes.ini at once (as SET CONFIG does), validated.
  virtual Status SetConfig(std::string_view name, std::string_view value) = 0;
  // Reports that the named task cannot go on; the core logs the reason and stops that
  // task alone, later, on another stack. Safe to call from the task's own handlers.
  virtual void ReportTaskFailure(std::string_view task_name, std::string_view reason) = 0;
  // Posts `work` to the io_context; an exception escaping it is reported as a failure of
  // `task_name` instead of reaching the io_context's run loop.
  virtual void PostGuarded(std::string_view task_name, std::function<void()> work) = 0;
  // Makes a worker thread for a task's periodic or queue loop (task/task_worker.h); the
  // task stores it and calls Start. An exception escaping its step ends the worker and is reported as a failure of
  // `options.task_name`, which stops that task alone. The task owns the worker and stops
  // it in its own Stop (before releasing what the step uses).
  virtual std::unique_ptr<TaskWorker> NewWorker(TaskWorkerOptions options) = 0;
  // Runs a console command as the console would, for a task that offers a remote
  // console. `caller` names who sent it (logged with the masked line, and shown in
  // console.log); `serving_task` is the task whose request runs it: a command that would
  // stop or restart that task is refused, since the task would wait for its own request
  // (shutting the whole server down is allowed): InvalidArgument, naming the command.
  // Otherwise the answer text, with `ok` false for an unknown or failed command.
  virtual Result<std::string> ExecuteRemoteConsoleCommand(std::string_view line, std::string_view caller,
                                                          std::string_view serving_task, bool* ok) = 0;
  // True once the server has loaded every task named in ServerTasks at start-up (and
  // from then on), so a task whose first work needs others (AdminP's start-up pass needs
  // the CA task's active certifiers) can wait for them.
  virtual bool ServerStarted() const = 0;
};

class Task {
 public:
  virtual ~Task() = default;
  // Starts the task with the arguments given after its name in ServerTasks= or LOAD.
  // A non-ok Status means the task did not start; the server logs it and goes on.
  virtual Status Start(const std::vector<std::string>& args) = 0;
  // Stops the task and releases what it holds; must return promptly and be idempotent.
  virtual void Stop() = 0;
  // Answers `TELL <task> <command>` (QUIT/EXIT are handled by the server core).
  // InvalidArgument for a command the task does not know, naming it.
  virtual Result<std::string> Tell(std::string_view command) = 0;
  // Rows for SHOW TASKS; at least one.
  virtual std::vector<TaskStatusRow> StatusRows() const = 0;
};

// A kind of task the server can load.
struct TaskSpec {
  std::string name;                  // the ServerTasks/LOAD/TELL name: "AdminP"
  std::string display_name;          // the SHOW TASKS name: "Admin Process"
  std::vector<std::string> aliases;  // other accepted names: "nadminp"
  std::span<const ConfigKey> config_keys;
  std::function<std::unique_ptr<Task>(TaskContext&)> factory;
  // The task's TELL commands, when it declares password arguments in them
  // (CommandForm::secret_word): the console masks those wherever it shows a line.
  const CommandGrammar* tell_grammar = nullptr;
};

// Task kinds by name, matched case-insensitively against name and aliases.
// Built at start-up, read-only afterwards.
class TaskRegistry {
 public:
  // AlreadyExists when the name or an alias is taken.
  Status Add(TaskSpec spec);
  const TaskSpec* Find(std::string_view name) const;
  // The TELL grammar of the task `name` names (TaskSpec::tell_grammar), or nullptr.
  const CommandGrammar* TellGrammar(std::string_view name) const {
    const TaskSpec* spec = Find(name);
    return spec ? spec->tell_grammar : nullptr;
  }
  // TellGrammar as a function, for the console's masking (server/console_command.h).
  std::function<const CommandGrammar*(std::string_view)> TellGrammars() const {
    return [this](std::string_view name) { return TellGrammar(name); };
  }
  std::vector<const TaskSpec*> All() const;

 private:
  std::vector<std::unique_ptr<TaskSpec>> specs_;
};

// Splits a ServerTasks= value into entries: each entry is a task name with optional
// arguments separated by spaces ("Router,RunJava JAddin Addin,CA").
struct TaskEntry {
  std::string name;
  std::vector<std::string> args;
};
std::vector<TaskEntry> ParseServerTasks(std::string_view value);

}  // namespace notesd
