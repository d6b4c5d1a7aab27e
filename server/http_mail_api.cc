// server/http_mail_api.cc — the client API's mail endpoints (contract in
// server/http_task.h): a Notes user deposits a message into mail.box and reads their own
// mail file. Only the caller's own mail file is ever opened (from their Person
// document); the envelope sender is the caller's Internet address (or their Notes name
// when they have none), never a value the client chose, and a message whose From or
// Sender names anyone else is refused with 403 (router/deposit_originator.h).
#include <httplib.h>

#include "router/deposit_originator.h"
#include "router/mail_message.h"
#include "router/mail_store.h"
#include "server/http_api.h"
#include "base/ascii.h"
#include "pki/base64.h"

namespace notesd {

namespace {

constexpr std::size_t kMaxRecipients = 1000;

nlohmann::json MailJson(const StoredMail& mail) {
  return {{"unid", mail.unid},     {"from", mail.from},         {"send_to", mail.send_to},
          {"subject", mail.subject}, {"posted", mail.posted},   {"delivered", mail.delivered},
          {"size", mail.size},     {"sender", mail.sender}};
}

// JSON text must be UTF-8: header text from outside may not be, so it is cleaned.
std::string Utf8Safe(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    std::size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k)
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (!valid) {
      out += '?';
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

StoredMail Cleaned(StoredMail mail) {
  mail.from = Utf8Safe(mail.from);
  mail.subject = Utf8Safe(mail.subject);
  mail.sender = Utf8Safe(mail.sender);
  for (std::string& to : mail.send_to) to = Utf8Safe(to);
  return mail;
}

}  // namespace

void HttpApi::InstallMailEndpoints(httplib::Server& server) {
  server.Post("/api/v1/mail/deposit",
              Guarded([this](const Caller& c, const httplib::Request& r, int*) { return MailDeposit(c, r); }, false));
  server.Get("/api/v1/mail/messages",
             Guarded([this](const Caller& c, const httplib::Request&, int*) { return MailList(c); }, false));
  server.Get(R"(/api/v1/mail/messages/([0-9A-Fa-f]{32}))",
             Guarded([this](const Caller& c, const httplib::Request& r, int*) { return MailRead(c, r); }, false));
}

Result<std::shared_ptr<MailStore>> HttpApi::Mail() {
  std::lock_guard lock(mail_mutex_);
  if (!mail_) {
    NOTESD_ASSIGN_OR_RETURN(mail_, OpenSharedMailStore(context_.DataDir()));
  }
  return mail_;
}

Result<nlohmann::json> HttpApi::MailDeposit(const Caller& caller, const httplib::Request& request) {
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(request.body));
  auto recipients_it = body.find("recipients");
  if (recipients_it == body.end() || !recipients_it->is_array() || recipients_it->empty())
    return Status::InvalidArgument("'recipients' must be a non-empty list of addresses or names");
  if (recipients_it->size() > kMaxRecipients)
    return Status::InvalidArgument("at most " + std::to_string(kMaxRecipients) + " recipients per message");
  MailEnvelope envelope;
  for (const auto& r : *recipients_it) {
    if (!r.is_string() || TrimSpaces(r.get<std::string>()).empty())
      return Status::InvalidArgument("every recipient must be a non-empty string");
    std::string recipient = TrimSpaces(r.get<std::string>());
    if (recipient.find_first_of("\r\n<>") != std::string::npos)
      return Status::InvalidArgument("recipient '" + recipient + "' has characters an address cannot have");
    envelope.recipients.push_back(recipient);
  }
  auto message_it = body.find("message_base64");
  if (message_it == body.end() || !message_it->is_string())
    return Status::InvalidArgument("missing string field 'message_base64' (the RFC 5322 message)");
  NOTESD_ASSIGN_OR_RETURN(std::string message, Base64DecodeFlat(message_it->get<std::string>()));
  if (message.empty() || mime::HeaderBlock(message).empty())
    return Status::InvalidArgument("the message has no header (an RFC 5322 message is expected)");
  const Person& person = caller.person;
  envelope.sender = !person.internet_address.empty() ? person.internet_address : person.name.Canonical();
  NOTESD_RETURN_IF_ERROR(CheckDepositOriginator(message, envelope.sender));
  envelope.origin = "Notes user " + person.name.Canonical();
  envelope.trace = "Received: from " + person.name.Abbreviated() + " ([" + request.remote_addr +
                   "])\r\n\tby notesd with HTTPS;\r\n\t" + FormatRfc5322Date(context_.GetClock().NowMicros());
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<MailStore> store, Mail());
  std::size_t count = envelope.recipients.size();
  NOTESD_ASSIGN_OR_RETURN(std::string unid, store->Deposit(std::move(envelope), std::move(message)));
  context_.Stats().Counter("HTTP.Mail.Deposited")++;
  return nlohmann::json{{"unid", unid}, {"recipients", count}};
}

Result<nlohmann::json> HttpApi::MailList(const Caller& caller) {
  if (caller.person.mail_file.empty())
    return Status::NotFound(caller.person.name.Abbreviated() + " has no mail file");
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<MailStore> store, Mail());
  nlohmann::json messages = nlohmann::json::array();
  auto db = store->MailFile(caller.person.mail_file, /*create=*/false);
  if (!db.ok()) {
    if (db.status().code() == StatusCode::kNotFound) return nlohmann::json{{"mail_file", caller.person.mail_file}, {"messages", messages}};
    return db.status();
  }
  Status read = (*db)->Read([&](const ReadTxn& txn) -> Status {
    messages = nlohmann::json::array();
    NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries, txn.Scan(kInboxView));
    for (const ViewEntry& entry : entries) {
      auto note = txn.Get(entry.id);
      if (note.ok()) messages.push_back(MailJson(Cleaned(StoredFromNote(*note, false))));
    }
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return nlohmann::json{{"mail_file", caller.person.mail_file}, {"messages", messages}};
}

Result<nlohmann::json> HttpApi::MailRead(const Caller& caller, const httplib::Request& request) {
  if (caller.person.mail_file.empty())
    return Status::NotFound(caller.person.name.Abbreviated() + " has no mail file");
  std::string unid = ToUpperAscii(request.matches[1].str());
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<MailStore> store, Mail());
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<NsfDatabase> db, store->MailFile(caller.person.mail_file, false));
  auto note = db->GetByUnid(unid);
  if (!note.ok()) return Status::NotFound("no message " + unid + " in your mail file");
  StoredMail mail = StoredFromNote(*note, true);
  if (mail.body_in_file) {
    NOTESD_ASSIGN_OR_RETURN(mail.message, store->ReadMailFileBody(caller.person.mail_file, mail.unid));
  }
  nlohmann::json json = MailJson(Cleaned(mail));
  json["message_base64"] = Base64Flat(mail.message);
  return json;
}

}  // namespace notesd
