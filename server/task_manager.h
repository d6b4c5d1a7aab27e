// server/task_manager.h — the running tasks: loading by name (ServerTasks= order, LOAD),
// TELL, QUIT, RESTART TASK, failures, and the reverse-order shutdown.
//
// A task that fails to start, or reports a failure while running, is stopped alone with
// one clear log line; the server and every other task go on.
// Thread-safe: every public method may be called from any thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "task/task.h"

namespace notesd {

class TaskManager {
 public:
  TaskManager(const TaskRegistry& registry, TaskContext& context);
  TaskManager(const TaskManager&) = delete;
  TaskManager& operator=(const TaskManager&) = delete;
  ~TaskManager();

  // Loads and starts one task. NotFound for an unknown name (logged and reported on the
  // console); AlreadyExists when it runs already; the task's own error when Start fails.
  Status Load(std::string_view name, const std::vector<std::string>& args);
  // Loads every entry in order; failures are logged and skipped.
  void LoadAll(const std::vector<TaskEntry>& entries);
  // TELL <task> <command>. QUIT and EXIT stop the task.
  Result<std::string> Tell(std::string_view name, std::string_view command);
  // Stops one task. NotFound when it is not running.
  Status Quit(std::string_view name);
  // Stops and starts one task with the arguments it was started with.
  Status Restart(std::string_view name);
  // Stops the named task because it failed; logs the reason. No-op when not running.
  void Fail(std::string_view name, std::string_view reason);
  // Stops every task in reverse start order.
  void StopAll();

  bool IsRunning(std::string_view name) const;
  size_t RunningCount() const;
  // SHOW TASKS rows of every running task, in start order.
  std::vector<TaskStatusRow> StatusRows() const;

 private:
  struct Running {
    const TaskSpec* spec;
    std::vector<std::string> args;
    std::shared_ptr<Task> task;
  };
  // Finds a running task by any of its spec's names. Caller holds mutex_.
  std::vector<Running>::iterator FindRunning(std::string_view name);
  std::shared_ptr<Task> TakeRunning(std::string_view name, Running* taken);
  void StopTask(const Running& running, std::string_view why);

  const TaskRegistry& registry_;
  TaskContext& context_;
  mutable std::mutex mutex_;
  std::vector<Running> running_;
  // Serialises Load/Quit/Restart/StopAll so a task is never started and stopped at once.
  std::mutex lifecycle_mutex_;
};

}  // namespace notesd
