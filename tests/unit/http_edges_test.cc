// tests/unit/http_edges_test.cc — issue 13's edges of the HTTP task, pure parts:
// the CRL port's request-head parser (http/http_crl_listener.h), the HTTPS connection
// guard's deadlines and per-address cap (http/http_connection_guard.h) on socket pairs,
// and the one TLS policy (pki/tls_context.h). The running listeners are replayed in
// tests/integration/test_edges_https.py.
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "pki/tls_context.h"
#include "http/http_connection_guard.h"
#include "http/http_crl_listener.h"

namespace notesd {
namespace {

using namespace std::chrono_literals;
using Kind = CrlRequest::Kind;

TEST_CASE("CRL request heads are parsed strictly", "[http][crl]") {
  auto [head, kind, file] = GENERATE(table<std::string, Kind, std::string>({
      {"GET /crl/Acme-Corp.crl HTTP/1.1\r\nHost: x\r\n\r\n", Kind::kCrl, "Acme-Corp.crl"},
      {"GET /crl/a_b.c HTTP/1.0\r\n\r\n", Kind::kCrl, "a_b.c"},
      {"GET /crl/ HTTP/1.1\r\n\r\n", Kind::kNotFound, ""},
      {"GET /crl/../names.nsf HTTP/1.1\r\n\r\n", Kind::kNotFound, ""},
      {"GET /crl/a%2F HTTP/1.1\r\n\r\n", Kind::kNotFound, ""},
      {"GET /api/v1/whoami HTTP/1.1\r\n\r\n", Kind::kNotFound, ""},
      {"POST /crl/a.crl HTTP/1.1\r\n\r\n", Kind::kMethodNotAllowed, ""},
      {"GET /crl/a.crl HTTP/2\r\n\r\n", Kind::kBadRequest, ""},
      {"GET /crl/a.crl\r\n\r\n", Kind::kBadRequest, ""},
      {"GET crl/a.crl HTTP/1.1\r\n\r\n", Kind::kBadRequest, ""},
      {"GET /crl/a.crl HTTP/1.1\r\nHost: x\r\n", Kind::kBadRequest, ""},
      {std::string("GET /crl/a\0b HTTP/1.1\r\n\r\n", 25), Kind::kNotFound, ""},
      {"", Kind::kBadRequest, ""},
  }));
  CAPTURE(head);
  CrlRequest request = ParseCrlRequestHead(head);
  CHECK(request.kind == kind);
  CHECK(request.file == file);
}

// A connected pair of sockets: [0] plays the server's connection, [1] the client.
struct SocketPair {
  SocketPair() { REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0); }
  ~SocketPair() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  // True when the client end sees the server end shut down within `wait`.
  bool ClientSeesClose(std::chrono::milliseconds wait) const {
    timeval tv{0, static_cast<suseconds_t>(std::chrono::microseconds(wait).count())};
    ::setsockopt(fds[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char byte;
    return ::recv(fds[1], &byte, 1, 0) == 0;
  }
  int fds[2] = {-1, -1};
};

HttpConnectionGuard::Limits ShortLimits() {
  HttpConnectionGuard::Limits limits;
  limits.handshake = 150ms;
  limits.request_head = 150ms;
  limits.keep_alive = 0ms;
  limits.max_per_address = 2;
  return limits;
}

// Runs `work` on its own thread and keeps that thread alive until destroyed: the guard
// knows a connection by its thread, as cpp-httplib serves each on one thread.
class ConnectionThread {
 public:
  template <typename Work>
  explicit ConnectionThread(Work work) {
    std::promise<void> done;
    auto ran = done.get_future();
    thread_ = std::thread([this, work, done = std::move(done)]() mutable {
      work();
      done.set_value();
      release_.get_future().wait();
    });
    ran.wait();
  }
  ~ConnectionThread() {
    release_.set_value();
    thread_.join();
  }

 private:
  std::promise<void> release_;
  std::thread thread_;
};

TEST_CASE("a connection past its handshake or head deadline is shut down", "[http][guard]") {
  HttpConnectionGuard guard(ShortLimits());
  SocketPair handshake, head, served;
  bool admitted[3] = {};
  ConnectionThread first([&] { admitted[0] = guard.Started(handshake.fds[0]); });  // never finishes its handshake
  ConnectionThread second([&] {
    admitted[1] = guard.Started(head.fds[0]);
    guard.HandshakeDone();  // then never sends a whole head
  });
  REQUIRE(admitted[0]);
  REQUIRE(admitted[1]);
  CHECK(handshake.ClientSeesClose(1000ms));
  CHECK(head.ClientSeesClose(1000ms));
  CHECK(guard.closed_by_deadline() == 2);

  HttpConnectionGuard calm(ShortLimits());
  ConnectionThread third([&] {
    admitted[2] = calm.Started(served.fds[0]);
    calm.HandshakeDone();
    calm.HeadRead();  // a request being handled has no head deadline
  });
  REQUIRE(admitted[2]);
  CHECK_FALSE(served.ClientSeesClose(400ms));
  CHECK(calm.closed_by_deadline() == 0);
}

TEST_CASE("one address holds at most max_per_address connections", "[http][guard]") {
  HttpConnectionGuard guard(ShortLimits());
  SocketPair a, ended, b, c;
  bool admitted[4] = {};
  ConnectionThread first([&] { admitted[0] = guard.Started(a.fds[0]); });
  // A connection that ends frees its place.
  ConnectionThread short_lived([&] {
    admitted[1] = guard.Started(ended.fds[0]);
    guard.ConnectionEnded();
  });
  ConnectionThread second([&] { admitted[2] = guard.Started(b.fds[0]); });
  ConnectionThread third([&] { admitted[3] = guard.Started(c.fds[0]); });
  CHECK(admitted[0]);
  CHECK(admitted[1]);
  CHECK(admitted[2]);
  CHECK_FALSE(admitted[3]);
  CHECK(c.ClientSeesClose(200ms));  // refused: shut down at once
  CHECK(guard.connections() == 2);
  CHECK(guard.refused_per_address() == 1);
}

TEST_CASE("under load, idle keep-alive connections beyond idle_above are closed", "[http][guard]") {
  HttpConnectionGuard::Limits limits;
  limits.keep_alive = 5000ms;  // the usual idle wait: far beyond this test
  limits.idle_above = 1;
  limits.busy_idle = 100ms;
  HttpConnectionGuard guard(limits);
  SocketPair idle1, idle2, asking;
  auto served = [&guard](int fd) {
    return [&guard, fd] {
      REQUIRE(guard.Started(fd));
      guard.HandshakeDone();
      guard.HeadRead();
      guard.ReplySent();  // now idle, waiting for a next request
    };
  };
  ConnectionThread first(served(idle1.fds[0]));
  ConnectionThread second(served(idle2.fds[0]));
  ConnectionThread third(served(asking.fds[0]));
  // The third client has begun its next request (unread by the server yet): not idle.
  REQUIRE(::send(asking.fds[1], "G", 1, 0) == 1);
  // Three open, one allowed beyond the load mark: both idle ones go, the asking one stays.
  CHECK(idle1.ClientSeesClose(900ms));
  CHECK(idle2.ClientSeesClose(900ms));
  CHECK_FALSE(asking.ClientSeesClose(300ms));
  CHECK(guard.closed_idle() == 2);
  CHECK(guard.closed_by_deadline() == 0);

  // At or below the mark an idle connection keeps its keep-alive wait.
  HttpConnectionGuard calm(limits);
  SocketPair kept;
  ConnectionThread only([&] {
    REQUIRE(calm.Started(kept.fds[0]));
    calm.HandshakeDone();
    calm.HeadRead();
    calm.ReplySent();
  });
  CHECK_FALSE(kept.ClientSeesClose(400ms));
  CHECK(calm.closed_idle() == 0);
}

TEST_CASE("every TLS context offers TLS 1.3 and ECDHE with AEAD only on TLS 1.2", "[tls]") {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_method()), &SSL_CTX_free);
  REQUIRE(ctx);
  REQUIRE(ApplyTlsPolicy(*ctx).ok());
  CHECK(SSL_CTX_get_min_proto_version(ctx.get()) == TLS1_2_VERSION);
  STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx.get());
  REQUIRE(ciphers);
  int tls13 = 0, tls12 = 0;
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    std::string name = SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, i));
    CAPTURE(name);
    if (name.rfind("TLS_", 0) == 0) {
      ++tls13;
      continue;
    }
    ++tls12;
    CHECK(name.rfind("ECDHE-", 0) == 0);
    CHECK((name.find("-GCM-") != std::string::npos || name.find("CHACHA20-POLY1305") != std::string::npos));
  }
  CHECK(tls13 >= 2);
  CHECK(tls12 == 6);
}

}  // namespace
}  // namespace notesd
