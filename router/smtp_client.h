// router/smtp_client.h — the Router's outbound SMTP client: one connection to the relay
// host, then one or more mail transactions over it.
//
// Protocol: EHLO (HELO if EHLO is refused), STARTTLS when the relay offers it and TLS is
// not kNone (then EHLO again; kRequired fails the connection when it is not offered),
// SIZE (a message larger than the relay's limit fails permanently without being sent),
// 8BITMIME (BODY=8BITMIME when the message has 8-bit bytes and the relay offers it),
// PIPELINING (MAIL, every RCPT and DATA in one write, then the replies in order).
// The message is sent as CRLF lines only (whatever is stored), dot-stuffed, and ends
// with CRLF "." CRLF (DotStuff below).
//
// TLS: with ca_file empty the relay's certificate is NOT verified (opportunistic TLS,
// RFC 7435: it protects against passive listeners only). With ca_file set, the relay's
// chain must verify against the PEM roots in it, or the connection fails (kept for a
// retry). TLS 1.2 or newer.
//
// Every network operation has a deadline (options.timeout); a timeout is a temporary
// failure. Blocking: run it on a thread of its own, never on the server's io threads.
// Thread safety: one client per thread.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace notesd {

enum class RelayTls { kNone, kOptional, kRequired };

struct RelayOptions {
  std::string host;
  int port = 25;
  std::string helo_name = "localhost";
  RelayTls tls = RelayTls::kOptional;
  std::string ca_file;  // PEM roots; empty = do not verify the relay's certificate
  std::chrono::milliseconds timeout{60000};
};

struct OutboundMessage {
  std::string sender;                   // "" = null path <>
  std::vector<std::string> recipients;  // Internet addresses
  std::string data;                     // the message, CRLF lines, not dot-stuffed
};

struct SmtpReply {
  int code = 0;      // 0 when nothing could be read
  std::string text;  // all lines joined with " / "
  bool permanent() const { return code >= 500 && code < 600; }
  bool positive() const { return code >= 200 && code < 400; }
  std::string ToString() const { return std::to_string(code) + " " + text; }
};

struct TransferOutcome {
  // Per recipient, in order: the RCPT reply, or the DATA reply for accepted ones.
  std::vector<SmtpReply> recipients;
  // Not ok when the transaction as a whole failed before any per-recipient answer
  // (connection lost, timeout): every recipient is then a temporary failure.
  Status transport;
};

class SmtpClient {
 public:
  explicit SmtpClient(RelayOptions options);
  ~SmtpClient();
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;

  // Connects, reads the greeting, says EHLO and starts TLS as configured.
  // Unavailable (temporary: retry later) for network errors, timeouts and 4xx/5xx
  // greetings; the message names the relay and the reason.
  Status Connect();
  // One mail transaction. Requires a successful Connect(); after a transport failure the
  // connection is closed and Connect() must be called again.
  TransferOutcome Send(const OutboundMessage& message);
  // QUIT and close; errors ignored.
  void Quit();
  // From any thread: makes the operation in progress, and every later one, fail at once
  // (Unavailable "cancelled"), so a Router that is stopping never waits for a hung relay.
  void Cancel();

  bool connected() const;
  bool tls_active() const;
  bool Offers(const std::string& extension) const;          // from the last EHLO, upper case
  std::uint64_t size_limit() const { return size_limit_; }  // 0 = none advertised
  std::string Label() const;                                // "relay.example:25"

 private:
  struct Connection;
  Status Ehlo();
  Status StartTls();
  Result<SmtpReply> ReadReply();
  Status WriteAll(const std::string& bytes);
  Status Fail(const std::string& what);

  RelayOptions options_;
  std::atomic<bool> cancelled_{false};
  std::mutex connection_mutex_;  // guards connection_ against Cancel() from another thread
  std::unique_ptr<Connection> connection_;
  std::vector<std::string> extensions_;
  std::uint64_t size_limit_ = 0;
};

// The DATA bytes of `data`: its line ends made CRLF-canonical (CanonicalCrlf: a bare CR
// or LF becomes CRLF), every line starting with "." dot-stuffed, CRLF added when the data
// does not end with one, then the final "." line.
std::string DotStuff(std::string_view data);

}  // namespace notesd
