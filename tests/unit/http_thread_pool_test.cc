// Tests of the HTTP task's connection threads (http/http_thread_pool.h). Issue 9's
// bad-input sweep: with httplib's fixed pool of 8, nine idle connections made the
// client API unavailable; here idle jobs hold only their own thread.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "http/http_thread_pool.h"

namespace notesd {
namespace {

using namespace std::chrono_literals;

// A gate the "idle connections" wait on until the test opens it.
class Gate {
 public:
  void Wait() {
    std::unique_lock lock(mutex_);
    ++waiting_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
  }
  void Open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  bool WaitForWaiting(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 5s, [&] { return waiting_ >= n; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int waiting_ = 0;
  bool open_ = false;
};

template <typename Predicate>
bool Eventually(Predicate predicate, std::chrono::milliseconds limit = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return predicate();
}

TEST_CASE("a job runs at once while many others block, up to max_threads", "[http]") {
  ElasticThreadPool pool(2, 64);
  Gate gate;
  for (int i = 0; i < 40; ++i) pool.enqueue([&gate] { gate.Wait(); });
  REQUIRE(gate.WaitForWaiting(40));
  std::atomic<bool> ran{false};
  pool.enqueue([&ran] { ran = true; });
  CHECK(Eventually([&] { return ran.load(); }, 2000ms));
  CHECK(pool.peak_threads() == 41);
  gate.Open();
}

TEST_CASE("beyond max_threads jobs wait, and are never dropped", "[http]") {
  ElasticThreadPool pool(1, 3);
  Gate gate;
  for (int i = 0; i < 3; ++i) pool.enqueue([&gate] { gate.Wait(); });
  REQUIRE(gate.WaitForWaiting(3));
  std::atomic<int> ran{0};
  pool.enqueue([&] { ++ran; });
  pool.enqueue([&] { ++ran; });
  std::this_thread::sleep_for(200ms);
  CHECK(ran.load() == 0);
  gate.Open();
  CHECK(Eventually([&] { return ran.load() == 2; }));
  CHECK(pool.peak_threads() == 3);
}

TEST_CASE("waiting jobs start in the order they came", "[http]") {
  // One thread, so the order they start in is the order they were taken from the queue
  // (with several threads freed at once, two taken in order may start in either order).
  ElasticThreadPool pool(1, 1);
  Gate gate;
  pool.enqueue([&gate] { gate.Wait(); });
  REQUIRE(gate.WaitForWaiting(1));
  std::atomic<int> order{0}, first{0}, second{0};
  pool.enqueue([&] { first = ++order; });
  pool.enqueue([&] { second = ++order; });
  gate.Open();
  CHECK(Eventually([&] { return order.load() == 2; }));
  CHECK(first.load() == 1);
  CHECK(second.load() == 2);
  CHECK(pool.peak_threads() == 1);
}

TEST_CASE("threads beyond min_threads leave after idle_exit; shutdown runs what is queued", "[http]") {
  std::atomic<int> done{0};
  {
    ElasticThreadPool pool(2, 32, 50ms);
    Gate gate;
    for (int i = 0; i < 20; ++i)
      pool.enqueue([&] {
        gate.Wait();
        ++done;
      });
    REQUIRE(gate.WaitForWaiting(20));
    CHECK(pool.threads() == 20);
    gate.Open();
    CHECK(Eventually([&] { return pool.threads() == 2; }));
    for (int i = 0; i < 100; ++i) pool.enqueue([&] { ++done; });
    pool.shutdown();
    CHECK(done.load() == 120);
    CHECK(pool.threads() == 0);
    pool.shutdown();  // twice is harmless (httplib's Server calls it, then deletes the queue)
  }
  CHECK(done.load() == 120);
}

}  // namespace
}  // namespace notesd
