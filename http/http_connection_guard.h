// http/http_connection_guard.h — deadlines and per-address caps for the HTTPS
// listener's connections, which cpp-httplib serves on one blocking thread each.
//
// Why: cpp-httplib bounds each read (HTTP_TimeoutSeconds) but not a whole TLS handshake
// or a whole request head, so a client sending one byte every few seconds held a
// connection and its thread for good (issue 13: 1,100 such connections held ~1,023
// threads). The guard gives each connection two deadlines and a per-address cap:
//   - the TLS handshake must finish within `handshake` of its start;
//   - each request head (request line and headers) must arrive within `request_head`
//     of the handshake's end, or of the previous reply plus `keep_alive` (the idle wait
//     before a next request, which cpp-httplib bounds itself);
//   - at most `max_per_address` connections from one client address at once: one more
//     is closed before its handshake;
//   - while more than `idle_above` connections are open (0: never), a keep-alive
//     connection that has sat idle for `busy_idle` since its last reply, with nothing
//     received from the client since, is closed, as many as are beyond `idle_above`:
//     cpp-httplib holds a thread per connection even between requests, so under load
//     an idle connection gives its thread back after `busy_idle` rather than the whole
//     keep-alive wait. (A client may always see an idle keep-alive connection close,
//     RFC 9112 9.3; it reconnects, resuming its TLS session.)
// A connection past its deadline is shut down (shutdown(2) on a dup of its socket, so
// the blocked thread wakes, fails its read and closes the connection as on any error).
//
// How connections are seen: the listener's TLS context calls Started/HandshakeDone
// through an info callback (InstallOn), the server's pre-routing handler HeadRead, its
// logger ReplySent, and the thread pool ConnectionEnded after each connection's job; all
// of these run on the connection's own thread, which is how a call finds its connection.
//
// Thread safety: every method may be called from any thread. Lifetime: the guard must
// outlive the server and the TLS context it is installed on.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

namespace notesd {

class HttpConnectionGuard {
 public:
  struct Limits {
    std::chrono::milliseconds handshake{10000};
    std::chrono::milliseconds request_head{10000};
    std::chrono::milliseconds keep_alive{5000};
    std::size_t max_per_address = 64;
    std::size_t idle_above = 0;
    std::chrono::milliseconds busy_idle{1000};
  };

  explicit HttpConnectionGuard(Limits limits);
  ~HttpConnectionGuard();
  HttpConnectionGuard(const HttpConnectionGuard&) = delete;
  HttpConnectionGuard& operator=(const HttpConnectionGuard&) = delete;

  // Makes `ctx` report each connection's handshake start and end to this guard.
  void InstallOn(SSL_CTX& ctx);

  // A connection on `fd` begins on this thread. False (and the socket shut down) when
  // its address already has max_per_address connections or `fd` cannot be watched.
  bool Started(int fd);
  void HandshakeDone();
  void HeadRead();
  void ReplySent();
  // This thread's connection is over (its socket is closed or about to be).
  void ConnectionEnded();

  // For SHOW STAT and tests.
  std::size_t connections() const;
  std::size_t closed_by_deadline() const;
  std::size_t refused_per_address() const;
  std::size_t closed_idle() const;

 private:
  struct Connection {
    int watch_fd = -1;  // our dup of the connection's socket: never reused while we hold it
    std::string address;
    std::chrono::steady_clock::time_point deadline;
    bool armed = false;
    bool shut = false;  // shut down by the watcher, waiting for its thread to end it
    bool idle = false;  // between a reply and the next request head
    std::chrono::steady_clock::time_point idle_until;
    std::uint64_t received_at_reply = 0;
  };
  using Clock = std::chrono::steady_clock;

  void Arm(Clock::duration from_now);
  void Watch();
  void EndLocked(std::unordered_map<std::thread::id, Connection>::iterator it);

  const Limits limits_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::unordered_map<std::thread::id, Connection> connections_;
  std::unordered_map<std::string, std::size_t> per_address_;
  std::size_t closed_by_deadline_ = 0;
  std::size_t refused_per_address_ = 0;
  std::size_t closed_idle_ = 0;
  Clock::time_point next_wake_{};  // when the watcher wakes next (it is woken for an earlier deadline)
  bool stopping_ = false;
  std::thread watcher_;
};

}  // namespace notesd
