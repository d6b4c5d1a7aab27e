// fuzz_pop3_command — feeds the pure POP3 pieces: the line reader and command parser
// (pop3/pop3_protocol.h) and the handler (pop3/pop3_session.h) over an in-memory backend.
//
// Input: byte 0 picks the session (bit 0: on TLS from the start, as on POP3SSLPort; bit 1:
// STLS available); the rest is what a client sends, pipelined, run as the task's session
// runs it: a line too long ends the session, a kStartTls reply is followed by
// CompleteStartTls and drops what was buffered, a kClose reply ends it. A second pass
// feeds the same bytes one at a time and must give the same transcript (framing must not
// depend on how TCP splits the stream). Every reply must end with CRLF, and a multi-line
// one with ".\r\n"; the reader's buffer stays within kMaxLineBytes plus one read. The
// backend accepts "jane" / "pw" and holds three messages (dot lines, no final CRLF, an
// empty body). Seeds: fuzz/corpus/pop3_command/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "pop3/pop3_protocol.h"
#include "pop3/pop3_session.h"

namespace {

using namespace notesd::pop3;

class FuzzBackend final : public Pop3Backend {
 public:
  notesd::Result<notesd::Person> Login(std::string_view name, std::string_view password, std::string_view) override {
    if (name != "jane" || password != "pw") return notesd::Status::PermissionDenied("invalid user name or password");
    notesd::Person person;
    person.mail_file = "mail/jane.nsf";
    return person;
  }
  notesd::Result<std::vector<MaildropMessage>> ListMaildrop(const notesd::Person&) override {
    std::vector<MaildropMessage> out;
    for (const auto& [uid, bytes] : messages) out.push_back({uid, "UNID" + std::to_string(uid), bytes.size()});
    return out;
  }
  notesd::Result<std::string> ReadMessage(const notesd::Person&, const MaildropMessage& m, bool) override {
    auto found = messages.find(m.uid);
    if (found == messages.end()) return notesd::Status::NotFound("gone");
    return found->second;
  }
  notesd::Result<std::size_t> RemoveMessages(const notesd::Person&, const std::vector<MaildropMessage>& d) override {
    std::size_t n = 0;
    for (const MaildropMessage& m : d) n += messages.erase(m.uid);
    return n;
  }
  std::map<std::uint32_t, std::string> messages{
      {1, "From: a\r\nSubject: one\r\n\r\n.dot\r\n..two\r\nend"},
      {2, "From: b\r\n\r\n"},
      {7, ".starts with a dot\r\n"},
  };
};

void CheckReply(const Reply& reply) {
  if (reply.text.size() < 2 || !reply.text.ends_with("\r\n")) std::abort();
  if (reply.text.find("\r\n") + 2 < reply.text.size() && !reply.text.ends_with("\r\n.\r\n")) std::abort();
}

std::string Run(std::string_view input, bool tls, bool tls_available, std::size_t chunk) {
  FuzzBackend backend;
  HandlerOptions options;
  options.tls_available = tls_available;
  Pop3Handler handler(options, backend, "192.0.2.1", tls);
  LineReader reader;
  std::string transcript = handler.Greeting();
  std::size_t at = 0;
  while (at < input.size()) {
    std::size_t n = std::min(chunk, input.size() - at);
    reader.Feed(input.substr(at, n));
    at += n;
    for (;;) {
      std::string line;
      LineReader::Result next = reader.Next(&line);
      if (next == LineReader::Result::kNeedMore) break;
      Reply reply = next == LineReader::Result::kLine ? handler.Handle(line) : handler.LineError(next);
      CheckReply(reply);
      transcript += reply.text;
      if (reply.action == Action::kClose) return transcript;
      if (reply.action == Action::kStartTls) {
        // What the client sent after STLS and the session had read is dropped (it is the
        // handshake's). The whole-input pass has read everything, so it ends here; the
        // byte-at-a-time pass had read nothing more and goes on over TLS.
        reader.Clear();
        handler.CompleteStartTls();
        transcript += "[TLS]\r\n";
        if (chunk != 1) return transcript;
      }
    }
    if (reader.buffered() >= kMaxLineBytes) std::abort();
  }
  return transcript;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  bool tls = (data[0] & 1) != 0;
  bool tls_available = (data[0] & 2) != 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string whole = Run(input, tls, tls_available, input.size() + 1);
  std::string bytewise = Run(input, tls, tls_available, 1);
  // After STLS the two passes drop different bytes (as TCP could split them); before it
  // they must agree exactly.
  std::size_t tls_mark = whole.find("[TLS]\r\n");
  if (tls_mark == std::string::npos) {
    if (whole != bytewise) std::abort();
  } else if (bytewise.compare(0, tls_mark + 7, whole, 0, tls_mark + 7) != 0) {
    std::abort();
  }
  return 0;
}
