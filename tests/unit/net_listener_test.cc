// The shared listener and connection (net/listener.h, net/connection.h) on loopback: a
// session gets its bytes, the per-address cap refuses with the task's line, a deadline
// runs the timeout handler and closes, and Stop closes live sessions.
#include <catch2/catch.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "base/logger.h"
#include "base/stats.h"
#include "net/connection.h"
#include "net/listener.h"

namespace notesd::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// A session that greets, then echoes each read back until the client goes or a
// deadline of `read_timeout` passes.
class EchoSession : public std::enable_shared_from_this<EchoSession> {
 public:
  EchoSession(std::shared_ptr<Connection> connection, std::chrono::milliseconds read_timeout,
              std::atomic<int>& timeouts)
      : connection_(std::move(connection)), read_timeout_(read_timeout), timeouts_(timeouts) {}
  void Start() {
    connection_->SetTimeoutHandler([this] {
      ++timeouts_;
      connection_->WriteLastWords("BYE timeout\r\n");
    });
    connection_->Write("HELLO\r\n", SteadyClock::now() + 5s, [self = shared_from_this()](const auto& ec) {
      if (!ec) self->Read();
    });
  }

 private:
  void Read() {
    connection_->ReadSome(asio::buffer(buffer_), SteadyClock::now() + read_timeout_,
                          [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                            if (ec) return self->connection_->Close();
                            self->connection_->Write(std::string(self->buffer_.data(), n), SteadyClock::now() + 5s,
                                                     [self](const auto& written) {
                                                       if (!written) self->Read();
                                                     });
                          });
  }
  std::shared_ptr<Connection> connection_;
  std::chrono::milliseconds read_timeout_;
  std::atomic<int>& timeouts_;
  std::array<char, 256> buffer_{};
};

struct Loopback {
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
  Logger log{nullptr};
  StatsRegistry stats;
  std::atomic<int> timeouts{0};
  std::optional<Listener> listener;
  std::thread runner;

  explicit Loopback(std::size_t per_address, std::chrono::milliseconds read_timeout = 5000ms) {
    ListenerOptions options;
    options.log_source = "Test";
    options.what = "echo";
    options.address = "127.0.0.1";
    options.max_sessions_per_address = per_address;
    options.refusal = [](std::string_view reason) { return "NO " + std::string(reason) + "\r\n"; };
    options.stats = &stats;
    options.stats_prefix = "Echo";
    listener.emplace(io, log, std::move(options), [this, read_timeout](std::shared_ptr<Connection> connection) {
      std::make_shared<EchoSession>(std::move(connection), read_timeout, timeouts)->Start();
    });
    REQUIRE(listener->Start().ok());
    runner = std::thread([this] { io.run(); });
  }
  ~Loopback() {
    listener->Stop();
    work.reset();
    io.stop();
    runner.join();
  }
  tcp::socket Connect() {
    tcp::socket socket(client_io);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(listener->port())));
    return socket;
  }
  asio::io_context client_io;
};

std::string ReadLine(tcp::socket& socket) {
  std::string line;
  char c = 0;
  boost::system::error_code ec;
  while (asio::read(socket, asio::buffer(&c, 1), ec) == 1) {
    line += c;
    if (c == '\n') break;
  }
  return line;
}

bool WaitFor(const std::function<bool()>& condition) {
  for (int i = 0; i < 200 && !condition(); ++i) std::this_thread::sleep_for(10ms);
  return condition();
}

TEST_CASE("net listener: a session reads and writes through its connection", "[net]") {
  Loopback loop(4);
  REQUIRE(loop.listener->port() > 0);
  tcp::socket client = loop.Connect();
  CHECK(ReadLine(client) == "HELLO\r\n");
  asio::write(client, asio::buffer(std::string("ping\r\n")));
  CHECK(ReadLine(client) == "ping\r\n");
  CHECK(WaitFor([&] { return loop.listener->sessions() == 1; }));
  CHECK(loop.stats.Counter("Echo.Sessions.Total").load() == 1);
  client.close();
  CHECK(WaitFor([&] { return loop.listener->sessions() == 0; }));
}

TEST_CASE("net listener: over the per-address cap the client reads the refusal line", "[net]") {
  Loopback loop(2);
  tcp::socket first = loop.Connect();
  tcp::socket second = loop.Connect();
  CHECK(ReadLine(first) == "HELLO\r\n");
  CHECK(ReadLine(second) == "HELLO\r\n");
  tcp::socket third = loop.Connect();
  CHECK(ReadLine(third) == "NO too many connections from your address, try again later\r\n");
  CHECK(loop.stats.Counter("Echo.Sessions.RefusedPerAddress").load() == 1);
  first.close();
  CHECK(WaitFor([&] { return loop.listener->sessions() == 1; }));
  tcp::socket fourth = loop.Connect();  // the place was given back
  CHECK(ReadLine(fourth) == "HELLO\r\n");
}

TEST_CASE("net connection: a read past its deadline runs the timeout handler, then closes", "[net]") {
  Loopback loop(4, 200ms);
  tcp::socket client = loop.Connect();
  CHECK(ReadLine(client) == "HELLO\r\n");
  CHECK(ReadLine(client) == "BYE timeout\r\n");
  CHECK(ReadLine(client).empty());  // closed
  CHECK(loop.timeouts == 1);
  CHECK(WaitFor([&] { return loop.listener->sessions() == 0; }));
}

TEST_CASE("net listener: Stop closes live sessions and refuses new connections", "[net]") {
  Loopback loop(4);
  tcp::socket client = loop.Connect();
  CHECK(ReadLine(client) == "HELLO\r\n");
  const int port = loop.listener->port();
  loop.listener->Stop();
  CHECK(ReadLine(client).empty());
  CHECK(loop.listener->sessions() == 0);
  tcp::socket late(loop.client_io);
  boost::system::error_code ec;
  late.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)), ec);
  CHECK(ec);
}

}  // namespace
}  // namespace notesd::net
