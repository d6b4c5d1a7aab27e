// net/listener.h — a task's TCP listener: binds address:port, accepts on the server's io
// threads, caps the sessions it holds in all and per client address, does the TLS
// handshake first on an implicit-TLS port (RFC 8314), and hands each admitted connection
// to the task's session factory.
//
// Refusals: over a cap, the client gets the task's refusal line (`refusal(reason)`: SMTP's
// "421 4.7.0 ...", IMAP's "* BYE ...", POP3's "-ERR ...") and the connection closes; on an
// implicit-TLS port a refused client is just closed (it expects a handshake, not text).
// An accept error (out of descriptors) is logged and retried after 200 ms, not spun on.
//
// Statistics (SHOW STAT), when `stats` is given, under `<stats_prefix>.Sessions.`: Total,
// (admitted sessions), Refused, RefusedPerAddress (several listeners of one task share them). The number of
// live sessions is `sessions()`; the task publishes the gauge it wants.
//
// Thread safety: Start and Stop from the task's Start/Stop (one thread); sessions() from
// any thread. The factory runs on the new connection's strand.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/logger.h"
#include "base/stats.h"
#include "base/status.h"
#include "net/connection.h"

namespace notesd::net {

struct ListenerOptions {
  std::string log_source;  // "SMTP Server"
  std::string what;        // for the log: "SMTP", "SMTP submission"
  std::string address;     // an IP address: "0.0.0.0", "127.0.0.1", "::"
  int port = 0;            // 0: any free port (see port())
  std::size_t max_sessions = 100;
  std::size_t max_sessions_per_address = 10;
  // The TLS handshake before the session starts (must outlive the listener); nullptr: clear text.
  boost::asio::ssl::context* implicit_tls = nullptr;
  std::chrono::seconds handshake_timeout{60};
  // What a refused client reads before the close: the whole line, with CRLF.
  std::function<std::string(std::string_view reason)> refusal;
  StatsRegistry* stats = nullptr;
  std::string stats_prefix;  // "SMTP"
};

class Listener {
 public:
  using SessionFactory = std::function<void(std::shared_ptr<Connection>)>;

  // `io` and `log` must outlive the listener.
  Listener(boost::asio::io_context& io, Logger& log, ListenerOptions options, SessionFactory start_session);
  ~Listener() { Stop(); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds and listens. InvalidArgument for an address that is not an IP address,
  // Unavailable naming address:port when it cannot listen.
  Status Start();
  // Stops accepting, closes every live connection and waits (up to 2 s) for their
  // sessions to end. Idempotent.
  void Stop();

  // The port bound (the one chosen when options.port was 0).
  int port() const { return bound_port_; }
  std::size_t sessions() const;
  const ListenerOptions& options() const { return options_; }

 private:
  struct State;
  void Accept();
  void OnAccepted(boost::asio::ip::tcp::socket socket);
  void Refuse(boost::asio::ip::tcp::socket socket, std::string_view reason);

  boost::asio::io_context& io_;
  Logger& log_;
  ListenerOptions options_;
  SessionFactory start_session_;
  std::shared_ptr<State> state_;  // kept alive by the connections too
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
  std::optional<boost::asio::steady_timer> retry_timer_;
  std::mutex connections_mutex_;
  std::list<std::weak_ptr<Connection>> connections_;
  int bound_port_ = 0;
};

}  // namespace notesd::net
