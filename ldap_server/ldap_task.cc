#include "ldap_server/ldap_task.h"

#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/thread_pool.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <functional>
#include <optional>
#include <set>

#include "base/ascii.h"
#include "base/command_grammar.h"
#include "directory/directory.h"
#include "directory/internet_password.h"
#include "ldap/ldap_entry.h"
#include "ldap/ldap_message.h"
#include "ldap_server/ldap_config.h"
#include "ldap_server/ldap_directory_view.h"
#include "net/connection.h"
#include "net/listener.h"
#include "net/server_tls.h"

namespace notesd {

namespace {

namespace asio = boost::asio;
using ldap::Decoded;
using ldap::Operation;
using ldap::ResultCode;

constexpr char kLogSource[] = "LDAP Server";
constexpr int kLdapStatistics = 1;

const CommandGrammar& LdapGrammar() {
  static const std::vector<CommandForm> forms = WithTaskQuitForms({
      {{"STATISTICS"}, kLdapStatistics, CommandArgument::kNone, "The LDAP statistics"},
      {{"STATS"}, kLdapStatistics, CommandArgument::kNone, "The LDAP statistics"},
      {{"SHOW", "STATISTICS"}, kLdapStatistics, CommandArgument::kNone, "The LDAP statistics"},
  });
  static const CommandGrammar grammar{forms, "LDAP", "(try STAT or QUIT)"};
  return grammar;
}

// What every session shares; kept alive by the sessions.
struct LdapShared {
  TaskContext* context = nullptr;
  std::shared_ptr<Directory> directory;
  std::shared_ptr<InternetPasswords> passwords;
  std::unique_ptr<asio::ssl::context> tls;
  asio::thread_pool* pool = nullptr;  // the task's; outlives every session that uses it (Stop joins)
  std::string naming_context;
  std::set<std::string> anonymous_attributes;  // base names, lower case
  bool allow_plain_bind = false;
  std::chrono::seconds idle_timeout{300};
  std::int64_t max_results = 1000;
  ldap::DecodeLimits limits;
  std::atomic<std::int64_t> current{0};
  std::atomic<std::int64_t>* timed_out = nullptr;
  std::atomic<std::int64_t>* binds_ok = nullptr;
  std::atomic<std::int64_t>* binds_failed = nullptr;
  std::atomic<std::int64_t>* binds_plain = nullptr;
  std::atomic<std::int64_t>* searches = nullptr;
  std::atomic<std::int64_t>* entries = nullptr;
  std::atomic<std::int64_t>* refused = nullptr;
  std::atomic<std::int64_t>* bad = nullptr;
};

std::string Disconnection(ResultCode code, std::string_view why) {
  return ldap::EncodeExtendedResult(0, code, why, std::string(ldap::kNoticeOfDisconnectionOid), std::nullopt);
}

// An equality on mail, uid or cn at the top of the filter (or in a top-level AND): the
// people it can match are found by one lookup instead of a walk of the directory.
std::optional<std::string> LookupKey(const ldap::Filter& filter) {
  if (filter.type == ldap::FilterType::kEquality) {
    std::string base = ldap::AttributeBaseName(filter.attribute);
    if (base == "mail" || base == "uid" || base == "cn") return filter.value;
  }
  if (filter.type == ldap::FilterType::kAnd)
    for (const ldap::Filter& child : filter.children)
      if (auto key = LookupKey(child)) return key;
  return std::nullopt;
}

// The search itself, on the pool: every reply message of one search request, encoded.
class SearchRun {
 public:
  SearchRun(const LdapShared& shared, const ldap::Request& request, bool bound)
      : shared_(shared), request_(request), search_(request.search), bound_(bound) {
    filter_names_certificates_ = NamesCertificates(search_.filter);
    wants_bundle_ = filter_names_certificates_ || AsksForBundle(search_.attributes);
    access_ = [this](std::string_view base) {
      return bound_ || shared_.anonymous_attributes.count(std::string(base)) > 0;
    };
  }

  std::string Run() {
    ++*shared_.searches;
    base_ = ldap::NormalizeDn(search_.base);
    for (const ldap::Control& control : request_.controls) {
      if (control.oid == ldap::kPagedResultsOid) {
        auto paged = control.value ? ldap::DecodePagedResultsValue(*control.value) : std::nullopt;
        if (!paged) return Done(ResultCode::kProtocolError, "bad paged-results control");
        paged_ = true;
        page_size_ = paged->size;
        if (!paged->cookie.empty()) {
          auto [end, ec] = std::from_chars(paged->cookie.data(), paged->cookie.data() + paged->cookie.size(), offset_);
          if (ec != std::errc() || end != paged->cookie.data() + paged->cookie.size())
            return Done(ResultCode::kUnwillingToPerform, "bad paged-results cookie");
        }
        if (page_size_ == 0) return Done(ResultCode::kSuccess, "");  // the client abandons the paged search
      } else if (control.critical) {
        return Done(ResultCode::kUnavailableCriticalExtension, "control " + control.oid + " not supported");
      }
    }
    if (search_.time_limit > 0) deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(search_.time_limit);

    // The root DSE and the subschema exist only as base objects.
    if (base_.empty() && search_.scope == ldap::Scope::kBase) {
      Consider(ldap::RootDse({shared_.naming_context}), true);
      return Done(ResultCode::kSuccess, "");
    }
    if (base_ == ldap::kSubschemaDn) {
      if (search_.scope != ldap::Scope::kOneLevel) Consider(ldap::Subschema(), true);
      return Done(ResultCode::kSuccess, "");
    }
    if (!shared_.naming_context.empty() && !Consider(ldap::OrganizationEntry(shared_.naming_context))) return Finish();
    if (!ListGroups()) return Finish();
    if (!ListPeople()) return Finish();
    return Finish();
  }

 private:
  // Sends `entry` when it is in scope and matches; false to stop (a limit, an error).
  // With `full`, `entry` is the person without certificates (enough for a filter that
  // names none): the certificates are read only for the entries sent.
  bool Consider(const ldap::Entry& entry, bool base_object = false,
                const std::function<ldap::Entry()>& full = nullptr) {
    if (stop_) return false;
    if (deadline_ && std::chrono::steady_clock::now() > *deadline_) return Stop(ResultCode::kTimeLimitExceeded);
    std::string dn = base_object ? base_ : ldap::NormalizeDn(entry.dn);
    if (!base_seen_ && (dn == base_ || (dn.size() > base_.size() && dn.ends_with("," + base_)))) base_seen_ = true;
    if (!base_object && !ldap::InScope(dn, base_, search_.scope)) return true;
    // The root DSE and the subschema are for every client to read (RFC 4512 5.1).
    static const ldap::AttributeAccess kEveryone = [](std::string_view) { return true; };
    const ldap::AttributeAccess& access = base_object ? kEveryone : access_;
    if (!ldap::FilterMatches(search_.filter, entry, access)) return true;
    if (matched_++ < offset_) return true;
    std::int64_t sent_in_all = offset_ + sent_;
    if (search_.size_limit > 0 && sent_in_all >= search_.size_limit) return Stop(ResultCode::kSizeLimitExceeded);
    std::int64_t page = paged_ ? std::min(page_size_, shared_.max_results) : shared_.max_results;
    if (sent_ >= page) {
      if (paged_) {
        more_ = true;
        stop_ = true;
        return false;
      }
      return Stop(ResultCode::kSizeLimitExceeded);
    }
    std::optional<ldap::Entry> whole;
    if (full) whole = full();
    const ldap::Entry& sent = whole ? *whole : entry;
    out_ += ldap::EncodeSearchEntry(request_.message_id, sent.dn,
                                    ldap::SelectAttributes(sent, search_.attributes, access), search_.types_only);
    ++sent_;
    return true;
  }

  bool Stop(ResultCode code) {
    stop_ = true;
    stop_code_ = code;
    return false;
  }

  bool ListGroups() {
    auto groups = shared_.directory->ListGroups();
    if (!groups.ok()) return Stop(ResultCode::kOperationsError);
    for (const Group& group : *groups)
      if (!Consider(ldap::GroupEntry(group, shared_.naming_context))) return false;
    return true;
  }

  bool ListPeople() {
    std::time_t now = static_cast<std::time_t>(shared_.context->GetClock().NowMicros() / 1000000);
    if (auto key = LookupKey(search_.filter)) {
      auto person = shared_.directory->FindPerson(*key);
      if (person.ok()) return ConsiderPerson(*person, now);
      if (person.status().code() == StatusCode::kNotFound) return true;
      // Several people share the common name: walk them all.
    }
    Status walked = shared_.directory->ForEachPerson([&](const Person& person) -> Status {
      if (!ConsiderPerson(person, now)) return Status::Unavailable("stop");
      return Status::Ok();
    });
    if (!walked.ok() && !stop_) return Stop(ResultCode::kOperationsError);
    return true;
  }

  // Parsing certificates is most of the cost of a person's entry: a filter that names no
  // certificate attribute is evaluated without them.
  bool ConsiderPerson(const Person& person, std::time_t now) {
    if (filter_names_certificates_) return Consider(ldap::PersonEntry(person, now, true, wants_bundle_));
    return Consider(ldap::PersonEntry(person, now, false), false,
                    [&] { return ldap::PersonEntry(person, now, true, wants_bundle_); });
  }

  // Whether the attributes asked for take in userSMIMECertificate (none named: all).
  static bool AsksForBundle(const std::vector<std::string>& attributes) {
    if (attributes.empty()) return true;
    return std::any_of(attributes.begin(), attributes.end(), [](const std::string& name) {
      return name == "*" || ldap::AttributeBaseName(name) == "usersmimecertificate";
    });
  }

  static bool NamesCertificates(const ldap::Filter& filter) {
    std::string base = ldap::AttributeBaseName(filter.attribute);
    if (base == "usercertificate" || base == "usersmimecertificate") return true;
    return std::any_of(filter.children.begin(), filter.children.end(), NamesCertificates);
  }

  std::string Finish() {
    if (stop_code_ != ResultCode::kSuccess) return Done(stop_code_, "");
    if (!base_seen_ && !base_.empty()) {
      out_.clear();
      return Done(ResultCode::kNoSuchObject, "no such entry", shared_.naming_context);
    }
    return Done(ResultCode::kSuccess, "");
  }

  std::string Done(ResultCode code, std::string_view message, std::string_view matched = "") {
    *shared_.entries += sent_;
    std::vector<ldap::Control> controls;
    if (paged_) {
      std::string cookie = more_ ? std::to_string(offset_ + sent_) : "";
      controls.push_back({ldap::kPagedResultsOid, false, ldap::EncodePagedResultsValue(0, cookie)});
    }
    out_ += ldap::EncodeResult(request_.message_id, ldap::ResponseTag(Operation::kSearch), code, matched, message,
                               controls);
    return std::move(out_);
  }

  const LdapShared& shared_;
  const ldap::Request& request_;
  const ldap::SearchRequest& search_;
  bool bound_;
  ldap::AttributeAccess access_;
  std::string base_;
  std::string out_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  bool paged_ = false, more_ = false, stop_ = false, base_seen_ = false, filter_names_certificates_ = true,
       wants_bundle_ = true;
  std::int64_t page_size_ = 0, offset_ = 0, matched_ = 0, sent_ = 0;
  ResultCode stop_code_ = ResultCode::kSuccess;
};

// The session piece: one connection, its requests answered in order.
class LdapSession final : public std::enable_shared_from_this<LdapSession> {
 public:
  LdapSession(std::shared_ptr<net::Connection> connection, std::shared_ptr<LdapShared> shared)
      : connection_(std::move(connection)), shared_(std::move(shared)), reader_(std::make_unique<ldap::PduReader>()) {
    ++shared_->current;
  }
  ~LdapSession() { --shared_->current; }

  void Start() {
    // SHOW USERS lists the session (with the person once bound); DROP closes it.
    std::weak_ptr<net::Connection> weak = connection_;
    registration_ = shared_->context->Sessions().Open("LDAP", connection_->peer_address(), [weak] {
      if (auto connection = weak.lock()) connection->CloseFromAnyThread();
    });
    connection_->SetTimeoutHandler([shared = shared_.get()] { ++*shared->timed_out; });
    ReadMore();
  }

 private:
  net::SteadyClock::time_point Deadline() const { return net::SteadyClock::now() + shared_->idle_timeout; }

  void ReadMore() {
    if (connection_->closed()) return;
    connection_->ReadSome(asio::buffer(buffer_), Deadline(),
                          [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                            if (ec) return self->Close();
                            self->reader_->Feed(std::string_view(self->buffer_.data(), n));
                            self->registration_.Touch();
                            self->Process();
                          });
  }

  // Frames the next request and answers it; reads more when none is whole yet.
  void Process() {
    if (connection_->closed()) return;
    Decoded decoded;
    switch (reader_->Next(decoded, shared_->limits)) {
      case ldap::PduReader::Status::kNeedMore: return ReadMore();
      case ldap::PduReader::Status::kTooBig:
        ++*shared_->bad;
        return Disconnect(ResultCode::kProtocolError, "message too large");
      case ldap::PduReader::Status::kMalformed:
        ++*shared_->bad;
        return Disconnect(ResultCode::kProtocolError, "malformed message");
      case ldap::PduReader::Status::kPdu: return Handle(std::move(decoded));
    }
  }

  void Handle(Decoded decoded) {
    ldap::Request& request = decoded.request;
    if (decoded.problem) {
      ++*shared_->bad;
      bool answerable = request.message_id >= 0 && request.operation != Operation::kUnknown &&
                        request.operation != Operation::kUnbind && request.operation != Operation::kAbandon;
      if (!answerable) return Disconnect(ResultCode::kProtocolError, *decoded.problem);
      std::string reply = request.operation == Operation::kExtended
                              ? ldap::EncodeExtendedResult(request.message_id, decoded.code, *decoded.problem,
                                                           std::nullopt, std::nullopt)
                              : ldap::EncodeResult(request.message_id, ldap::ResponseTag(request.operation),
                                                   decoded.code, "", *decoded.problem);
      // A protocol error leaves the session's state unknown: answer, then close.
      if (decoded.code == ResultCode::kProtocolError)
        return Send(std::move(reply), [self = shared_from_this()] { self->Close(); });
      return Reply(std::move(reply));
    }
    switch (request.operation) {
      case Operation::kBind: return Bind(request);
      case Operation::kUnbind: return Close();
      case Operation::kAbandon:
        // Nothing to answer; posted, so a stream of pipelined abandons does not recurse.
        return asio::post(connection_->executor(), [self = shared_from_this()] { self->Process(); });
      case Operation::kSearch: return Search(std::move(request));
      case Operation::kExtended: return Extended(request);
      case Operation::kModify:
      case Operation::kAdd:
      case Operation::kDelete:
      case Operation::kModifyDn:
      case Operation::kCompare:
        ++*shared_->refused;
        return Reply(ldap::EncodeResult(request.message_id, ldap::ResponseTag(request.operation),
                                        ResultCode::kUnwillingToPerform, "", "the directory is read-only over LDAP"));
      case Operation::kUnknown: return Disconnect(ResultCode::kProtocolError, "unknown operation");
    }
  }

  void Bind(const ldap::Request& request) {
    const ldap::BindRequest& bind = request.bind;
    auto answer = [&](ResultCode code, std::string_view message) {
      Reply(ldap::EncodeResult(request.message_id, ldap::ResponseTag(Operation::kBind), code, "", message));
    };
    bound_dn_.clear();  // a bind starts anonymous (RFC 4511 4.2.1)
    if (bind.version != 3) return answer(ResultCode::kProtocolError, "only LDAPv3");
    if (!bind.simple) return answer(ResultCode::kAuthMethodNotSupported, "SASL is not supported");
    if (bind.password.empty()) {
      if (bind.name.empty()) return answer(ResultCode::kSuccess, "");
      return answer(ResultCode::kUnwillingToPerform, "unauthenticated bind (a name without a password) refused");
    }
    if (!connection_->tls() && !shared_->allow_plain_bind) {
      ++*shared_->binds_plain;
      return answer(ResultCode::kConfidentialityRequired, "a password bind needs TLS (StartTLS or LDAPS)");
    }
    if (!shared_->passwords) return answer(ResultCode::kUnavailable, "Internet passwords are not available");
    // Argon2 takes tens of milliseconds and may wait for a turn: on the pool, not an io thread.
    asio::post(*shared_->pool, [self = shared_from_this(), id = request.message_id, name = bind.name,
                                password = bind.password]() mutable {
      Result<Person> person = self->shared_->passwords->Verify(ldap::DnToNotesName(name), password,
                                                               self->connection_->peer_address(), "LDAP");
      std::fill(password.begin(), password.end(), '\0');
      asio::post(self->connection_->executor(), [self, id, person = std::move(person)] {
        if (person.ok()) {
          ++*self->shared_->binds_ok;
          self->bound_dn_ = ldap::NameToDn(person->name);
          self->registration_.SignedIn(person->name.Canonical(), "names.nsf");
          return self->Reply(ldap::EncodeResult(id, ldap::ResponseTag(Operation::kBind), ResultCode::kSuccess, "", ""));
        }
        ++*self->shared_->binds_failed;
        ResultCode code = person.status().code() == StatusCode::kPermissionDenied ||
                                  person.status().code() == StatusCode::kUnavailable
                              ? ResultCode::kInvalidCredentials
                              : ResultCode::kOperationsError;
        self->Reply(ldap::EncodeResult(id, ldap::ResponseTag(Operation::kBind), code, "", person.status().message()));
      });
    });
  }

  void Search(ldap::Request request) {
    bool bound = !bound_dn_.empty();
    asio::post(*shared_->pool, [self = shared_from_this(), request = std::move(request), bound] {
      std::string replies = SearchRun(*self->shared_, request, bound).Run();
      asio::post(self->connection_->executor(),
                 [self, replies = std::move(replies)]() mutable { self->Reply(std::move(replies)); });
    });
  }

  void Extended(const ldap::Request& request) {
    const std::string& oid = request.extended.oid;
    if (oid == ldap::kWhoAmIOid) {
      std::string who = bound_dn_.empty() ? "" : "dn:" + bound_dn_;
      return Reply(ldap::EncodeExtendedResult(request.message_id, ResultCode::kSuccess, "", std::nullopt, who));
    }
    if (oid == ldap::kStartTlsOid) {
      if (connection_->tls())
        return Reply(ldap::EncodeExtendedResult(request.message_id, ResultCode::kOperationsError, "TLS is already on",
                                                oid, std::nullopt));
      if (!shared_->tls)
        return Reply(ldap::EncodeExtendedResult(request.message_id, ResultCode::kUnavailable, "TLS is not available",
                                                oid, std::nullopt));
      return Send(ldap::EncodeExtendedResult(request.message_id, ResultCode::kSuccess, "", oid, std::nullopt),
                  [self = shared_from_this()] { self->StartTls(); });
    }
    Reply(ldap::EncodeExtendedResult(request.message_id, ResultCode::kProtocolError, "unsupported extended operation",
                                     std::nullopt, std::nullopt));
  }

  void StartTls() {
    // What the client sent after the request, before the handshake, is the handshake's.
    reader_ = std::make_unique<ldap::PduReader>();
    connection_->StartTls(*shared_->tls, Deadline(), [self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return self->Close();
      self->ReadMore();
    });
  }

  // Sends a reply and goes on with the next request.
  void Reply(std::string bytes) {
    Send(std::move(bytes), [self = shared_from_this()] { self->Process(); });
  }

  void Send(std::string bytes, std::function<void()> next) {
    if (connection_->closed()) return;
    connection_->Write(std::move(bytes), Deadline(),
                       [self = shared_from_this(), next = std::move(next)](const boost::system::error_code& ec) {
                         if (ec) return self->Close();
                         next();
                       });
  }

  // A notice of disconnection (RFC 4511 4.4.1), then the close.
  void Disconnect(ResultCode code, std::string_view why) {
    Send(Disconnection(code, why), [self = shared_from_this()] { self->Close(); });
  }

  void Close() { connection_->Close(); }

  std::shared_ptr<net::Connection> connection_;
  std::shared_ptr<LdapShared> shared_;
  std::unique_ptr<ldap::PduReader> reader_;
  SessionRegistry::Session registration_;
  std::array<char, 16384> buffer_{};
  std::string bound_dn_;  // empty: anonymous
};

class LdapTask final : public Task {
 public:
  explicit LdapTask(TaskContext& context) : context_(context) {}
  ~LdapTask() override { Stop(); }

  Status Start(const std::vector<std::string>&) override {
    NotesIni ini = context_.Config();
    auto shared = std::make_shared<LdapShared>();
    shared->context = &context_;
    NOTESD_ASSIGN_OR_RETURN(shared->directory, OpenDirectory(context_.Databases(), context_.DataDir()));
    auto passwords = OpenInternetPasswords(context_.Databases(), context_.DataDir(), context_.GetClock(),
                                           context_.Log(), context_.Stats(), ini);
    if (passwords.ok())
      shared->passwords = std::move(passwords).value();
    else
      context_.Log().Log(kLogSource, "Password binds refused: " + passwords.status().message());
    auto server = HierName::Parse(ConfigText(ini, identity_keys::kServerName));
    if (server.ok()) shared->naming_context = ldap::NamingContext(*server);
    for (const std::string& name : ConfigList(ini, ldap_keys::kAnonymousAttributes))
      shared->anonymous_attributes.insert(ldap::AttributeBaseName(name));
    shared->allow_plain_bind = BoolKey(ini, ldap_keys::kAllowPlainBind);
    shared->idle_timeout = std::chrono::seconds(IntKey(ini, ldap_keys::kIdleTimeout));
    shared->max_results = IntKey(ini, ldap_keys::kMaxResults);
    auto tls = net::LoadServerTls(context_.DataDir(), ini, "notesd-ldap");
    if (tls.ok())
      shared->tls = std::move(tls).value();
    else
      context_.Log().Log(kLogSource, "StartTLS and LDAPS not offered: " + tls.status().message());
    StatsRegistry& stats = context_.Stats();
    shared->timed_out = &stats.Counter("LDAP.Sessions.TimedOut");
    shared->binds_ok = &stats.Counter("LDAP.Binds.Succeeded");
    shared->binds_failed = &stats.Counter("LDAP.Binds.Failed");
    shared->binds_plain = &stats.Counter("LDAP.Binds.RefusedWithoutTLS");
    shared->searches = &stats.Counter("LDAP.Searches");
    shared->entries = &stats.Counter("LDAP.Entries.Returned");
    shared->refused = &stats.Counter("LDAP.Requests.Refused");
    shared->bad = &stats.Counter("LDAP.Requests.Bad");
    pool_ = std::make_unique<asio::thread_pool>(4);
    shared->pool = pool_.get();
    shared_ = shared;

    auto make_options = [&](const char* what, int port, asio::ssl::context* implicit_tls) {
      net::ListenerOptions options;
      options.log_source = kLogSource;
      options.what = what;
      options.address = ConfigText(ini, ldap_keys::kAddress);
      options.port = port;
      options.max_sessions = static_cast<std::size_t>(IntKey(ini, ldap_keys::kMaxSessions));
      options.max_sessions_per_address = static_cast<std::size_t>(IntKey(ini, ldap_keys::kMaxSessionsPerIp));
      options.implicit_tls = implicit_tls;
      options.handshake_timeout = shared->idle_timeout;
      options.refusal = [](std::string_view reason) { return Disconnection(ResultCode::kBusy, reason); };
      options.stats = &stats;
      options.stats_prefix = "LDAP";
      return options;
    };
    auto factory = [shared](std::shared_ptr<net::Connection> connection) {
      std::make_shared<LdapSession>(std::move(connection), shared)->Start();
    };
    std::string listening;
    auto start = [&](net::ListenerOptions options) -> Status {
      auto& listener = listeners_.emplace_back(
          std::make_unique<net::Listener>(context_.Io(), context_.Log(), std::move(options), factory));
      NOTESD_RETURN_IF_ERROR(listener->Start());
      listening += (listening.empty() ? "" : ", ") + listener->options().what + " on " + listener->options().address +
                   ":" + std::to_string(listener->port());
      return Status::Ok();
    };
    Status started = start(make_options("LDAP", static_cast<int>(IntKey(ini, ldap_keys::kPort)), nullptr));
    int ssl_port = static_cast<int>(IntKey(ini, ldap_keys::kSslPort));
    if (started.ok() && ssl_port != 0) {
      if (shared->tls)
        started = start(make_options("LDAPS", ssl_port, shared->tls.get()));
      else
        context_.Log().Log(kLogSource, "LDAPS port not opened: no TLS certificate");
    }
    if (!started.ok()) {
      Stop();
      return started;
    }
    std::weak_ptr<LdapShared> weak = shared;
    stats.SetGauge("LDAP.Sessions.Current", [weak] {
      auto live = weak.lock();
      return std::to_string(live ? live->current.load() : 0);
    });
    context_.Log().Log(kLogSource, "Listening for " + listening + (shared->tls ? " (StartTLS offered)" : " (no TLS)"));
    return Status::Ok();
  }

  void Stop() override {
    for (auto& listener : listeners_) listener->Stop();
    listeners_.clear();
    if (pool_) {
      pool_->join();
      pool_.reset();
    }
    shared_.reset();
  }

  Result<std::string> Tell(std::string_view command) override {
    NOTESD_ASSIGN_OR_RETURN(MatchedCommand matched, MatchCommand(command, LdapGrammar()));
    if (matched.form->id != kLdapStatistics)
      return Status::Internal("TELL LDAP " + FormWords(*matched.form) + " is the server's to answer");
    std::string out;
    for (const auto& [name, value] : context_.Stats().Snapshot("LDAP.*")) out += "  " + name + " = " + value + "\n";
    if (!out.empty()) out.pop_back();
    return out;
  }

  std::vector<TaskStatusRow> StatusRows() const override {
    std::vector<TaskStatusRow> rows;
    for (const auto& listener : listeners_)
      rows.push_back({kLogSource, "Listening for " + listener->options().what +
                                      " on TCP Port:" + std::to_string(listener->port())});
    rows.push_back({kLogSource, std::to_string(shared_ ? shared_->current.load() : 0) + " session(s)"});
    return rows;
  }

 private:
  std::int64_t IntKey(const NotesIni& ini, const ConfigKey& key) {
    std::string problem;
    std::int64_t value = ConfigInt(ini, key, &problem);
    if (!problem.empty()) context_.Log().Log(kLogSource, problem);
    return value;
  }
  bool BoolKey(const NotesIni& ini, const ConfigKey& key) {
    std::string problem;
    bool value = ConfigBool(ini, key, &problem);
    if (!problem.empty()) context_.Log().Log(kLogSource, problem);
    return value;
  }

  TaskContext& context_;
  std::shared_ptr<LdapShared> shared_;
  std::unique_ptr<asio::thread_pool> pool_;
  std::vector<std::unique_ptr<net::Listener>> listeners_;
};

}  // namespace

TaskSpec LdapTaskSpec() {
  return {"LDAP", "LDAP Server", {"nldap"}, ldap_keys::kLdapKeys, [](TaskContext& context) {
            return std::make_unique<LdapTask>(context);
          }};
}

}  // namespace notesd
