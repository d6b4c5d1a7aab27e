// router/smtp_protocol.h — the ESMTP server protocol as a pure state machine: bytes in,
// replies out, no sockets, no clock, no disk (Asio's "request parser" piece).
//
// Owns: command-line framing (CRLF, a line-length limit), the command grammar (EHLO,
// HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, HELP, VRFY, EXPN, STARTTLS, AUTH), the session
// state (greeted, in a transaction, in DATA), DATA framing (dot-unstuffing, the end
// marker), the per-session limits and every reply code and text. Delegates recipient
// checks to a ServerPolicy and the commit of a message to its driver (router/smtp_task.cc).
//
// How a driver uses it: send Greeting(); feed every byte read with Receive(); after each
// call send TakeOutput(); then look at pending_action():
//   kDeliver   the message in envelope()/message() is complete: commit it, then call
//              CompleteDelivery() (this answers the DATA) and Receive("") to go on with
//              pipelined input already buffered;
//   kStartTls  send TakeOutput() in clear, do the TLS handshake, call CompleteStartTls();
//   kAuthenticate  AUTH collected a name and password: TakeCredentials(), check them (off
//              the io thread: the hash is slow), call CompleteAuthentication() and
//              Receive("");
//   kClose     send TakeOutput() and close the connection.
// While an action is pending, Receive() only buffers.
//
// SECURITY: every byte comes from an untrusted client. Memory is bounded: a command line
// longer than limits.max_line_bytes is discarded up to its LF and answered 500 5.5.2; the
// message is bounded by max_message_bytes (or kHardMessageCap when that is 0) and an
// oversized message is read to its end, discarded and answered 552 5.3.4; a driver that
// calls TakeMessageBytes() after each Receive() holds no more of it than one read. The end of
// DATA is exactly CRLF "." CRLF: a bare LF or CR never ends a line in DATA (no SMTP
// smuggling), and the bytes of the message are handed on exactly as sent (dot-unstuffed);
// mail.box makes their line ends CRLF-canonical (MailBoxNote, router/mail_store.h).
// Input buffered after STARTTLS is discarded (RFC 3207 section 6). Addresses are checked
// against RFC 5321's path grammar before the policy sees them. The number of commands
// and of bad commands per session is capped (421 4.7.0 and close). A sender the policy
// calls local (forged, unless the session authenticated) is refused with 550 5.7.1, at
// MAIL FROM and, for the From fields, at the end of DATA (at most kMaxAuthors addresses
// are looked at; a message with more is refused).
//
// Authenticated submission (RFC 4954, RFC 6409): AUTH PLAIN and LOGIN are offered and
// accepted only while the session runs over TLS (after STARTTLS or on an implicit-TLS
// port); before that AUTH gets 538 5.7.11. An AUTH response line may be up to
// kMaxAuthLineBytes; "*" cancels (501 5.7.0); bad base64 or a malformed PLAIN response
// gets 501 5.5.2; wrong credentials 535 5.7.8 (counted as a bad command, so a guesser is
// cut off after max_errors); a lockout or a busy server 454 4.7.0. The password is kept
// only until the driver takes it (TakeCredentials) and never appears in a reply or in
// last_error(). Once authenticated, the person may relay (RCPT to other domains is
// accepted), the envelope sender must be their own address (else 553 5.7.1) and the
// message's From and Sender fields too (router/deposit_originator.h, the rule of every
// deposit; else 550 5.7.1 naming the foreign address). With auth_required (the
// submission ports) MAIL before AUTH gets 530 5.7.0.
//
// Thread safety: none; one session per connection, used by one strand at a time.
// Fuzzing: SimulateSession() drives a session from one byte string (tests/unit).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "router/mail_message.h"

namespace notesd::smtp {

// A message is never buffered beyond this, even with no configured maximum.
inline constexpr std::uint64_t kHardMessageCap = std::uint64_t{256} << 20;
// An AUTH response line (RFC 4954 section 4: 12288 octets), CRLF included.
inline constexpr std::size_t kMaxAuthLineBytes = 12288;
// From-field addresses checked per message; more are refused (550 5.7.1).
inline constexpr std::size_t kMaxAuthors = 50;
// The most header bytes a message may have: the From check reads the header block (kept
// while DATA streams to storage), so a longer one is refused (552 5.3.4). Postfix's
// header_size_limit is 102400.
inline constexpr std::size_t kMaxHeaderBlockBytes = 256 * 1024;

struct ServerLimits {
  std::size_t max_line_bytes = 1000;    // a command line, CRLF included (RFC 5321 text lines)
  std::uint64_t max_message_bytes = 0;  // 0 = no configured limit (kHardMessageCap applies)
  std::size_t max_recipients = 100;     // per message; more get 452 4.5.3
  std::size_t max_commands = 10000;     // per session; then 421 4.7.0 and close
  std::size_t max_errors = 20;          // bad commands per session; then 421 4.7.0 and close
};

struct ServerOptions {
  std::string host_name = "localhost";  // in the greeting, EHLO and 221/421 replies
  bool tls_available = false;           // STARTTLS offered (the server has a certificate)
  bool tls_active = false;              // the session already runs over TLS (port 465 style)
  bool auth_available = false;          // AUTH PLAIN LOGIN offered once TLS is active
  bool auth_required = false;           // MAIL needs AUTH first (submission ports): 530 5.7.0
  ServerLimits limits;
};

// One mailbox of a path: local part and domain ("" for "postmaster" alone).
struct Mailbox {
  std::string local;
  std::string domain;
  std::string ToString() const { return domain.empty() ? local : local + "@" + domain; }
};

// Parses an RFC 5321 Mailbox ("jane@acme.example", "\"J Q\"@acme.example",
// "x@[127.0.0.1]"); the special "postmaster" (no domain) when allow_postmaster.
// InvalidArgument naming the problem otherwise (ASCII only: no SMTPUTF8).
Result<Mailbox> ParseMailbox(std::string_view text, bool allow_postmaster = false);

// The envelope of the message in progress.
struct Envelope {
  std::string helo;                     // the EHLO/HELO argument
  bool esmtp = false;                   // EHLO (true) or HELO
  std::string sender;                   // MAIL FROM; "" is the null reverse-path <>
  std::vector<std::string> recipients;  // accepted RCPT TO addresses, in order
  bool body_8bit = false;               // BODY=8BITMIME
  std::uint64_t declared_size = 0;      // SIZE=, 0 when not given
  bool tls = false;                     // the transaction ran over TLS
  std::string auth_user;                // the authenticated person ("" = no AUTH)
};

// What AUTH collected, for the driver to check while kAuthenticate is pending.
struct Credentials {
  std::string mechanism;  // "PLAIN" or "LOGIN"
  std::string name;       // the authentication identity as the client sent it
  std::string password;   // never logged, never echoed
};

// Who the driver found behind Credentials.
struct AuthIdentity {
  std::string user;     // for the log and the trace: "CN=Jane Admin/O=Acme"
  std::string address;  // the only address they may send as ("" = none: MAIL is refused)
};

enum class RecipientVerdict {
  kAccept,       // 250 2.1.5
  kUnknownUser,  // 550 5.1.1 (a local domain, no such person or group)
  kRelayDenied,  // 550 5.7.1 (not one of our domains: we are no open relay)
  kTryLater,     // 451 4.3.0 (the directory could not be read)
};

struct RecipientCheck {
  RecipientVerdict verdict = RecipientVerdict::kAccept;
  std::string detail;  // optional text for the log; never sent to the client
};

enum class SenderVerdict {
  kAccept,          // an outside address (or local senders are allowed)
  kLocalNeedsAuth,  // 550 5.7.1: one of our addresses, and the session did not authenticate
  kTryLater,        // 451 4.3.0 (the directory could not be read)
};

struct SenderCheck {
  SenderVerdict verdict = SenderVerdict::kAccept;
  std::string detail;  // optional text for the log; never sent to the client
};

// Decides about recipients and senders. Called on the session's thread; must be quick
// (a directory read, no network).
class ServerPolicy {
 public:
  virtual ~ServerPolicy() = default;
  // Each syntactically valid RCPT.
  virtual RecipientCheck CheckRecipient(const Mailbox& recipient) = 0;
  // The MAIL FROM address (never the null sender <>), and each address of the message's
  // From fields once DATA is complete (a Notes name there comes with an empty domain).
  virtual SenderCheck CheckSender(const Mailbox& sender) = 0;
};

enum class Action { kNone, kDeliver, kStartTls, kAuthenticate, kClose };

class ServerSession {
 public:
  // `policy` is borrowed and must outlive the session.
  ServerSession(ServerOptions options, ServerPolicy& policy);
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  // "220 <host> ESMTP notesd\r\n".
  std::string Greeting() const;
  // Buffers `bytes` and processes as much input as possible (until an action is pending).
  void Receive(std::string_view bytes);
  // The replies produced so far, emptied.
  std::string TakeOutput();
  Action pending_action() const { return action_; }

  // The complete message while kDeliver is pending: envelope and bytes (dot-unstuffed,
  // ending with the CRLF before the final ".").
  const Envelope& envelope() const { return envelope_; }
  const std::string& message() const { return message_; }
  // While in DATA or kDeliver is pending: the message bytes (dot-unstuffed) received
  // since the last call, emptied, so that a driver can spool the message as it arrives
  // and hold no more than one read of it; message() then has only what was not taken.
  std::string TakeMessageBytes();
  // The message in DATA is over the limit and being discarded (it will get 552).
  bool message_too_big() const { return message_too_big_; }
  // Answers the DATA: Ok -> 250 2.0.0 naming `queue_id`; Unavailable/IOError/other ->
  // 451 4.3.0 (try again later); InvalidArgument -> 554 5.6.0 (the message is refused).
  // Resets the transaction; clears kDeliver. Call Receive("") to go on.
  void CompleteDelivery(const Status& result, std::string_view queue_id);
  // TLS is up: forget the greeting and transaction (the client must EHLO again).
  void CompleteStartTls();
  // While kAuthenticate is pending: what the client sent, moved out (the session keeps
  // no copy of the password).
  Credentials TakeCredentials();
  // Answers the AUTH: Ok -> 235 2.7.0 and the session is `identity`'s from now on;
  // PermissionDenied -> 535 5.7.8; anything else (a lockout, a busy server, a directory
  // failure) -> 454 4.7.0. Clears kAuthenticate. Call Receive("") to go on.
  void CompleteAuthentication(const Status& result, const AuthIdentity& identity);
  bool authenticated() const { return authenticated_; }
  const AuthIdentity& identity() const { return identity_; }

  // For the driver's deadlines and logs.
  bool in_data() const { return state_ == State::kData; }
  // Command lines taken so far (too long ones included): the driver's command deadline
  // starts again when this grows.
  std::size_t commands_received() const { return commands_; }
  // Counts the DATA commands answered 354: a driver that spools message bytes starts a new
  // spool when it changes (a refused message's bytes never join the next one's).
  std::uint64_t data_transaction() const { return data_transaction_; }
  bool tls_active() const { return options_.tls_active; }
  std::size_t messages_accepted() const { return messages_accepted_; }
  const std::string& last_error() const { return last_error_; }

 private:
  enum class State { kCommand, kData, kAuthPlain, kAuthLoginName, kAuthLoginPassword };

  void Process();
  // False when no complete line is buffered; *handled when the line was answered here
  // (too long) and must not be handled as a command.
  bool TakeLine(std::string* line, bool* handled);
  void ConsumeData();
  void FinishData();
  void KeepHeaderBlock(std::string_view bytes);
  void HandleLine(std::string_view line);
  void HandleEhlo(std::string_view args, bool esmtp);
  void HandleMail(std::string_view args);
  void HandleRcpt(std::string_view args);
  void HandleData(std::string_view args);
  void HandleStartTls(std::string_view args);
  void HandleAuth(std::string_view args);
  void HandleAuthResponse(std::string_view line);
  void TakePlainResponse(std::string_view decoded);
  // The refusal of a message an authenticated person sends, or "" (their own From).
  std::string CheckOwnOriginator();
  // The message's From addresses: the reply refusing it, or "" when none is local.
  std::string CheckAuthors();
  void ResetTransaction();
  void Reply(std::string_view text);  // one or more lines, CRLF added to each
  void Error(std::string_view text);  // a reply that counts as a bad command
  void Close(std::string_view text);

  ServerOptions options_;
  ServerPolicy& policy_;
  State state_ = State::kCommand;
  Action action_ = Action::kNone;
  std::string input_;
  std::size_t input_pos_ = 0;
  bool discarding_line_ = false;
  std::string output_;
  bool greeted_ = false;
  bool in_transaction_ = false;
  Envelope envelope_;
  std::string message_;
  std::uint64_t message_bytes_ = 0;  // counted even when discarding
  bool message_too_big_ = false;
  // The message's header block, kept apart from message_ (which a driver drains with
  // TakeMessageBytes as DATA arrives) so that the From check at the end of DATA sees
  // every field; at most kMaxHeaderBlockBytes.
  std::string header_block_;
  bool header_block_complete_ = false;
  bool header_too_long_ = false;  // no end of header within kMaxHeaderBlockBytes: refused
  CrlfCanonicalizer header_canonicalizer_;
  std::uint64_t data_transaction_ = 0;
  bool data_line_start_ = true;
  bool data_prev_cr_ = false;
  std::size_t commands_ = 0;
  std::size_t errors_ = 0;
  std::size_t messages_accepted_ = 0;
  std::string last_error_;
  Credentials credentials_;  // while AUTH collects them
  bool authenticated_ = false;
  AuthIdentity identity_;
};

// A message a simulated session delivered.
struct SimulatedDelivery {
  Envelope envelope;
  std::string message;
};

// Checks credentials for SimulateSession: the identity, or the Status for
// CompleteAuthentication.
using SimulatedAuthenticator = std::function<Result<AuthIdentity>(const Credentials&)>;

// Runs a whole session on `input` (the client's bytes, possibly pipelined): greeting,
// every reply, deliveries completed with `delivery_result` (queue id "Q1", "Q2"...),
// STARTTLS completed at once, AUTH answered by `authenticate` (none: every AUTH fails
// with 535). Returns everything the server sent. For transcript tests and fuzzing; never
// throws on any input.
std::string SimulateSession(const ServerOptions& options, ServerPolicy& policy, std::string_view input,
                            std::vector<SimulatedDelivery>* deliveries = nullptr,
                            const Status& delivery_result = Status::Ok(),
                            const SimulatedAuthenticator& authenticate = nullptr);

}  // namespace notesd::smtp
