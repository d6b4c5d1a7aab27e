#include "task/task_worker.h"

#include <exception>

namespace notesd {

TaskWorker::TaskWorker(TaskWorkerOptions options, FailureHandler on_failure)
    : options_(std::move(options)), on_failure_(std::move(on_failure)) {}

void TaskWorker::Start() {
  thread_ = std::thread([this] { Run(); });
}

TaskWorker::~TaskWorker() { Stop(); }

void TaskWorker::Wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void TaskWorker::Stop() {
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    first = !stopping_;
    stopping_ = true;
  }
  // Only the first Stop interrupts: by a later one (the owner's destructor) what the
  // interrupt touches may be gone.
  if (first && options_.interrupt) options_.interrupt();
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

bool TaskWorker::Stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

bool TaskWorker::SleepFor(std::chrono::milliseconds duration) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, duration, [this] { return stopping_; });
  return !stopping_;
}

void TaskWorker::Run() {
  while (!Stopping()) {
    std::optional<WorkerWait> wait = GuardedStep();
    if (!wait) return;  // failed: reported, the task is stopped from elsewhere
    WaitAfterStep(*wait);
  }
}

std::optional<WorkerWait> TaskWorker::GuardedStep() {
  // The one place an exception of a task's loop is caught: the task fails alone.
  std::string reason;
  try {
    return options_.step();
  } catch (const std::exception& e) {
    reason = e.what();
  } catch (...) {
    reason = "unknown exception";
  }
  if (on_failure_) on_failure_(options_.task_name, reason + " (in its " + options_.name + " worker)");
  return std::nullopt;
}

void TaskWorker::WaitAfterStep(const WorkerWait& wait) {
  std::chrono::milliseconds duration = wait.value_or(options_.period);
  std::unique_lock lock(mutex_);
  if (duration.count() > 0) wake_.wait_for(lock, duration, [this] { return stopping_ || woken_; });
  woken_ = false;
}

}  // namespace notesd
