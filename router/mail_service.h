// router/mail_service.h — the mail service: what a Notes user may do with mail, for
// every front end (the HTTP client API today; IMAP and POP3 next): deposit a message
// into mail.box, and list, read, delete and flag the messages of their own mail file,
// and work with its folders the IMAP way: UIDs and UIDVALIDITY (stable across restarts:
// they are items of the mail file's notes, router/mail_store.h "Folders"), flags,
// COPY/MOVE, EXPUNGE, APPEND. Each operation is one LMDB write (or read) transaction.
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

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "directory/directory.h"
#include "router/mail_folders.h"
#include "router/mail_store.h"

namespace notesd {

inline constexpr std::size_t kMaxDepositRecipients = 1000;

class MailService {
 public:
  // Both references must outlive the service, and `directory` too when given: with it,
  // Deposit checks Notes-name recipients when the user sends (as Notes does), not later
  // in a delivery failure report.
  MailService(MailStore& store, const Clock& clock, const Directory* directory = nullptr);

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
  // InvalidArgument for bad recipients or a message without a header; NotFound naming a
  // recipient without an @ that is no person or group of the directory (with a directory).
  Result<std::string> Deposit(const Person& caller, Submission submission);

  struct Mailbox {
    std::string mail_file;             // "mail/jdoe.nsf"
    std::vector<StoredMail> messages;  // INBOX in UID order (delivery order), without bodies
  };
  // The caller's INBOX; empty when the mail file does not exist yet. NotFound when the
  // caller has no mail file.
  Result<Mailbox> List(const Person& caller);
  // One message of the caller's mail file with its body; with `mark_seen` it gets
  // \Seen first (as Notes marks a document read when it is opened). NotFound "no
  // message X in your mail file".
  Result<StoredMail> Read(const Person& caller, std::string_view unid, bool mark_seen = false);
  // Deletes a message of the caller's mail file (and its body file). NotFound as Read.
  Status Delete(const Person& caller, std::string_view unid);
  // Replaces the flags of a message of the caller's mail file (NormalizeFlags,
  // router/mail_folders.h: IMAP's system flags or keywords, else InvalidArgument).
  // NotFound as Read.
  Status SetFlags(const Person& caller, std::string_view unid, const std::vector<std::string>& flags);
  // Moves a message (by UNID) into `folder`: the same note, a new UID there. Returns it.
  Result<std::uint32_t> MoveMessage(const Person& caller, std::string_view unid, std::string_view folder);

  // ---- Folders (IMAP). Folder names as NormalizeFolderName takes them ("inbox" in any
  // case is INBOX). Unknown folder: NotFound "no folder 'X' in your mail file". The
  // caller's mail file is created when missing (with its INBOX), so UIDVALIDITY is
  // fixed from the first look. UIDs that name no message are ignored, as IMAP does.
  struct FolderStatus {
    std::string name;
    std::uint32_t messages = 0;
    std::uint32_t unseen = 0;  // without \Seen
    std::uint32_t recent = 0;  // always 0: no \Recent (RFC 3501 allows it)
    std::uint32_t uid_next = 1;
    std::uint32_t uid_validity = 0;
  };
  struct FolderListing {
    FolderStatus status;
    // In UID order: uid, unid, flags, delivered (INTERNALDATE), size, from, subject...,
    // read from the summary items only (no body is read; body_in_file is not known).
    std::vector<StoredMail> messages;
  };
  enum class FlagChange { kReplace, kAdd, kRemove };
  struct FlagsOfUid {
    std::uint32_t uid = 0;
    std::vector<std::string> flags;  // after the change
  };
  // COPYUID / APPENDUID (RFC 4315): the target's UIDVALIDITY and source UID -> new UID.
  struct UidMapping {
    std::uint32_t uid_validity = 0;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> uids;
  };
  struct Appended {
    std::uint32_t uid_validity = 0;
    std::uint32_t uid = 0;
    std::string unid;
  };

  // All folders by name, each with its status (counts are view key counts: cheap).
  Result<std::vector<FolderStatus>> ListFolders(const Person& caller);
  // AlreadyExists; InvalidArgument for a bad name.
  Result<FolderStatus> CreateFolder(const Person& caller, std::string_view name);
  // Deletes the folder and every message in it (and their body files). INBOX cannot be
  // deleted (InvalidArgument). Folders below it ("name/...") stay.
  Status DeleteFolder(const Person& caller, std::string_view name);
  // Renames the folder and those below it ("from/x" -> "to/x"), keeping UIDVALIDITY and
  // UIDs. Renaming INBOX moves all its messages into the new folder (RFC 3501) and
  // leaves a new, empty INBOX (with a new UIDVALIDITY). AlreadyExists when `to` (or a
  // renamed folder below it) exists.
  Status RenameFolder(const Person& caller, std::string_view from, std::string_view to);
  Result<FolderStatus> GetFolderStatus(const Person& caller, std::string_view folder);
  // Messages with first_uid <= UID <= last_uid, in UID order: an ordered range scan of
  // ($FolderUID), summaries only.
  Result<FolderListing> ListFolder(const Person& caller, std::string_view folder, std::uint32_t first_uid = 1,
                                   std::uint32_t last_uid = kMaxUid);
  // One message with its body. NotFound "no message with UID n in folder 'X'".
  Result<StoredMail> ReadByUid(const Person& caller, std::string_view folder, std::uint32_t uid);
  // STORE: replaces, adds or removes `flags` (NormalizeFlags) on each message of `uids`.
  // Returns each message's flags afterwards, in UID order.
  Result<std::vector<FlagsOfUid>> StoreFlags(const Person& caller, std::string_view folder,
                                             const std::vector<std::uint32_t>& uids, FlagChange change,
                                             const std::vector<std::string>& flags);
  Result<std::vector<FlagsOfUid>> AddFlags(const Person& caller, std::string_view folder,
                                           const std::vector<std::uint32_t>& uids,
                                           const std::vector<std::string>& flags) {
    return StoreFlags(caller, folder, uids, FlagChange::kAdd, flags);
  }
  Result<std::vector<FlagsOfUid>> RemoveFlags(const Person& caller, std::string_view folder,
                                              const std::vector<std::uint32_t>& uids,
                                              const std::vector<std::string>& flags) {
    return StoreFlags(caller, folder, uids, FlagChange::kRemove, flags);
  }
  // COPY: each message becomes a new note (a new UNID, flags kept) in `to` with a new
  // UID; a body file is hard-linked, not copied. In source UID order.
  Result<UidMapping> CopyToFolder(const Person& caller, std::string_view from, const std::vector<std::uint32_t>& uids,
                                  std::string_view to);
  // MOVE (RFC 6851): the same notes, new UIDs in `to`. In source UID order.
  Result<UidMapping> MoveToFolder(const Person& caller, std::string_view from, const std::vector<std::uint32_t>& uids,
                                  std::string_view to);
  // EXPUNGE: deletes the messages of `folder` flagged \Deleted (UID EXPUNGE: only those
  // of `only`). Returns their UIDs, ascending.
  Result<std::vector<std::uint32_t>> Expunge(const Person& caller, std::string_view folder,
                                             const std::optional<std::vector<std::uint32_t>>& only = std::nullopt);
  // APPEND: stores `message` (made CRLF-canonical, as deposits are; it must have a
  // header, else InvalidArgument) in `folder` with `flags` and INTERNALDATE
  // `internal_date` (0: now). The caller bounds the size (it is stored in the note).
  Result<Appended> Append(const Person& caller, std::string_view folder, std::string message,
                          const std::vector<std::string>& flags, TimeMicros internal_date);

  // IDLE / NOOP: a counter of the caller's mail file that grows with every change made
  // in this process (delivery, flags, expunge...); 0 before the first. WaitForChange
  // returns when it differs from `seen`, or after `timeout`, with the current value.
  std::uint64_t ChangeCount(const Person& caller);
  std::uint64_t WaitForChange(const Person& caller, std::uint64_t seen, std::chrono::milliseconds timeout);

 private:
  Result<std::shared_ptr<NsfDatabase>> OwnMailFile(const Person& caller, bool create);
  // The caller's mail file (created when missing) with every message filed into a
  // folder (FileUnfiledMessages: one key count when nothing is unfiled).
  Result<std::shared_ptr<NsfDatabase>> FolderMailFile(const Person& caller);
  void Changed(const Person& caller);
  Status CheckNotesNameRecipient(std::string_view recipient) const;

  MailStore& store_;
  const Clock& clock_;
  const Directory* directory_;
};

}  // namespace notesd
