// pop3/pop3_session.h — the POP3 handler: one session's states (AUTHORIZATION,
// TRANSACTION, UPDATE; RFC 1939) and every reply, over a Pop3Backend (the login check and
// the maildrop). No sockets: the task's session (pop3_task.cc) feeds it lines and sends
// what it answers; the unit tests drive it with a fake backend.
//
// Rules it owns: USER/PASS and AUTH PLAIN only over TLS (STLS or the implicit-TLS port):
// before, "-ERR [AUTH] ..." and CAPA lists neither USER nor SASL (RFC 2595 section 2.2's
// advice). The maildrop is the INBOX as it was at login (RFC 1939: the listing stays fixed
// for the session; new mail shows at the next login). RETR marks the message \Seen; TOP
// does not. DELE only marks; the marked messages are removed at QUIT (the UPDATE state),
// never when the connection drops. UIDL is the message's UNID, which never changes (not
// with a restart, not with a move of the note's UID). Replies carry RFC 2449/3206
// response codes ([AUTH], [SYS/TEMP], [SYS/PERM]).
//
// Blocking: Handle() of a line for which Blocks() is true calls the backend (Argon2, the
// mail file): the task runs it off the io thread. Not thread-safe: one session's calls
// in sequence (from any thread, with the ordering a strand or post gives).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "directory/directory.h"
#include "pop3/pop3_protocol.h"

namespace notesd::pop3 {

// One message of the maildrop as the listing at login saw it.
struct MaildropMessage {
  std::uint32_t uid = 0;   // in INBOX
  std::string unid;        // the UIDL
  std::uint64_t size = 0;  // octets, CRLF line ends, before dot-stuffing
};

// What the handler needs from the server. Implementations may block; thread-safe.
class Pop3Backend {
 public:
  virtual ~Pop3Backend() = default;
  // The Internet-password check (directory/internet_password.h): the Person, or
  // PermissionDenied / Unavailable with a message fit for the client.
  virtual Result<Person> Login(std::string_view name, std::string_view password, std::string_view client_address) = 0;
  // The person's INBOX in UID order.
  virtual Result<std::vector<MaildropMessage>> ListMaildrop(const Person& person) = 0;
  // The message's bytes; with `mark_seen` it gets \Seen. NotFound when it is gone.
  virtual Result<std::string> ReadMessage(const Person& person, const MaildropMessage& message, bool mark_seen) = 0;
  // Removes the messages (those already gone are skipped). The number removed.
  virtual Result<std::size_t> RemoveMessages(const Person& person, const std::vector<MaildropMessage>& messages) = 0;
};

struct HandlerOptions {
  std::string host_name = "localhost";
  bool tls_available = false;         // STLS can be offered (server.id loaded)
  std::size_t max_bad_commands = 20;  // then "-ERR too many bad commands" and the close
};

enum class State { kAuthorization, kTransaction, kUpdate };
enum class Action { kNone, kStartTls, kClose };

struct Reply {
  std::string text;  // the whole reply, CRLF-terminated lines
  Action action = Action::kNone;
};

// What happened in a session, for the task's statistics.
struct SessionCounts {
  std::size_t logins_failed = 0;
  std::size_t retrieved = 0;
  std::size_t deleted = 0;  // removed at QUIT
};

class Pop3Handler {
 public:
  // `backend` must outlive the handler. `client_address` goes to the login check.
  Pop3Handler(HandlerOptions options, Pop3Backend& backend, std::string client_address, bool tls);

  std::string Greeting() const;
  // True when Handle(line) would call the backend (so the caller runs it off the io thread).
  bool Blocks(std::string_view line) const;
  // One complete line from the client (without CRLF): the reply and what to do after it.
  Reply Handle(std::string_view line);
  // A line over kMaxLineBytes or with control bytes: the reply (and the close).
  Reply LineError(LineReader::Result problem);
  // After the TLS handshake that a kStartTls reply asked for.
  void CompleteStartTls();

  State state() const { return state_; }
  bool tls() const { return tls_; }
  const SessionCounts& counts() const { return counts_; }
  // The person once logged in (empty name before).
  const Person& person() const { return person_; }

 private:
  Reply HandleCommand(const Command& command);
  Reply Authorization(const Command& command);
  Reply Transaction(const Command& command);
  Reply Capabilities() const;
  Reply Login(std::string_view name, std::string_view password);
  Reply AuthPlainResponse(std::string_view line);
  Reply Bad(std::string text);
  Reply Quit();
  // The message numbered `number` (1-based) that is not marked deleted, or nullptr.
  const MaildropMessage* Find(std::uint32_t number) const;
  std::string Totals() const;

  HandlerOptions options_;
  Pop3Backend& backend_;
  std::string client_address_;
  bool tls_;
  State state_ = State::kAuthorization;
  std::string user_;                  // after USER
  bool awaiting_auth_plain_ = false;  // after "AUTH PLAIN" without an initial response
  std::size_t bad_commands_ = 0;
  Person person_;
  std::vector<MaildropMessage> maildrop_;
  std::vector<bool> deleted_;
  SessionCounts counts_;
};

}  // namespace notesd::pop3
