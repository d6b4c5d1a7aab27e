// tests/unit/client_tls_test.cc — the home server client's mutual TLS against a tiny
// in-test httplib::SSLServer on 127.0.0.1 (a port chosen at run time): the server is
// accepted only with a certificate from the ID's root AND the expected Notes name; the
// server sees the client's Notes certificate; HTTP errors and refused connections come
// back as clear Statuses.
#include <catch2/catch.hpp>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ctime>
#include <memory>
#include <string>
#include <thread>

#include "client_cli/home_server_client.h"
#include "pki/id_file.h"
#include "pki/x509_certs.h"
#include "tests/unit/unit_test_support.h"

namespace notesd::client {
namespace {

constexpr std::time_t kDay = 24 * 60 * 60;

using testing::Must;
using testing::Name;

IdFile Make(const std::string& name, IdKind kind, const IdFile* certifier) {
  std::time_t now = std::time(nullptr);
  return Must(CreateIdentity(Name(name), kind, KeySpec::EcdsaP256(), certifier, now - kDay, now + 30 * kDay));
}

// Two organisations, made once (key generation is the slow part).
struct Orgs {
  IdFile acme = Make("O=Acme", IdKind::kCertifier, nullptr);
  IdFile other = Make("O=Other", IdKind::kCertifier, nullptr);
  IdFile acme01 = Make("CN=Acme01/O=Acme", IdKind::kServer, &acme);
  IdFile acme02 = Make("CN=Acme02/O=Acme", IdKind::kServer, &acme);
  IdFile impostor = Make("CN=Acme01/O=Other", IdKind::kServer, &other);
  IdFile jane = Make("CN=Jane Doe/O=Acme", IdKind::kPerson, &acme);
  IdFile mallory = Make("CN=Mallory/O=Other", IdKind::kPerson, &other);
};

const Orgs& TheOrgs() {
  static const Orgs orgs;
  return orgs;
}

// An HTTPS server with `server_id`'s certificate that requires a client certificate
// from `client_root`. GET /api/v1/whoami answers the client certificate's Notes name;
// /api/v1/forbidden answers 403 with an error; /api/v1/created answers 201.
class TestServer {
 public:
  TestServer(const IdFile& server_id, const IdFile& client_root) {
    X509_STORE* store = X509_STORE_new();
    X509_STORE_add_cert(store, client_root.notes_certificate());
    server_ = std::make_unique<httplib::SSLServer>(server_id.notes_certificate(), server_id.notes_key(), store);
    REQUIRE(server_->is_valid());
    server_->Get("/api/v1/whoami", [](const httplib::Request& request, httplib::Response& response) {
      X509Ptr peer(SSL_get1_peer_certificate(request.ssl));
      std::string name = "?";
      if (peer)
        if (auto parsed = HierName::FromX509Name(X509_get_subject_name(peer.get())); parsed.ok())
          name = parsed->Canonical();
      nlohmann::json body = {{"name", name}};
      response.set_content(body.dump(), "application/json");
    });
    server_->Get("/api/v1/forbidden", [](const httplib::Request&, httplib::Response& response) {
      response.status = 403;
      response.set_content(R"({"error":"Jane Doe/Acme is not an administrator of Acme01/Acme"})", "application/json");
    });
    server_->Post("/api/v1/created", [](const httplib::Request& request, httplib::Response& response) {
      response.status = 201;
      response.set_content(request.body, "application/json");
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
  }
  ~TestServer() {
    server_->stop();
    thread_.join();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const { return port_; }

 private:
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = 0;
};

std::unique_ptr<HomeServerClient> ClientFor(const IdFile& id, int port, std::optional<std::string> expected) {
  HomeServerOptions options;
  options.address = {"127.0.0.1", port};
  if (expected) options.expected_server = Name(*expected);
  options.connect_timeout = std::chrono::seconds(5);
  options.read_timeout = std::chrono::seconds(10);
  return Must(HomeServerClient::Create(id, options));
}

TEST_CASE("mutual TLS: the right server name passes and the server sees our Notes name", "[client]") {
  const Orgs& orgs = TheOrgs();
  TestServer server(orgs.acme01, orgs.acme);
  auto client = ClientFor(orgs.jane, server.port(), "CN=Acme01/O=Acme");
  nlohmann::json reply = Must(client->Get("/api/v1/whoami"));
  CHECK(reply["name"] == "CN=Jane Doe/O=Acme");
  CHECK(client->server_name().Canonical() == "CN=Acme01/O=Acme");

  nlohmann::json echoed = Must(client->Post("/api/v1/created", {{"x", 1}}, 201));
  CHECK(echoed["x"] == 1);
}

TEST_CASE("mutual TLS: without an expected name (setup) the server's name is learned", "[client]") {
  const Orgs& orgs = TheOrgs();
  TestServer server(orgs.acme02, orgs.acme);
  auto client = ClientFor(orgs.jane, server.port(), std::nullopt);
  CHECK(client->server_name().empty());
  REQUIRE(client->Get("/api/v1/whoami").ok());
  CHECK(client->server_name().Abbreviated() == "Acme02/Acme");
}

TEST_CASE("mutual TLS: a server with another name is refused with the mismatch", "[client]") {
  const Orgs& orgs = TheOrgs();
  TestServer server(orgs.acme02, orgs.acme);
  auto client = ClientFor(orgs.jane, server.port(), "CN=Acme01/O=Acme");
  Result<nlohmann::json> reply = client->Get("/api/v1/whoami");
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.status().code() == StatusCode::kUnavailable);
  CHECK_THAT(reply.status().message(), Catch::Contains("server name mismatch: expected Acme01/Acme, got Acme02/Acme"));
  CHECK(client->server_name().empty());
}

TEST_CASE("mutual TLS: a server certified by another root is refused, even with the right name", "[client]") {
  const Orgs& orgs = TheOrgs();
  TestServer server(orgs.impostor, orgs.acme);
  for (std::optional<std::string> expected :
       {std::optional<std::string>("CN=Acme01/O=Acme"), std::optional<std::string>()}) {
    auto client = ClientFor(orgs.jane, server.port(), expected);
    Result<nlohmann::json> reply = client->Get("/api/v1/whoami");
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.status().code() == StatusCode::kUnavailable);
    CHECK_THAT(reply.status().message(),
               Catch::Contains("the server's certificate is not from your organisation's certifier"));
  }
}

TEST_CASE("mutual TLS: a client the server does not trust cannot get an answer", "[client]") {
  const Orgs& orgs = TheOrgs();
  TestServer server(orgs.acme01, orgs.acme);
  // Mallory trusts O=Other only, so she cannot even accept Acme01; give her an ID that
  // trusts Acme's root too, so the failure is the server refusing her certificate.
  IdFile mallory = orgs.mallory;
  mallory.AddTrustedCertificate(UpRef(orgs.acme.notes_certificate()));
  auto client = ClientFor(mallory, server.port(), "CN=Acme01/O=Acme");
  Result<nlohmann::json> reply = client->Get("/api/v1/whoami");
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.status().code() == StatusCode::kUnavailable);
  CHECK_THAT(reply.status().message(), Catch::Contains("cannot reach Acme01/Acme at 127.0.0.1:"));
}

TEST_CASE("home server client: HTTP errors carry the server's message", "[client]") {
  const Orgs& orgs = TheOrgs();
  TestServer server(orgs.acme01, orgs.acme);
  auto client = ClientFor(orgs.jane, server.port(), "CN=Acme01/O=Acme");
  Result<nlohmann::json> forbidden = client->Get("/api/v1/forbidden");
  REQUIRE_FALSE(forbidden.ok());
  CHECK(forbidden.status().code() == StatusCode::kPermissionDenied);
  CHECK(forbidden.status().message() == "Jane Doe/Acme is not an administrator of Acme01/Acme");
  // A 200 where 201 was expected is not success either.
  CHECK_FALSE(client->Get("/api/v1/whoami", 201).ok());
}

// A loopback port with nothing listening on it.
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

TEST_CASE("home server client: a closed port is 'connection refused', naming the server", "[client]") {
  int port = ClosedPort();
  auto client = ClientFor(TheOrgs().jane, port, "CN=Acme01/O=Acme");
  Result<nlohmann::json> reply = client->Get("/api/v1/whoami");
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.status().code() == StatusCode::kUnavailable);
  CHECK(reply.status().message() ==
        "cannot reach Acme01/Acme at 127.0.0.1:" + std::to_string(port) + ": connection refused");
}

TEST_CASE("home server client: an ID without a trusted root cannot check any server", "[client]") {
  IdFile bare = TheOrgs().jane;
  IdFile copy;
  copy.set_name(bare.name());
  copy.set_notes_key(UpRef(bare.notes_key()));
  copy.set_notes_certificate(UpRef(bare.notes_certificate()));
  HomeServerOptions options;
  options.address = {"127.0.0.1", 1};
  Result<std::unique_ptr<HomeServerClient>> client = HomeServerClient::Create(copy, options);
  REQUIRE_FALSE(client.ok());
  CHECK_THAT(client.status().message(), Catch::Contains("no trusted root"));
}

}  // namespace
}  // namespace notesd::client
