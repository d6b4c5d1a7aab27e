#include "pop3/pop3_task.h"

#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/thread_pool.hpp>
#include <array>
#include <atomic>
#include <functional>
#include <optional>

#include "base/command_grammar.h"
#include "directory/internet_password.h"
#include "net/connection.h"
#include "net/listener.h"
#include "net/server_tls.h"
#include "pop3/pop3_config.h"
#include "pop3/pop3_maildrop.h"
#include "pop3/pop3_protocol.h"
#include "pop3/pop3_session.h"
#include "router/mail_config.h"
#include "router/mail_service.h"
#include "router/mail_store.h"

namespace notesd {

namespace {

namespace asio = boost::asio;
using pop3::Action;
using pop3::Reply;

constexpr char kLogSource[] = "POP3 Server";

// TELL POP3 commands (base/command_grammar.h): STAT, STATS and SHOW STAT are one.
constexpr int kPop3Statistics = 1;
const CommandGrammar& Pop3Grammar() {
  static const std::vector<CommandForm> forms = WithTaskQuitForms({
      {{"STATISTICS"}, kPop3Statistics, CommandArgument::kNone, "The POP3 statistics"},
      {{"STATS"}, kPop3Statistics, CommandArgument::kNone, "The POP3 statistics"},
      {{"SHOW", "STATISTICS"}, kPop3Statistics, CommandArgument::kNone, "The POP3 statistics"},
  });
  static const CommandGrammar grammar{forms, "POP3", "(try STAT or QUIT)"};
  return grammar;
}

// What every session shares; kept alive by the sessions themselves, so a session that
// outlives Stop() by a few handlers never touches a destroyed task. The pool is joined
// when the last session goes; work on it never holds the last reference (it hands its
// session back to the strand), so that join never runs on a pool thread.
struct Pop3Shared {
  TaskContext* context = nullptr;
  std::shared_ptr<Directory> directory;
  std::shared_ptr<MailStore> store;
  std::shared_ptr<InternetPasswords> passwords;
  std::unique_ptr<MailService> mail;
  std::unique_ptr<pop3::MailServiceBackend> backend;
  std::unique_ptr<asio::ssl::context> tls;
  pop3::HandlerOptions options;
  std::chrono::seconds idle_timeout{600};
  std::atomic<std::int64_t> current{0};
  std::atomic<std::int64_t>* timed_out = nullptr;
  std::atomic<std::int64_t>* logins_succeeded = nullptr;
  std::atomic<std::int64_t>* logins_failed = nullptr;
  std::atomic<std::int64_t>* retrieved = nullptr;
  std::atomic<std::int64_t>* deleted = nullptr;
  asio::thread_pool pool{2};  // last: joined first, before what its work uses goes
};

// The session piece: one connection (socket, TLS and deadlines: net/connection.h).
class Pop3Session final : public std::enable_shared_from_this<Pop3Session> {
 public:
  Pop3Session(std::shared_ptr<net::Connection> connection, std::shared_ptr<Pop3Shared> shared)
      : connection_(std::move(connection)),
        shared_(std::move(shared)),
        handler_(shared_->options, *shared_->backend, connection_->peer_address(), connection_->tls()) {
    ++shared_->current;
  }
  ~Pop3Session() {
    const pop3::SessionCounts& counts = handler_.counts();
    *shared_->logins_failed += static_cast<std::int64_t>(counts.logins_failed);
    *shared_->retrieved += static_cast<std::int64_t>(counts.retrieved);
    *shared_->deleted += static_cast<std::int64_t>(counts.deleted);
    --shared_->current;
  }
  Pop3Session(const Pop3Session&) = delete;
  Pop3Session& operator=(const Pop3Session&) = delete;

  void Start() {
    // SHOW USERS lists the session; DROP closes it from the command thread (a dropped
    // session never reaches UPDATE: its DELEs are not applied, as for any lost connection).
    std::weak_ptr<net::Connection> weak = connection_;
    registration_ = shared_->context->Sessions().Open("POP3", connection_->peer_address(), [weak] {
      if (auto connection = weak.lock()) connection->CloseFromAnyThread();
    });
    // One last line when a deadline passes, best effort (nothing over TLS), then the close.
    connection_->SetTimeoutHandler([connection = connection_.get(), shared = shared_.get()] {
      ++*shared->timed_out;
      connection->WriteLastWords("-ERR [SYS/TEMP] autologout: idle for too long\r\n");
    });
    Send({handler_.Greeting(), Action::kNone});
  }

 private:
  net::SteadyClock::time_point WriteDeadline() const { return net::SteadyClock::now() + shared_->idle_timeout; }

  // Takes the lines there are, one at a time; a line whose command calls the store or the
  // login check runs on the pool, the rest here on the strand.
  void Process() {
    if (connection_->closed()) return;
    std::string line;
    pop3::LineReader::Result next = reader_.Next(&line);
    switch (next) {
      case pop3::LineReader::Result::kNeedMore: return ReadMore();
      case pop3::LineReader::Result::kLineTooLong:
      case pop3::LineReader::Result::kBadLine: return Send(handler_.LineError(next));
      case pop3::LineReader::Result::kLine: break;
    }
    registration_.Touch();
    if (!handler_.Blocks(line)) return Send(handler_.Handle(line));
    asio::post(shared_->pool, [self = shared_from_this(), line = std::move(line)]() mutable {
      pop3::State before = self->handler_.state();
      Reply reply = self->handler_.Handle(line);
      if (before == pop3::State::kAuthorization && self->handler_.state() == pop3::State::kTransaction) {
        ++*self->shared_->logins_succeeded;
        self->registration_.SignedIn(self->handler_.person().name.Canonical(), self->handler_.person().mail_file);
        self->shared_->context->Log().Log(kLogSource, "POP3 login of " + self->handler_.person().name.Canonical() +
                                                          " from " + self->connection_->peer_address());
      }
      auto executor = self->connection_->executor();
      asio::post(executor,
                 [self = std::move(self), reply = std::move(reply)]() mutable { self->Send(std::move(reply)); });
    });
  }

  void ReadMore() {
    if (connection_->closed()) return;
    connection_->ReadSome(asio::buffer(buffer_), line_deadline_,
                          [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                            if (ec) return self->connection_->Close();
                            self->reader_.Feed(std::string_view(self->buffer_.data(), n));
                            self->Process();
                          });
  }

  // Sends a reply, then does what it asks; the next command line's clock starts now.
  void Send(Reply reply) {
    if (connection_->closed()) return;
    Action action = reply.action;
    connection_->Write(std::move(reply.text), WriteDeadline(),
                       [self = shared_from_this(), action](const boost::system::error_code& ec) {
                         if (ec) return self->connection_->Close();
                         self->line_deadline_ = net::SteadyClock::now() + self->shared_->idle_timeout;
                         switch (action) {
                           case Action::kNone: return self->Process();
                           case Action::kClose: return self->connection_->Close();
                           case Action::kStartTls: return self->StartTls();
                         }
                       });
  }

  void StartTls() {
    if (!shared_->tls) return connection_->Close();
    reader_.Clear();  // pipelined input before the handshake is not the client's to send
    connection_->StartTls(*shared_->tls, WriteDeadline(),
                          [self = shared_from_this()](const boost::system::error_code& ec) {
                            if (ec) return self->connection_->Close();
                            self->handler_.CompleteStartTls();
                            self->line_deadline_ = net::SteadyClock::now() + self->shared_->idle_timeout;
                            self->Process();
                          });
  }

  std::shared_ptr<net::Connection> connection_;
  std::shared_ptr<Pop3Shared> shared_;
  SessionRegistry::Session registration_;
  pop3::Pop3Handler handler_;
  pop3::LineReader reader_;
  net::SteadyClock::time_point line_deadline_;
  std::array<char, 16384> buffer_{};
};

// The listener piece: one listener with STLS, one with implicit TLS.
class Pop3Task final : public Task {
 public:
  explicit Pop3Task(TaskContext& context) : context_(context) {}
  ~Pop3Task() override { Stop(); }
  Pop3Task(const Pop3Task&) = delete;
  Pop3Task& operator=(const Pop3Task&) = delete;

  Status Start(const std::vector<std::string>&) override {
    NotesIni ini = context_.Config();
    auto shared = std::make_shared<Pop3Shared>();
    shared->context = &context_;
    NOTESD_ASSIGN_OR_RETURN(shared->directory, OpenDirectory(context_.Databases(), context_.DataDir()));
    NOTESD_ASSIGN_OR_RETURN(shared->store, OpenMailStore(context_.Databases(), context_.DataDir()));
    NOTESD_ASSIGN_OR_RETURN(shared->passwords,
                            OpenInternetPasswords(context_.Databases(), context_.DataDir(), context_.GetClock(),
                                                  context_.Log(), context_.Stats(), ini));
    shared->mail = std::make_unique<MailService>(*shared->store, context_.GetClock(), shared->directory.get());
    shared->backend =
        std::make_unique<pop3::MailServiceBackend>(*shared->mail,
                                                   [passwords = shared->passwords.get()](std::string_view name,
                                                                                         std::string_view password,
                                                                                         std::string_view address) {
                                                     return passwords->Verify(name, password, address, "POP3");
                                                   });
    shared->options.host_name = mail_keys::MailHostName(ini);
    std::int64_t test_seconds = IntKey(ini, pop3_keys::kTestIdleTimeoutSeconds);
    shared->idle_timeout = test_seconds > 0 ? std::chrono::seconds(test_seconds)
                                            : std::chrono::minutes(IntKey(ini, pop3_keys::kIdleTimeoutMinutes));
    Result<std::unique_ptr<asio::ssl::context>> tls = net::LoadServerTls(context_.DataDir(), ini, "notesd-pop3");
    if (tls.ok()) {
      shared->tls = std::move(tls).value();
      shared->options.tls_available = true;
    } else {
      context_.Log().Log(kLogSource, "no STLS and no POP3SSLPort listener (so no logins): " + tls.status().message());
    }
    StatsRegistry& stats = context_.Stats();
    shared->timed_out = &stats.Counter("POP3.Sessions.TimedOut");
    shared->logins_succeeded = &stats.Counter("POP3.Logins.Succeeded");
    shared->logins_failed = &stats.Counter("POP3.Logins.Failed");
    shared->retrieved = &stats.Counter("POP3.Messages.Retrieved");
    shared->deleted = &stats.Counter("POP3.Messages.Deleted");
    shared_ = shared;

    std::string address = ConfigText(ini, pop3_keys::kAddress);
    auto listen = [&](std::optional<net::Listener>& listener, int port, bool implicit_tls) -> Status {
      net::ListenerOptions options;
      options.log_source = kLogSource;
      options.what = implicit_tls ? "POP3S" : "POP3";
      options.address = address;
      options.port = port;
      options.max_sessions = static_cast<std::size_t>(IntKey(ini, pop3_keys::kMaxSessions));
      options.max_sessions_per_address = static_cast<std::size_t>(IntKey(ini, pop3_keys::kMaxSessionsPerIp));
      options.implicit_tls = implicit_tls ? shared->tls.get() : nullptr;
      options.handshake_timeout = shared->idle_timeout;
      options.refusal = [](std::string_view reason) { return "-ERR [SYS/TEMP] " + std::string(reason) + "\r\n"; };
      options.stats = &stats;
      options.stats_prefix = "POP3";
      listener.emplace(context_.Io(), context_.Log(), std::move(options),
                       [shared](std::shared_ptr<net::Connection> connection) {
                         std::make_shared<Pop3Session>(std::move(connection), shared)->Start();
                       });
      Status listening = listener->Start();
      if (!listening.ok()) listener.reset();
      return listening;
    };
    if (Status started = listen(listener_, static_cast<int>(IntKey(ini, pop3_keys::kPort)), false); !started.ok()) {
      Stop();
      return started;
    }
    std::int64_t ssl_port = IntKey(ini, pop3_keys::kSslPort);
    if (ssl_port != 0 && shared->tls) {
      if (Status started = listen(ssl_listener_, static_cast<int>(ssl_port), true); !started.ok()) {
        Stop();
        return started;
      }
    }
    std::weak_ptr<Pop3Shared> weak = shared;
    stats.SetGauge("POP3.Sessions.Current", [weak] {
      auto live = weak.lock();
      return std::to_string(live ? live->current.load() : 0);
    });
    context_.Log().Log(kLogSource, "Listening for POP3 on " + address + ":" + std::to_string(listener_->port()) +
                                       (shared->tls ? " (STLS offered)" : " (no STLS)"));
    if (ssl_listener_)
      context_.Log().Log(kLogSource,
                         "Listening for POP3 over TLS on " + address + ":" + std::to_string(ssl_listener_->port()));
    return Status::Ok();
  }

  void Stop() override {
    if (ssl_listener_) ssl_listener_->Stop();
    if (listener_) listener_->Stop();
    ssl_listener_.reset();
    listener_.reset();
    shared_.reset();
  }

  Result<std::string> Tell(std::string_view command) override {
    NOTESD_ASSIGN_OR_RETURN(MatchedCommand matched, MatchCommand(command, Pop3Grammar()));
    if (matched.form->id != kPop3Statistics)
      return Status::Internal("TELL POP3 " + FormWords(*matched.form) + " is the server's to answer");
    std::string out;
    for (const auto& [name, value] : context_.Stats().Snapshot("POP3.*")) out += "  " + name + " = " + value + "\n";
    if (!out.empty()) out.pop_back();
    return out;
  }

  std::vector<TaskStatusRow> StatusRows() const override {
    std::int64_t current = shared_ ? shared_->current.load() : 0;
    std::string ports = listener_ ? std::to_string(listener_->port()) : "-";
    if (ssl_listener_) ports += " and " + std::to_string(ssl_listener_->port()) + " (TLS)";
    return {{"POP3 Server", "Listening for connect requests on TCP Port:" + ports},
            {"POP3 Server", std::to_string(current) + " session(s)"}};
  }

 private:
  // A numeric key; a bad value is logged and its default used.
  std::int64_t IntKey(const NotesIni& ini, const ConfigKey& key) {
    std::string problem;
    std::int64_t value = ConfigInt(ini, key, &problem);
    if (!problem.empty()) context_.Log().Log(kLogSource, problem);
    return value;
  }

  TaskContext& context_;
  std::shared_ptr<Pop3Shared> shared_;
  std::optional<net::Listener> listener_;
  std::optional<net::Listener> ssl_listener_;
};

}  // namespace

TaskSpec Pop3TaskSpec() {
  return {"POP3", "POP3 Server", {"npop3"}, pop3_keys::kPop3Keys, [](TaskContext& context) {
            return std::make_unique<Pop3Task>(context);
          }};
}

}  // namespace notesd
