#include "router/mail_service.h"

#include <algorithm>
#include <set>

#include "base/ascii.h"
#include "router/deposit_originator.h"
#include "base/notes_ini.h"
#include "router/mail_message.h"
#include "router/recipient_resolver.h"

namespace notesd {

namespace {

Status NoFolder(std::string_view name) {
  return Status::NotFound("no folder '" + std::string(name.substr(0, kMaxFolderNameBytes)) + "' in your mail file");
}

Status NoMessage(std::string_view unid) {
  return Status::NotFound("no message " + std::string(unid) + " in your mail file");
}

Status NoUid(std::uint32_t uid, std::string_view folder) {
  return Status::NotFound("no message with UID " + std::to_string(uid) + " in folder '" + std::string(folder) + "'");
}

// The folder named `name`, or NotFound.
Result<MailFolder> MustFindFolder(const ReadTxn& txn, std::string_view name) {
  NOTESD_ASSIGN_OR_RETURN(std::optional<MailFolder> folder, FindFolder(txn, name));
  if (!folder) return NoFolder(name);
  return *folder;
}

Result<MailService::FolderStatus> StatusOf(const ReadTxn& txn, const MailFolder& folder) {
  MailService::FolderStatus status;
  status.name = folder.name;
  status.uid_next = folder.uid_next;
  status.uid_validity = folder.uid_validity;
  NOTESD_ASSIGN_OR_RETURN(std::size_t messages, txn.CountKey(kFolderCountView, folder.unid));
  NOTESD_ASSIGN_OR_RETURN(std::size_t unseen, txn.CountKey(kFolderCountView, folder.unid + "/unseen"));
  status.messages = static_cast<std::uint32_t>(messages);
  status.unseen = static_cast<std::uint32_t>(unseen);
  return status;
}

// The note id of message `uid` of `folder`, or 0.
Result<NoteId> IdOfUid(const ReadTxn& txn, const MailFolder& folder, std::uint32_t uid) {
  NOTESD_ASSIGN_OR_RETURN(std::vector<NoteId> ids, txn.LookupIds(kFolderUidView, FolderUidKey(folder.unid, uid)));
  return ids.empty() ? NoteId{0} : ids.front();
}

std::vector<std::uint32_t> SortedUnique(std::vector<std::uint32_t> uids) {
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  return uids;
}

// The name of the folder whose note has UNID `folder_unid` ("" when none).
std::string FolderNameOf(const ReadTxn& txn, const std::string& folder_unid) {
  if (folder_unid.empty()) return "";
  auto note = txn.GetByUnid(folder_unid);
  return note.ok() ? note->GetText(kFolderNameItem) : std::string();
}

std::vector<std::string> ChangedFlags(const std::vector<std::string>& current, MailService::FlagChange change,
                                      const std::vector<std::string>& flags) {
  if (change == MailService::FlagChange::kReplace) return flags;
  std::vector<std::string> out;
  for (const std::string& flag : current)
    if (change == MailService::FlagChange::kAdd || !HasFlag(flags, flag)) out.push_back(flag);
  if (change == MailService::FlagChange::kAdd)
    for (const std::string& flag : flags)
      if (!HasFlag(out, flag)) out.push_back(flag);
  return out;
}

}  // namespace

MailService::MailService(MailStore& store, const Clock& clock, const Directory* directory)
    : store_(store), clock_(clock), directory_(directory) {}

// A Notes name (no @) must name someone now: Notes resolves names when you send. An
// Internet address is the Router's to judge (it may be anyone's, anywhere), and a
// directory that cannot be read now leaves the name to the Router's retries.
Status MailService::CheckNotesNameRecipient(std::string_view recipient) const {
  if (!directory_ || recipient.find('@') != std::string_view::npos) return Status::Ok();
  RecipientResolver resolver(*directory_, {});
  for (const RouteTarget& target : resolver.Resolve(recipient))
    if (target.kind != RouteTarget::Kind::kFailed) return Status::Ok();
  return Status::NotFound("no person or group named '" + std::string(recipient) +
                          "' in the directory (an Internet address needs an @)");
}

Result<std::string> MailService::Deposit(const Person& caller, Submission submission) {
  if (submission.recipients.empty())
    return Status::InvalidArgument("'recipients' must be a non-empty list of addresses or names");
  if (submission.recipients.size() > kMaxDepositRecipients)
    return Status::InvalidArgument("at most " + std::to_string(kMaxDepositRecipients) + " recipients per message");
  MailEnvelope envelope;
  for (const std::string& typed : submission.recipients) {
    std::string recipient = TrimSpaces(typed);
    if (recipient.empty()) return Status::InvalidArgument("every recipient must be a non-empty string");
    if (recipient.find_first_of("\r\n<>") != std::string::npos)
      return Status::InvalidArgument("recipient '" + recipient + "' has characters an address cannot have");
    NOTESD_RETURN_IF_ERROR(CheckNotesNameRecipient(recipient));
    envelope.recipients.push_back(recipient);
  }
  if (submission.message.empty() || mime::HeaderBlock(submission.message).empty())
    return Status::InvalidArgument("the message has no header (an RFC 5322 message is expected)");
  envelope.sender = !caller.internet_address.empty() ? caller.internet_address : caller.name.Canonical();
  NOTESD_RETURN_IF_ERROR(CheckDepositOriginator(submission.message, envelope.sender));
  envelope.origin = "Notes user " + caller.name.Canonical();
  envelope.arrival = clock_.NowMicros();
  envelope.trace = "Received: from " + caller.name.Abbreviated() + " (" + submission.client + ")\r\n\tby notesd with " +
                   submission.protocol + ";\r\n\t" + FormatRfc5322Date(envelope.arrival);
  return store_.Deposit(std::move(envelope), std::move(submission.message));
}

Result<std::shared_ptr<NsfDatabase>> MailService::OwnMailFile(const Person& caller, bool create) {
  if (caller.mail_file.empty()) return Status::NotFound(caller.name.Abbreviated() + " has no mail file");
  return store_.MailFile(caller.mail_file, create);
}

Result<std::shared_ptr<NsfDatabase>> MailService::FolderMailFile(const Person& caller) {
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, OwnMailFile(caller, /*create=*/true));
  std::size_t unfiled = 0;
  NOTESD_RETURN_IF_ERROR(db->Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(unfiled, txn.CountKey(kUnfiledView, "unfiled"));
    return Status::Ok();
  }));
  if (unfiled > 0) {
    const TimeMicros now = clock_.NowMicros();
    NOTESD_RETURN_IF_ERROR(db->Write([now](WriteTxn& txn) { return FileUnfiledMessages(txn, now).status(); }));
  }
  return db;
}

void MailService::Changed(const Person& caller) { store_.NoteMailFileChange(caller.mail_file); }

Result<MailService::Mailbox> MailService::List(const Person& caller) {
  Mailbox mailbox;
  if (caller.mail_file.empty()) return Status::NotFound(caller.name.Abbreviated() + " has no mail file");
  mailbox.mail_file = caller.mail_file;
  auto db = OwnMailFile(caller, /*create=*/false);
  if (!db.ok()) {
    if (db.status().code() == StatusCode::kNotFound) return mailbox;
    return db.status();
  }
  NOTESD_ASSIGN_OR_RETURN(FolderListing inbox, ListFolder(caller, kInboxFolder));
  mailbox.messages = std::move(inbox.messages);
  return mailbox;
}

Result<StoredMail> MailService::Read(const Person& caller, std::string_view unid_text, bool mark_seen) {
  std::string unid = ToUpperAscii(unid_text);
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, OwnMailFile(caller, false));
  if (mark_seen) {
    bool changed = false;
    NOTESD_RETURN_IF_ERROR(db->Write([&](WriteTxn& txn) -> Status {
      changed = false;
      auto note = txn.GetByUnid(unid);
      if (!note.ok() || note->form() != "Memo") return NoMessage(unid);
      std::vector<std::string> flags = note->GetTextList(kMailFlagsItem);
      if (HasFlag(flags, "\\Seen")) return Status::Ok();
      flags.push_back("\\Seen");
      Note updated = *note;
      updated.SetTextList(kMailFlagsItem, flags, kItemSummary);
      changed = true;
      return txn.Update(updated).status();
    }));
    if (changed) Changed(caller);
  }
  StoredMail mail;
  NOTESD_RETURN_IF_ERROR(db->Read([&](const ReadTxn& txn) -> Status {
    auto note = txn.GetByUnid(unid);
    if (!note.ok() || note->form() != "Memo") return NoMessage(unid);
    mail = StoredFromNote(*note, true);
    mail.folder = FolderNameOf(txn, mail.folder_unid);
    return Status::Ok();
  }));
  if (mail.body_in_file) {
    NOTESD_ASSIGN_OR_RETURN(mail.message, store_.ReadMailFileBody(caller.mail_file, mail.unid));
  }
  return mail;
}

Status MailService::Delete(const Person& caller, std::string_view unid_text) {
  std::string unid = ToUpperAscii(unid_text);
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, OwnMailFile(caller, false));
  auto note = db->GetByUnid(unid);
  if (!note.ok() || note->form() != "Memo") return NoMessage(unid);
  bool body_in_file = StoredFromNote(*note, false).body_in_file;
  // The note first: a crash in between leaves only a body file no note refers to.
  NOTESD_RETURN_IF_ERROR(db->Delete(note->id()));
  Changed(caller);
  if (body_in_file) NOTESD_RETURN_IF_ERROR(store_.RemoveMailFileBody(caller.mail_file, unid));
  return Status::Ok();
}

Status MailService::SetFlags(const Person& caller, std::string_view unid_text, const std::vector<std::string>& flags) {
  NOTESD_ASSIGN_OR_RETURN(std::vector<std::string> normal, NormalizeFlags(flags));
  std::string unid = ToUpperAscii(unid_text);
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, OwnMailFile(caller, false));
  NOTESD_RETURN_IF_ERROR(db->Write([&](WriteTxn& txn) -> Status {
    auto note = txn.GetByUnid(unid);
    if (!note.ok() || note->form() != "Memo") return NoMessage(unid);
    Note changed = *note;
    changed.SetTextList(kMailFlagsItem, normal, kItemSummary);
    return txn.Update(changed).status();
  }));
  Changed(caller);
  return Status::Ok();
}

Result<std::uint32_t> MailService::MoveMessage(const Person& caller, std::string_view unid_text,
                                               std::string_view folder_name) {
  std::string unid = ToUpperAscii(unid_text);
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, FolderMailFile(caller));
  std::uint32_t uid = 0;
  NOTESD_RETURN_IF_ERROR(db->Write([&](WriteTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(MailFolder target, MustFindFolder(txn, folder_name));
    auto note = txn.GetByUnid(unid);
    if (!note.ok() || note->form() != "Memo") return NoMessage(unid);
    Note moved = *note;
    if (moved.GetText(kFolderItem) == target.unid) {
      uid = static_cast<std::uint32_t>(moved.GetNumber(kUidItem));
      return Status::Ok();  // already there: keeps its UID
    }
    NOTESD_ASSIGN_OR_RETURN(uid, TakeUid(txn, target, moved));
    return txn.Update(moved).status();
  }));
  Changed(caller);
  return uid;
}

// ---- Folders ----------------------------------------------------------------------

Result<std::vector<MailService::FolderStatus>> MailService::ListFolders(const Person& caller) {
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, FolderMailFile(caller));
  std::vector<FolderStatus> out;
  NOTESD_RETURN_IF_ERROR(db->Read([&](const ReadTxn& txn) -> Status {
    out.clear();
    NOTESD_ASSIGN_OR_RETURN(std::vector<MailFolder> folders, AllFolders(txn));
    for (const MailFolder& folder : folders) {
      NOTESD_ASSIGN_OR_RETURN(FolderStatus status, StatusOf(txn, folder));
      out.push_back(std::move(status));
    }
    return Status::Ok();
  }));
  return out;
}

Result<MailService::FolderStatus> MailService::CreateFolder(const Person& caller, std::string_view name) {
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, FolderMailFile(caller));
  FolderStatus status;
  const TimeMicros now = clock_.NowMicros();
  NOTESD_RETURN_IF_ERROR(db->Write([&](WriteTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(MailFolder folder, notesd::CreateFolder(txn, name, now));
    NOTESD_ASSIGN_OR_RETURN(status, StatusOf(txn, folder));
    return Status::Ok();
  }));
  Changed(caller);
  return status;
}

Status MailService::DeleteFolder(const Person& caller, std::string_view name) {
  NOTESD_ASSIGN_OR_RETURN(std::string normal, NormalizeFolderName(name));
  if (normal == kInboxFolder) return Status::InvalidArgument("INBOX cannot be deleted");
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, FolderMailFile(caller));
  std::vector<std::string> body_files;
  NOTESD_RETURN_IF_ERROR(db->Write([&](WriteTxn& txn) -> Status {
    body_files.clear();
    NOTESD_ASSIGN_OR_RETURN(MailFolder folder, MustFindFolder(txn, normal));
    NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries,
                            txn.Scan(kFolderUidView, ScanOptions::WithPrefix(folder.unid + "/")));
    for (const ViewEntry& entry : entries) {
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(entry.id));
      if (note.GetNumber("$MessageFile") != 0) body_files.push_back(note.unid());
      NOTESD_RETURN_IF_ERROR(txn.Delete(entry.id));
    }
    return txn.Delete(folder.note_id);
  }));
  Changed(caller);
  for (const std::string& unid : body_files) NOTESD_RETURN_IF_ERROR(store_.RemoveMailFileBody(caller.mail_file, unid));
  return Status::Ok();
}

Status MailService::RenameFolder(const Person& caller, std::string_view from_name, std::string_view to_name) {
  NOTESD_ASSIGN_OR_RETURN(std::string from, NormalizeFolderName(from_name));
  NOTESD_ASSIGN_OR_RETURN(std::string to, NormalizeFolderName(to_name));
  if (to == kInboxFolder) return Status::AlreadyExists("folder 'INBOX' already exists");
  if (to.rfind(from + kFolderDelimiter, 0) == 0)
    return Status::InvalidArgument("folder '" + from + "' cannot be renamed to a folder below itself");
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, FolderMailFile(caller));
  const TimeMicros now = clock_.NowMicros();
  NOTESD_RETURN_IF_ERROR(db->Write([&](WriteTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(MailFolder folder, MustFindFolder(txn, from));
    NOTESD_ASSIGN_OR_RETURN(std::vector<MailFolder> all, AllFolders(txn));
    // The folder and (except for INBOX, whose inferiors stay) those below it.
    std::vector<std::pair<MailFolder, std::string>> renames{{folder, to}};
    if (from != kInboxFolder)
      for (const MailFolder& other : all)
        if (other.name.rfind(from + kFolderDelimiter, 0) == 0)
          renames.emplace_back(other, to + other.name.substr(from.size()));
    for (const auto& [old_folder, new_name] : renames) {
      if (new_name.size() > kMaxFolderNameBytes)
        return Status::InvalidArgument("folder name '" + new_name.substr(0, 80) + "...' would be too long");
      NOTESD_ASSIGN_OR_RETURN(std::optional<MailFolder> clash, FindFolder(txn, new_name));
      if (clash) return Status::AlreadyExists("folder '" + new_name + "' already exists");
    }
    for (const auto& [old_folder, new_name] : renames) {
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(old_folder.note_id));
      note.SetText(kFolderNameItem, new_name, kItemSummary);
      NOTESD_RETURN_IF_ERROR(txn.Update(note).status());
    }
    if (from == kInboxFolder) NOTESD_RETURN_IF_ERROR(notesd::CreateFolder(txn, kInboxFolder, now).status());
    return Status::Ok();
  }));
  Changed(caller);
  return Status::Ok();
}

Result<MailService::FolderStatus> MailService::GetFolderStatus(const Person& caller, std::string_view name) {
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, FolderMailFile(caller));
  FolderStatus status;
  NOTESD_RETURN_IF_ERROR(db->Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(MailFolder folder, MustFindFolder(txn, name));
    NOTESD_ASSIGN_OR_RETURN(status, StatusOf(txn, folder));
    return Status::Ok();
  }));
  return status;
}

Result<MailService::FolderListing> MailService::ListFolder(const Person& caller, std::string_view name,
                                                           std::uint32_t first_uid, std::uint32_t last_uid) {
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, FolderMailFile(caller));
  FolderListing listing;
  NOTESD_RETURN_IF_ERROR(db->Read([&](const ReadTxn& txn) -> Status {
    listing.messages.clear();
    NOTESD_ASSIGN_OR_RETURN(MailFolder folder, MustFindFolder(txn, name));
    NOTESD_ASSIGN_OR_RETURN(listing.status, StatusOf(txn, folder));
    if (first_uid == 0) first_uid = 1;
    if (first_uid > last_uid) return Status::Ok();
    // UIDs are unique in a folder: the range holds at most last - first + 1 entries.
    const std::uint64_t span = std::uint64_t{last_uid} - first_uid + 1;
    ScanOptions scan{FolderUidKey(folder.unid, first_uid), folder.unid + "/",
                     span < listing.status.messages ? static_cast<std::size_t>(span) : 0};
    NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries, txn.Scan(kFolderUidView, scan));
    listing.messages.reserve(entries.size());
    for (const ViewEntry& entry : entries) {
      NOTESD_ASSIGN_OR_RETURN(Note summary, txn.GetSummary(entry.id));
      StoredMail mail = StoredFromNote(summary, false);
      if (mail.uid > last_uid) break;
      mail.folder = folder.name;
      listing.messages.push_back(std::move(mail));
    }
    return Status::Ok();
  }));
  return listing;
}

Result<StoredMail> MailService::ReadByUid(const Person& caller, std::string_view name, std::uint32_t uid) {
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, FolderMailFile(caller));
  StoredMail mail;
  NOTESD_RETURN_IF_ERROR(db->Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(MailFolder folder, MustFindFolder(txn, name));
    NOTESD_ASSIGN_OR_RETURN(NoteId id, IdOfUid(txn, folder, uid));
    if (id == 0) return NoUid(uid, folder.name);
    NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(id));
    mail = StoredFromNote(note, true);
    mail.folder = folder.name;
    return Status::Ok();
  }));
  if (mail.body_in_file) {
    NOTESD_ASSIGN_OR_RETURN(mail.message, store_.ReadMailFileBody(caller.mail_file, mail.unid));
  }
  return mail;
}

Result<std::vector<MailService::FlagsOfUid>> MailService::StoreFlags(const Person& caller, std::string_view name,
                                                                     const std::vector<std::uint32_t>& uids,
                                                                     FlagChange change,
                                                                     const std::vector<std::string>& flags) {
  NOTESD_ASSIGN_OR_RETURN(std::vector<std::string> normal, NormalizeFlags(flags));
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, FolderMailFile(caller));
  const std::vector<std::uint32_t> wanted = SortedUnique(uids);
  std::vector<FlagsOfUid> out;
  NOTESD_RETURN_IF_ERROR(db->Write([&](WriteTxn& txn) -> Status {
    out.clear();
    NOTESD_ASSIGN_OR_RETURN(MailFolder folder, MustFindFolder(txn, name));
    for (std::uint32_t uid : wanted) {
      NOTESD_ASSIGN_OR_RETURN(NoteId id, IdOfUid(txn, folder, uid));
      if (id == 0) continue;
      NOTESD_ASSIGN_OR_RETURN(Note summary, txn.GetSummary(id));
      std::vector<std::string> current = summary.GetTextList(kMailFlagsItem);
      std::vector<std::string> next = ChangedFlags(current, change, normal);
      if (next.size() > kMaxFlagsPerMessage)
        return Status::InvalidArgument("at most " + std::to_string(kMaxFlagsPerMessage) + " flags per message");
      if (next != current) {
        NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(id));
        note.SetTextList(kMailFlagsItem, next, kItemSummary);
        NOTESD_RETURN_IF_ERROR(txn.Update(note).status());
      }
      out.push_back({uid, std::move(next)});
    }
    return Status::Ok();
  }));
  Changed(caller);
  return out;
}

Result<MailService::UidMapping> MailService::CopyToFolder(const Person& caller, std::string_view from,
                                                          const std::vector<std::uint32_t>& uids, std::string_view to) {
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, FolderMailFile(caller));
  const std::vector<std::uint32_t> wanted = SortedUnique(uids);
  // The copies' UNIDs are drawn first so a rerun of the transaction links the same names.
  std::vector<std::string> new_unids;
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    NOTESD_ASSIGN_OR_RETURN(std::string unid, NewUnid());
    new_unids.push_back(std::move(unid));
  }
  UidMapping mapping;
  std::vector<std::string> linked;
  Status written = db->Write([&](WriteTxn& txn) -> Status {
    mapping.uids.clear();
    NOTESD_ASSIGN_OR_RETURN(MailFolder source, MustFindFolder(txn, from));
    NOTESD_ASSIGN_OR_RETURN(MailFolder target, MustFindFolder(txn, to));
    mapping.uid_validity = target.uid_validity;
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      NOTESD_ASSIGN_OR_RETURN(NoteId id, IdOfUid(txn, source, wanted[i]));
      if (id == 0) continue;
      NOTESD_ASSIGN_OR_RETURN(Note original, txn.Get(id));
      Note copy;
      for (const Item& item : original.items()) copy.SetItem(item);
      copy.set_unid(new_unids[i]);
      if (original.GetNumber("$MessageFile") != 0) {
        // Linked before the note that refers to it commits, as delivery does.
        NOTESD_RETURN_IF_ERROR(store_.LinkMailFileBody(caller.mail_file, original.unid(), new_unids[i]));
        linked.push_back(new_unids[i]);
      }
      NOTESD_ASSIGN_OR_RETURN(std::uint32_t uid, TakeUid(txn, target, copy));
      NOTESD_RETURN_IF_ERROR(txn.Create(copy).status());
      mapping.uids.emplace_back(wanted[i], uid);
    }
    return Status::Ok();
  });
  if (!written.ok()) {
    for (const std::string& unid : linked) (void)store_.RemoveMailFileBody(caller.mail_file, unid);
    return written;
  }
  Changed(caller);
  return mapping;
}

Result<MailService::UidMapping> MailService::MoveToFolder(const Person& caller, std::string_view from,
                                                          const std::vector<std::uint32_t>& uids, std::string_view to) {
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, FolderMailFile(caller));
  const std::vector<std::uint32_t> wanted = SortedUnique(uids);
  UidMapping mapping;
  NOTESD_RETURN_IF_ERROR(db->Write([&](WriteTxn& txn) -> Status {
    mapping.uids.clear();
    NOTESD_ASSIGN_OR_RETURN(MailFolder source, MustFindFolder(txn, from));
    NOTESD_ASSIGN_OR_RETURN(MailFolder target, MustFindFolder(txn, to));
    mapping.uid_validity = target.uid_validity;
    for (std::uint32_t old_uid : wanted) {
      NOTESD_ASSIGN_OR_RETURN(NoteId id, IdOfUid(txn, source, old_uid));
      if (id == 0) continue;
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(id));
      NOTESD_ASSIGN_OR_RETURN(std::uint32_t uid, TakeUid(txn, target, note));
      NOTESD_RETURN_IF_ERROR(txn.Update(note).status());
      mapping.uids.emplace_back(old_uid, uid);
    }
    return Status::Ok();
  }));
  Changed(caller);
  return mapping;
}

Result<std::vector<std::uint32_t>> MailService::Expunge(const Person& caller, std::string_view name,
                                                        const std::optional<std::vector<std::uint32_t>>& only) {
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, FolderMailFile(caller));
  std::set<std::uint32_t> allowed;
  if (only) allowed.insert(only->begin(), only->end());
  std::vector<std::uint32_t> expunged;
  std::vector<std::string> body_files;
  NOTESD_RETURN_IF_ERROR(db->Write([&](WriteTxn& txn) -> Status {
    expunged.clear();
    body_files.clear();
    NOTESD_ASSIGN_OR_RETURN(MailFolder folder, MustFindFolder(txn, name));
    NOTESD_ASSIGN_OR_RETURN(std::vector<NoteId> ids, txn.LookupIds(kFolderCountView, folder.unid + "/deleted"));
    for (NoteId id : ids) {
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(id));
      const auto uid = static_cast<std::uint32_t>(note.GetNumber(kUidItem));
      if (only && !allowed.count(uid)) continue;
      if (note.GetNumber("$MessageFile") != 0) body_files.push_back(note.unid());
      NOTESD_RETURN_IF_ERROR(txn.Delete(id));
      expunged.push_back(uid);
    }
    return Status::Ok();
  }));
  std::sort(expunged.begin(), expunged.end());
  if (!expunged.empty()) Changed(caller);
  for (const std::string& unid : body_files) NOTESD_RETURN_IF_ERROR(store_.RemoveMailFileBody(caller.mail_file, unid));
  return expunged;
}

Result<MailService::Appended> MailService::Append(const Person& caller, std::string_view name, std::string message,
                                                  const std::vector<std::string>& flags, TimeMicros internal_date) {
  NOTESD_ASSIGN_OR_RETURN(std::vector<std::string> normal, NormalizeFlags(flags));
  if (message.empty() || mime::HeaderBlock(message).empty())
    return Status::InvalidArgument("the message has no header (an RFC 5322 message is expected)");
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, FolderMailFile(caller));
  const TimeMicros now = clock_.NowMicros();
  const TimeMicros internal = internal_date != 0 ? internal_date : now;
  MailEnvelope envelope;
  envelope.sender = !caller.internet_address.empty() ? caller.internet_address : caller.name.Canonical();
  envelope.recipients = {envelope.sender};
  envelope.origin = "IMAP APPEND by " + caller.name.Canonical();
  // MailBoxNote makes the bytes CRLF-canonical and reads the summary from the header.
  Note note = MailFileNote(QueuedFromNote(MailBoxNote(envelope, message, internal), true), internal);
  if (!normal.empty()) note.SetTextList(kMailFlagsItem, normal, kItemSummary);
  Appended appended;
  NOTESD_RETURN_IF_ERROR(db->Write([&](WriteTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(MailFolder folder, MustFindFolder(txn, name));
    Note filed = note;
    appended.uid_validity = folder.uid_validity;
    NOTESD_ASSIGN_OR_RETURN(appended.uid, TakeUid(txn, folder, filed));
    NOTESD_ASSIGN_OR_RETURN(Note stored, txn.Create(filed));
    appended.unid = stored.unid();
    return Status::Ok();
  }));
  Changed(caller);
  return appended;
}

std::uint64_t MailService::ChangeCount(const Person& caller) { return store_.MailFileChangeCount(caller.mail_file); }

std::uint64_t MailService::WaitForChange(const Person& caller, std::uint64_t seen, std::chrono::milliseconds timeout) {
  return store_.WaitForMailFileChange(caller.mail_file, seen, timeout);
}

}  // namespace notesd
