#include "server/task_manager.h"
#include "base/ascii.h"

#include <algorithm>
#include <exception>

#include "base/command_grammar.h"

namespace notesd {

TaskManager::TaskManager(const TaskRegistry& registry, TaskContext& context) : registry_(registry), context_(context) {}

TaskManager::~TaskManager() { StopAll(); }

std::vector<TaskManager::Running>::iterator TaskManager::FindRunning(std::string_view name) {
  const TaskSpec* spec = registry_.Find(name);
  return std::find_if(running_.begin(), running_.end(), [&](const Running& r) { return r.spec == spec; });
}

Status TaskManager::Load(std::string_view name, const std::vector<std::string>& args) {
  std::lock_guard lifecycle(lifecycle_mutex_);
  const TaskSpec* spec = registry_.Find(name);
  if (!spec) {
    return Status::NotFound("Unknown task '" + std::string(name) + "': no task of that name is installed");
  }
  {
    std::lock_guard lock(mutex_);
    if (FindRunning(name) != running_.end()) return Status::AlreadyExists(spec->display_name + " is already running");
  }
  std::shared_ptr<Task> task;
  Status started;
  try {
    task = spec->factory(context_);
    started = task->Start(args);
  } catch (const std::exception& e) {
    started = Status::Internal(e.what());
  }
  if (!started.ok()) {
    if (task) task->Stop();
    return started.WithContext(spec->display_name + ": task failed to start");
  }
  {
    std::lock_guard lock(mutex_);
    running_.push_back({spec, args, task});
  }
  context_.Log().Log(spec->display_name, "Task started");
  return Status::Ok();
}

void TaskManager::LoadAll(const std::vector<TaskEntry>& entries) {
  for (const TaskEntry& entry : entries) {
    Status loaded = Load(entry.name, entry.args);
    if (!loaded.ok())
      context_.Log().Log("Server", loaded.message() + " (ServerTasks entry skipped; the server goes on)",
                         LogLevel::kError);
  }
}

std::shared_ptr<Task> TaskManager::TakeRunning(std::string_view name, Running* taken) {
  std::lock_guard lock(mutex_);
  auto it = FindRunning(name);
  if (it == running_.end()) return nullptr;
  *taken = *it;
  running_.erase(it);
  return taken->task;
}

void TaskManager::StopTask(const Running& running, std::string_view why) {
  try {
    running.task->Stop();
  } catch (const std::exception& e) {
    context_.Log().Log(running.spec->display_name, std::string("Error while stopping: ") + e.what(), LogLevel::kError);
  }
  context_.Stats().RemovePrefix(running.spec->name + ".");
  context_.Log().Log(running.spec->display_name, std::string(why));
}

Status TaskManager::Quit(std::string_view name) {
  std::lock_guard lifecycle(lifecycle_mutex_);
  Running taken;
  if (!TakeRunning(name, &taken)) return Status::NotFound("Task '" + std::string(name) + "' is not running");
  StopTask(taken, "Task shut down");
  return Status::Ok();
}

Status TaskManager::Restart(std::string_view name) {
  std::vector<std::string> args;
  {
    std::lock_guard lifecycle(lifecycle_mutex_);
    Running taken;
    if (!TakeRunning(name, &taken)) return Status::NotFound("Task '" + std::string(name) + "' is not running");
    args = taken.args;
    StopTask(taken, "Task shut down for restart");
  }
  return Load(name, args);
}

void TaskManager::Fail(std::string_view name, std::string_view reason) {
  std::lock_guard lifecycle(lifecycle_mutex_);
  Running taken;
  if (!TakeRunning(name, &taken)) return;
  context_.Log().Log(taken.spec->display_name,
                     "task stopped: " + std::string(reason) + " (the server and its other tasks go on; LOAD " +
                         taken.spec->name + " starts it again)",
                     LogLevel::kError);
  StopTask(taken, "Task shut down after failure");
}

Result<std::string> TaskManager::Tell(std::string_view name, std::string_view command) {
  if (IsTaskQuitCommand(command)) {
    NOTESD_RETURN_IF_ERROR(Quit(name));
    return std::string();
  }
  std::shared_ptr<Task> task;
  {
    std::lock_guard lock(mutex_);
    auto it = FindRunning(name);
    if (it == running_.end()) {
      if (!registry_.Find(name)) return Status::NotFound("Unknown task '" + std::string(name) + "'");
      return Status::NotFound("Task '" + std::string(name) + "' is not running; start it with LOAD " +
                              std::string(name));
    }
    task = it->task;
  }
  // The task runs the command outside our lock; the shared_ptr keeps it alive even if
  // it is stopped meanwhile.
  try {
    return task->Tell(command);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("task error: ") + e.what());
  }
}

void TaskManager::StopAll() {
  std::lock_guard lifecycle(lifecycle_mutex_);
  while (true) {
    Running last;
    {
      std::lock_guard lock(mutex_);
      if (running_.empty()) return;
      last = running_.back();
      running_.pop_back();
    }
    StopTask(last, "Task shut down");
  }
}

bool TaskManager::IsRunning(std::string_view name) const {
  std::lock_guard lock(mutex_);
  return const_cast<TaskManager*>(this)->FindRunning(name) != running_.end();
}

size_t TaskManager::RunningCount() const {
  std::lock_guard lock(mutex_);
  return running_.size();
}

std::vector<TaskStatusRow> TaskManager::StatusRows() const {
  std::vector<std::shared_ptr<Task>> tasks;
  {
    std::lock_guard lock(mutex_);
    for (const Running& r : running_) tasks.push_back(r.task);
  }
  std::vector<TaskStatusRow> rows;
  for (const auto& task : tasks)
    for (TaskStatusRow& row : task->StatusRows()) rows.push_back(std::move(row));
  return rows;
}

}  // namespace notesd
