#include "router/smtp_task.h"

#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/thread_pool.hpp>
#include <array>
#include <atomic>
#include <functional>
#include <mutex>
#include <optional>

#include "base/command_grammar.h"
#include "directory/internet_password.h"
#include "net/connection.h"
#include "net/listener.h"
#include "net/server_tls.h"
#include "router/mail_config.h"
#include "router/mail_message.h"
#include "router/mail_store.h"
#include "router/message_spool.h"
#include "router/recipient_resolver.h"
#include "router/smtp_limits.h"
#include "router/smtp_protocol.h"
#include "base/ascii.h"

namespace notesd {

namespace {

// TELL SMTP commands (base/command_grammar.h): STAT, STATS and SHOW STAT are one.
constexpr int kSmtpStatistics = 1;
const CommandGrammar& SmtpGrammar() {
  static const std::vector<CommandForm> forms = WithTaskQuitForms({
      {{"STATISTICS"}, kSmtpStatistics, CommandArgument::kNone, "The SMTP statistics"},
      {{"STATS"}, kSmtpStatistics, CommandArgument::kNone, "The SMTP statistics"},
      {{"SHOW", "STATISTICS"}, kSmtpStatistics, CommandArgument::kNone, "The SMTP statistics"},
  });
  static const CommandGrammar grammar{forms, "SMTP", "(try STAT or QUIT)"};
  return grammar;
}

namespace asio = boost::asio;

// Where AUTH's password checks run: off the io threads, since an Argon2 hash takes tens of
// milliseconds and 19 MiB (directory/internet_password.h bounds how many run at once).
// Two threads: the machine's share, and InternetPasswords queues the rest. Stop runs what
// is queued, then joins; a check asked for after that is refused at once (`refused`).
class AuthRunner {
 public:
  AuthRunner() : pool_(2) {}
  ~AuthRunner() { Stop(); }
  AuthRunner(const AuthRunner&) = delete;
  AuthRunner& operator=(const AuthRunner&) = delete;

  void Run(std::function<void()> check, const std::function<void()>& refused) {
    {
      std::lock_guard lock(mutex_);
      if (!stopped_) {
        asio::post(pool_, std::move(check));
        return;
      }
    }
    refused();
  }
  void Stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      stopped_ = true;
    }
    pool_.join();
  }

 private:
  std::mutex mutex_;
  bool stopped_ = false;
  asio::thread_pool pool_;
};

// What every session shares; kept alive by the sessions themselves, so a session that
// outlives Stop() by a few handlers never touches a destroyed task.
struct SmtpShared {
  TaskContext* context = nullptr;
  std::shared_ptr<Directory> directory;
  std::shared_ptr<MailStore> store;
  std::unique_ptr<asio::ssl::context> tls;
  std::shared_ptr<InternetPasswords> passwords;  // AUTH; nullptr: not offered
  std::shared_ptr<AuthRunner> auth_runner;
  smtp::ServerOptions options;
  std::vector<std::string> local_domains;
  // RCPT decisions are remembered briefly: a directory change is seen within this time.
  ResolutionCache resolutions{std::chrono::seconds(5)};
  std::chrono::seconds idle_timeout{300};  // also each write and the TLS handshake
  smtp::DeadlineLimits deadlines;
  bool allow_local_senders = false;
  std::atomic<std::int64_t> current{0};  // live sessions, on every listener
  std::atomic<std::int64_t>* timed_out = nullptr;
  std::atomic<std::int64_t>* received = nullptr;
  std::atomic<std::int64_t>* messages_refused = nullptr;
  std::atomic<std::int64_t>* recipients_refused = nullptr;
  std::atomic<std::int64_t>* auth_succeeded = nullptr;
  std::atomic<std::int64_t>* auth_failed = nullptr;
};

// Which listener a session came in on.
enum class SmtpPort {
  kRelay,                  // SMTPListenerPort: mail for us; AUTH optional (after STARTTLS)
  kSubmission,             // SMTPSubmissionPort: STARTTLS, AUTH before MAIL
  kImplicitTlsSubmission,  // SMTPSSLPort: TLS first, AUTH before MAIL
};

// The handler piece: RCPT decisions from the directory.
class DirectoryPolicy final : public smtp::ServerPolicy {
 public:
  explicit DirectoryPolicy(SmtpShared& shared)
      : shared_(shared), resolver_(*shared.directory, shared.local_domains, &shared.resolutions) {}

  smtp::RecipientCheck CheckRecipient(const smtp::Mailbox& mailbox) override {
    smtp::RecipientCheck check = Decide(mailbox);
    // An authenticated person's relay is accepted by the protocol: not a refusal.
    bool relayed = relay_allowed_ && check.verdict == smtp::RecipientVerdict::kRelayDenied;
    if (check.verdict != smtp::RecipientVerdict::kAccept && !relayed) ++*shared_.recipients_refused;
    return check;
  }

  // The session authenticated: relaying is the protocol's to allow from now on.
  void AllowRelay() { relay_allowed_ = true; }

  // Local as the Router decides it for recipients: one of our domains, or an address (or
  // Notes name) that resolves to a person or group of ours.
  smtp::SenderCheck CheckSender(const smtp::Mailbox& mailbox) override {
    using smtp::SenderVerdict;
    if (shared_.allow_local_senders) return {SenderVerdict::kAccept, ""};
    if (!mailbox.domain.empty() && resolver_.IsLocalDomain(mailbox.domain))
      return {SenderVerdict::kLocalNeedsAuth, "one of SMTPDomains"};
    std::vector<RouteTarget> targets = resolver_.Resolve(mailbox.ToString());
    for (const RouteTarget& t : targets) {
      if (t.kind == RouteTarget::Kind::kRetry) return {SenderVerdict::kTryLater, t.reason};
      if (t.kind == RouteTarget::Kind::kLocal) return {SenderVerdict::kLocalNeedsAuth, "a person of the directory"};
    }
    return {SenderVerdict::kAccept, ""};
  }

 private:
  smtp::RecipientCheck Decide(const smtp::Mailbox& mailbox) {
    using smtp::RecipientVerdict;
    bool local_domain = mailbox.domain.empty() || resolver_.IsLocalDomain(mailbox.domain);
    std::vector<RouteTarget> targets = resolver_.Resolve(mailbox.domain.empty() ? mailbox.local : mailbox.ToString());
    bool retry = false, local = false, failed = false;
    for (const RouteTarget& t : targets) {
      retry = retry || t.kind == RouteTarget::Kind::kRetry;
      local = local || t.kind == RouteTarget::Kind::kLocal;
      failed = failed || t.kind == RouteTarget::Kind::kFailed;
    }
    if (retry) return {RecipientVerdict::kTryLater, targets.front().reason};
    if (!local_domain) {
      // Another domain: only the address of a person in our directory is ours.
      return local ? smtp::RecipientCheck{RecipientVerdict::kAccept, ""}
                   : smtp::RecipientCheck{RecipientVerdict::kRelayDenied, ""};
    }
    if (failed && !local) return {RecipientVerdict::kUnknownUser, targets.front().reason};
    return {RecipientVerdict::kAccept, ""};
  }

  const SmtpShared& shared_;
  RecipientResolver resolver_;
  bool relay_allowed_ = false;
};

smtp::ServerOptions SessionOptions(const SmtpShared& shared, SmtpPort port, bool tls_active) {
  smtp::ServerOptions options = shared.options;
  options.tls_active = tls_active;
  options.auth_required = port != SmtpPort::kRelay;
  return options;
}

// The session piece: one connection (socket, TLS and deadlines: net/connection.h).
class SmtpSession final : public std::enable_shared_from_this<SmtpSession> {
 public:
  SmtpSession(std::shared_ptr<net::Connection> connection, std::shared_ptr<SmtpShared> shared, SmtpPort port)
      : connection_(std::move(connection)),
        shared_(std::move(shared)),
        policy_(*shared_),
        protocol_(SessionOptions(*shared_, port, connection_->tls()), policy_),
        deadline_(shared_->deadlines),
        peer_(connection_->peer_address()) {
    ++shared_->current;
  }
  ~SmtpSession() { --shared_->current; }

  void Start() {
    // One last reply when a deadline passes, best effort (nothing over TLS), then the close.
    connection_->SetTimeoutHandler([connection = connection_.get(), shared = shared_.get()] {
      ++*shared->timed_out;
      connection->WriteLastWords("421 4.4.2 " + shared->options.host_name + " Error: timeout exceeded\r\n");
    });
    deadline_.BeginCommand(smtp::SessionDeadline::Clock::now());  // the first command, counted from the greeting
    Send(protocol_.Greeting(), [self = shared_from_this()] { self->ReadMore(); });
  }

 private:
  smtp::SessionDeadline::Clock::time_point IdleDeadline() const {
    return smtp::SessionDeadline::Clock::now() + shared_->idle_timeout;
  }

  // The read's deadline (smtp_limits.h): a command line's clock starts when the previous
  // line was taken (a trickle of bytes does not restart it); DATA's when it begins.
  smtp::SessionDeadline::Clock::time_point ReadDeadline() {
    auto now = smtp::SessionDeadline::Clock::now();
    if (protocol_.in_data()) {
      if (!deadline_.in_data()) deadline_.BeginData(now);
    } else if (deadline_.in_data() || protocol_.commands_received() != commands_seen_) {
      deadline_.BeginCommand(now);
    }
    commands_seen_ = protocol_.commands_received();
    return deadline_.ReadDeadline(now);
  }

  void ReadMore() {
    if (connection_->closed()) return;
    connection_->ReadSome(asio::buffer(buffer_), ReadDeadline(),
                          [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                            if (ec) return self->Close();
                            self->deadline_.Received(smtp::SessionDeadline::Clock::now(), n);
                            self->protocol_.Receive(std::string_view(self->buffer_.data(), n));
                            self->Drive();
                          });
  }

  // Moves the message bytes the protocol received into the spool (memory while small,
  // then a file: router/message_spool.h), so a session holds about one read of its
  // message whatever its size. A message being discarded or finished drops its spool.
  void SpoolMessageBytes() {
    bool receiving = protocol_.in_data() || protocol_.pending_action() == smtp::Action::kDeliver;
    if (!receiving || protocol_.message_too_big()) {
      spool_.reset();
      return;
    }
    if (spool_ && spool_transaction_ != protocol_.data_transaction()) spool_.reset();
    if (!spool_) {
      spool_.emplace(shared_->store->spool_dir());
      spool_transaction_ = protocol_.data_transaction();
    }
    std::string bytes = protocol_.TakeMessageBytes();
    if (!bytes.empty()) (void)spool_->Append(bytes);  // a failure is answered at Deliver (451)
  }

  // Sends what the protocol produced, then does what it asks for.
  void Drive() {
    if (connection_->closed()) return;
    SpoolMessageBytes();
    std::string output = protocol_.TakeOutput();
    auto next = [self = shared_from_this()] { self->AfterOutput(); };
    if (output.empty()) return next();
    Send(std::move(output), next);
  }

  void AfterOutput() {
    switch (protocol_.pending_action()) {
      case smtp::Action::kNone: return ReadMore();
      case smtp::Action::kClose: return Close();
      case smtp::Action::kStartTls: return StartTls();
      case smtp::Action::kDeliver: return Deliver();
      case smtp::Action::kAuthenticate: return Authenticate();
    }
  }

  // Checks the credentials on the AUTH runner with the server's one InternetPasswords
  // (its lockout is shared with IMAP, POP3 and HTTP), then answers on the strand. The
  // password lives only in this closure; Verify logs failures without it.
  void Authenticate() {
    auto self = shared_from_this();
    auto answer = [self](const Status& result, const smtp::AuthIdentity& identity) {
      asio::post(self->connection_->executor(), [self, result, identity] {
        ++*(result.ok() ? self->shared_->auth_succeeded : self->shared_->auth_failed);
        self->protocol_.CompleteAuthentication(result, identity);
        if (self->protocol_.authenticated()) {
          self->policy_.AllowRelay();
          self->shared_->context->Log().Log("SMTP", "SMTP AUTH of " + identity.user + " from " + self->peer_);
        }
        self->protocol_.Receive("");
        self->Drive();
      });
    };
    if (!shared_->passwords) return answer(Status::Unavailable("no Internet passwords"), {});
    auto check = [self, answer, credentials = protocol_.TakeCredentials()] {
      Result<Person> person =
          self->shared_->passwords->Verify(credentials.name, credentials.password, self->peer_, "SMTP");
      if (!person.ok()) return answer(person.status(), {});
      answer(Status::Ok(), {person->name.Canonical(), person->internet_address});
    };
    shared_->auth_runner->Run(check, [answer] { answer(Status::Unavailable("the SMTP task is stopping"), {}); });
  }

  void Deliver() {
    const smtp::Envelope& envelope = protocol_.envelope();
    MailEnvelope mail;
    mail.sender = envelope.sender;
    mail.recipients = envelope.recipients;
    mail.origin = "SMTP from " + envelope.helo + " [" + peer_ + "]";
    mail.arrival = shared_->context->GetClock().NowMicros();
    // RFC 3848's names; "A": authenticated submission.
    std::string with = !envelope.esmtp ? "SMTP" : (envelope.tls ? "ESMTPS" : "ESMTP");
    if (!envelope.auth_user.empty()) {
      with += "A";
      mail.origin = "SMTP AUTH " + envelope.auth_user + " from " + envelope.helo + " [" + peer_ + "]";
    }
    mail.trace = "Received: from " + envelope.helo + " ([" + peer_ + "])\r\n\tby " + shared_->options.host_name +
                 " (notesd) with " + with + ";\r\n\t" + FormatRfc5322Date(mail.arrival);
    auto self = shared_from_this();
    if (!spool_) spool_.emplace(shared_->store->spool_dir());
    if (Status finished = spool_->Finish(); !finished.ok()) {
      spool_.reset();
      ++*shared_->messages_refused;
      protocol_.CompleteDelivery(finished, "");
      protocol_.Receive("");
      return Drive();
    }
    MessageBody body;
    body.size = spool_->size();
    if (spool_->in_file())
      body.spool_file = spool_->TakeFile();
    else
      body.bytes = spool_->TakeBytes();
    spool_.reset();
    shared_->store->DepositAsync(std::move(mail), std::move(body), [self](const Result<std::string>& unid) {
      // On the committer thread: hop back to the session's strand.
      asio::post(self->connection_->executor(), [self, unid] {
        if (unid.ok())
          ++*self->shared_->received;
        else
          ++*self->shared_->messages_refused;
        self->protocol_.CompleteDelivery(unid.ok() ? Status::Ok() : unid.status(), unid.ok() ? *unid : "");
        self->protocol_.Receive("");
        self->Drive();
      });
    });
  }

  void StartTls() {
    if (!shared_->tls) return Close();
    connection_->StartTls(*shared_->tls, IdleDeadline(),
                          [self = shared_from_this()](const boost::system::error_code& ec) {
                            if (ec) return self->Close();
                            self->protocol_.CompleteStartTls();
                            self->protocol_.Receive("");
                            self->Drive();
                          });
  }

  void Send(std::string bytes, std::function<void()> next) {
    connection_->Write(std::move(bytes), IdleDeadline(),
                       [self = shared_from_this(), next = std::move(next)](const boost::system::error_code& ec) {
                         if (ec) return self->Close();
                         next();
                       });
  }

  void Close() { connection_->Close(); }

  std::shared_ptr<net::Connection> connection_;
  std::shared_ptr<SmtpShared> shared_;
  DirectoryPolicy policy_;
  smtp::ServerSession protocol_;
  smtp::SessionDeadline deadline_;
  std::size_t commands_seen_ = 0;
  std::array<char, 16384> buffer_{};
  std::optional<MessageSpool> spool_;    // the message in DATA
  std::uint64_t spool_transaction_ = 0;  // protocol_.data_transaction() that spool_ holds
  std::string peer_;
};

// The listener piece.
class SmtpTask final : public Task {
 public:
  explicit SmtpTask(TaskContext& context) : context_(context) {}
  ~SmtpTask() override { Stop(); }

  Status Start(const std::vector<std::string>&) override {
    NotesIni ini = context_.Config();
    auto shared = std::make_shared<SmtpShared>();
    shared->context = &context_;
    shared->auth_runner = std::make_shared<AuthRunner>();
    NOTESD_ASSIGN_OR_RETURN(shared->directory, OpenDirectory(context_.Databases(), context_.DataDir()));
    NOTESD_ASSIGN_OR_RETURN(shared->store, OpenMailStore(context_.Databases(), context_.DataDir()));
    ReadLimits(ini, *shared);
    if (ConfigBool(ini, mail_keys::kStartTls)) LoadTls(ini, *shared);
    StatsRegistry& stats = context_.Stats();
    shared->timed_out = &stats.Counter("SMTP.Sessions.TimedOut");
    shared->received = &stats.Counter("SMTP.Messages.Received");
    shared->messages_refused = &stats.Counter("SMTP.Messages.Refused");
    shared->recipients_refused = &stats.Counter("SMTP.Recipients.Refused");
    shared->auth_succeeded = &stats.Counter("SMTP.Auth.Succeeded");
    shared->auth_failed = &stats.Counter("SMTP.Auth.Failed");
    if (shared->tls) LoadPasswords(ini, *shared);
    shared_ = shared;

    // The listener for mail to us, then the submission ports that are on (they need TLS:
    // AUTH is never offered in clear).
    if (Status listening = Listen(ini, SmtpPort::kRelay, static_cast<int>(ConfigInt(ini, mail_keys::kListenerPort)));
        !listening.ok()) {
      Stop();
      return listening;
    }
    for (auto [port, key] : {std::pair{SmtpPort::kSubmission, &mail_keys::kSubmissionPort},
                             std::pair{SmtpPort::kImplicitTlsSubmission, &mail_keys::kSslPort}}) {
      int number = static_cast<int>(IntKey(ini, *key));
      if (number == 0) continue;
      if (!shared->options.auth_available) {
        context_.Log().Log("SMTP Server", std::string(key->name) + "=" + std::to_string(number) +
                                              " not opened: submission needs TLS and AUTH (see the lines above)");
        continue;
      }
      if (Status listening = Listen(ini, port, number); !listening.ok()) {
        Stop();
        return listening;
      }
    }
    std::weak_ptr<SmtpShared> weak = shared;
    stats.SetGauge("SMTP.Sessions.Current", [weak] {
      auto live = weak.lock();
      return std::to_string(live ? live->current.load() : 0);
    });
    return Status::Ok();
  }

  void Stop() override {
    if (!shared_) return;
    for (Port& port : ports_) port.listener->Stop();
    ports_.clear();
    shared_->auth_runner->Stop();  // after the sessions: runs the checks still queued
    shared_.reset();
  }

  Result<std::string> Tell(std::string_view command) override {
    NOTESD_ASSIGN_OR_RETURN(MatchedCommand matched, MatchCommand(command, SmtpGrammar()));
    if (matched.form->id != kSmtpStatistics)
      return Status::Internal("TELL SMTP " + FormWords(*matched.form) + " is the server's to answer");
    std::string out;
    for (const auto& [name, value] : context_.Stats().Snapshot("SMTP.*")) out += "  " + name + " = " + value + "\n";
    if (!out.empty()) out.pop_back();
    return out;
  }

  std::vector<TaskStatusRow> StatusRows() const override {
    std::int64_t current = shared_ ? shared_->current.load() : 0;
    std::vector<TaskStatusRow> rows;
    for (const Port& port : ports_)
      rows.push_back({"SMTP Server", "Listening for connect requests on TCP Port:" + std::to_string(port.number) +
                                         (port.kind == SmtpPort::kRelay        ? ""
                                          : port.kind == SmtpPort::kSubmission ? " (submission)"
                                                                               : " (submission, implicit TLS)")});
    if (rows.empty()) rows.push_back({"SMTP Server", "Not listening"});
    rows.push_back({"SMTP Server", std::to_string(current) + " session(s)"});
    return rows;
  }

 private:
  // A numeric key; a bad value is logged and its default used.
  std::int64_t IntKey(const NotesIni& ini, const ConfigKey& key) {
    std::string problem;
    std::int64_t value = ConfigInt(ini, key, &problem);
    if (!problem.empty()) context_.Log().Log("SMTP Server", problem);
    return value;
  }

  void ReadLimits(const NotesIni& ini, SmtpShared& shared) {
    auto int_key = [&](const ConfigKey& key) { return IntKey(ini, key); };
    shared.options.host_name = mail_keys::MailHostName(ini);
    shared.options.limits.max_message_bytes = static_cast<std::uint64_t>(int_key(mail_keys::kMaxMessageKb)) * 1024;
    shared.options.limits.max_recipients = static_cast<std::size_t>(int_key(mail_keys::kMaxRecipients));
    shared.options.limits.max_commands = static_cast<std::size_t>(int_key(mail_keys::kMaxCommands));
    shared.idle_timeout = std::chrono::seconds(int_key(mail_keys::kIdleTimeout));
    shared.deadlines.idle = shared.idle_timeout;
    shared.deadlines.command = std::chrono::seconds(int_key(mail_keys::kCommandTimeout));
    shared.deadlines.data = std::chrono::seconds(int_key(mail_keys::kDataTimeout));
    shared.deadlines.data_min_rate = static_cast<std::uint64_t>(int_key(mail_keys::kDataMinRate));
    std::string problem;
    shared.allow_local_senders = ConfigBool(ini, mail_keys::kAllowLocalSenders, &problem);
    if (!problem.empty()) context_.Log().Log("SMTP Server", problem);
    shared.local_domains = ConfigList(ini, mail_keys::kSmtpDomains);
  }

  // Opens one listener of the task; its sessions know which port they came in on.
  Status Listen(const NotesIni& ini, SmtpPort kind, int number) {
    std::shared_ptr<SmtpShared> shared = shared_;
    net::ListenerOptions options;
    options.log_source = "SMTP Server";
    options.what = kind == SmtpPort::kRelay ? "SMTP" : kind == SmtpPort::kSubmission ? "SMTP submission" : "SMTPS";
    options.address = ConfigText(ini, mail_keys::kListenerAddress);
    options.port = number;
    options.max_sessions = static_cast<std::size_t>(IntKey(ini, mail_keys::kMaxSessions));
    options.max_sessions_per_address = static_cast<std::size_t>(IntKey(ini, mail_keys::kMaxSessionsPerIp));
    options.handshake_timeout = shared->idle_timeout;
    if (kind == SmtpPort::kImplicitTlsSubmission) options.implicit_tls = shared->tls.get();
    options.refusal = [host = shared->options.host_name](std::string_view reason) {
      return "421 4.7.0 " + host + " Error: " + std::string(reason) + "\r\n";
    };
    options.stats = &context_.Stats();
    options.stats_prefix = "SMTP";
    auto listener =
        std::make_unique<net::Listener>(context_.Io(), context_.Log(), std::move(options),
                                        [shared, kind](std::shared_ptr<net::Connection> connection) {
                                          std::make_shared<SmtpSession>(std::move(connection), shared, kind)->Start();
                                        });
    NOTESD_RETURN_IF_ERROR(listener->Start());
    std::string where = listener->options().address + ":" + std::to_string(listener->port());
    std::string auth = shared->options.auth_available ? ", AUTH PLAIN LOGIN" : "";
    switch (kind) {
      case SmtpPort::kRelay:
        context_.Log().Log("SMTP Server",
                           "Listening for SMTP on " + where + (shared->tls ? " (STARTTLS offered)" : " (no STARTTLS)"));
        break;
      case SmtpPort::kSubmission:
        context_.Log().Log("SMTP Server", "Listening for SMTP submission on " + where + " (STARTTLS" + auth +
                                              " required before MAIL)");
        break;
      case SmtpPort::kImplicitTlsSubmission:
        context_.Log().Log("SMTP Server", "Listening for SMTPS submission on " + where + " (implicit TLS" + auth +
                                              " required before MAIL)");
        break;
    }
    ports_.push_back({kind, listener->port(), std::move(listener)});
    return Status::Ok();
  }

  // AUTH checks the server's one InternetPasswords; without it AUTH is not offered.
  void LoadPasswords(const NotesIni& ini, SmtpShared& shared) {
    Result<std::shared_ptr<InternetPasswords>> passwords =
        OpenInternetPasswords(context_.Databases(), context_.DataDir(), context_.GetClock(), context_.Log(),
                              context_.Stats(), ini);
    if (!passwords.ok()) {
      context_.Log().Log("SMTP Server", "AUTH not offered: " + passwords.status().message());
      return;
    }
    shared.passwords = std::move(passwords).value();
    shared.options.auth_available = true;
  }

  // STARTTLS with server.id's certificate; without it the listener runs in clear.
  void LoadTls(const NotesIni& ini, SmtpShared& shared) {
    Result<std::unique_ptr<asio::ssl::context>> tls = net::LoadServerTls(context_.DataDir(), ini, "notesd-smtp");
    if (!tls.ok()) {
      context_.Log().Log("SMTP Server", "STARTTLS not offered: " + tls.status().message());
      return;
    }
    shared.tls = std::move(tls).value();
    shared.options.tls_available = true;
  }

  TaskContext& context_;
  struct Port {
    SmtpPort kind;
    int number;
    std::unique_ptr<net::Listener> listener;
  };

  std::shared_ptr<SmtpShared> shared_;
  std::vector<Port> ports_;
};

}  // namespace

TaskSpec SmtpTaskSpec() {
  return {"SMTP", "SMTP Server", {"nsmtp"}, mail_keys::kSmtpKeys, [](TaskContext& context) {
            return std::make_unique<SmtpTask>(context);
          }};
}

}  // namespace notesd
