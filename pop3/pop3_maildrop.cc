#include "pop3/pop3_maildrop.h"

#include <utility>

namespace notesd::pop3 {

namespace {
constexpr char kInbox[] = "INBOX";
}  // namespace

Result<std::vector<MaildropMessage>> MailServiceBackend::ListMaildrop(const Person& person) {
  NOTESD_ASSIGN_OR_RETURN(MailService::FolderListing listing, mail_.ListFolder(person, kInbox));
  std::vector<MaildropMessage> out;
  out.reserve(listing.messages.size());
  for (const StoredMail& m : listing.messages)
    out.push_back({m.uid, m.unid, static_cast<std::uint64_t>(m.size < 0 ? 0 : m.size)});
  return out;
}

Result<std::string> MailServiceBackend::ReadMessage(const Person& person, const MaildropMessage& message,
                                                    bool mark_seen) {
  NOTESD_ASSIGN_OR_RETURN(StoredMail mail, mail_.ReadByUid(person, kInbox, message.uid));
  if (mail.unid != message.unid) return Status::NotFound("message " + message.unid + " is no longer in INBOX");
  bool seen = false;
  for (const std::string& flag : mail.flags) seen = seen || flag == "\\Seen";
  if (mark_seen && !seen) (void)mail_.AddFlags(person, kInbox, {message.uid}, {"\\Seen"});
  return std::move(mail.message);
}

Result<std::size_t> MailServiceBackend::RemoveMessages(const Person& person,
                                                       const std::vector<MaildropMessage>& messages) {
  NOTESD_ASSIGN_OR_RETURN(MailService::FolderListing listing, mail_.ListFolder(person, kInbox));
  std::vector<std::uint32_t> uids;
  for (const MaildropMessage& doomed : messages) {
    for (const StoredMail& m : listing.messages) {
      if (m.uid == doomed.uid && m.unid == doomed.unid) uids.push_back(m.uid);
    }
  }
  if (uids.empty()) return std::size_t{0};
  NOTESD_RETURN_IF_ERROR(mail_.AddFlags(person, kInbox, uids, {"\\Deleted"}).status());
  NOTESD_ASSIGN_OR_RETURN(std::vector<std::uint32_t> removed, mail_.Expunge(person, kInbox, uids));
  return removed.size();
}

}  // namespace notesd::pop3
