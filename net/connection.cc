// net/connection.cc — socket, TLS and deadlines of one connection (contract in
// net/connection.h).
#include "net/connection.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace notesd::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::shared_ptr<Connection> Connection::Create(tcp::socket socket, std::string peer_address,
                                               std::shared_ptr<void> admission) {
  return std::shared_ptr<Connection>(new Connection(std::move(socket), std::move(peer_address), std::move(admission)));
}

Connection::Connection(tcp::socket socket, std::string peer_address, std::shared_ptr<void> admission)
    : socket_(std::move(socket)),
      read_timer_(socket_.get_executor()),
      write_timer_(socket_.get_executor()),
      peer_address_(std::move(peer_address)),
      admission_(std::move(admission)) {}

Connection::~Connection() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

// The timer holds the connection weakly: a connection nobody reads or writes any more
// goes away even with a deadline armed.
void Connection::Arm(asio::steady_timer& timer, SteadyClock::time_point deadline) {
  timer.expires_at(deadline);
  timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->OnDeadline();
  });
}

void Connection::OnDeadline() {
  if (closed_) return;
  timed_out_ = true;
  if (on_timeout_) on_timeout_();
  Close();
}

void Connection::ReadSome(asio::mutable_buffer buffer, SteadyClock::time_point deadline, ReadHandler handler) {
  if (closed_) {
    asio::post(socket_.get_executor(), [handler = std::move(handler)] { handler(asio::error::operation_aborted, 0); });
    return;
  }
  Arm(read_timer_, deadline);
  auto on_read = [self = shared_from_this(), handler = std::move(handler)](const boost::system::error_code& ec,
                                                                           std::size_t n) {
    self->read_timer_.cancel();
    handler(self->closed_ && !ec ? asio::error::operation_aborted : ec, n);
  };
  if (tls_)
    tls_->async_read_some(buffer, std::move(on_read));
  else
    socket_.async_read_some(buffer, std::move(on_read));
}

void Connection::Write(std::string bytes, SteadyClock::time_point deadline, DoneHandler handler) {
  if (closed_) {
    asio::post(socket_.get_executor(), [handler = std::move(handler)] { handler(asio::error::operation_aborted); });
    return;
  }
  auto data = std::make_shared<std::string>(std::move(bytes));
  Arm(write_timer_, deadline);
  auto on_write = [self = shared_from_this(), data, handler = std::move(handler)](const boost::system::error_code& ec,
                                                                                  std::size_t) {
    self->write_timer_.cancel();
    handler(self->closed_ && !ec ? asio::error::operation_aborted : ec);
  };
  if (tls_)
    asio::async_write(*tls_, asio::buffer(*data), std::move(on_write));
  else
    asio::async_write(socket_, asio::buffer(*data), std::move(on_write));
}

void Connection::StartTls(asio::ssl::context& tls, SteadyClock::time_point deadline, DoneHandler handler) {
  if (closed_ || tls_) {
    asio::post(socket_.get_executor(), [handler = std::move(handler)] { handler(asio::error::operation_aborted); });
    return;
  }
  tls_.emplace(socket_, tls);
  Arm(read_timer_, deadline);
  tls_->async_handshake(asio::ssl::stream_base::server,
                        [self = shared_from_this(), handler = std::move(handler)](const boost::system::error_code& ec) {
                          self->read_timer_.cancel();
                          handler(self->closed_ && !ec ? asio::error::operation_aborted : ec);
                        });
}

void Connection::WriteLastWords(std::string_view text) {
  if (closed_ || tls_) return;
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
  socket_.write_some(asio::buffer(text.data(), text.size()), ignored);
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  read_timer_.cancel();
  write_timer_.cancel();
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void Connection::CloseFromAnyThread() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->Close(); });
}

}  // namespace notesd::net
