#include "router/mail_service.h"

#include "base/ascii.h"
#include "router/deposit_originator.h"
#include "base/notes_ini.h"
#include "router/mail_message.h"

namespace notesd {

namespace {

Status CheckFlag(const std::string& flag) {
  bool bad = flag.empty();
  for (unsigned char c : flag) bad = bad || c <= ' ' || c == 0x7F;
  if (bad) return Status::InvalidArgument("flag '" + flag + "' is empty or has spaces or control characters");
  return Status::Ok();
}

}  // namespace

MailService::MailService(MailStore& store, const Clock& clock) : store_(store), clock_(clock) {}

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

Result<MailService::Mailbox> MailService::List(const Person& caller) {
  Mailbox mailbox;
  auto db = OwnMailFile(caller, /*create=*/false);
  if (!db.ok()) {
    if (db.status().code() == StatusCode::kNotFound && !caller.mail_file.empty()) {
      mailbox.mail_file = caller.mail_file;
      return mailbox;
    }
    return db.status();
  }
  mailbox.mail_file = caller.mail_file;
  NOTESD_RETURN_IF_ERROR((*db)->Read([&](const ReadTxn& txn) -> Status {
    mailbox.messages.clear();  // a read body may run again
    NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries, txn.Scan(kInboxView));
    for (const ViewEntry& entry : entries) {
      auto note = txn.Get(entry.id);
      if (note.ok()) mailbox.messages.push_back(StoredFromNote(*note, false));
    }
    return Status::Ok();
  }));
  return mailbox;
}

Result<StoredMail> MailService::Read(const Person& caller, std::string_view unid_text) {
  std::string unid = ToUpperAscii(unid_text);
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, OwnMailFile(caller, false));
  auto note = db->GetByUnid(unid);
  if (!note.ok()) return Status::NotFound("no message " + unid + " in your mail file");
  StoredMail mail = StoredFromNote(*note, true);
  if (mail.body_in_file) {
    NOTESD_ASSIGN_OR_RETURN(mail.message, store_.ReadMailFileBody(caller.mail_file, mail.unid));
  }
  return mail;
}

Status MailService::Delete(const Person& caller, std::string_view unid_text) {
  std::string unid = ToUpperAscii(unid_text);
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, OwnMailFile(caller, false));
  auto note = db->GetByUnid(unid);
  if (!note.ok()) return Status::NotFound("no message " + unid + " in your mail file");
  bool body_in_file = StoredFromNote(*note, false).body_in_file;
  // The note first: a crash in between leaves only a body file no note refers to.
  NOTESD_RETURN_IF_ERROR(db->Delete(note->id()));
  if (body_in_file) NOTESD_RETURN_IF_ERROR(store_.RemoveMailFileBody(caller.mail_file, unid));
  return Status::Ok();
}

Status MailService::SetFlags(const Person& caller, std::string_view unid_text, const std::vector<std::string>& flags) {
  for (const std::string& flag : flags) NOTESD_RETURN_IF_ERROR(CheckFlag(flag));
  std::string unid = ToUpperAscii(unid_text);
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, OwnMailFile(caller, false));
  return db->Write([&](WriteTxn& txn) -> Status {
    auto note = txn.GetByUnid(unid);
    if (!note.ok()) return Status::NotFound("no message " + unid + " in your mail file");
    Note changed = *note;
    changed.SetTextList(kMailFlagsItem, flags);
    return txn.Update(changed).status();
  });
}

}  // namespace notesd
