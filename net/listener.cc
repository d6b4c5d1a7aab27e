// net/listener.cc — accept loop, caps and implicit TLS (contract in net/listener.h).
#include "net/listener.h"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <atomic>
#include <future>
#include <thread>

#include "net/peer_sessions.h"

namespace notesd::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// What the connections keep alive: the live count and the per-address counter, which
// must outlive every slot it gave out.
struct Listener::State {
  explicit State(std::size_t per_address) : per_peer(per_address) {}
  std::atomic<std::size_t> current{0};
  PeerSessionCounter per_peer;
  std::atomic<std::int64_t>* total = nullptr;
  std::atomic<std::int64_t>* refused = nullptr;
  std::atomic<std::int64_t>* refused_per_address = nullptr;
};

namespace {

// One admitted connection's place: the count and the address slot, given back together.
struct Admission {
  Admission(std::shared_ptr<void> state, std::atomic<std::size_t>& current, PeerSessionCounter::Slot slot)
      : state(std::move(state)), current(current), slot(std::move(slot)) {
    ++current;
  }
  ~Admission() { --current; }
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;
  std::shared_ptr<void> state;  // first in, last out: the slot's counter lives in it
  std::atomic<std::size_t>& current;
  PeerSessionCounter::Slot slot;
};

void Count(std::atomic<std::int64_t>* counter) {
  if (counter) ++*counter;
}

}  // namespace

Listener::Listener(asio::io_context& io, Logger& log, ListenerOptions options, SessionFactory start_session)
    : io_(io), log_(log), options_(std::move(options)), start_session_(std::move(start_session)) {}

std::size_t Listener::sessions() const { return state_ ? state_->current.load() : 0; }

Status Listener::Start() {
  const std::string where = options_.address + ":" + std::to_string(options_.port);
  boost::system::error_code ec;
  asio::ip::address ip = asio::ip::make_address(options_.address, ec);
  if (ec)
    return Status::InvalidArgument(options_.what + " listener address " + options_.address + ": not an IP address");
  state_ = std::make_shared<State>(options_.max_sessions_per_address);
  if (options_.stats) {
    const std::string prefix = options_.stats_prefix + ".Sessions.";
    state_->total = &options_.stats->Counter(prefix + "Total");
    state_->refused = &options_.stats->Counter(prefix + "Refused");
    state_->refused_per_address = &options_.stats->Counter(prefix + "RefusedPerAddress");
  }
  acceptor_.emplace(asio::make_strand(io_));
  tcp::endpoint endpoint(ip, static_cast<unsigned short>(options_.port));
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) bound_port_ = acceptor_->local_endpoint(ec).port();
  if (ec) {
    acceptor_.reset();
    return Status::Unavailable("cannot listen for " + options_.what + " on " + where + ": " + ec.message());
  }
  retry_timer_.emplace(acceptor_->get_executor());
  Accept();
  return Status::Ok();
}

void Listener::Stop() {
  if (!acceptor_) return;
  std::promise<void> closed;
  asio::post(acceptor_->get_executor(), [this, &closed] {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
    retry_timer_->cancel();
    closed.set_value();
  });
  closed.get_future().wait_for(std::chrono::seconds(5));
  {
    std::lock_guard lock(connections_mutex_);
    for (auto& weak : connections_)
      if (auto connection = weak.lock()) connection->CloseFromAnyThread();
    connections_.clear();
  }
  // Let the sessions see their sockets closed; the connections keep `state_` alive meanwhile.
  for (int i = 0; i < 100 && state_->current.load() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  acceptor_.reset();
  retry_timer_.reset();
}

void Listener::Accept() {
  acceptor_->async_accept(asio::make_strand(io_), [this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
    if (ec) {
      // Out of descriptors or similar: wait a little instead of spinning.
      log_.Log(options_.log_source, "Accept failed: " + ec.message());
      retry_timer_->expires_after(std::chrono::milliseconds(200));
      retry_timer_->async_wait([this](const boost::system::error_code& wait) {
        if (!wait) Accept();
      });
      return;
    }
    OnAccepted(std::move(socket));
    Accept();
  });
}

void Listener::OnAccepted(tcp::socket socket) {
  if (state_->current.load() >= options_.max_sessions) {
    Count(state_->refused);
    return Refuse(std::move(socket), "too many connections, try again later");
  }
  boost::system::error_code ec;
  tcp::endpoint endpoint = socket.remote_endpoint(ec);
  if (ec) return;  // already gone; the socket closes here
  std::optional<PeerSessionCounter::Slot> slot = state_->per_peer.TryAcquire(PeerKey(endpoint.address()));
  if (!slot) {
    Count(state_->refused);
    Count(state_->refused_per_address);
    return Refuse(std::move(socket), "too many connections from your address, try again later");
  }
  auto admission = std::make_shared<Admission>(state_, state_->current, std::move(*slot));
  Count(state_->total);
  std::string peer = endpoint.address().is_v6() && endpoint.address().to_v6().is_v4_mapped()
                         ? asio::ip::make_address_v4(asio::ip::v4_mapped, endpoint.address().to_v6()).to_string()
                         : endpoint.address().to_string();
  std::shared_ptr<Connection> connection = Connection::Create(std::move(socket), std::move(peer), std::move(admission));
  {
    std::lock_guard lock(connections_mutex_);
    std::erase_if(connections_, [](const std::weak_ptr<Connection>& weak) { return weak.expired(); });
    connections_.push_back(connection);
  }
  // The session starts on the connection's own strand, not the acceptor's.
  SessionFactory start = start_session_;
  if (!options_.implicit_tls) {
    asio::post(connection->executor(), [start, connection] { start(connection); });
    return;
  }
  asio::ssl::context& tls = *options_.implicit_tls;
  auto deadline = SteadyClock::now() + options_.handshake_timeout;
  asio::post(connection->executor(), [start, connection, &tls, deadline] {
    connection->StartTls(tls, deadline, [start, connection](const boost::system::error_code& handshake) {
      if (handshake) return connection->Close();
      start(connection);
    });
  });
}

// The refusal line, then close; the write is bounded by the handshake timeout. An
// implicit-TLS client expects a handshake, so it is only closed.
void Listener::Refuse(tcp::socket socket, std::string_view reason) {
  if (options_.implicit_tls || !options_.refusal) {
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  auto line = std::make_shared<std::string>(options_.refusal(reason));
  auto sock = std::make_shared<tcp::socket>(std::move(socket));
  auto timer = std::make_shared<asio::steady_timer>(sock->get_executor(), options_.handshake_timeout);
  timer->async_wait([sock](const boost::system::error_code& ec) {
    if (ec) return;
    boost::system::error_code ignored;
    sock->close(ignored);
  });
  asio::async_write(*sock, asio::buffer(*line), [sock, line, timer](const boost::system::error_code&, std::size_t) {
    timer->cancel();
    boost::system::error_code ignored;
    sock->shutdown(tcp::socket::shutdown_both, ignored);
    sock->close(ignored);
  });
}

}  // namespace notesd::net
