// client_cli/home_server_client.h — the one place `notes` talks to a server: HTTPS with
// mutual TLS, the server identified by its Notes name rather than a DNS name.
//
// The client proves itself with its ID's Notes certificate and key. It accepts the
// server only if the server's certificate chains (at the handshake time, TLS 1.2 or
// later) to one of the ID's trust anchors (IdFile::TrustAnchors) and its subject, read as
// a Notes name, is the expected server (the client notes.ini HomeServer). Without an
// expected name (`notes setup`) any chain-valid server is accepted and its name is
// learned from the certificate (server_name()). httplib's DNS host name check is off:
// our servers are named by the organisation's certifier, not by DNS.
//
// Errors: transport failures are Unavailable with a message naming the server and the
// reason ("cannot reach Acme01/Acme at 127.0.0.1:8585: connection refused", "server name
// mismatch: expected Acme01/Acme, got Evil/Other", "the server's certificate is not from
// your organisation's certifier"). An HTTP answer other than the expected status becomes
// the server's {"error": "..."} message with a code from the HTTP status (403
// PermissionDenied, 404 NotFound, 409 AlreadyExists, 400 InvalidArgument, else Internal).
//
// Thread safety: one HomeServerClient per thread. Timeouts: connect 10 s, read 60 s.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pki/hier_name.h"
#include "pki/id_file.h"
#include "base/status.h"

namespace httplib {
class SSLClient;
class Result;
}  // namespace httplib

namespace notesd::client {

struct ServerAddress {
  std::string host;
  int port = 0;
  std::string ToString() const;  // "host:port", "[::1]:port"
};

// Parses "host:port" or "[v6-address]:port" (port 1..65535). InvalidArgument otherwise.
Result<ServerAddress> ParseServerAddress(std::string_view text);

// Percent-encodes everything but RFC 3986 unreserved characters (for a query value).
std::string UrlEncode(std::string_view text);

// The Status for an HTTP answer that was not the expected one: the body's "error" text
// (or "HTTP <status>" when the body has none) with a code from the status.
Status StatusFromHttpError(int http_status, const std::string& body);

struct HomeServerOptions {
  ServerAddress address;
  // The server's Notes name; nullopt accepts any server certified by a trusted root.
  std::optional<HierName> expected_server;
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds read_timeout{60};
};

class HomeServerClient {
 public:
  // Prepares a client for `id` (its certificate, key, intermediates and trust anchors
  // are copied by reference count; `id` may go away afterwards). No network I/O yet.
  // InvalidArgument if the ID has no trust anchor; Internal on OpenSSL failure.
  static Result<std::unique_ptr<HomeServerClient>> Create(const IdFile& id, HomeServerOptions options);
  ~HomeServerClient();
  HomeServerClient(const HomeServerClient&) = delete;
  HomeServerClient& operator=(const HomeServerClient&) = delete;

  // GET `target` (path and query, already encoded). Returns the JSON body when the
  // status is `expected_status`; errors as at the top of this file.
  Result<nlohmann::json> Get(const std::string& target, int expected_status = 200);
  // POST a JSON body to `path`.
  Result<nlohmann::json> Post(const std::string& path, const nlohmann::json& body, int expected_status = 200);
  // PUT a JSON body to `path`.
  Result<nlohmann::json> Put(const std::string& path, const nlohmann::json& body, int expected_status = 200);

  // The server's name from its certificate, verified at the last handshake; the empty
  // name before any successful handshake.
  HierName server_name() const;
  // How messages name the server: its expected (or learned) abbreviated name, else
  // "the server".
  std::string ServerLabel() const;
  const HomeServerOptions& options() const { return options_; }

  // The per-connection check the TLS verify callback fills in (public only so the .cc's
  // C callback can name it).
  struct PeerCheck {
    std::optional<HierName> expected;
    std::optional<HierName> seen;
    std::string failure;  // why the callback refused the server; "" if it did not
  };

 private:
  HomeServerClient(HomeServerOptions options, std::unique_ptr<PeerCheck> check,
                   std::unique_ptr<httplib::SSLClient> http);
  Result<nlohmann::json> Finish(httplib::Result& result, int expected_status);
  Status TransportFailure(int error) const;

  HomeServerOptions options_;
  std::unique_ptr<PeerCheck> check_;  // must outlive http_ (its SSL_CTX points here)
  std::unique_ptr<httplib::SSLClient> http_;
};

}  // namespace notesd::client
