#include "http/http_connection_guard.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/tcp.h>  // struct tcp_info with tcpi_bytes_received (glibc's netinet/tcp.h lacks it)
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>

namespace notesd {

namespace {

// The SSL_CTX ex_data slot that points at the context's guard.
int GuardIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

void OnTlsInfo(const SSL* ssl, int where, int /*ret*/) {
  if ((where & (SSL_CB_HANDSHAKE_START | SSL_CB_HANDSHAKE_DONE)) == 0) return;
  auto* guard = static_cast<HttpConnectionGuard*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), GuardIndex()));
  if (!guard) return;
  if (where & SSL_CB_HANDSHAKE_START) {
    // Once per connection: renegotiation is off, and TLS 1.3 reports no start after
    // the first handshake.
    guard->Started(SSL_get_fd(ssl));
  } else {
    guard->HandshakeDone();
  }
}

// The peer's address as text ("127.0.0.1"), or "" when it cannot be read.
std::string PeerAddress(int fd) {
  sockaddr_storage peer{};
  socklen_t length = sizeof(peer);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) return "";
  char text[INET6_ADDRSTRLEN] = {};
  const void* raw = peer.ss_family == AF_INET6
                        ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr)
                        : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&peer)->sin_addr);
  if (!::inet_ntop(peer.ss_family, raw, text, sizeof(text))) return "";
  return text;
}

// Bytes the client has sent on `fd` so far (TCP), plus those waiting unread; for a
// socket without TCP_INFO (a test's socket pair), only the unread ones.
std::uint64_t BytesFromClient(int fd) {
  int unread = 0;
  if (::ioctl(fd, FIONREAD, &unread) != 0) unread = 0;
  tcp_info info{};
  socklen_t length = sizeof(info);
  std::uint64_t received = 0;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) == 0 &&
      length >= offsetof(tcp_info, tcpi_bytes_received) + sizeof(info.tcpi_bytes_received))
    received = info.tcpi_bytes_received;
  return received + static_cast<std::uint64_t>(std::max(unread, 0));
}

}  // namespace

HttpConnectionGuard::HttpConnectionGuard(Limits limits) : limits_(limits), watcher_([this] { Watch(); }) {}

HttpConnectionGuard::~HttpConnectionGuard() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  watcher_.join();
  std::lock_guard lock(mutex_);
  for (auto& [thread, connection] : connections_) ::close(connection.watch_fd);
}

void HttpConnectionGuard::InstallOn(SSL_CTX& ctx) {
  SSL_CTX_set_ex_data(&ctx, GuardIndex(), this);
  SSL_CTX_set_info_callback(&ctx, OnTlsInfo);
}

bool HttpConnectionGuard::Started(int fd) {
  // Every answer goes out at once: without TCP_NODELAY a reply written in two segments
  // waits ~40 ms for the client's delayed ACK (Nagle).
  int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));

  std::string address = PeerAddress(fd);
  std::lock_guard lock(mutex_);
  auto old = connections_.find(std::this_thread::get_id());
  if (old != connections_.end()) EndLocked(old);  // a job that ended without telling us
  std::size_t& count = per_address_[address];
  int watch_fd = count < limits_.max_per_address ? ::fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
  if (watch_fd < 0) {
    if (count == 0) per_address_.erase(address);
    ++refused_per_address_;
    ::shutdown(fd, SHUT_RDWR);
    return false;
  }
  ++count;
  Connection& connection = connections_[std::this_thread::get_id()];
  connection.watch_fd = watch_fd;
  connection.address = std::move(address);
  connection.deadline = Clock::now() + limits_.handshake;
  connection.armed = true;
  if (connection.deadline < next_wake_) wake_.notify_all();
  return true;
}

void HttpConnectionGuard::HandshakeDone() { Arm(limits_.request_head); }

void HttpConnectionGuard::ReplySent() {
  Arm(limits_.keep_alive + limits_.request_head);
  if (limits_.idle_above == 0) return;
  std::lock_guard lock(mutex_);
  auto it = connections_.find(std::this_thread::get_id());
  if (it == connections_.end()) return;
  it->second.idle = true;
  it->second.idle_until = Clock::now() + limits_.busy_idle;
  it->second.received_at_reply = BytesFromClient(it->second.watch_fd);
  if (connections_.size() > limits_.idle_above && it->second.idle_until < next_wake_) wake_.notify_all();
}

void HttpConnectionGuard::HeadRead() {
  std::lock_guard lock(mutex_);
  auto it = connections_.find(std::this_thread::get_id());
  if (it != connections_.end()) it->second.armed = it->second.idle = false;
}

void HttpConnectionGuard::Arm(Clock::duration from_now) {
  std::lock_guard lock(mutex_);
  auto it = connections_.find(std::this_thread::get_id());
  if (it == connections_.end()) return;
  it->second.deadline = Clock::now() + from_now;
  it->second.armed = true;
  if (it->second.deadline < next_wake_) wake_.notify_all();
}

void HttpConnectionGuard::ConnectionEnded() {
  std::lock_guard lock(mutex_);
  auto it = connections_.find(std::this_thread::get_id());
  if (it != connections_.end()) EndLocked(it);
}

void HttpConnectionGuard::EndLocked(std::unordered_map<std::thread::id, Connection>::iterator it) {
  ::close(it->second.watch_fd);
  auto count = per_address_.find(it->second.address);
  if (count != per_address_.end() && --count->second == 0) per_address_.erase(count);
  connections_.erase(it);
}

std::size_t HttpConnectionGuard::connections() const {
  std::lock_guard lock(mutex_);
  return connections_.size();
}

std::size_t HttpConnectionGuard::closed_by_deadline() const {
  std::lock_guard lock(mutex_);
  return closed_by_deadline_;
}

std::size_t HttpConnectionGuard::refused_per_address() const {
  std::lock_guard lock(mutex_);
  return refused_per_address_;
}

std::size_t HttpConnectionGuard::closed_idle() const {
  std::lock_guard lock(mutex_);
  return closed_idle_;
}

// Sleeps until the earliest armed deadline (or a change), then shuts down every
// connection past its deadline. A shut-down connection stays listed until its thread
// ends it, so its dup keeps the descriptor number from being reused meanwhile.
void HttpConnectionGuard::Watch() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto now = Clock::now();
    auto next = now + std::chrono::seconds(1);
    auto shut = [](Connection& connection) {
      ::shutdown(connection.watch_fd, SHUT_RDWR);
      connection.armed = connection.idle = false;
      connection.shut = true;
    };
    std::size_t open = 0;
    for (auto& [thread, connection] : connections_) {
      if (connection.armed && connection.deadline <= now) {
        shut(connection);
        ++closed_by_deadline_;
      } else if (connection.armed) {
        next = std::min(next, connection.deadline);
      }
      if (!connection.shut) ++open;
    }
    // Under load, idle keep-alive connections beyond `idle_above` give their threads back.
    for (auto it = connections_.begin();
         open > limits_.idle_above && limits_.idle_above > 0 && it != connections_.end(); ++it) {
      Connection& connection = it->second;
      if (!connection.idle) continue;
      if (connection.idle_until > now) {
        next = std::min(next, connection.idle_until);
      } else if (BytesFromClient(connection.watch_fd) != connection.received_at_reply) {
        connection.idle = false;  // a next request is under way: its head deadline stands
      } else {
        shut(connection);
        ++closed_idle_;
        --open;
      }
    }
    next_wake_ = next;
    wake_.wait_until(lock, next);
  }
}

}  // namespace notesd
