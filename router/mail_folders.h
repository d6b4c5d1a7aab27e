// router/mail_folders.h — the folders of a mail file, their IMAP UIDs and UIDVALIDITY,
// and message flags, as notes and views of the mail file (layout: router/mail_store.h,
// "Folders"). The functions work inside a transaction the caller holds, so filing a
// message (taking its UID) commits with the note it files: a crash can never give two
// messages one UID.
//
// Used by the Router's delivery (CreateInInbox), by MailStore when it opens a mail file
// (FileUnfiledMessages, the migration of mail files from before folders) and by the
// mail service (router/mail_service.h), which holds the rules of who may do what.
// Thread safety: plain functions on the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/nsf_database.h"

namespace notesd {

inline constexpr char kInboxFolder[] = "INBOX";
inline constexpr char kFolderForm[] = "Folder";
inline constexpr char kFolderNameItem[] = "$FolderName";
inline constexpr char kUidValidityItem[] = "$UIDValidity";
inline constexpr char kUidNextItem[] = "$UIDNext";
inline constexpr char kFolderItem[] = "$Folder";  // a message's folder: the folder note's UNID
inline constexpr char kUidItem[] = "$UID";
inline constexpr char kFoldersView[] = "($Folders)";
inline constexpr char kFolderUidView[] = "($FolderUID)";
inline constexpr char kFolderCountView[] = "($FolderCount)";
inline constexpr char kUnfiledView[] = "($Unfiled)";
// The info map key (store/nsf_database.h) of the last UIDVALIDITY given out.
inline constexpr char kLastUidValidityInfo[] = "$LastUIDValidity";
inline constexpr char kFolderDelimiter = '/';
inline constexpr std::size_t kMaxFolderNameBytes = 255;
inline constexpr std::size_t kMaxFolders = 1000;
inline constexpr std::size_t kMaxFlagsPerMessage = 64;
inline constexpr std::size_t kMaxFlagBytes = 64;
inline constexpr std::uint32_t kMaxUid = 0xFFFFFFFFu;

struct MailFolder {
  NoteId note_id = 0;
  std::string unid;  // what the $Folder item of its messages holds
  std::string name;  // $FolderName
  std::uint32_t uid_validity = 0;
  std::uint32_t uid_next = 1;
};

// Checks an IMAP mailbox name and returns it as stored: "inbox" in any case is INBOX;
// 1..kMaxFolderNameBytes bytes, no control characters, no '*' or '%' (LIST wildcards),
// no empty hierarchy level ("a//b", "/a", "a/"). InvalidArgument naming the name.
Result<std::string> NormalizeFolderName(std::string_view name);
// Checks flags and returns them normalised: system flags (\Seen \Answered \Flagged
// \Deleted \Draft) in their RFC 3501 spelling whatever the case given, keywords as
// given (IMAP atoms: no space, control character, ( ) { % * " \ ]), duplicates
// (ignoring case) dropped; at most kMaxFlagsPerMessage of at most kMaxFlagBytes bytes.
// \Recent and other backslash flags are refused. InvalidArgument naming the flag.
Result<std::vector<std::string>> NormalizeFlags(const std::vector<std::string>& flags);
// True if `flags` holds `flag`, ignoring ASCII case (IMAP flags are case-insensitive).
bool HasFlag(const std::vector<std::string>& flags, std::string_view flag);

// Every view of a mail file: ($Inbox) and the folder views. Every opener defines these.
std::vector<ViewDefinition> MailFileViewDefinitions();
// The ($FolderUID) key of `uid` in the folder with note UNID `folder_unid`.
std::string FolderUidKey(std::string_view folder_unid, std::uint32_t uid);

MailFolder FolderFromNote(const Note& note);
// The folder named `name` (normalised by NormalizeFolderName first), or nullopt.
Result<std::optional<MailFolder>> FindFolder(const ReadTxn& txn, std::string_view name);
// All folders, by name (INBOX sorts as any other name).
Result<std::vector<MailFolder>> AllFolders(const ReadTxn& txn);
// Creates folder `name` (normalised) with a new UIDVALIDITY: the clock's seconds, but
// always above every UIDVALIDITY this mail file gave before (kLastUidValidityInfo), so
// a folder deleted and created again has a different one. AlreadyExists; InvalidArgument
// beyond kMaxFolders.
Result<MailFolder> CreateFolder(WriteTxn& txn, std::string_view name, TimeMicros now);
// Files `message` into `folder`: sets its $Folder and $UID (the folder's UIDNEXT) and
// stores the folder note with UIDNEXT advanced. The caller then creates or updates the
// message in the same transaction. Unavailable when the folder's UIDs ran out.
Result<std::uint32_t> TakeUid(WriteTxn& txn, MailFolder& folder, Note& message);
// Local delivery: files `message` into INBOX (created when missing) and creates it.
Result<Note> CreateInInbox(WriteTxn& txn, const Note& message, TimeMicros now);
// The same for many messages at once (a Router pass): UIDs ascending in the order
// given, INBOX's note read and written once. Returns the stored notes.
Result<std::vector<Note>> CreateInInbox(WriteTxn& txn, const std::vector<Note>& messages, TimeMicros now);
// The migration of mail files from before folders: creates INBOX when missing and files
// every message without a $UID ($Unfiled view) into it, in delivery order (DeliveredDate,
// then NoteID); their $Flags become summary items. Returns how many were filed.
Result<std::size_t> FileUnfiledMessages(WriteTxn& txn, TimeMicros now);

}  // namespace notesd
