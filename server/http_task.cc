#include "server/http_task.h"

#include <httplib.h>
#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <thread>

#include "ca_task/certifier_document.h"
#include "ca_task/crl_publication.h"
#include "ca_task/icl_database.h"
#include "core/crypto.h"
#include "core/id_file.h"
#include "directory/directory.h"
#include "server/http_api.h"
#include "server/http_thread_pool.h"
#include "server/server_config.h"

namespace notesd {

namespace {

constexpr ConfigKey kHttpPort{"HTTP_Port", ConfigType::kInt, "8443", 1, 65535,
                              "TCP port of the HTTPS client API (mutual TLS)", "HTTP", true};
constexpr ConfigKey kHttpAddress{"HTTP_Address", ConfigType::kText, "0.0.0.0", 0, 0,
                                 "Address the HTTPS client API listens on (`127.0.0.1` for loopback only)", "HTTP", true};
constexpr ConfigKey kHttpMaxRequestKb{"HTTP_MaxRequestKB", ConfigType::kInt, "1024", 1, 1048576,
                                      "Largest request body accepted, in KB; larger requests get 413", "HTTP", true};
constexpr ConfigKey kHttpTimeout{"HTTP_TimeoutSeconds", ConfigType::kInt, "30", 1, 3600,
                                 "Seconds a client may take to send a request or read a reply", "HTTP", true};
constexpr ConfigKey kHttpThreads{"HTTP_Threads", ConfigType::kInt, "8", 1, 256,
                                 "Threads kept ready to serve HTTPS connections (more are started on demand, up to "
                                 "HTTP_MaxSessions)",
                                 "HTTP", true};
constexpr ConfigKey kHttpMaxSessions{
    "HTTP_MaxSessions", ConfigType::kInt, "1024", 1, 10000,
    "HTTPS connections served at once, one thread each; more wait for a free thread (so do idle ones: each is "
    "closed after HTTP_TimeoutSeconds)",
    "HTTP", true};
constexpr ConfigKey kKeyFileName{"KeyFileName", ConfigType::kText, "server.id", 0, 0,
                                 "The server's ID file, relative to the data directory", "Server", true};
const std::array<ConfigKey, 7> kHttpKeys = {kHttpPort,    kHttpAddress,     kHttpMaxRequestKb, kHttpTimeout,
                                            kHttpThreads, kHttpMaxSessions, kKeyFileName};

// Makes the TLS context: server.id's certificate and key, client certificates required
// and verified against the roots server.id trusts, TLS 1.2 or newer.
bool SetUpTls(SSL_CTX& ctx, const IdFile& server_id) {
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate(&ctx, server_id.notes_certificate()) != 1) return false;
  if (SSL_CTX_use_PrivateKey(&ctx, server_id.notes_key()) != 1) return false;
  for (X509* intermediate : server_id.Intermediates()) SSL_CTX_add1_chain_cert(&ctx, intermediate);
  X509_STORE* store = X509_STORE_new();
  for (X509* root : server_id.TrustAnchors()) X509_STORE_add_cert(store, root);
  SSL_CTX_set_cert_store(&ctx, store);  // the context owns the store
  SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return true;
}

class HttpTask final : public Task {
 public:
  explicit HttpTask(TaskContext& context) : context_(context) {}
  ~HttpTask() override { Stop(); }

  Status Start(const std::vector<std::string>&) override {
    NotesIni ini = context_.Config();
    NOTESD_RETURN_IF_ERROR(LoadServerId(ini));
    NOTESD_ASSIGN_OR_RETURN(directory_, OpenSharedDirectory(context_.DataDir()));
    auto server_name = HierName::Parse(ConfigText(ini, server_keys::kServerName));
    if (!server_name.ok()) return Status::InvalidArgument("ServerName in notes.ini: " + server_name.status().message());

    server_ = std::make_unique<httplib::SSLServer>([this](SSL_CTX& ctx) { return SetUpTls(ctx, server_id_); });
    if (!server_->is_valid()) return Status::Internal("cannot set up TLS with the server ID's certificate");
    ConfigureLimits(ini);
    api_ = std::make_unique<HttpApi>(context_, *directory_, *server_name);
    api_->Install(*server_);

    address_ = ConfigText(ini, kHttpAddress);
    port_ = static_cast<int>(ConfigInt(ini, kHttpPort));
    if (!server_->bind_to_port(address_.c_str(), port_))
      return Status::Unavailable("cannot listen on " + address_ + ":" + std::to_string(port_) + " (in use or not allowed)");
    listener_ = std::thread([this] { server_->listen_after_bind(); });
    context_.Log().Log("HTTP Server", "Listening for the client API on https://" + address_ + ":" + std::to_string(port_));
    return StartCrlListener(ini);
  }

  void Stop() override {
    if (crl_server_) crl_server_->stop();
    if (crl_listener_.joinable()) crl_listener_.join();
    crl_server_.reset();
    if (server_) server_->stop();
    if (listener_.joinable()) listener_.join();
    server_.reset();
    api_.reset();
    directory_.reset();
  }

  Result<std::string> Tell(std::string_view command) override {
    if (EqualsIgnoreCase(TrimSpaces(command), "SHOW STAT") || EqualsIgnoreCase(TrimSpaces(command), "STAT"))
      return "Requests: " + std::to_string(context_.Stats().Counter("HTTP.Requests").load()) +
             "; refused: " + std::to_string(context_.Stats().Counter("HTTP.Refused").load());
    return Status::InvalidArgument("Unknown command for HTTP: '" + std::string(command) + "' (try TELL HTTP STAT or QUIT)");
  }

  std::vector<TaskStatusRow> StatusRows() const override {
    std::vector<TaskStatusRow> rows = {
        {"HTTP Server", "Listening for connect requests on TCP Port:" + std::to_string(port_) + " (HTTPS client API)"}};
    if (crl_port_ > 0)
      rows.push_back({"HTTP Server", "Listening for connect requests on TCP Port:" + std::to_string(crl_port_) + " (CRLs, plain HTTP)"});
    return rows;
  }

 private:
  // The plain-HTTP CRL listener (HTTP_CRLPort > 0): GET /crl/<file> only, no TLS, no
  // authentication (RFC 5280 distribution points must be fetchable by anyone).
  Status StartCrlListener(const NotesIni& ini) {
    crl_port_ = static_cast<int>(ConfigInt(ini, kHttpCrlPort));
    if (crl_port_ <= 0) return Status::Ok();
    crl_server_ = std::make_unique<httplib::Server>();
    crl_server_->set_read_timeout(static_cast<time_t>(ConfigInt(ini, kHttpTimeout)), 0);
    crl_server_->set_write_timeout(static_cast<time_t>(ConfigInt(ini, kHttpTimeout)), 0);
    crl_server_->set_payload_max_length(4096);
    crl_server_->new_task_queue = [] { return new ElasticThreadPool(2, 64); };
    crl_server_->Get(R"(/crl/([A-Za-z0-9._-]+))", [this](const httplib::Request& request, httplib::Response& response) {
      ServeCrl(request.matches[1], response);
    });
    crl_server_->set_error_handler([](const httplib::Request&, httplib::Response& response) {
      if (response.body.empty()) response.set_content(response.status == 404 ? "no such CRL\n" : "request refused\n", "text/plain");
    });
    if (!crl_server_->bind_to_port(address_.c_str(), crl_port_)) {
      Status failed = Status::Unavailable("cannot listen for CRLs on " + address_ + ":" + std::to_string(crl_port_) +
                                          " (HTTP_CRLPort in use or not allowed)");
      Stop();
      return failed;
    }
    crl_listener_ = std::thread([this] { crl_server_->listen_after_bind(); });
    context_.Log().Log("HTTP Server", "Serving CRLs on http://" + address_ + ":" + std::to_string(crl_port_) + "/crl/");
    return Status::Ok();
  }

  // The newest CRL of the Internet certifier whose CrlFileName is `file`; 404 otherwise.
  void ServeCrl(const std::string& file, httplib::Response& response) {
    context_.Stats().Counter("HTTP.CRLRequests")++;
    auto not_found = [&response](const std::string& why) {
      response.status = 404;
      response.set_content(why + "\n", "text/plain");
    };
    auto certifiers = ListInternetCertifiers(*directory_);
    if (!certifiers.ok()) {
      context_.Log().Log("HTTP Server", "CRL request for " + file + ": " + certifiers.status().message());
      response.status = 500;
      response.set_content("internal error\n", "text/plain");
      return;
    }
    for (const InternetCertifierDocument& doc : *certifiers) {
      if (CrlFileName(doc.base.name.CommonName()) != file) continue;
      auto icl = IclDatabase::OpenShared(context_.DataDir() / doc.base.icl_file, false);
      auto crl = icl.ok() ? (*icl)->LatestCrl() : Result<std::optional<CrlRecord>>(icl.status());
      if (!crl.ok()) {
        context_.Log().Log("HTTP Server", "CRL request for " + file + ": " + crl.status().message());
        return not_found("no CRL " + file);
      }
      if (!*crl) return not_found("certifier " + doc.base.name.Abbreviated() + " has issued no CRL yet");
      response.status = 200;
      response.set_content((*crl)->der, "application/pkix-crl");
      return;
    }
    not_found("no CRL " + file);
  }

  Status LoadServerId(const NotesIni& ini) {
    std::filesystem::path id_path = context_.DataDir() / ConfigText(ini, kKeyFileName);
    auto loaded = IdFile::Load(id_path, "");
    if (!loaded.ok()) return loaded.status().WithContext("cannot load the server ID " + id_path.string());
    server_id_ = std::move(loaded).value();
    return Status::Ok();
  }

  void ConfigureLimits(const NotesIni& ini) {
    int64_t timeout = ConfigInt(ini, kHttpTimeout);
    size_t threads = static_cast<size_t>(ConfigInt(ini, kHttpThreads));
    size_t max_sessions = static_cast<size_t>(ConfigInt(ini, kHttpMaxSessions));
    server_->set_payload_max_length(static_cast<size_t>(ConfigInt(ini, kHttpMaxRequestKb)) * 1024);
    server_->set_read_timeout(timeout, 0);
    server_->set_write_timeout(timeout, 0);
    server_->set_keep_alive_timeout(5);
    // One thread per connection, started on demand (server/http_thread_pool.h says why).
    server_->new_task_queue = [threads, max_sessions] { return new ElasticThreadPool(threads, max_sessions); };
  }

  TaskContext& context_;
  IdFile server_id_;
  std::shared_ptr<Directory> directory_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::unique_ptr<HttpApi> api_;
  std::thread listener_;
  std::string address_;
  int port_ = 0;
  std::unique_ptr<httplib::Server> crl_server_;
  std::thread crl_listener_;
  int crl_port_ = 0;
};

}  // namespace

std::span<const ConfigKey> HttpConfigKeys() { return kHttpKeys; }

TaskSpec HttpTaskSpec() {
  return {"HTTP", "HTTP Server", {"nhttp"}, kHttpKeys, [](TaskContext& context) { return std::make_unique<HttpTask>(context); }};
}

}  // namespace notesd
