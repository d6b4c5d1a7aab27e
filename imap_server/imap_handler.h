// imap_server/imap_handler.h — owner: the IMAP task; the IMAP4rev1 command handler of one session (RFC 3501).
//
// Owns: the session's state machine (not authenticated, authenticated, selected, logout),
// what each parsed command (imap/imap_parser.h) does and the exact reply text, written
// with imap/imap_response.h: CAPABILITY, NOOP, CHECK, LOGOUT, ID, NAMESPACE, ENABLE,
// STARTTLS, LOGIN and AUTHENTICATE PLAIN (refused with LOGINDISABLED / no AUTH=PLAIN
// until TLS), LIST/LSUB (RFC 5258 selection SUBSCRIBED and RETURN (CHILDREN SUBSCRIBED
// STATUS (...)), RFC 5819), STATUS, SELECT/EXAMINE, FETCH, SEARCH, STORE, COPY (COPYUID),
// MOVE (RFC 6851), EXPUNGE and UID EXPUNGE (RFC 4315), APPEND (APPENDUID), CREATE,
// DELETE, RENAME, SUBSCRIBE/UNSUBSCRIBE (every folder counts as subscribed), CLOSE,
// UNSELECT, and IDLE's updates; the selected folder's view (message number -> UID,
// flags) and the untagged EXISTS / EXPUNGE / FETCH FLAGS updates at NOOP, CHECK and IDLE.
//
// Delegates: the login check to a LoginCheck (the task passes InternetPasswords::Verify);
// every mail-file operation to router/mail_service.h (folders, UIDs, UIDVALIDITY, flags,
// COPY/MOVE, EXPUNGE, APPEND); sockets, TLS, timeouts and the reading of commands to the
// session in imap_task.cc.
//
// SECURITY: every command comes from the network; before a login only CAPABILITY, NOOP,
// LOGOUT, ID, STARTTLS, LOGIN and AUTHENTICATE are served. Passwords are never logged nor
// kept. A person only ever reaches their own mail file (MailService's rule).
//
// Thread safety: one handler per session, called by one thread at a time (the session
// serialises commands); the calls block on the mail file and the password hash, so the
// session runs them on a worker pool, never on an io thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "directory/directory.h"
#include "imap/imap_parser.h"
#include "router/mail_service.h"

namespace notesd::imap_server {

// Checks a login: the Person, PermissionDenied for bad credentials, Unavailable for a
// lockout. `client_address` is the peer's IP address.
using LoginCheck =
    std::function<Result<Person>(std::string_view user, std::string_view password, std::string_view client_address)>;

struct HandlerOptions {
  bool tls_available = false;  // STARTTLS may be offered (the server has its certificate)
  std::string greeting_host = "notesd";
  int max_login_failures = 3;  // per session; then BYE and close
  // Logs a storage or internal error of a command (the client gets a plain NO); may be empty.
  std::function<void(const std::string&)> log_error;
};

enum class ImapState { kNotAuthenticated, kAuthenticated, kSelected, kLogout };

// What the session does after writing a reply.
enum class After {
  kNone,          // read the next command
  kClose,         // close the connection
  kStartTls,      // the TLS handshake, then TlsStarted()
  kAuthContinue,  // read one line, then ContinueAuthenticate(line)
  kIdle,          // IDLE: poll IdleUpdates() until a line comes, then EndIdle(line)
};

struct Reply {
  Reply() = default;
  Reply(
      std::string text_in, After after_in = After::kNone,
      std::function<Reply()> next_in = {})  // NOLINT(google-explicit-constructor): replies are written as {text, after}
      : text(std::move(text_in)), after(after_in), next(std::move(next_in)) {}
  std::string text;  // CRLF-terminated lines
  After after = After::kNone;
  // A long reply (FETCH of many messages) comes in parts of about kReplyPartBytes: when
  // set, the session writes `text`, then calls `next` (on a worker, like Handle) for the
  // next part, and so on; `after` counts in the last part only. So a session holds
  // one part, and the next is read from the mail file only when the client took the last.
  std::function<Reply()> next;
};
inline constexpr std::size_t kReplyPartBytes = 1024 * 1024;

class ImapHandler {
 public:
  // `mail` must outlive the handler. `peer` is the client's IP address; `tls` whether
  // the connection is already under TLS (implicit TLS port).
  ImapHandler(MailService& mail, LoginCheck login, HandlerOptions options, std::string peer, bool tls);
  ImapHandler(const ImapHandler&) = delete;
  ImapHandler& operator=(const ImapHandler&) = delete;

  // "* OK [CAPABILITY ...] ... ready\r\n".
  std::string Greeting() const;
  // Runs one command and gives its whole reply (untagged lines, then the tagged one).
  Reply Handle(const imap::Command& command);
  // The client's answer to AUTHENTICATE's "+ " continuation.
  Reply ContinueAuthenticate(std::string_view line);
  // During IDLE: untagged updates of the selected folder since the last look ("" when
  // none). Cheap when nothing changed (the mail service's change counter).
  std::string IdleUpdates();
  // The line that ends IDLE: "DONE" gives "<tag> OK IDLE terminated", anything else BAD.
  Reply EndIdle(std::string_view line);
  // After the STARTTLS handshake.
  void TlsStarted() { tls_ = true; }

  ImapState state() const { return state_; }
  bool tls() const { return tls_; }
  // The person logged in (nullopt before).
  const std::optional<Person>& person() const { return person_; }
  // The change counter of the mail file as last seen (for IDLE's polling).
  std::uint64_t change_seen() const { return change_seen_; }
  // The mail service's current counter for this person (0 before login).
  std::uint64_t CurrentChangeCount();
  std::string Capabilities() const;

 private:
  struct Selected {
    std::string name;
    bool read_only = false;
    std::uint32_t uid_validity = 0;
    std::uint32_t uid_next = 1;
    std::vector<std::uint32_t> uids;                          // message number - 1 -> UID
    std::map<std::uint32_t, std::vector<std::string>> flags;  // UID -> flags as last told
  };

  Reply Login(const imap::Command& command, std::string_view user, std::string_view password);
  Reply Authenticate(const imap::Command& command);
  Reply FinishPlain(std::string_view tag, std::string_view response);
  Reply Select(const imap::Command& command, bool read_only);
  Reply List(const imap::Command& command);
  Reply Status(const imap::Command& command);
  Reply Create(const imap::Command& command);
  Reply Delete(const imap::Command& command);
  Reply Rename(const imap::Command& command);
  Reply Append(const imap::Command& command);
  Reply Fetch(const imap::Command& command);
  struct FetchJob;
  Reply FetchPart(const std::shared_ptr<FetchJob>& job);
  Reply Search(const imap::Command& command);
  Reply Store(const imap::Command& command);
  Reply CopyOrMove(const imap::Command& command, bool move);
  Reply Expunge(const imap::Command& command);
  Reply Close(const imap::Command& command, bool expunge);

  // The UIDs of the selected folder the set names (message numbers, or UIDs with `uid`),
  // ascending.
  std::vector<std::uint32_t> Resolve(const imap::SequenceSet& set, bool uid) const;
  std::uint32_t NumberOf(std::uint32_t uid) const;  // 0 when not in the view
  // Removes expunged UIDs from the view, writing "* n EXPUNGE" for each.
  void Forget(const std::vector<std::uint32_t>& uids, std::string* out);
  // Compares the view with the folder now: EXPUNGE, EXISTS and FETCH FLAGS lines.
  std::string Refresh();
  std::string Tagged(std::string_view tag, std::string_view status, std::string_view text) const;
  std::string Failure(std::string_view tag, const notesd::Status& status) const;

  MailService& mail_;
  LoginCheck login_;
  HandlerOptions options_;
  std::string peer_;
  bool tls_ = false;
  ImapState state_ = ImapState::kNotAuthenticated;
  std::optional<Person> person_;
  std::optional<Selected> selected_;
  std::uint64_t change_seen_ = 0;
  int login_failures_ = 0;
  std::string pending_tag_;  // AUTHENTICATE or IDLE in progress
};

}  // namespace notesd::imap_server
