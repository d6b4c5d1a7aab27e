// http/http_thread_pool.h — the HTTP task's connection threads: a cpp-httplib TaskQueue
// that grows from `min_threads` to `max_threads` as connections arrive and shrinks back
// when they are idle.
//
// Why not httplib::ThreadPool: cpp-httplib serves a connection on one blocking thread
// (the TLS handshake, then each request, each read bounded by HTTP_TimeoutSeconds). With
// a fixed pool of HTTP_Threads (8), nine clients that connect and send nothing held
// every thread, and everyone else waited in the queue — the whole client API was
// unavailable to one careless client for as long as it liked (issue 9's bad-input sweep:
// 100 idle connections made `notes whoami` fail). Here a connection waits only when
// `max_threads` connections are already being served (HTTP_MaxSessions), and a thread
// that stayed idle for `idle_exit` leaves, so memory follows the load back down.
//
// Contract: Enqueue runs `fn` on some worker thread, soon when fewer than max_threads
// jobs are running, else in arrival order as workers free up; jobs are never dropped
// (each one owns a socket it must close). Shutdown runs the jobs already queued, then
// joins every thread; nothing may be enqueued after it. Thread safety: all methods may
// be called from any thread.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>

namespace notesd {

class ElasticThreadPool final : public httplib::TaskQueue {
 public:
  // `after_job`, when set, runs on the worker right after each job returns (the HTTP
  // task's connection guard learns there that the thread's connection is over).
  ElasticThreadPool(std::size_t min_threads, std::size_t max_threads,
                    std::chrono::milliseconds idle_exit = std::chrono::seconds(10),
                    std::function<void()> after_job = nullptr);
  ~ElasticThreadPool() override;
  ElasticThreadPool(const ElasticThreadPool&) = delete;
  ElasticThreadPool& operator=(const ElasticThreadPool&) = delete;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

  // For tests and SHOW STAT: threads alive now, and the most ever alive at once.
  std::size_t threads() const;
  std::size_t peak_threads() const;

 private:
  void Work(std::list<std::thread>::iterator self);
  void StartThreadLocked();
  void ReapLocked();

  const std::size_t min_threads_;
  const std::size_t max_threads_;
  const std::chrono::milliseconds idle_exit_;
  const std::function<void()> after_job_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  std::list<std::thread> workers_;
  std::list<std::thread> finished_;  // exited workers, joined at the next enqueue
  std::size_t idle_ = 0;
  std::size_t peak_ = 0;
  bool stopping_ = false;
};

}  // namespace notesd
