// http/http_mail_api.cc — the client API's mail endpoints (contract in
// http/http_task.h): a Notes user deposits a message into mail.box and reads their own
// mail file (its folders, read marks, moves and deletions). Routes onto the mail service (router/mail_service.h), which
// holds the rules (only the caller's own mail file; the envelope sender is the caller's own address; a From or Sender
// naming anyone else is refused with 403). Here: JSON in, JSON out, and header text made UTF-8 for JSON.
#include <httplib.h>

#include "base/time_text.h"
#include "router/mail_message.h"
#include "router/mail_service.h"
#include "http/http_api.h"
#include "base/ascii.h"
#include "pki/base64.h"

namespace notesd {

namespace {

nlohmann::json MailJson(const StoredMail& mail) {
  return {{"unid", mail.unid},
          {"from", mail.from},
          {"send_to", mail.send_to},
          {"subject", mail.subject},
          {"posted", Rfc3339FromMicros(mail.posted)},
          {"delivered", Rfc3339FromMicros(mail.delivered)},
          {"size", mail.size},
          {"sender", mail.sender},
          {"uid", mail.uid},
          {"folder", mail.folder},
          {"flags", mail.flags},
          {"unread", !HasFlag(mail.flags, "\\Seen")}};
}

nlohmann::json FolderJson(const MailService::FolderStatus& folder) {
  return {{"name", folder.name},
          {"messages", folder.messages},
          {"unseen", folder.unseen},
          {"uid_next", folder.uid_next},
          {"uid_validity", folder.uid_validity}};
}

// A required string field of a JSON body.
Result<std::string> StringField(const nlohmann::json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || !it->is_string())
    return Status::InvalidArgument(std::string("missing string field '") + field + "'");
  return it->get<std::string>();
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
             Guarded([this](const Caller& c, const httplib::Request& r, int*) { return MailList(c, r); }, false));
  server.Get(R"(/api/v1/mail/messages/([0-9A-Fa-f]{32}))",
             Guarded([this](const Caller& c, const httplib::Request& r, int*) { return MailRead(c, r); }, false));
  server.Post(R"(/api/v1/mail/messages/([0-9A-Fa-f]{32})/delete)",
              Guarded([this](const Caller& c, const httplib::Request& r, int*) { return MailDelete(c, r); }, false));
  server.Post(R"(/api/v1/mail/messages/([0-9A-Fa-f]{32})/move)",
              Guarded([this](const Caller& c, const httplib::Request& r, int*) { return MailMove(c, r); }, false));
  server.Get("/api/v1/mail/folders",
             Guarded([this](const Caller& c, const httplib::Request&, int*) { return MailFolders(c); }, false));
  server.Post(R"(/api/v1/mail/folders/(create|delete|rename))",
              Guarded([this](const Caller& c, const httplib::Request& r, int*) { return MailFolderChange(c, r); },
                      false));
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

Result<nlohmann::json> HttpApi::MailList(const Caller& caller, const httplib::Request& request) {
  const std::string folder = request.has_param("folder") ? request.get_param_value("folder") : kInboxFolder;
  NOTESD_ASSIGN_OR_RETURN(MailService::FolderListing listing, mail_.ListFolder(caller.person, folder));
  nlohmann::json messages = nlohmann::json::array();
  for (StoredMail& mail : listing.messages) messages.push_back(MailJson(Cleaned(std::move(mail))));
  return nlohmann::json{{"mail_file", caller.person.mail_file},
                        {"folder", Utf8Safe(listing.status.name)},
                        {"uid_validity", listing.status.uid_validity},
                        {"uid_next", listing.status.uid_next},
                        {"messages", messages}};
}

Result<nlohmann::json> HttpApi::MailDelete(const Caller& caller, const httplib::Request& request) {
  NOTESD_RETURN_IF_ERROR(mail_.Delete(caller.person, request.matches[1].str()));
  return nlohmann::json{{"deleted", ToUpperAscii(request.matches[1].str())}};
}

Result<nlohmann::json> HttpApi::MailMove(const Caller& caller, const httplib::Request& request) {
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(request.body));
  NOTESD_ASSIGN_OR_RETURN(std::string folder, StringField(body, "folder"));
  NOTESD_ASSIGN_OR_RETURN(std::uint32_t uid, mail_.MoveMessage(caller.person, request.matches[1].str(), folder));
  return nlohmann::json{{"unid", ToUpperAscii(request.matches[1].str())}, {"folder", Utf8Safe(folder)}, {"uid", uid}};
}

Result<nlohmann::json> HttpApi::MailFolders(const Caller& caller) {
  NOTESD_ASSIGN_OR_RETURN(std::vector<MailService::FolderStatus> folders, mail_.ListFolders(caller.person));
  nlohmann::json out = nlohmann::json::array();
  for (MailService::FolderStatus& folder : folders) {
    folder.name = Utf8Safe(folder.name);
    out.push_back(FolderJson(folder));
  }
  return nlohmann::json{{"folders", out}};
}

Result<nlohmann::json> HttpApi::MailFolderChange(const Caller& caller, const httplib::Request& request) {
  NOTESD_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(request.body));
  NOTESD_ASSIGN_OR_RETURN(std::string name, StringField(body, "name"));
  const std::string action = request.matches[1].str();
  if (action == "create") {
    NOTESD_ASSIGN_OR_RETURN(MailService::FolderStatus folder, mail_.CreateFolder(caller.person, name));
    folder.name = Utf8Safe(folder.name);
    return FolderJson(folder);
  }
  if (action == "delete") {
    NOTESD_RETURN_IF_ERROR(mail_.DeleteFolder(caller.person, name));
    return nlohmann::json{{"deleted", Utf8Safe(name)}};
  }
  NOTESD_ASSIGN_OR_RETURN(std::string new_name, StringField(body, "new_name"));
  NOTESD_RETURN_IF_ERROR(mail_.RenameFolder(caller.person, name, new_name));
  return nlohmann::json{{"renamed", Utf8Safe(name)}, {"name", Utf8Safe(new_name)}};
}

Result<nlohmann::json> HttpApi::MailRead(const Caller& caller, const httplib::Request& request) {
  const bool mark = request.has_param("mark_read") && request.get_param_value("mark_read") == "1";
  NOTESD_ASSIGN_OR_RETURN(StoredMail mail, mail_.Read(caller.person, request.matches[1].str(), mark));
  nlohmann::json json = MailJson(Cleaned(mail));
  json["message_base64"] = Base64Flat(mail.message);
  return json;
}

}  // namespace notesd
