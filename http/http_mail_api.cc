// http/http_mail_api.cc — the client API's mail endpoints (contract in
// http/http_task.h): a Notes user deposits a message into mail.box and reads their own
// mail file. Routes onto the mail service (router/mail_service.h), which holds the rules
// (only the caller's own mail file; the envelope sender is the caller's own address; a
// From or Sender naming anyone else is refused with 403). Here: JSON in, JSON out, and
// header text made UTF-8 for JSON.
#include <httplib.h>

#include "router/mail_message.h"
#include "router/mail_service.h"
#include "http/http_api.h"
#include "base/ascii.h"
#include "pki/base64.h"

namespace notesd {

namespace {

nlohmann::json MailJson(const StoredMail& mail) {
  return {{"unid", mail.unid},     {"from", mail.from},           {"send_to", mail.send_to}, {"subject", mail.subject},
          {"posted", mail.posted}, {"delivered", mail.delivered}, {"size", mail.size},       {"sender", mail.sender}};
}

// JSON text must be UTF-8: header text from outside may not be, so it is cleaned.
std::string Utf8Safe(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    std::size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
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

Result<nlohmann::json> HttpApi::MailDeposit(const Caller& caller, const httplib::Request& request) {
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(request.body));
  MailService::Submission submission;
  // Not a list, or an element that is not a string: handed on empty, so the service
  // refuses it with its own message.
  if (auto it = body.find("recipients"); it != body.end() && it->is_array())
    for (const auto& r : *it) submission.recipients.push_back(r.is_string() ? r.get<std::string>() : std::string());
  auto message_it = body.find("message_base64");
  if (message_it == body.end() || !message_it->is_string())
    return Status::InvalidArgument("missing string field 'message_base64' (the RFC 5322 message)");
  NOTESD_ASSIGN_OR_RETURN(submission.message, Base64DecodeFlat(message_it->get<std::string>()));
  submission.client = "[" + request.remote_addr + "]";
  submission.protocol = "HTTPS";
  std::size_t count = submission.recipients.size();
  NOTESD_ASSIGN_OR_RETURN(std::string unid, mail_.Deposit(caller.person, std::move(submission)));
  context_.Stats().Counter("HTTP.Mail.Deposited")++;
  return nlohmann::json{{"unid", unid}, {"recipients", count}};
}

Result<nlohmann::json> HttpApi::MailList(const Caller& caller) {
  NOTESD_ASSIGN_OR_RETURN(MailService::Mailbox mailbox, mail_.List(caller.person));
  nlohmann::json messages = nlohmann::json::array();
  for (StoredMail& mail : mailbox.messages) messages.push_back(MailJson(Cleaned(std::move(mail))));
  return nlohmann::json{{"mail_file", mailbox.mail_file}, {"messages", messages}};
}

Result<nlohmann::json> HttpApi::MailRead(const Caller& caller, const httplib::Request& request) {
  NOTESD_ASSIGN_OR_RETURN(StoredMail mail, mail_.Read(caller.person, request.matches[1].str()));
  nlohmann::json json = MailJson(Cleaned(mail));
  json["message_base64"] = Base64Flat(mail.message);
  return json;
}

}  // namespace notesd
