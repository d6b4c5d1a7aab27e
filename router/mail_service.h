// router/mail_service.h — the mail service: what a Notes user may do with mail, for
// every front end (the HTTP client API today; IMAP and POP3 next): deposit a message
// into mail.box, and list, read, delete and flag the messages of their own mail file.
//
// Owns the rules: the envelope sender is the caller's Internet address (or their Notes
// name when they have none), never a value the client chose; a message whose From or
// Sender names anyone else is refused (PermissionDenied, router/deposit_originator.h);
// at most kMaxDepositRecipients recipients, each non-empty and free of CR, LF, '<' and
// '>'; the message must have a header. Only the caller's own mail file (from their
// Person document) is ever opened. Delegates storage to MailStore (router/mail_store.h).
// SECURITY: recipients and message bytes are untrusted; header text read back is
// returned as stored (a front end that needs UTF-8 cleans it).
// Thread safety: all methods may be called from any thread at once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "directory/directory.h"
#include "router/mail_store.h"

namespace notesd {

inline constexpr std::size_t kMaxDepositRecipients = 1000;

class MailService {
 public:
  // Both references must outlive the service.
  MailService(MailStore& store, const Clock& clock);

  // What a user hands in: the recipients as typed (addresses or Notes names) and the
  // RFC 5322 message; `client` ("[192.0.2.1]") and `protocol` ("HTTPS") go into the
  // Received: field of this hop.
  struct Submission {
    std::vector<std::string> recipients;
    std::string message;
    std::string client;
    std::string protocol;
  };
  // Deposits into mail.box as `caller`; durable when it returns the note's UNID.
  // InvalidArgument for bad recipients or a message without a header.
  Result<std::string> Deposit(const Person& caller, Submission submission);

  struct Mailbox {
    std::string mail_file;             // "mail/jdoe.nsf"
    std::vector<StoredMail> messages;  // in delivery order, without bodies
  };
  // The caller's inbox; empty when the mail file does not exist yet. NotFound when the
  // caller has no mail file.
  Result<Mailbox> List(const Person& caller);
  // One message of the caller's mail file with its body. NotFound "no message X in your
  // mail file".
  Result<StoredMail> Read(const Person& caller, std::string_view unid);
  // Deletes a message of the caller's mail file (and its body file). NotFound as Read.
  Status Delete(const Person& caller, std::string_view unid);
  // Replaces the flags of a message of the caller's mail file ("\Seen", "\Answered",
  // ...: IMAP's system flags or keywords; each non-empty, without spaces or control
  // characters, else InvalidArgument). NotFound as Read.
  Status SetFlags(const Person& caller, std::string_view unid, const std::vector<std::string>& flags);

 private:
  Result<std::shared_ptr<NsfDatabase>> OwnMailFile(const Person& caller, bool create);

  MailStore& store_;
  const Clock& clock_;
};

}  // namespace notesd
