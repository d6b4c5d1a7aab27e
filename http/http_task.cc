#include "http/http_task.h"

#include <httplib.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <thread>

#include "ca_task/certifier_document.h"
#include "ca_task/crl_publication.h"
#include "ca_task/icl_database.h"
#include "pki/crypto.h"
#include "pki/id_file.h"
#include "pki/tls_context.h"
#include "adminp/admin_requests.h"
#include "directory/directory.h"
#include "directory/internet_password.h"
#include "ca_task/ca_service.h"
#include "router/mail_service.h"
#include "router/mail_store.h"
#include "http/http_api.h"
#include "http/http_connection_guard.h"
#include "http/http_crl_listener.h"
#include "http/http_thread_pool.h"
#include "base/command_grammar.h"
#include "base/identity_keys.h"
#include "base/ascii.h"

namespace notesd {

namespace {

constexpr ConfigKey kHttpPort{"HTTP_Port", ConfigType::kInt,
                              "8443",      1,
                              65535,       "TCP port of the HTTPS client API (mutual TLS)",
                              "HTTP",      true};
constexpr ConfigKey kHttpMaxRequestKb{"HTTP_MaxRequestKB",
                                      ConfigType::kInt,
                                      "1024",
                                      1,
                                      1048576,
                                      "Largest request body accepted, in KB; larger requests get 413",
                                      "HTTP",
                                      true};
constexpr ConfigKey kHttpTimeout{"HTTP_TimeoutSeconds",
                                 ConfigType::kInt,
                                 "30",
                                 1,
                                 3600,
                                 "Seconds a client may take to send a request or read a reply",
                                 "HTTP",
                                 true};
constexpr ConfigKey kHttpThreads{"HTTP_Threads",
                                 ConfigType::kInt,
                                 "8",
                                 1,
                                 256,
                                 "Threads kept ready to serve HTTPS connections (more are started on demand, up to "
                                 "HTTP_MaxSessions)",
                                 "HTTP",
                                 true};
constexpr ConfigKey kHttpMaxSessions{
    "HTTP_MaxSessions",
    ConfigType::kInt,
    "1024",
    1,
    10000,
    "HTTPS connections served at once, one thread each; more wait for a free thread (idle keep-alive ones are "
    "closed after 5 s, or after 1 s while more than HTTP_Threads are open)",
    "HTTP",
    true};
constexpr ConfigKey kHttpHandshakeTimeout{
    "HTTP_HandshakeTimeoutSeconds",
    ConfigType::kInt,
    "10",
    1,
    3600,
    "Seconds a client has for its whole TLS handshake (then the connection is closed)",
    "HTTP",
    true};
constexpr ConfigKey kHttpRequestHeadTimeout{
    "HTTP_RequestHeadTimeoutSeconds",
    ConfigType::kInt,
    "10",
    1,
    3600,
    "Seconds a client has to send a whole request line and headers, on the HTTPS and the CRL port (then the "
    "connection is closed)",
    "HTTP",
    true};
constexpr ConfigKey kHttpMaxSessionsPerIp{"HTTP_MaxSessionsPerIP",
                                          ConfigType::kInt,
                                          "64",
                                          1,
                                          10000,
                                          "HTTPS connections at once from one client address; more are closed before "
                                          "their TLS handshake",
                                          "HTTP",
                                          true};
const std::array<ConfigKey, 10> kHttpKeys = {kHttpPort,
                                             kHttpAddress,
                                             kHttpMaxRequestKb,
                                             kHttpTimeout,
                                             kHttpThreads,
                                             kHttpMaxSessions,
                                             kHttpHandshakeTimeout,
                                             kHttpRequestHeadTimeout,
                                             kHttpMaxSessionsPerIp,
                                             identity_keys::kKeyFileName};

// TELL HTTP commands (base/command_grammar.h): STAT and SHOW STAT are one.
constexpr int kHttpStatistics = 1;
const CommandGrammar& HttpGrammar() {
  static const std::vector<CommandForm> forms = WithTaskQuitForms({
      {{"STATISTICS"}, kHttpStatistics, CommandArgument::kNone, "Requests, refusals and connections"},
      {{"SHOW", "STATISTICS"}, kHttpStatistics, CommandArgument::kNone, "Requests, refusals and connections"},
  });
  static const CommandGrammar grammar{forms, "HTTP", "(try TELL HTTP STAT or QUIT)"};
  return grammar;
}

// Requests one keep-alive connection may carry (cpp-httplib's default is 5), and how long
// it may wait idle for the next one.
constexpr std::size_t kKeepAliveMaxRequests = 1000;
constexpr time_t kKeepAliveSeconds = 5;
// ...or, while more than HTTP_Threads connections are open, this long.
constexpr std::chrono::milliseconds kBusyIdle{1000};
// cpp-httplib listens with a backlog of 5: a burst of connections beyond that is dropped
// by the kernel and retried by the clients a second later.
constexpr int kListenBacklog = 4096;

// Raises the backlog of the listening socket cpp-httplib made; `socket_options` runs on
// that socket before it is bound, and listen(2) again on a listening socket only
// changes its backlog.
class ListenBacklog {
 public:
  void Capture(httplib::Server& server) {
    server.set_socket_options([this](socket_t sock) {
      httplib::default_socket_options(sock);
      if (fd_ < 0) fd_ = sock;
    });
  }
  void Raise() const {
    if (fd_ >= 0) ::listen(fd_, kListenBacklog);
  }

 private:
  int fd_ = -1;
};

class HttpTask final : public Task {
 public:
  explicit HttpTask(TaskContext& context) : context_(context) {}
  ~HttpTask() override { Stop(); }

  Status Start(const std::vector<std::string>&) override {
    NotesIni ini = context_.Config();
    NOTESD_RETURN_IF_ERROR(LoadServerId(ini));
    NOTESD_ASSIGN_OR_RETURN(directory_, OpenDirectory(context_.Databases(), context_.DataDir()));
    NOTESD_ASSIGN_OR_RETURN(requests_, OpenAdminRequests(context_.Databases(), context_.DataDir()));
    NOTESD_ASSIGN_OR_RETURN(mail_, OpenMailStore(context_.Databases(), context_.DataDir()));
    auto server_name = HierName::Parse(ConfigText(ini, identity_keys::kServerName));
    if (!server_name.ok()) return Status::InvalidArgument("ServerName in notes.ini: " + server_name.status().message());

    guard_ = std::make_unique<HttpConnectionGuard>(GuardLimits(ini));
    Status tls = Status::Ok();
    server_ = std::make_unique<httplib::SSLServer>([this, &tls](SSL_CTX& ctx) {
      tls = ConfigureServerTls(ctx, server_id_, ClientCertificates::kRequired, "notesd-https", &context_.GetClock());
      guard_->InstallOn(ctx);
      return tls.ok();
    });
    if (!server_->is_valid())
      return tls.ok() ? Status::Internal("cannot set up TLS with the server ID's certificate")
                      : tls.WithContext("cannot set up TLS for the client API");
    ConfigureLimits(ini);
    ca_ = std::make_unique<CaService>(context_.Databases(), context_.DataDir(), *directory_, *requests_, *server_name,
                                      context_.GetClock());
    mail_service_ = std::make_unique<MailService>(*mail_, context_.GetClock(), directory_.get());
    NOTESD_ASSIGN_OR_RETURN(passwords_,
                            OpenInternetPasswords(context_.Databases(), context_.DataDir(), context_.GetClock(),
                                                  context_.Log(), context_.Stats(), ini));
    api_ = std::make_unique<HttpApi>(context_, *directory_, *ca_, *mail_service_, *passwords_, *server_name);
    api_->Install(*server_);

    address_ = ConfigText(ini, kHttpAddress);
    port_ = static_cast<int>(ConfigInt(ini, kHttpPort));
    ListenBacklog backlog;
    backlog.Capture(*server_);
    if (!server_->bind_to_port(address_.c_str(), port_))
      return Status::Unavailable("cannot listen on " + address_ + ":" + std::to_string(port_) +
                                 " (in use or not allowed)");
    backlog.Raise();
    listener_ = std::thread([this] { server_->listen_after_bind(); });
    context_.Log().Log("HTTP Server",
                       "Listening for the client API on https://" + address_ + ":" + std::to_string(port_));
    return StartCrlListener(ini);
  }

  void Stop() override {
    crl_listener_.reset();
    if (server_) server_->stop();
    if (listener_.joinable()) listener_.join();
    server_.reset();
    guard_.reset();
    api_.reset();
    passwords_.reset();
    mail_service_.reset();
    ca_.reset();
    mail_.reset();
    requests_.reset();
    directory_.reset();
  }

  Result<std::string> Tell(std::string_view command) override {
    NOTESD_ASSIGN_OR_RETURN(MatchedCommand matched, MatchCommand(command, HttpGrammar()));
    if (matched.form->id != kHttpStatistics)
      return Status::Internal("TELL HTTP " + FormWords(*matched.form) + " is the server's to answer");
    return "Requests: " + std::to_string(context_.Stats().Counter("HTTP.Requests").load()) +
           "; refused: " + std::to_string(context_.Stats().Counter("HTTP.Refused").load()) +
           (guard_ ? "; connections: " + std::to_string(guard_->connections()) +
                         "; closed at a deadline: " + std::to_string(guard_->closed_by_deadline()) +
                         "; refused per address: " + std::to_string(guard_->refused_per_address()) +
                         "; idle closed under load: " + std::to_string(guard_->closed_idle())
                   : std::string());
  }

  std::vector<TaskStatusRow> StatusRows() const override {
    std::vector<TaskStatusRow> rows = {
        {"HTTP Server", "Listening for connect requests on TCP Port:" + std::to_string(port_) + " (HTTPS client API)"}};
    if (crl_port_ > 0)
      rows.push_back({"HTTP Server", "Listening for connect requests on TCP Port:" + std::to_string(crl_port_) +
                                         " (CRLs, plain HTTP)"});
    return rows;
  }

 private:
  // The plain-HTTP CRL listener (HTTP_CRLPort > 0): GET /crl/<file> only, no TLS, no
  // authentication (RFC 5280 distribution points must be fetchable by anyone).
  Status StartCrlListener(const NotesIni& ini) {
    crl_port_ = static_cast<int>(ConfigInt(ini, kHttpCrlPort));
    if (crl_port_ <= 0) return Status::Ok();
    CrlListener::Limits limits;
    limits.request_head = std::chrono::seconds(ConfigInt(ini, kHttpRequestHeadTimeout));
    limits.write = std::chrono::seconds(ConfigInt(ini, kHttpTimeout));
    limits.max_sessions = static_cast<std::size_t>(ConfigInt(ini, kHttpMaxSessions));
    limits.max_per_address = static_cast<std::size_t>(ConfigInt(ini, kHttpMaxSessionsPerIp));
    crl_listener_ = std::make_unique<CrlListener>(context_.Io(), limits,
                                                  [this](const std::string& file) { return ServeCrl(file); });
    if (Status listening = crl_listener_->Listen(address_, crl_port_); !listening.ok()) {
      Stop();
      return listening.WithContext("HTTP_CRLPort");
    }
    context_.Log().Log("HTTP Server", "Serving CRLs on http://" + address_ + ":" + std::to_string(crl_port_) + "/crl/");
    return Status::Ok();
  }

  // The newest CRL of the Internet certifier whose CrlFileName is `file`; 404 otherwise.
  CrlReply ServeCrl(const std::string& file) {
    context_.Stats().Counter("HTTP.CRLRequests")++;
    auto not_found = [](const std::string& why) { return CrlReply{404, "text/plain", why + "\n"}; };
    auto certifiers = ListInternetCertifiers(*directory_);
    if (!certifiers.ok()) {
      context_.Log().Log("HTTP Server", "CRL request for " + file + ": " + certifiers.status().message());
      return CrlReply{500, "text/plain", "internal error\n"};
    }
    for (const InternetCertifierDocument& doc : *certifiers) {
      if (CrlFileName(doc.base.name.CommonName()) != file) continue;
      auto icl = OpenIcl(context_.Databases(), context_.DataDir() / doc.base.icl_file, false);
      auto crl = icl.ok() ? (*icl)->LatestCrl() : Result<std::optional<CrlRecord>>(icl.status());
      if (!crl.ok()) {
        context_.Log().Log("HTTP Server", "CRL request for " + file + ": " + crl.status().message());
        return not_found("no CRL " + file);
      }
      if (!*crl) return not_found("certifier " + doc.base.name.Abbreviated() + " has issued no CRL yet");
      return CrlReply{200, "application/pkix-crl", (*crl)->der};
    }
    return not_found("no CRL " + file);
  }

  Status LoadServerId(const NotesIni& ini) {
    std::filesystem::path id_path = context_.DataDir() / ConfigText(ini, identity_keys::kKeyFileName);
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
    server_->set_keep_alive_timeout(kKeepAliveSeconds);
    server_->set_keep_alive_max_count(kKeepAliveMaxRequests);
    server_->set_tcp_nodelay(true);
    // The connection guard's deadlines: a request head is complete when routing starts,
    // and the next one is due after each reply.
    server_->set_pre_routing_handler([this](const httplib::Request&, httplib::Response&) {
      guard_->HeadRead();
      return httplib::Server::HandlerResponse::Unhandled;
    });
    server_->set_logger([this](const httplib::Request&, const httplib::Response&) { guard_->ReplySent(); });
    // One thread per connection, started on demand (http/http_thread_pool.h says why),
    // each connection ended in the guard when its thread is done with it.
    HttpConnectionGuard* guard = guard_.get();
    server_->new_task_queue = [threads, max_sessions, guard] {
      return new ElasticThreadPool(threads, max_sessions, std::chrono::seconds(10),
                                   [guard] { guard->ConnectionEnded(); });
    };
  }

  static HttpConnectionGuard::Limits GuardLimits(const NotesIni& ini) {
    HttpConnectionGuard::Limits limits;
    limits.handshake = std::chrono::seconds(ConfigInt(ini, kHttpHandshakeTimeout));
    limits.request_head = std::chrono::seconds(ConfigInt(ini, kHttpRequestHeadTimeout));
    limits.keep_alive = std::chrono::seconds(kKeepAliveSeconds);
    limits.max_per_address = static_cast<std::size_t>(ConfigInt(ini, kHttpMaxSessionsPerIp));
    // Beyond the threads kept ready, an idle keep-alive connection holds its thread for
    // kBusyIdle only (http/http_connection_guard.h).
    limits.idle_above = static_cast<std::size_t>(ConfigInt(ini, kHttpThreads));
    limits.busy_idle = kBusyIdle;
    return limits;
  }

  TaskContext& context_;
  IdFile server_id_;
  std::shared_ptr<Directory> directory_;
  std::shared_ptr<AdminRequestsDb> requests_;
  std::shared_ptr<MailStore> mail_;
  std::unique_ptr<CaService> ca_;
  std::unique_ptr<MailService> mail_service_;
  std::shared_ptr<InternetPasswords> passwords_;
  std::unique_ptr<HttpConnectionGuard> guard_;  // outlives server_: its TLS context calls it
  std::unique_ptr<httplib::SSLServer> server_;
  std::unique_ptr<HttpApi> api_;
  std::thread listener_;
  std::string address_;
  int port_ = 0;
  std::unique_ptr<CrlListener> crl_listener_;
  int crl_port_ = 0;
};

}  // namespace

std::span<const ConfigKey> HttpConfigKeys() { return kHttpKeys; }

TaskSpec HttpTaskSpec() {
  return {"HTTP", "HTTP Server", {"nhttp"}, kHttpKeys, [](TaskContext& context) {
            return std::make_unique<HttpTask>(context);
          }};
}

}  // namespace notesd
