#include "imap_server/imap_task.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <stdexcept>

#include "base/command_grammar.h"
#include "directory/internet_password.h"
#include "imap/imap_parser.h"
#include "imap_server/imap_handler.h"
#include "net/connection.h"
#include "net/listener.h"
#include "net/server_tls.h"
#include "router/mail_config.h"
#include "router/mail_service.h"
#include "router/mail_store.h"

namespace notesd {

namespace {

namespace asio = boost::asio;
using imap_server::After;
using imap_server::ImapHandler;
using imap_server::Reply;

constexpr int kImapStatistics = 1;
const CommandGrammar& ImapGrammar() {
  static const std::vector<CommandForm> forms = WithTaskQuitForms({
      {{"STATISTICS"}, kImapStatistics, CommandArgument::kNone, "The IMAP statistics"},
      {{"STATS"}, kImapStatistics, CommandArgument::kNone, "The IMAP statistics"},
      {{"SHOW", "STATISTICS"}, kImapStatistics, CommandArgument::kNone, "The IMAP statistics"},
  });
  static const CommandGrammar grammar{forms, "IMAP", "(try STAT or QUIT)"};
  return grammar;
}

constexpr char kLogSource[] = "IMAP Server";
constexpr auto kIdlePoll = std::chrono::milliseconds(500);
constexpr std::uint64_t kMaxLiteralBeforeLogin = 8 * 1024;

// What every session shares; kept alive by the sessions, so a session that outlives
// Stop() by a few handlers never touches a destroyed task.
struct ImapShared {
  TaskContext* context = nullptr;
  std::shared_ptr<Directory> directory;
  std::shared_ptr<MailStore> store;
  std::unique_ptr<MailService> mail;
  std::shared_ptr<InternetPasswords> passwords;
  std::unique_ptr<asio::ssl::context> tls;
  std::shared_ptr<asio::thread_pool> pool;
  imap::ReaderLimits limits;
  imap_server::HandlerOptions handler;
  std::chrono::seconds idle_timeout{1800};
  std::atomic<std::int64_t> current{0};
  std::atomic<std::int64_t>* timed_out = nullptr;
  std::atomic<std::int64_t>* logins_ok = nullptr;
  std::atomic<std::int64_t>* logins_failed = nullptr;
  std::atomic<std::int64_t>* commands = nullptr;
};

// The session piece: one connection, its command reader and its handler. The handler
// is only ever used by one thread at a time: a worker while a command runs (the strand
// then waits for its reply), the strand otherwise.
class ImapSession final : public std::enable_shared_from_this<ImapSession> {
 public:
  ImapSession(std::shared_ptr<net::Connection> connection, std::shared_ptr<ImapShared> shared)
      : connection_(std::move(connection)),
        shared_(std::move(shared)),
        reader_(std::make_unique<imap::CommandReader>(LoginLimits(shared_->limits))),
        handler_(*shared_->mail, MakeLoginCheck(shared_), shared_->handler, connection_->peer_address(),
                 connection_->tls()),
        idle_timer_(connection_->executor()) {
    ++shared_->current;
  }
  ~ImapSession() { --shared_->current; }
  ImapSession(const ImapSession&) = delete;
  ImapSession& operator=(const ImapSession&) = delete;

  void Start() {
    // SHOW USERS lists the session; DROP closes it from the command thread.
    std::weak_ptr<net::Connection> weak = connection_;
    registration_ = shared_->context->Sessions().Open("IMAP", connection_->peer_address(), [weak] {
      if (auto connection = weak.lock()) connection->CloseFromAnyThread();
    });
    connection_->SetTimeoutHandler([connection = connection_.get(), shared = shared_.get()] {
      ++*shared->timed_out;
      connection->WriteLastWords("* BYE Autologout; idle for too long\r\n");
    });
    Send(handler_.Greeting(), [self = shared_from_this()] { self->Process(); });
  }

 private:
  static imap_server::LoginCheck MakeLoginCheck(const std::shared_ptr<ImapShared>& shared) {
    ImapShared* s = shared.get();
    return [s](std::string_view user, std::string_view password, std::string_view address) -> Result<Person> {
      Result<Person> person = s->passwords->Verify(user, password, address, "IMAP");
      ++*(person.ok() ? s->logins_ok : s->logins_failed);
      return person;
    };
  }

  // Before login a literal can only be a name or a password: a stranger cannot make the
  // server buffer an APPEND's worth of bytes.
  static imap::ReaderLimits LoginLimits(imap::ReaderLimits limits) {
    limits.max_literal_bytes = std::min<std::uint64_t>(limits.max_literal_bytes, kMaxLiteralBeforeLogin);
    return limits;
  }

  net::SteadyClock::time_point Deadline() const { return net::SteadyClock::now() + shared_->idle_timeout; }

  void ReadMore(std::function<void()> then) {
    if (connection_->closed()) return;
    connection_->ReadSome(asio::buffer(buffer_), Deadline(),
                          [self = shared_from_this(), then = std::move(then)](const boost::system::error_code& ec,
                                                                              std::size_t n) {
                            if (ec) return self->Close();
                            self->reader_->Feed(std::string_view(self->buffer_.data(), n));
                            then();
                          });
  }

  // Takes the next command from what was read, reading more when none is complete.
  void Process() {
    if (connection_->closed()) return;
    imap::Step step = reader_->Next();
    auto self = shared_from_this();
    switch (step.kind) {
      case imap::StepKind::kNeedMore: return ReadMore([self] { self->Process(); });
      case imap::StepKind::kSendContinuation: return Send("+ Ready for literal data\r\n", [self] { self->Process(); });
      case imap::StepKind::kError: {
        std::string text = (step.error.tag.empty() ? std::string("*") : step.error.tag) + " BAD " +
                           OneLine(step.error.message) + "\r\n";
        if (step.error.fatal) {
          text += "* BYE the connection cannot go on\r\n";
          return Send(std::move(text), [self] { self->Close(); });
        }
        return Send(std::move(text), [self] { self->Process(); });
      }
      case imap::StepKind::kCommand: return Run(std::move(step.command));
    }
  }

  static std::string OneLine(std::string text) {
    for (char& c : text)
      if (c == '\r' || c == '\n') c = ' ';
    return text;
  }

  // Runs `work` (a handler call) on the worker pool, then Finish with its reply here.
  void OnPool(std::function<Reply(ImapHandler&)> work) {
    auto self = shared_from_this();
    asio::post(*shared_->pool, [self, work = std::move(work)] {
      Reply reply;
      try {
        reply = work(self->handler_);
      } catch (const std::exception& e) {
        // A bug or out of memory in one command ends that session, not the server.
        self->shared_->context->Log().Log(kLogSource,
                                          std::string("IMAP session ended by an internal error: ") + e.what());
        reply = Reply("* BYE internal error\r\n", After::kClose);
      }
      asio::post(self->connection_->executor(),
                 [self, reply = std::move(reply)]() mutable { self->Finish(std::move(reply)); });
    });
  }

  void Run(imap::Command command) {
    ++*shared_->commands;
    registration_.Touch();
    OnPool([command = std::move(command)](ImapHandler& handler) { return handler.Handle(command); });
  }

  void Finish(Reply reply) {
    if (connection_->closed()) return;
    if (!logged_in_ && handler_.person()) {
      logged_in_ = true;
      reader_->RaiseLimits(shared_->limits);
      registration_.SignedIn(handler_.person()->name.Canonical(), handler_.person()->mail_file);
    }
    // The administrator's BROADCAST: an [ALERT], which RFC 3501 says the client must show.
    if (logged_in_ && !reply.next)
      if (std::optional<std::string> text =
              shared_->context->Sessions().TakeBroadcast(handler_.person()->name.Canonical()))
        reply.text = "* OK [ALERT] " + OneLine(*text) + "\r\n" + reply.text;
    if (reply.next) {
      // A long reply: the next part is made once this one is written.
      return Send(std::move(reply.text), [self = shared_from_this(), next = std::move(reply.next)] {
        self->OnPool([next](ImapHandler&) { return next(); });
      });
    }
    After after = reply.after;
    Send(std::move(reply.text), [self = shared_from_this(), after] { self->AfterReply(after); });
  }

  void AfterReply(After after) {
    auto self = shared_from_this();
    switch (after) {
      case After::kNone: return Process();
      case After::kClose: return Close();
      case After::kStartTls: return StartTls();
      case After::kAuthContinue:
        return ReadLine([self](std::string line) {
          self->OnPool([line = std::move(line)](ImapHandler& handler) { return handler.ContinueAuthenticate(line); });
        });
      case After::kIdle: return StartIdle();
    }
  }

  // One plain line (AUTHENTICATE's answer, IDLE's DONE).
  void ReadLine(std::function<void(std::string)> then) {
    if (connection_->closed()) return;
    imap::LineStep step = reader_->NextLine();
    auto self = shared_from_this();
    switch (step.kind) {
      case imap::StepKind::kCommand: return then(std::move(step.line));
      case imap::StepKind::kError:
        return Send("* BAD " + OneLine(step.error.message) + "\r\n* BYE the connection cannot go on\r\n",
                    [self] { self->Close(); });
      default: return ReadMore([self, then = std::move(then)] { self->ReadLine(then); });
    }
  }

  void StartTls() {
    if (!shared_->tls) return Close();
    connection_->StartTls(*shared_->tls, Deadline(), [self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return self->Close();
      // What came before the handshake is not the protocol's (RFC 3501 6.2.1).
      self->reader_ = std::make_unique<imap::CommandReader>(LoginLimits(self->shared_->limits));
      self->handler_.TlsStarted();
      self->Process();
    });
  }

  // IDLE (RFC 2177): the DONE line is read while the mail file's change counter is
  // looked at every kIdlePoll on the strand (a counter in memory: cheap); only a change
  // sends a worker to compute the updates.
  void StartIdle() {
    idling_ = true;
    idle_done_ = false;
    ReadLine([self = shared_from_this()](std::string line) {
      self->idle_line_ = std::move(line);
      self->idle_done_ = true;
      self->idle_timer_.cancel();
      self->MaybeEndIdle();
    });
    ArmIdleTimer();
  }

  void ArmIdleTimer() {
    if (!idling_ || idle_done_ || connection_->closed()) return;
    idle_timer_.expires_after(kIdlePoll);
    idle_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || !self->idling_ || self->idle_done_ || self->connection_->closed()) return;
      if (self->handler_.CurrentChangeCount() == self->handler_.change_seen()) return self->ArmIdleTimer();
      self->idle_busy_ = true;
      asio::post(*self->shared_->pool, [self] {
        std::string updates = self->handler_.IdleUpdates();
        asio::post(self->connection_->executor(), [self, updates = std::move(updates)]() mutable {
          if (updates.empty() || self->connection_->closed()) return self->AfterIdleUpdate();
          self->Send(std::move(updates), [self] { self->AfterIdleUpdate(); });
        });
      });
    });
  }

  void AfterIdleUpdate() {
    idle_busy_ = false;
    if (idle_done_) return MaybeEndIdle();
    ArmIdleTimer();
  }

  void MaybeEndIdle() {
    if (idle_busy_ || !idling_) return;  // the update in flight ends the IDLE when it is written
    idling_ = false;
    OnPool([line = std::move(idle_line_)](ImapHandler& handler) { return handler.EndIdle(line); });
  }

  void Send(std::string bytes, std::function<void()> next) {
    connection_->Write(std::move(bytes), Deadline(),
                       [self = shared_from_this(), next = std::move(next)](const boost::system::error_code& ec) {
                         if (ec) return self->Close();
                         next();
                       });
  }

  void Close() {
    idle_timer_.cancel();
    connection_->Close();
  }

  std::shared_ptr<net::Connection> connection_;
  std::shared_ptr<ImapShared> shared_;
  std::unique_ptr<imap::CommandReader> reader_;
  ImapHandler handler_;
  asio::steady_timer idle_timer_;
  std::array<char, 16384> buffer_{};
  SessionRegistry::Session registration_;
  bool logged_in_ = false;
  bool idling_ = false;
  bool idle_done_ = false;
  bool idle_busy_ = false;
  std::string idle_line_;
};

// The listener piece.
class ImapTask final : public Task {
 public:
  explicit ImapTask(TaskContext& context) : context_(context) {}
  ~ImapTask() override { Stop(); }
  ImapTask(const ImapTask&) = delete;
  ImapTask& operator=(const ImapTask&) = delete;

  Status Start(const std::vector<std::string>&) override {
    NotesIni ini = context_.Config();
    auto shared = std::make_shared<ImapShared>();
    shared->context = &context_;
    NOTESD_ASSIGN_OR_RETURN(shared->directory, OpenDirectory(context_.Databases(), context_.DataDir()));
    NOTESD_ASSIGN_OR_RETURN(shared->store, OpenMailStore(context_.Databases(), context_.DataDir()));
    NOTESD_ASSIGN_OR_RETURN(shared->passwords,
                            OpenInternetPasswords(context_.Databases(), context_.DataDir(), context_.GetClock(),
                                                  context_.Log(), context_.Stats(), ini));
    shared->mail = std::make_unique<MailService>(*shared->store, context_.GetClock(), shared->directory.get());
    std::int64_t seconds = IntKey(ini, imap_keys::kIdleTimeoutSeconds);
    shared->idle_timeout =
        std::chrono::seconds(seconds > 0 ? seconds : IntKey(ini, imap_keys::kIdleTimeoutMinutes) * 60);
    shared->limits.max_line_bytes = static_cast<std::size_t>(IntKey(ini, imap_keys::kMaxLineKb)) * 1024;
    shared->limits.max_literal_bytes = static_cast<std::uint64_t>(IntKey(ini, imap_keys::kMaxMessageKb)) * 1024;
    shared->handler.greeting_host = mail_keys::MailHostName(ini);
    Logger* log = &context_.Log();
    shared->handler.log_error = [log](const std::string& text) { log->Log(kLogSource, text); };
    Result<std::unique_ptr<asio::ssl::context>> tls = net::LoadServerTls(context_.DataDir(), ini, "notesd-imap");
    if (tls.ok()) {
      shared->tls = std::move(tls).value();
      shared->handler.tls_available = true;
    } else {
      context_.Log().Log(kLogSource, "No TLS, so no IMAP login is possible: " + tls.status().message());
    }
    StatsRegistry& stats = context_.Stats();
    shared->timed_out = &stats.Counter("IMAP.Sessions.TimedOut");
    shared->logins_ok = &stats.Counter("IMAP.Logins.Succeeded");
    shared->logins_failed = &stats.Counter("IMAP.Logins.Failed");
    shared->commands = &stats.Counter("IMAP.Commands");
    shared->pool =
        std::make_shared<asio::thread_pool>(static_cast<std::size_t>(IntKey(ini, imap_keys::kWorkerThreads)));
    shared_ = shared;

    std::string address = ConfigText(ini, imap_keys::kAddress);
    auto port = static_cast<int>(IntKey(ini, imap_keys::kPort));
    auto ssl_port = static_cast<int>(IntKey(ini, imap_keys::kSslPort));
    if (port != 0) NOTESD_RETURN_IF_ERROR(Listen(ini, address, port, false));
    if (ssl_port != 0) {
      if (shared->tls) {
        NOTESD_RETURN_IF_ERROR(Listen(ini, address, ssl_port, true));
      } else {
        context_.Log().Log(kLogSource, "IMAPSSLPort not opened: no TLS certificate");
      }
    }
    std::weak_ptr<ImapShared> weak = shared;
    stats.SetGauge("IMAP.Sessions.Current", [weak] {
      auto live = weak.lock();
      return std::to_string(live ? live->current.load() : 0);
    });
    return Status::Ok();
  }

  void Stop() override {
    for (net::Listener& listener : listeners_) listener.Stop();
    listeners_.clear();
    if (shared_) {
      shared_->pool->stop();
      shared_->pool->join();
    }
    shared_.reset();
    ports_.clear();
  }

  Result<std::string> Tell(std::string_view command) override {
    NOTESD_ASSIGN_OR_RETURN(MatchedCommand matched, MatchCommand(command, ImapGrammar()));
    if (matched.form->id != kImapStatistics)
      return Status::Internal("TELL IMAP " + FormWords(*matched.form) + " is the server's to answer");
    std::string out;
    for (const auto& [name, value] : context_.Stats().Snapshot("IMAP.*")) out += "  " + name + " = " + value + "\n";
    if (!out.empty()) out.pop_back();
    return out;
  }

  std::vector<TaskStatusRow> StatusRows() const override {
    std::vector<TaskStatusRow> rows;
    for (const auto& [port, tls] : ports_)
      rows.push_back({"IMAP Server",
                      "Listening for connect requests on TCP Port:" + std::to_string(port) + (tls ? " (TLS)" : "")});
    std::int64_t current = shared_ ? shared_->current.load() : 0;
    rows.push_back({"IMAP Server", std::to_string(current) + " session(s)"});
    return rows;
  }

 private:
  std::int64_t IntKey(const NotesIni& ini, const ConfigKey& key) {
    std::string problem;
    std::int64_t value = ConfigInt(ini, key, &problem);
    if (!problem.empty()) context_.Log().Log(kLogSource, problem);
    return value;
  }

  Status Listen(const NotesIni& ini, const std::string& address, int port, bool implicit_tls) {
    net::ListenerOptions options;
    options.log_source = kLogSource;
    options.what = implicit_tls ? "IMAP over TLS" : "IMAP";
    options.address = address;
    options.port = port;
    options.max_sessions = static_cast<std::size_t>(IntKey(ini, imap_keys::kMaxSessions));
    options.max_sessions_per_address = static_cast<std::size_t>(IntKey(ini, imap_keys::kMaxSessionsPerIp));
    options.implicit_tls = implicit_tls ? shared_->tls.get() : nullptr;
    options.handshake_timeout = std::min(shared_->idle_timeout, std::chrono::seconds(60));
    options.refusal = [](std::string_view reason) { return "* BYE " + std::string(reason) + "\r\n"; };
    options.stats = &context_.Stats();
    options.stats_prefix = "IMAP";
    std::shared_ptr<ImapShared> shared = shared_;
    net::Listener& listener =
        listeners_.emplace_back(context_.Io(), context_.Log(), std::move(options),
                                [shared](std::shared_ptr<net::Connection> connection) {
                                  std::make_shared<ImapSession>(std::move(connection), shared)->Start();
                                });
    if (Status listening = listener.Start(); !listening.ok()) {
      Stop();
      return listening;
    }
    ports_.emplace_back(listener.port(), implicit_tls);
    context_.Log().Log(kLogSource, std::string("Listening for ") + (implicit_tls ? "IMAP over TLS" : "IMAP") + " on " +
                                       address + ":" + std::to_string(listener.port()) +
                                       (implicit_tls ? "" : (shared_->tls ? " (STARTTLS offered)" : " (no STARTTLS)")));
    return Status::Ok();
  }

  TaskContext& context_;
  std::shared_ptr<ImapShared> shared_;
  std::list<net::Listener> listeners_;
  std::vector<std::pair<int, bool>> ports_;
};

}  // namespace

TaskSpec ImapTaskSpec() {
  return {"IMAP", "IMAP Server", {"nimap"}, imap_keys::kImapKeys, [](TaskContext& context) {
            return std::make_unique<ImapTask>(context);
          }};
}

}  // namespace notesd
