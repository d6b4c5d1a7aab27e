#include "server/http_task.h"

#include <httplib.h>
#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <thread>

#include "core/crypto.h"
#include "core/id_file.h"
#include "directory/directory.h"
#include "server/http_api.h"
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
                                 "Threads serving HTTPS requests", "HTTP", true};
constexpr ConfigKey kKeyFileName{"KeyFileName", ConfigType::kText, "server.id", 0, 0,
                                 "The server's ID file, relative to the data directory", "Server", true};
const std::array<ConfigKey, 6> kHttpKeys = {kHttpPort, kHttpAddress, kHttpMaxRequestKb, kHttpTimeout, kHttpThreads, kKeyFileName};

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
    return Status::Ok();
  }

  void Stop() override {
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
    return {{"HTTP Server", "Listening for connect requests on TCP Port:" + std::to_string(port_) + " (HTTPS client API)"}};
  }

 private:
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
    server_->set_payload_max_length(static_cast<size_t>(ConfigInt(ini, kHttpMaxRequestKb)) * 1024);
    server_->set_read_timeout(timeout, 0);
    server_->set_write_timeout(timeout, 0);
    server_->set_keep_alive_timeout(5);
    server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  }

  TaskContext& context_;
  IdFile server_id_;
  std::shared_ptr<Directory> directory_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::unique_ptr<HttpApi> api_;
  std::thread listener_;
  std::string address_;
  int port_ = 0;
};

}  // namespace

std::span<const ConfigKey> HttpConfigKeys() { return kHttpKeys; }

TaskSpec HttpTaskSpec() {
  return {"HTTP", "HTTP Server", {"nhttp"}, kHttpKeys, [](TaskContext& context) { return std::make_unique<HttpTask>(context); }};
}

}  // namespace notesd
