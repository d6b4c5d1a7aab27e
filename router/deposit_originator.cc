#include "router/deposit_originator.h"

#include <string>
#include <vector>

#include "pki/hier_name.h"
#include "base/notes_ini.h"
#include "router/mail_message.h"
#include "base/ascii.h"

namespace notesd {

namespace {

// A mailbox of a From or Sender field is the caller's own: the same Internet address, or
// for a caller without one the same Notes name in any of its spellings.
bool IsOwnMailbox(std::string mailbox, std::string_view own_address) {
  if (EqualsIgnoreCase(mailbox, own_address)) return true;
  if (own_address.find('@') != std::string_view::npos || mailbox.find('@') != std::string::npos) return false;
  if (mailbox.size() >= 2 && mailbox.front() == '"' && mailbox.back() == '"')
    mailbox = mailbox.substr(1, mailbox.size() - 2);
  auto written = HierName::Parse(mailbox);
  auto own = HierName::Parse(own_address);
  return written.ok() && own.ok() && *written == *own;
}

Status CheckField(const std::string& field, const std::string& value, std::string_view own_address) {
  std::vector<std::string> mailboxes = AddressesIn(value);
  if (mailboxes.empty()) return Status::InvalidArgument("the message's " + field + " field names no address");
  for (const std::string& mailbox : mailboxes)
    if (!IsOwnMailbox(mailbox, own_address))
      return Status::PermissionDenied("the message's " + field + " field names " + mailbox +
                                      ", but you may send only as yourself (" + std::string(own_address) + ")");
  return Status::Ok();
}

}  // namespace

Status CheckDepositOriginator(std::string_view raw_message, std::string_view own_address) {
  // Checked as mail.box will store it: a bare CR or LF there ends a line, so a field
  // hidden behind one ("X-A: b\rFrom: ceo@...") is a field of its own.
  const std::string message = CanonicalCrlf(raw_message);
  std::vector<std::string> from = mime::HeaderValues(message, "From", 2);
  if (from.empty()) return Status::InvalidArgument("the message has no From field");
  if (from.size() > 1) return Status::InvalidArgument("the message has more than one From field");
  NOTESD_RETURN_IF_ERROR(CheckField("From", from.front(), own_address));
  for (const std::string& sender : mime::HeaderValues(message, "Sender"))
    NOTESD_RETURN_IF_ERROR(CheckField("Sender", sender, own_address));
  return Status::Ok();
}

}  // namespace notesd
