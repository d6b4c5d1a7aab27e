#include "server/control_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>

namespace notesd {

namespace {

constexpr size_t kMaxCommandBytes = 64 * 1024;
using boost::asio::local::stream_protocol;

bool PeerIsTrusted(stream_protocol::socket& socket) {
  ucred credentials{};
  socklen_t length = sizeof credentials;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return false;
  return credentials.uid == ::geteuid() || credentials.uid == 0;
}

// One connection: read a line (bounded in size and time), run it on the command pool,
// write the reply, close.
class ControlSession : public std::enable_shared_from_this<ControlSession> {
 public:
  ControlSession(stream_protocol::socket socket, boost::asio::thread_pool& pool,
                 const ControlSocketServer::Handler& handler, int timeout_seconds)
      : socket_(std::move(socket)),
        pool_(pool),
        handler_(handler),
        buffer_(kMaxCommandBytes),
        deadline_(socket_.get_executor()),
        timeout_seconds_(timeout_seconds) {}

  void Run() {
    if (!PeerIsTrusted(socket_)) {
      Reply({false, "permission denied: the control socket takes commands from the server's own user only", ""});
      return;
    }
    deadline_.expires_after(std::chrono::seconds(timeout_seconds_));
    deadline_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->socket_.close();
    });
    boost::asio::async_read_until(socket_, buffer_, '\n',
                                  [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                                    self->OnLine(ec, n);
                                  });
  }

 private:
  void OnLine(boost::system::error_code ec, size_t length) {
    deadline_.cancel();
    if (ec == boost::asio::error::not_found) {
      Reply({false, "command too long (limit 64 KiB)", ""});
      return;
    }
    if (ec && ec != boost::asio::error::eof) return;  // timed out or closed: nothing to answer
    std::string line(boost::asio::buffers_begin(buffer_.data()),
                     boost::asio::buffers_begin(buffer_.data()) +
                         static_cast<std::ptrdiff_t>(length ? length : buffer_.size()));
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    boost::asio::post(pool_, [self = shared_from_this(), line] {
      CommandReply reply = self->handler_(line);
      boost::asio::post(self->socket_.get_executor(), [self, reply] { self->Reply(reply); });
    });
  }

  void Reply(const CommandReply& reply) {
    out_ = std::string(reply.ok ? "OK\n" : reply.starting ? "STARTING\n" : "ERR\n") + reply.log_lines + reply.text;
    if (!out_.empty() && out_.back() != '\n') out_ += '\n';
    boost::asio::async_write(socket_, boost::asio::buffer(out_),
                             [self = shared_from_this()](boost::system::error_code, size_t) {
                               boost::system::error_code ignored;
                               self->socket_.shutdown(stream_protocol::socket::shutdown_both, ignored);
                               self->socket_.close(ignored);
                             });
  }

  stream_protocol::socket socket_;
  boost::asio::thread_pool& pool_;
  const ControlSocketServer::Handler& handler_;
  boost::asio::streambuf buffer_;
  boost::asio::steady_timer deadline_;
  int timeout_seconds_;
  std::string out_;
};

}  // namespace

ControlSocketServer::ControlSocketServer(boost::asio::io_context& io, boost::asio::thread_pool& command_pool,
                                         std::filesystem::path socket_path, Handler handler, int read_timeout_seconds)
    : io_(io),
      command_pool_(command_pool),
      socket_path_(std::move(socket_path)),
      handler_(std::move(handler)),
      read_timeout_seconds_(read_timeout_seconds) {}

ControlSocketServer::~ControlSocketServer() { Stop(); }

Status ControlSocketServer::Start() {
  if (socket_path_.string().size() >= sizeof(sockaddr_un{}.sun_path))
    return Status::InvalidArgument("control socket path too long for a Unix socket (" +
                                   std::to_string(socket_path_.string().size()) + " bytes): " + socket_path_.string());
  ::unlink(socket_path_.c_str());
  boost::system::error_code ec;
  auto acceptor = std::make_unique<stream_protocol::acceptor>(io_);
  acceptor->open(stream_protocol(), ec);
  mode_t old_mask = ::umask(0077);  // the socket file is created owner-only
  if (!ec) acceptor->bind(stream_protocol::endpoint(socket_path_.string()), ec);
  ::umask(old_mask);
  if (!ec) acceptor->listen(64, ec);
  if (ec) return Status::IOError("cannot listen on control socket " + socket_path_.string() + ": " + ec.message());
  ::chmod(socket_path_.c_str(), 0600);
  acceptor_ = std::move(acceptor);
  Accept();
  return Status::Ok();
}

void ControlSocketServer::Accept() {
  acceptor_->async_accept([this](boost::system::error_code ec, stream_protocol::socket socket) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_ || !acceptor_->is_open()) return;
    if (!ec) std::make_shared<ControlSession>(std::move(socket), command_pool_, handler_, read_timeout_seconds_)->Run();
    Accept();
  });
}

void ControlSocketServer::Stop() {
  if (!acceptor_) return;
  boost::system::error_code ignored;
  acceptor_->close(ignored);
  ::unlink(socket_path_.c_str());
}

namespace {

Status SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(std::string("cannot send command: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Result<std::string> ReceiveAll(int fd) {
  std::string answer;
  char chunk[8192];
  while (true) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n == 0) return answer;
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(std::string("cannot read the server's answer: ") + std::strerror(errno));
    }
    answer.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace

Result<CommandReply> SendConsoleCommand(const std::filesystem::path& data_dir, const std::string& command) {
  std::filesystem::path socket_path = data_dir / "nserver.sock";
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.string().size() >= sizeof address.sun_path)
    return Status::InvalidArgument("data directory path too long for its control socket: " + socket_path.string());
  std::strcpy(address.sun_path, socket_path.c_str());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IOError(std::string("cannot create socket: ") + std::strerror(errno));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    return Status::Unavailable("no server is running on " + data_dir.string() + " (cannot connect to " +
                               socket_path.string() + ": " + why + ")");
  }
  Status sent = SendAll(fd, command + "\n");
  Result<std::string> answer = sent.ok() ? ReceiveAll(fd) : Result<std::string>(sent);
  ::close(fd);
  if (!answer.ok()) return answer.status();
  std::string& text = answer.value();
  size_t newline = text.find('\n');
  std::string status_line = text.substr(0, newline);
  if (status_line != "OK" && status_line != "ERR" && status_line != "STARTING")
    return Status::Unavailable("the server on " + data_dir.string() + " closed the connection without an answer");
  CommandReply reply;
  reply.ok = status_line == "OK";
  reply.starting = status_line == "STARTING";
  reply.text = newline == std::string::npos ? "" : text.substr(newline + 1);
  return reply;
}

}  // namespace notesd
