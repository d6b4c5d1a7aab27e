// task/task_worker.h — the shared worker facility: a task's periodic or queue loop on a
// thread of its own, with the exception guard.
//
// A task never writes a thread, a condition variable or a stop flag: it asks its
// TaskContext for a worker (TaskContext::NewWorker) with a name, a step function and a
// period, keeps it in a member and calls Start (two steps, so the member is set before
// the first step can read it). The worker runs the step, waits (the period, or what the step asked for), and
// runs it again, until Stop. Wake() ends a wait at once (new mail, a console command).
// An exception escaping the step ends the worker and is handed to the failure handler
// (the server core's ReportTaskFailure), so the owning task is stopped alone and the
// process goes on; it never reaches std::terminate.
//
// Thread safety: Wake, Stopping and SleepFor may be called from any thread (SleepFor from
// the step); Start once, by the owner; Stop from any thread but the worker's own (the step must not stop itself:
// it returns or throws). Stop is idempotent; the destructor stops.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace notesd {

// What a step asks for before the next one: the worker's period (nullopt), or a wait of
// its own (zero: run again at once). Wake() cuts either short.
using WorkerWait = std::optional<std::chrono::milliseconds>;
inline constexpr WorkerWait kWaitPeriod = std::nullopt;
inline constexpr WorkerWait kRunAgain = std::chrono::milliseconds(0);

struct TaskWorkerOptions {
  std::string task_name;                   // the owning task, for failure reports: "AdminP"
  std::string name;                        // the worker, for messages: "scheduler"
  std::chrono::milliseconds period{1000};  // the wait between steps unless the step says
  std::function<WorkerWait()> step;        // one round of work
  // Called by Stop after the stop flag is set and before joining, to cut short a step
  // blocked elsewhere (a mail store wait, a relay connection). Optional.
  std::function<void()> interrupt;
};

class TaskWorker {
 public:
  // Receives the task name and the reason when a step throws; called on the worker's
  // thread, once, after which the worker ends.
  using FailureHandler = std::function<void(std::string_view task_name, std::string_view reason)>;

  // Makes the worker; no thread runs until Start.
  TaskWorker(TaskWorkerOptions options, FailureHandler on_failure);
  TaskWorker(const TaskWorker&) = delete;
  TaskWorker& operator=(const TaskWorker&) = delete;
  ~TaskWorker();

  // Starts the thread; the first step runs at once.
  void Start();
  // Ends the current wait, or the next one if a step is running.
  void Wake();
  // Sets the stop flag, calls `interrupt`, wakes and joins the thread.
  void Stop();
  bool Stopping() const;
  // For a step: sleeps up to `duration` and returns true, or returns false at once when
  // the worker is stopping (Wake does not cut it short).
  bool SleepFor(std::chrono::milliseconds duration);
  const std::string& Name() const { return options_.name; }

 private:
  void Run();
  // Runs one step; on an exception reports it and returns nullopt.
  std::optional<WorkerWait> GuardedStep();
  void WaitAfterStep(const WorkerWait& wait);

  TaskWorkerOptions options_;
  FailureHandler on_failure_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  bool woken_ = false;     // guarded by mutex_
  std::thread thread_;
};

}  // namespace notesd
