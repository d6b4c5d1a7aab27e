// net/connection.h — one client connection of a network task: the socket, TLS (after
// STARTTLS, or from the start on an implicit-TLS port) and a deadline on every read and
// write. The protocol session (SMTP, IMAP, POP3) owns the bytes and the replies; this
// owns how they move.
//
// Deadlines: each ReadSome, Write and StartTls carries the time by which it must be done.
// When one passes, the timeout handler (SetTimeoutHandler) runs once, then the connection
// closes: the pending operation completes with an error and the session ends. Reads and
// writes have a timer each, so one read and one write may be outstanding at once (IMAP's
// IDLE reads DONE while it writes updates); never two reads or two writes.
//
// Lifetime: made by the listener (net/listener.h) as a shared_ptr; each pending operation
// keeps it alive, and it gives its place in the listener's counts back when destroyed.
// Handlers run on the connection's strand (the socket's executor).
//
// Thread safety: call everything on the connection's strand, except CloseFromAnyThread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace notesd::net {

using SteadyClock = std::chrono::steady_clock;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using ReadHandler = std::function<void(const boost::system::error_code&, std::size_t)>;
  using DoneHandler = std::function<void(const boost::system::error_code&)>;

  // `socket` must be open and bound to a strand. `admission` is whatever must live as
  // long as the connection (the listener's count and per-address slot).
  static std::shared_ptr<Connection> Create(boost::asio::ip::tcp::socket socket, std::string peer_address,
                                            std::shared_ptr<void> admission = nullptr);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Reads what is there (at least one byte) into `buffer`, which must stay valid until
  // `handler` runs; the bytes are plain text after TLS.
  void ReadSome(boost::asio::mutable_buffer buffer, SteadyClock::time_point deadline, ReadHandler handler);
  // Writes all of `bytes` (the connection keeps them until done).
  void Write(std::string bytes, SteadyClock::time_point deadline, DoneHandler handler);
  // The server side of a TLS handshake with `tls` (which must outlive the connection);
  // afterwards every read and write goes through TLS. Input the client sent before the
  // handshake, and not read yet, is the handshake's: a session discards what it buffered.
  void StartTls(boost::asio::ssl::context& tls, SteadyClock::time_point deadline, DoneHandler handler);

  // Runs when a deadline passes, before the connection closes (a session counts it and
  // says its last words with WriteLastWords).
  void SetTimeoutHandler(std::function<void()> on_timeout) { on_timeout_ = std::move(on_timeout); }
  // Best effort, without waiting: a last line in clear text ("421 ... timeout"). Over TLS
  // a record cannot be written without blocking, so nothing is sent.
  void WriteLastWords(std::string_view text);

  // Shuts the socket down and closes it; pending operations complete with an error.
  // Idempotent.
  void Close();
  // Close, posted to the strand: for the listener's Stop on another thread.
  void CloseFromAnyThread();

  bool closed() const { return closed_; }
  bool tls() const { return tls_.has_value(); }
  bool timed_out() const { return timed_out_; }
  // The client's IP address as text ("127.0.0.1").
  const std::string& peer_address() const { return peer_address_; }
  boost::asio::any_io_executor executor() { return socket_.get_executor(); }

 private:
  Connection(boost::asio::ip::tcp::socket socket, std::string peer_address, std::shared_ptr<void> admission);
  void Arm(boost::asio::steady_timer& timer, SteadyClock::time_point deadline);
  void OnDeadline();

  boost::asio::ip::tcp::socket socket_;
  std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  boost::asio::steady_timer read_timer_;
  boost::asio::steady_timer write_timer_;
  std::function<void()> on_timeout_;
  std::string peer_address_;
  std::shared_ptr<void> admission_;
  bool closed_ = false;
  bool timed_out_ = false;
};

}  // namespace notesd::net
