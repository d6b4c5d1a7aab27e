#include "http/http_crl_listener.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <future>
#include <mutex>
#include <unordered_map>

namespace notesd {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kMaxHeadBytes = 8192;
constexpr int kListenBacklog = 4096;

bool IsCrlFileChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
  }
}

std::string FormatReply(const CrlReply& reply) {
  std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " " + std::string(ReasonPhrase(reply.status)) + "\r\n";
  out += "Content-Type: " + reply.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
  if (reply.status == 405) out += "Allow: GET\r\n";
  out += "Connection: close\r\n\r\n";
  out += reply.body;
  return out;
}

CrlReply PlainReply(int status, std::string text) { return {status, "text/plain", std::move(text) + "\n"}; }

}  // namespace

CrlRequest ParseCrlRequestHead(std::string_view head) {
  CrlRequest request;
  std::size_t line_end = head.find("\r\n");
  if (line_end == std::string_view::npos || head.size() < 4 || head.substr(head.size() - 4) != "\r\n\r\n")
    return request;
  std::string_view line = head.substr(0, line_end);
  std::size_t first_space = line.find(' ');
  std::size_t last_space = line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space) return request;
  std::string_view method = line.substr(0, first_space);
  std::string_view target = line.substr(first_space + 1, last_space - first_space - 1);
  std::string_view version = line.substr(last_space + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return request;
  if (target.empty() || target.front() != '/' || target.find(' ') != std::string_view::npos) return request;
  if (method != "GET") {
    request.kind = CrlRequest::Kind::kMethodNotAllowed;
    return request;
  }
  request.kind = CrlRequest::Kind::kNotFound;
  constexpr std::string_view kPrefix = "/crl/";
  if (target.substr(0, kPrefix.size()) != kPrefix) return request;
  std::string_view file = target.substr(kPrefix.size());
  if (file.empty()) return request;
  for (char c : file)
    if (!IsCrlFileChar(c)) return request;
  request.kind = CrlRequest::Kind::kCrl;
  request.file = std::string(file);
  return request;
}

// What the listener and its sessions share; sessions keep it alive past Stop().
struct CrlListener::Shared {
  Limits limits;
  std::mutex mutex;
  Serve serve;  // cleared by Stop
  std::size_t current = 0;
  std::unordered_map<std::string, std::size_t> per_address;

  // Counts a new connection from `address`; false when a cap is reached.
  bool Admit(const std::string& address) {
    std::lock_guard lock(mutex);
    std::size_t& count = per_address[address];
    if (current >= limits.max_sessions || count >= limits.max_per_address) {
      if (count == 0) per_address.erase(address);
      return false;
    }
    ++count;
    ++current;
    return true;
  }
  void Release(const std::string& address) {
    std::lock_guard lock(mutex);
    --current;
    auto it = per_address.find(address);
    if (it != per_address.end() && --it->second == 0) per_address.erase(it);
  }
  CrlReply Answer(const CrlRequest& request) {
    switch (request.kind) {
      case CrlRequest::Kind::kCrl: {
        std::lock_guard lock(mutex);
        if (!serve) return PlainReply(503, "shutting down");
        return serve(request.file);
      }
      case CrlRequest::Kind::kNotFound: return PlainReply(404, "no such CRL");
      case CrlRequest::Kind::kMethodNotAllowed: return PlainReply(405, "request refused");
      case CrlRequest::Kind::kBadRequest: break;
    }
    return PlainReply(400, "request refused");
  }
};

// One connection: read the head under one deadline, answer, close.
struct CrlListener::Session : std::enable_shared_from_this<Session> {
  Session(std::shared_ptr<Shared> shared, tcp::socket socket, std::string address)
      : shared_(std::move(shared)),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        address_(std::move(address)) {}
  ~Session() { shared_->Release(address_); }

  void Start() {
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    ArmDeadline(shared_->limits.request_head);
    asio::async_read_until(socket_, asio::dynamic_buffer(head_, kMaxHeadBytes), "\r\n\r\n",
                           [self = shared_from_this()](const boost::system::error_code& ec, std::size_t length) {
                             self->OnHead(ec, length);
                           });
  }

 private:
  void ArmDeadline(std::chrono::milliseconds timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->Close();
    });
  }

  void OnHead(const boost::system::error_code& ec, std::size_t length) {
    if (ec && ec != asio::error::not_found) return Close();  // closed, reset, or the deadline
    CrlRequest request = ec ? CrlRequest{} : ParseCrlRequestHead(std::string_view(head_).substr(0, length));
    reply_ = FormatReply(shared_->Answer(request));
    ArmDeadline(shared_->limits.write);
    asio::async_write(socket_, asio::buffer(reply_),
                      [self = shared_from_this()](const boost::system::error_code&, std::size_t) { self->Close(); });
  }

  void Close() {
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  std::shared_ptr<Shared> shared_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::string address_;
  std::string head_;
  std::string reply_;
};

struct CrlListener::AcceptorBox {
  explicit AcceptorBox(asio::io_context& io) : acceptor(asio::make_strand(io)), retry(acceptor.get_executor()) {}
  tcp::acceptor acceptor;
  asio::steady_timer retry;
};

CrlListener::CrlListener(asio::io_context& io, Limits limits, Serve serve)
    : io_(io), shared_(std::make_shared<Shared>()), acceptor_(std::make_shared<AcceptorBox>(io)) {
  shared_->limits = limits;
  shared_->serve = std::move(serve);
}

CrlListener::~CrlListener() { Stop(); }

Status CrlListener::Listen(const std::string& address, int port) {
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec) return Status::InvalidArgument("HTTP_Address " + address + " is not an IP address");
  tcp::endpoint endpoint(ip, static_cast<unsigned short>(port));
  tcp::acceptor& acceptor = acceptor_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(kListenBacklog, ec);
  if (ec)
    return Status::Unavailable("cannot listen for CRLs on " + address + ":" + std::to_string(port) + ": " +
                               ec.message());
  Accept(io_, acceptor_, shared_);
  return Status::Ok();
}

void CrlListener::Accept(asio::io_context& io, std::shared_ptr<AcceptorBox> box, std::shared_ptr<Shared> shared) {
  AcceptorBox& acceptor = *box;
  acceptor.acceptor.async_accept(asio::make_strand(io), [&io, box = std::move(box), shared = std::move(shared)](
                                                            const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !box->acceptor.is_open()) return;
    if (!ec) {
      boost::system::error_code peer_error;
      tcp::endpoint peer = socket.remote_endpoint(peer_error);
      std::string address = peer_error ? std::string() : peer.address().to_string();
      if (shared->Admit(address)) std::make_shared<Session>(shared, std::move(socket), std::move(address))->Start();
      return Accept(io, box, shared);
    }
    // Out of descriptors or similar: wait a little instead of spinning.
    box->retry.expires_after(std::chrono::milliseconds(200));
    box->retry.async_wait([&io, box, shared](const boost::system::error_code& wait) {
      if (!wait && box->acceptor.is_open()) Accept(io, box, shared);
    });
  });
}

void CrlListener::Stop() {
  if (!acceptor_) return;
  // On the acceptor's strand, where its handlers run; the handler holds what it uses, so
  // giving up the wait (io threads already stopped) leaves nothing dangling.
  auto closed = std::make_shared<std::promise<void>>();
  std::future<void> done = closed->get_future();
  asio::post(acceptor_->acceptor.get_executor(), [box = acceptor_, closed] {
    boost::system::error_code ignored;
    box->acceptor.close(ignored);
    box->retry.cancel();
    closed->set_value();
  });
  done.wait_for(std::chrono::seconds(5));
  {
    std::lock_guard lock(shared_->mutex);
    shared_->serve = nullptr;
  }
  acceptor_.reset();
}

}  // namespace notesd
