// http/http_crl_listener.h — the HTTP task's plain-HTTP CRL port (HTTP_CRLPort): an
// Asio listener on the server's io threads, so a connection holds no thread of its own.
//
// Serves only GET /crl/<file> (<file> of [A-Za-z0-9._-]); other paths 404, other
// methods 405, a malformed or oversized (> 8 KB) request head 400. One request per
// connection (Connection: close): distribution points are fetched rarely.
//
// Limits: the whole request head must arrive within `request_head` of the accept
// (HTTP_RequestHeadTimeoutSeconds), the reply be written within `write` (HTTP_TimeoutSeconds);
// at most `max_sessions` connections at once (HTTP_MaxSessions) and `max_per_address` from
// one address (HTTP_MaxSessionsPerIP): more are closed at once. Backlog 4096.
//
// SECURITY: every byte is untrusted; the parser (ParseCrlRequestHead) is pure and reads
// at most the 8 KB head. Thread safety: Listen/Stop from one thread; `serve` is called
// on io threads, one call at a time, never after Stop returns.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace notesd {

// A parsed CRL-port request head.
struct CrlRequest {
  enum class Kind { kCrl, kNotFound, kMethodNotAllowed, kBadRequest };
  Kind kind = Kind::kBadRequest;
  std::string file;  // for kCrl: the <file> of /crl/<file>
};

// Parses a request head (request line, headers, ending with an empty line); pure.
CrlRequest ParseCrlRequestHead(std::string_view head);

// What `serve` answers for one CRL file.
struct CrlReply {
  int status = 404;
  std::string content_type = "text/plain";
  std::string body;
};

class CrlListener {
 public:
  struct Limits {
    std::chrono::milliseconds request_head{10000};
    std::chrono::milliseconds write{30000};
    std::size_t max_sessions = 1024;
    std::size_t max_per_address = 64;
  };
  using Serve = std::function<CrlReply(const std::string& file)>;

  CrlListener(boost::asio::io_context& io, Limits limits, Serve serve);
  ~CrlListener();
  CrlListener(const CrlListener&) = delete;
  CrlListener& operator=(const CrlListener&) = delete;

  // Binds address:port and starts accepting; Unavailable naming the address on failure.
  [[nodiscard]] Status Listen(const std::string& address, int port);
  // Stops accepting; sessions still open end at their deadline without calling `serve`.
  void Stop();

  struct Shared;
  struct Session;

 private:
  struct AcceptorBox;
  // Accepts the next connection. Its handlers hold the box and the shared state, never
  // the listener: an accept that completed just before Stop() closed the acceptor runs
  // after the listener may be gone.
  static void Accept(boost::asio::io_context& io, std::shared_ptr<AcceptorBox> box, std::shared_ptr<Shared> shared);

  boost::asio::io_context& io_;
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<AcceptorBox> acceptor_;
};

}  // namespace notesd
