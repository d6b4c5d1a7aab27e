#include "router/smtp_task.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <array>
#include <atomic>
#include <list>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "base/command_grammar.h"
#include "pki/id_file.h"
#include "pki/tls_context.h"
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
using tcp = asio::ip::tcp;

// What every session shares; kept alive by the sessions themselves, so a session that
// outlives Stop() by a few handlers never touches a destroyed task.
struct SmtpShared {
  TaskContext* context = nullptr;
  std::shared_ptr<Directory> directory;
  std::shared_ptr<MailStore> store;
  std::optional<asio::ssl::context> tls;
  smtp::ServerOptions options;
  std::vector<std::string> local_domains;
  // RCPT decisions are remembered briefly: a directory change is seen within this time.
  ResolutionCache resolutions{std::chrono::seconds(5)};
  std::chrono::seconds idle_timeout{300};  // also each write and the TLS handshake
  smtp::DeadlineLimits deadlines;
  bool allow_local_senders = false;
  std::size_t max_sessions = 100;
  std::optional<smtp::PeerSessionCounter> per_peer;  // SMTPMaxSessionsPerIP
  std::atomic<std::int64_t> current{0};
  std::atomic<std::int64_t>* total = nullptr;
  std::atomic<std::int64_t>* refused = nullptr;
  std::atomic<std::int64_t>* refused_per_peer = nullptr;
  std::atomic<std::int64_t>* timed_out = nullptr;
  std::atomic<std::int64_t>* received = nullptr;
  std::atomic<std::int64_t>* messages_refused = nullptr;
  std::atomic<std::int64_t>* recipients_refused = nullptr;
};

// The handler piece: RCPT decisions from the directory.
class DirectoryPolicy final : public smtp::ServerPolicy {
 public:
  explicit DirectoryPolicy(SmtpShared& shared)
      : shared_(shared), resolver_(*shared.directory, shared.local_domains, &shared.resolutions) {}

  smtp::RecipientCheck CheckRecipient(const smtp::Mailbox& mailbox) override {
    smtp::RecipientCheck check = Decide(mailbox);
    if (check.verdict != smtp::RecipientVerdict::kAccept) ++*shared_.recipients_refused;
    return check;
  }

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
};

// The session piece: one connection.
class SmtpSession final : public std::enable_shared_from_this<SmtpSession> {
 public:
  // `slot` is this session's place in the per-address count, given back at destruction.
  SmtpSession(tcp::socket socket, std::string peer, smtp::PeerSessionCounter::Slot slot,
              std::shared_ptr<SmtpShared> shared)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        shared_(std::move(shared)),
        policy_(*shared_),
        protocol_(shared_->options, policy_),
        deadline_(shared_->deadlines),
        peer_(std::move(peer)),
        slot_(std::move(slot)) {}

  void Start() {
    ++shared_->current;
    ++*shared_->total;
    deadline_.BeginCommand(smtp::SessionDeadline::Clock::now());  // the first command, counted from the greeting
    Send(protocol_.Greeting(), [self = shared_from_this()] { self->ReadMore(); });
  }

  // Closes the connection from any thread (Stop()).
  void Abort() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

  ~SmtpSession() { --shared_->current; }

 private:
  void ArmDeadline(std::chrono::seconds timeout) { ArmDeadlineAt(smtp::SessionDeadline::Clock::now() + timeout); }

  void ArmDeadlineAt(smtp::SessionDeadline::Clock::time_point when) {
    timer_.expires_at(when);
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->OnTimeout();
    });
  }

  void OnTimeout() {
    if (closed_) return;
    ++*shared_->timed_out;
    // One last reply, best effort and without waiting, then close whatever the client
    // does. Over TLS a record cannot be written without blocking: just close.
    if (!tls_) {
      std::string reply = "421 4.4.2 " + shared_->options.host_name + " Error: timeout exceeded\r\n";
      boost::system::error_code ignored;
      socket_.non_blocking(true, ignored);
      socket_.write_some(asio::buffer(reply), ignored);
    }
    Close();
  }

  // The read's deadline (smtp_limits.h): a command line's clock starts when the previous
  // line was taken (a trickle of bytes does not restart it); DATA's when it begins.
  void ArmReadDeadline() {
    auto now = smtp::SessionDeadline::Clock::now();
    if (protocol_.in_data()) {
      if (!deadline_.in_data()) deadline_.BeginData(now);
    } else if (deadline_.in_data() || protocol_.commands_received() != commands_seen_) {
      deadline_.BeginCommand(now);
    }
    commands_seen_ = protocol_.commands_received();
    ArmDeadlineAt(deadline_.ReadDeadline(now));
  }

  void ReadMore() {
    if (closed_) return;
    ArmReadDeadline();
    auto on_read = [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
      self->timer_.cancel();
      if (ec || self->closed_) return self->Close();
      self->deadline_.Received(smtp::SessionDeadline::Clock::now(), n);
      self->protocol_.Receive(std::string_view(self->buffer_.data(), n));
      self->Drive();
    };
    if (tls_)
      tls_->async_read_some(asio::buffer(buffer_), on_read);
    else
      socket_.async_read_some(asio::buffer(buffer_), on_read);
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
    if (closed_) return;
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
    }
  }

  void Deliver() {
    const smtp::Envelope& envelope = protocol_.envelope();
    MailEnvelope mail;
    mail.sender = envelope.sender;
    mail.recipients = envelope.recipients;
    mail.origin = "SMTP from " + envelope.helo + " [" + peer_ + "]";
    mail.arrival = shared_->context->GetClock().NowMicros();
    std::string with = !envelope.esmtp ? "SMTP" : (envelope.tls ? "ESMTPS" : "ESMTP");
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
      asio::post(self->socket_.get_executor(), [self, unid] {
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
    tls_.emplace(socket_, *shared_->tls);
    ArmDeadline(shared_->idle_timeout);
    tls_->async_handshake(asio::ssl::stream_base::server,
                          [self = shared_from_this()](const boost::system::error_code& ec) {
                            self->timer_.cancel();
                            if (ec) return self->Close();
                            self->protocol_.CompleteStartTls();
                            self->protocol_.Receive("");
                            self->Drive();
                          });
  }

  template <typename Next>
  void Send(std::string bytes, Next next) {
    auto data = std::make_shared<std::string>(std::move(bytes));
    ArmDeadline(shared_->idle_timeout);
    auto on_write = [self = shared_from_this(), data, next](const boost::system::error_code& ec, std::size_t) {
      self->timer_.cancel();
      if (ec || self->closed_) return self->Close();
      next();
    };
    if (tls_)
      asio::async_write(*tls_, asio::buffer(*data), on_write);
    else
      asio::async_write(socket_, asio::buffer(*data), on_write);
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  std::shared_ptr<SmtpShared> shared_;
  DirectoryPolicy policy_;
  smtp::ServerSession protocol_;
  smtp::SessionDeadline deadline_;
  std::size_t commands_seen_ = 0;
  std::optional<asio::ssl::stream<tcp::socket&>> tls_;
  std::array<char, 16384> buffer_{};
  std::optional<MessageSpool> spool_;    // the message in DATA
  std::uint64_t spool_transaction_ = 0;  // protocol_.data_transaction() that spool_ holds
  std::string peer_;
  smtp::PeerSessionCounter::Slot slot_;
  bool closed_ = false;
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
    NOTESD_ASSIGN_OR_RETURN(shared->directory, OpenDirectory(context_.Databases(), context_.DataDir()));
    NOTESD_ASSIGN_OR_RETURN(shared->store, OpenMailStore(context_.Databases(), context_.DataDir()));
    ReadLimits(ini, *shared);
    if (ConfigBool(ini, mail_keys::kStartTls)) LoadTls(ini, *shared);
    StatsRegistry& stats = context_.Stats();
    shared->total = &stats.Counter("SMTP.Sessions.Total");
    shared->refused = &stats.Counter("SMTP.Sessions.Refused");
    shared->refused_per_peer = &stats.Counter("SMTP.Sessions.RefusedPerAddress");
    shared->timed_out = &stats.Counter("SMTP.Sessions.TimedOut");
    shared->received = &stats.Counter("SMTP.Messages.Received");
    shared->messages_refused = &stats.Counter("SMTP.Messages.Refused");
    shared->recipients_refused = &stats.Counter("SMTP.Recipients.Refused");
    std::weak_ptr<SmtpShared> weak = shared;
    stats.SetGauge("SMTP.Sessions.Current", [weak] {
      auto s = weak.lock();
      return std::to_string(s ? s->current.load() : 0);
    });
    shared_ = shared;

    address_ = ConfigText(ini, mail_keys::kListenerAddress);
    port_ = static_cast<int>(ConfigInt(ini, mail_keys::kListenerPort));
    boost::system::error_code ec;
    auto ip = asio::ip::make_address(address_, ec);
    if (ec) return Status::InvalidArgument("SMTPListenerAddress=" + address_ + ": not an IP address");
    acceptor_.emplace(asio::make_strand(context_.Io()));
    tcp::endpoint endpoint(ip, static_cast<unsigned short>(port_));
    acceptor_->open(endpoint.protocol(), ec);
    if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_->bind(endpoint, ec);
    if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      acceptor_.reset();
      return Status::Unavailable("cannot listen on " + address_ + ":" + std::to_string(port_) + ": " + ec.message());
    }
    retry_timer_.emplace(acceptor_->get_executor());
    Accept();
    context_.Log().Log("SMTP Server", "Listening for SMTP on " + address_ + ":" + std::to_string(port_) +
                                          (shared_->tls ? " (STARTTLS offered)" : " (no STARTTLS)"));
    return Status::Ok();
  }

  void Stop() override {
    if (!acceptor_) return;
    std::promise<void> closed;
    asio::post(acceptor_->get_executor(), [this, &closed] {
      boost::system::error_code ignored;
      acceptor_->close(ignored);
      retry_timer_->cancel();
      closed.set_value();
    });
    closed.get_future().wait_for(std::chrono::seconds(5));
    {
      std::lock_guard lock(sessions_mutex_);
      for (auto& weak : sessions_)
        if (auto session = weak.lock()) session->Abort();
      sessions_.clear();
    }
    // Let the sessions see their sockets closed; they keep `shared_` alive meanwhile.
    for (int i = 0; i < 100 && shared_->current.load() > 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    acceptor_.reset();
    retry_timer_.reset();
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
    return {{"SMTP Server", "Listening for connect requests on TCP Port:" + std::to_string(port_)},
            {"SMTP Server", std::to_string(current) + " session(s)"}};
  }

 private:
  void ReadLimits(const NotesIni& ini, SmtpShared& shared) {
    auto int_key = [&](const ConfigKey& key) {
      std::string problem;
      std::int64_t value = ConfigInt(ini, key, &problem);
      if (!problem.empty()) context_.Log().Log("SMTP Server", problem);
      return value;
    };
    shared.options.host_name = mail_keys::MailHostName(ini);
    shared.options.limits.max_message_bytes = static_cast<std::uint64_t>(int_key(mail_keys::kMaxMessageKb)) * 1024;
    shared.options.limits.max_recipients = static_cast<std::size_t>(int_key(mail_keys::kMaxRecipients));
    shared.options.limits.max_commands = static_cast<std::size_t>(int_key(mail_keys::kMaxCommands));
    shared.max_sessions = static_cast<std::size_t>(int_key(mail_keys::kMaxSessions));
    shared.per_peer.emplace(static_cast<std::size_t>(int_key(mail_keys::kMaxSessionsPerIp)));
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

  // STARTTLS with server.id's certificate; without it the listener runs in clear.
  void LoadTls(const NotesIni& ini, SmtpShared& shared) {
    std::filesystem::path id_path = context_.DataDir() / ConfigText(ini, identity_keys::kKeyFileName);
    auto id = IdFile::Load(id_path, "");
    if (!id.ok()) {
      context_.Log().Log("SMTP Server",
                         "STARTTLS not offered: cannot load " + id_path.string() + ": " + id.status().message());
      return;
    }
    asio::ssl::context tls(asio::ssl::context::tls_server);
    Status configured = ConfigureServerTls(*tls.native_handle(), *id, ClientCertificates::kNotAsked, "notesd-smtp");
    if (!configured.ok()) {
      context_.Log().Log("SMTP Server", "STARTTLS not offered: " + configured.message());
      return;
    }
    shared.tls.emplace(std::move(tls));
    shared.options.tls_available = true;
  }

  void Accept() {
    acceptor_->async_accept(asio::make_strand(context_.Io()),
                            [this](const boost::system::error_code& ec, tcp::socket socket) {
                              if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
                              if (ec) {
                                // Out of descriptors or similar: wait a little instead of spinning.
                                context_.Log().Log("SMTP Server", "Accept failed: " + ec.message());
                                retry_timer_->expires_after(std::chrono::milliseconds(200));
                                retry_timer_->async_wait([this](const boost::system::error_code& wait) {
                                  if (!wait) Accept();
                                });
                                return;
                              }
                              OnAccepted(std::move(socket));
                              Accept();
                            });
  }

  void OnAccepted(tcp::socket socket) {
    if (static_cast<std::size_t>(shared_->current.load()) >= shared_->max_sessions) {
      ++*shared_->refused;
      return Refuse(std::move(socket), "too many connections, try again later");
    }
    boost::system::error_code ec;
    tcp::endpoint endpoint = socket.remote_endpoint(ec);
    if (ec) return;  // already gone; the socket closes here
    std::optional<smtp::PeerSessionCounter::Slot> slot =
        shared_->per_peer->TryAcquire(smtp::PeerKey(endpoint.address()));
    if (!slot) {
      ++*shared_->refused;
      ++*shared_->refused_per_peer;
      return Refuse(std::move(socket), "too many connections from your address, try again later");
    }
    auto session =
        std::make_shared<SmtpSession>(std::move(socket), endpoint.address().to_string(), std::move(*slot), shared_);
    {
      std::lock_guard lock(sessions_mutex_);
      std::erase_if(sessions_, [](const std::weak_ptr<SmtpSession>& w) { return w.expired(); });
      sessions_.push_back(session);
    }
    session->Start();
  }

  // 421 4.7.0 naming `reason`, then close; the write is bounded by the idle timeout.
  void Refuse(tcp::socket socket, std::string_view reason) {
    auto reply = std::make_shared<std::string>("421 4.7.0 " + shared_->options.host_name +
                                               " Error: " + std::string(reason) + "\r\n");
    auto sock = std::make_shared<tcp::socket>(std::move(socket));
    auto timer = std::make_shared<asio::steady_timer>(sock->get_executor(), shared_->idle_timeout);
    timer->async_wait([sock](const boost::system::error_code& ec) {
      if (ec) return;
      boost::system::error_code ignored;
      sock->close(ignored);
    });
    asio::async_write(*sock, asio::buffer(*reply), [sock, reply, timer](const boost::system::error_code&, std::size_t) {
      timer->cancel();
      boost::system::error_code ignored;
      sock->shutdown(tcp::socket::shutdown_both, ignored);
      sock->close(ignored);
    });
  }

  TaskContext& context_;
  std::shared_ptr<SmtpShared> shared_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<asio::steady_timer> retry_timer_;
  std::mutex sessions_mutex_;
  std::list<std::weak_ptr<SmtpSession>> sessions_;
  std::string address_;
  int port_ = 0;
};

}  // namespace

TaskSpec SmtpTaskSpec() {
  return {"SMTP", "SMTP Server", {"nsmtp"}, mail_keys::kSmtpKeys, [](TaskContext& context) {
            return std::make_unique<SmtpTask>(context);
          }};
}

}  // namespace notesd
