// Unit tests for task/task_worker: steps, periods, Wake, Stop, and the exception guard.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "task/task_worker.h"

using namespace notesd;
using namespace std::chrono_literals;

namespace {

struct Failure {
  std::mutex mutex;
  int calls = 0;
  std::string task;
  std::string reason;
};

TaskWorker::FailureHandler Record(Failure& failure) {
  return [&failure](std::string_view task, std::string_view reason) {
    std::lock_guard lock(failure.mutex);
    ++failure.calls;
    failure.task = task;
    failure.reason = reason;
  };
}

template <typename Predicate>
bool WaitUntil(Predicate predicate, std::chrono::milliseconds limit = 5000ms) {
  auto give_up = std::chrono::steady_clock::now() + limit;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

}  // namespace

TEST_CASE("a worker runs its step at once, then every period, until Stop", "[worker]") {
  std::atomic<int> steps{0};
  Failure failure;
  TaskWorker worker({"Probe",
                     "ticker",
                     20ms,
                     [&] {
                       ++steps;
                       return kWaitPeriod;
                     },
                     {}},
                    Record(failure));
  CHECK(steps == 0);  // nothing runs before Start
  worker.Start();
  REQUIRE(WaitUntil([&] { return steps >= 1; }, 500ms));
  REQUIRE(WaitUntil([&] { return steps >= 4; }));
  worker.Stop();
  int after_stop = steps;
  std::this_thread::sleep_for(60ms);
  CHECK(steps == after_stop);
  CHECK(worker.Stopping());
  worker.Stop();  // idempotent
  CHECK(failure.calls == 0);
}

TEST_CASE("Wake ends the wait at once; a step may ask to run again or wait its own time", "[worker]") {
  std::atomic<int> steps{0};
  Failure failure;
  TaskWorker worker({"Probe",
                     "queue",
                     1h,
                     [&] {
                       ++steps;
                       return steps == 1 ? kRunAgain : kWaitPeriod;
                     },
                     {}},
                    Record(failure));
  worker.Start();
  REQUIRE(WaitUntil([&] { return steps == 2; }));  // kRunAgain: no wait
  std::this_thread::sleep_for(30ms);
  CHECK(steps == 2);  // waiting its hour-long period
  auto woken = std::chrono::steady_clock::now();
  worker.Wake();
  REQUIRE(WaitUntil([&] { return steps == 3; }));
  CHECK(std::chrono::steady_clock::now() - woken < 1s);
  auto stopping = std::chrono::steady_clock::now();
  worker.Stop();  // ends the hour-long wait too
  CHECK(std::chrono::steady_clock::now() - stopping < 1s);
}

TEST_CASE("Stop calls interrupt so a step blocked elsewhere returns; SleepFor ends at Stop", "[worker]") {
  std::atomic<bool> interrupted{false};
  std::atomic<bool> sleeping{false};
  Failure failure;
  TaskWorker* self = nullptr;
  TaskWorker worker({"Probe", "sleeper", 10ms,
                     [&] {
                       sleeping = true;
                       self->SleepFor(1h);
                       return kWaitPeriod;
                     },
                     [&] { interrupted = true; }},
                    Record(failure));
  self = &worker;
  worker.Start();
  REQUIRE(WaitUntil([&] { return sleeping.load(); }));
  auto stopping = std::chrono::steady_clock::now();
  worker.Stop();
  CHECK(std::chrono::steady_clock::now() - stopping < 1s);
  CHECK(interrupted);
  CHECK_FALSE(worker.SleepFor(1h));  // returns at once once stopping
}

TEST_CASE("an exception escaping a step ends the worker and is reported once", "[worker]") {
  auto thrown = GENERATE(0, 1);
  std::atomic<int> steps{0};
  Failure failure;
  TaskWorker worker({"AdminP",
                     "scheduler",
                     1ms,
                     [&]() -> WorkerWait {
                       if (++steps < 3) return kRunAgain;
                       if (thrown == 0) throw std::runtime_error("disk on fire");
                       throw 42;  // not even a std::exception
                     },
                     {}},
                    Record(failure));
  worker.Start();
  REQUIRE(WaitUntil([&] {
    std::lock_guard lock(failure.mutex);
    return failure.calls == 1;
  }));
  std::this_thread::sleep_for(20ms);
  CHECK(steps == 3);  // no step after the failure
  worker.Stop();      // joins the ended thread
  std::lock_guard lock(failure.mutex);
  CHECK(failure.calls == 1);
  CHECK(failure.task == "AdminP");
  CHECK(failure.reason ==
        (thrown == 0 ? "disk on fire (in its scheduler worker)" : "unknown exception (in its scheduler worker)"));
}
