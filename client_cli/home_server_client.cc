// client_cli/home_server_client.cc — HTTPS with mutual TLS to the home server, the
// server checked by its Notes name in our own OpenSSL verify callback.
#include "client_cli/home_server_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "pki/openssl_handles.h"
#include "pki/tls_context.h"
#include "pki/x509_certs.h"
#include "base/ascii.h"
#include "base/display_text.h"
#include "base/json_body.h"

namespace notesd::client {

namespace {

using PeerCheck = HomeServerClient::PeerCheck;

// The SSL_CTX ex_data slot that points at the client's PeerCheck.
int PeerCheckIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

bool IsTrustFailure(int error) {
  switch (error) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE: return true;
    default: return false;
  }
}

std::string ChainFailureText(int error) {
  if (IsTrustFailure(error)) return "the server's certificate is not from your organisation's certifier";
  return std::string("the server's certificate was refused: ") + X509_verify_cert_error_string(error);
}

// Runs for each certificate of the server's chain. OpenSSL has already checked the
// chain (preverify_ok); at the leaf we add the Notes name check that replaces the DNS
// host name check.
int VerifyServer(int preverify_ok, X509_STORE_CTX* store_ctx) {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl == nullptr) return 0;
  auto* check = static_cast<PeerCheck*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), PeerCheckIndex()));
  if (check == nullptr) return 0;
  if (!preverify_ok) {
    if (check->failure.empty()) check->failure = ChainFailureText(X509_STORE_CTX_get_error(store_ctx));
    return 0;
  }
  if (X509_STORE_CTX_get_error_depth(store_ctx) != 0) return 1;
  X509* leaf = X509_STORE_CTX_get_current_cert(store_ctx);
  Result<HierName> name = HierName::FromX509Name(X509_get_subject_name(leaf));
  if (!name.ok()) {
    check->failure =
        "the server's certificate does not carry a Notes name (" + NameText(X509_get_subject_name(leaf)) + ")";
    return 0;
  }
  if (check->expected && !(*check->expected == *name)) {
    check->failure =
        "server name mismatch: expected " + check->expected->Abbreviated() + ", got " + name->Abbreviated();
    return 0;
  }
  check->seen = std::move(name).value();
  return 1;
}

std::string LowerFirst(std::string text) {
  if (!text.empty()) text[0] = AsciiToLower(text[0]);
  return text;
}

// httplib reports only "connection failed"; a second, plain connect attempt tells the
// user why (refused, unreachable, timed out, unknown host).
std::string ConnectFailureReason(const ServerAddress& address, std::chrono::seconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  std::string port = std::to_string(address.port);
  int rc = ::getaddrinfo(address.host.c_str(), port.c_str(), &hints, &list);
  if (rc != 0) return "cannot resolve the host name (" + LowerFirst(::gai_strerror(rc)) + ")";
  std::string reason = "connection failed";
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int error = 0;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      error = errno;
      if (error == EINPROGRESS) {
        pollfd waiter{fd, POLLOUT, 0};
        int ready = ::poll(&waiter, 1, static_cast<int>(timeout.count() * 1000));
        socklen_t length = sizeof(error);
        if (ready == 0) {
          error = ETIMEDOUT;
        } else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
          error = errno;
        }
      }
    }
    ::close(fd);
    if (error != 0) reason = LowerFirst(std::strerror(error));
  }
  ::freeaddrinfo(list);
  return reason;
}

// The most recent OpenSSL reason on this thread ("tlsv1 alert unknown ca"), or "".
std::string LastTlsReason() {
  unsigned long code = 0;
  unsigned long last = 0;
  while ((code = ERR_get_error()) != 0) last = code;
  if (last == 0) return "";
  const char* reason = ERR_reason_error_string(last);
  return reason ? reason : "";
}

StatusCode CodeForHttpStatus(int http_status) {
  switch (http_status) {
    case 400: return StatusCode::kInvalidArgument;
    case 401:
    case 403: return StatusCode::kPermissionDenied;
    case 404: return StatusCode::kNotFound;
    case 409: return StatusCode::kAlreadyExists;
    default: return StatusCode::kInternal;
  }
}

}  // namespace

std::string ServerAddress::ToString() const {
  std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return shown + ":" + std::to_string(port);
}

Result<ServerAddress> ParseServerAddress(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("server address '" + std::string(text) + "': " + why + " (expected HOST:PORT)");
  };
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("no port");
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad("an IPv6 address must be in brackets");
  }
  if (host.empty()) return bad("no host");
  int port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port < 1 || port > 65535)
    return bad("the port must be a number from 1 to 65535");
  return ServerAddress{std::string(host), port};
}

std::string UrlEncode(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

Status StatusFromHttpError(int http_status, const std::string& body) {
  std::string message = "HTTP " + std::to_string(http_status);
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object()) {
    auto it = parsed.find("error");
    if (it != parsed.end() && it->is_string() && !it->get<std::string>().empty()) message = it->get<std::string>();
  }
  return Status(CodeForHttpStatus(http_status), message);
}

// ---- HomeServerClient ---------------------------------------------------------------

Result<std::unique_ptr<HomeServerClient>> HomeServerClient::Create(const IdFile& id, HomeServerOptions options) {
  std::vector<X509*> anchors = id.TrustAnchors();
  if (anchors.empty())
    return Status::InvalidArgument("the ID of " + id.name().Abbreviated() +
                                   " holds no trusted root certificate to check the server with");
  auto http = std::make_unique<httplib::SSLClient>(options.address.host, options.address.port, id.notes_certificate(),
                                                   id.notes_key());
  if (!http->is_valid()) return Status::Internal("cannot use the ID's certificate and key for TLS: " + OpenSslErrors());
  SSL_CTX* ctx = http->ssl_context();
  for (X509* intermediate : id.Intermediates()) SSL_CTX_add1_chain_cert(ctx, intermediate);

  X509StorePtr store(X509_STORE_new());
  if (!store) return Status::Internal("X509_STORE_new failed: " + OpenSslErrors());
  for (X509* anchor : anchors)
    if (X509_STORE_add_cert(store.get(), anchor) != 1)
      return Status::Internal("cannot add a trusted root: " + OpenSslErrors());
  SSL_CTX_set_cert_store(ctx, store.release());  // the context owns the store now
  NOTESD_RETURN_IF_ERROR(ApplyTlsPolicy(*ctx));

  auto check = std::make_unique<PeerCheck>();
  check->expected = options.expected_server;
  if (SSL_CTX_set_ex_data(ctx, PeerCheckIndex(), check.get()) != 1)
    return Status::Internal("SSL_CTX_set_ex_data failed: " + OpenSslErrors());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, VerifyServer);

  // Our callback does the checking; httplib's own would demand a DNS name match.
  http->enable_server_certificate_verification(false);
  http->set_connection_timeout(options.connect_timeout.count(), 0);
  http->set_read_timeout(options.read_timeout.count(), 0);
  http->set_write_timeout(options.read_timeout.count(), 0);
  http->set_url_encode(false);  // targets come encoded (UrlEncode)
  // One connection for all of a command's requests, each answer sent at once (no Nagle
  // wait for the next segment's ACK).
  http->set_keep_alive(true);
  http->set_tcp_nodelay(true);
  return std::unique_ptr<HomeServerClient>(new HomeServerClient(std::move(options), std::move(check), std::move(http)));
}

HomeServerClient::HomeServerClient(HomeServerOptions options, std::unique_ptr<PeerCheck> check,
                                   std::unique_ptr<httplib::SSLClient> http)
    : options_(std::move(options)), check_(std::move(check)), http_(std::move(http)) {}

HomeServerClient::~HomeServerClient() = default;

Result<nlohmann::json> HomeServerClient::Get(const std::string& target, int expected_status) {
  check_->failure.clear();
  ERR_clear_error();
  httplib::Result result = http_->Get(target);
  return Finish(result, expected_status);
}

Result<nlohmann::json> HomeServerClient::Post(const std::string& path, const nlohmann::json& body,
                                              int expected_status) {
  check_->failure.clear();
  ERR_clear_error();
  httplib::Result result = http_->Post(path, body.dump(), "application/json");
  return Finish(result, expected_status);
}

Result<nlohmann::json> HomeServerClient::Put(const std::string& path, const nlohmann::json& body, int expected_status) {
  check_->failure.clear();
  ERR_clear_error();
  httplib::Result result = http_->Put(path, body.dump(), "application/json");
  return Finish(result, expected_status);
}

Result<nlohmann::json> HomeServerClient::Finish(httplib::Result& result, int expected_status) {
  if (!result) return TransportFailure(static_cast<int>(result.error()));
  // stderr: stdout may be --json output.
  if (result->has_header(kBroadcastHeader))
    std::fprintf(stderr, "notes: broadcast from %s: %s\n", ServerLabel().c_str(),
                 EscapeForDisplay(result->get_header_value(kBroadcastHeader)).c_str());
  if (result->status != expected_status) return StatusFromHttpError(result->status, result->body);
  nlohmann::json body = nlohmann::json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded())
    return Status::Internal(ServerLabel() + " sent an answer that is not JSON (HTTP " + std::to_string(result->status) +
                            ")");
  return body;
}

Status HomeServerClient::TransportFailure(int error) const {
  std::string where = " (at " + options_.address.ToString() + ")";
  if (!check_->failure.empty()) return Status::Unavailable(check_->failure + where);
  std::string prefix = "cannot reach " + ServerLabel() + " at " + options_.address.ToString() + ": ";
  switch (static_cast<httplib::Error>(error)) {
    case httplib::Error::Connection:
      return Status::Unavailable(prefix + ConnectFailureReason(options_.address, options_.connect_timeout));
    case httplib::Error::ConnectionTimeout: return Status::Unavailable(prefix + "connection timed out");
    case httplib::Error::SSLConnection: {
      std::string reason = LastTlsReason();
      return Status::Unavailable(prefix + "the TLS handshake failed" + (reason.empty() ? "" : " (" + reason + ")"));
    }
    case httplib::Error::Read:
      return Status::Unavailable(prefix +
                                 "no answer (the connection closed or timed out; the server may have refused "
                                 "your ID's certificate)");
    case httplib::Error::Write: return Status::Unavailable(prefix + "sending the request failed");
    default: return Status::Unavailable(prefix + httplib::to_string(static_cast<httplib::Error>(error)));
  }
}

HierName HomeServerClient::server_name() const { return check_->seen.value_or(HierName()); }

std::string HomeServerClient::ServerLabel() const {
  if (options_.expected_server) return options_.expected_server->Abbreviated();
  if (check_->seen) return check_->seen->Abbreviated();
  return "the server";
}

}  // namespace notesd::client
