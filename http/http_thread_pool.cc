#include "http/http_thread_pool.h"

#include <algorithm>

namespace notesd {

ElasticThreadPool::ElasticThreadPool(std::size_t min_threads, std::size_t max_threads,
                                     std::chrono::milliseconds idle_exit, std::function<void()> after_job)
    : min_threads_(std::max<std::size_t>(1, min_threads)),
      max_threads_(std::max(max_threads, std::max<std::size_t>(1, min_threads))),
      idle_exit_(idle_exit),
      after_job_(std::move(after_job)) {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < min_threads_; ++i) StartThreadLocked();
}

ElasticThreadPool::~ElasticThreadPool() { shutdown(); }

void ElasticThreadPool::enqueue(std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  ReapLocked();
  jobs_.push_back(std::move(fn));
  // A new thread only when every thread is busy: an idle one takes the job.
  if (idle_ < jobs_.size() && workers_.size() < max_threads_) StartThreadLocked();
  wake_.notify_one();
}

void ElasticThreadPool::shutdown() {
  std::list<std::thread> all;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && workers_.empty() && finished_.empty()) return;
    stopping_ = true;
    wake_.notify_all();
  }
  // Workers leave once the queue is empty; each moves itself to finished_ on the way out.
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      all.splice(all.end(), finished_);
      if (workers_.empty()) break;
    }
    for (std::thread& t : all)
      if (t.joinable()) t.join();
    all.clear();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (std::thread& t : all)
    if (t.joinable()) t.join();
}

std::size_t ElasticThreadPool::threads() const {
  std::lock_guard lock(mutex_);
  return workers_.size();
}

std::size_t ElasticThreadPool::peak_threads() const {
  std::lock_guard lock(mutex_);
  return peak_;
}

void ElasticThreadPool::StartThreadLocked() {
  workers_.emplace_back();
  auto self = std::prev(workers_.end());
  ++idle_;  // counted idle until it takes a job, so enqueue does not start two for one
  *self = std::thread([this, self] { Work(self); });
  peak_ = std::max(peak_, workers_.size());
}

void ElasticThreadPool::ReapLocked() {
  for (std::thread& t : finished_)
    if (t.joinable()) t.join();  // already returned from Work: joins at once
  finished_.clear();
}

void ElasticThreadPool::Work(std::list<std::thread>::iterator self) {
  std::unique_lock lock(mutex_);
  for (;;) {
    bool woke = wake_.wait_for(lock, idle_exit_, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty() && (stopping_ || (!woke && workers_.size() > min_threads_))) break;
    if (jobs_.empty()) continue;
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    --idle_;
    lock.unlock();
    job();
    job = nullptr;  // release what the job captured before taking the lock
    if (after_job_) after_job_();
    lock.lock();
    ++idle_;
  }
  --idle_;
  // Hand this thread's handle to finished_: whoever reaps it joins it.
  finished_.splice(finished_.end(), workers_, self);
}

}  // namespace notesd
