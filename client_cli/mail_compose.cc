#include "client_cli/mail_compose.h"

#include <ctime>

#include "mime/mime_writer.h"
#include "base/time_text.h"

namespace notesd::client {

using mime::AttachmentPart;
using mime::EncodeWord;
using mime::IsAscii;
using mime::SafeFileName;
using mime::TextPartHeaders;

namespace {

bool HasLineBreak(std::string_view text) { return text.find_first_of("\r\n") != std::string_view::npos; }

// A display name, quoted when it holds specials.
std::string DisplayName(std::string_view name) {
  if (!IsAscii(name)) return EncodeWord(name);
  if (name.find_first_of("()<>[]:;@\\,.\"") == std::string_view::npos) return std::string(name);
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

std::string AddressList(const std::vector<std::string>& addresses) {
  std::string out;
  for (const std::string& a : addresses)
    out += (out.empty() ? "" : ", ") + (a.find('@') != std::string::npos ? a : DisplayName(a));
  return out;
}

std::string Crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 40);
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      continue;
    }
    if (c == '\n') {
      out += "\r\n";
      continue;
    }
    out += c;
  }
  if (!out.ends_with("\r\n")) out += "\r\n";
  return out;
}

std::string DateField(std::int64_t seconds) {
  return FormatSeconds(static_cast<std::time_t>(seconds), kRfc5322DateFormat);
}

std::string AttachmentType(std::string_view name) {
  if (name.ends_with(".txt")) return "text/plain";
  if (name.ends_with(".pdf")) return "application/pdf";
  return "application/octet-stream";
}

}  // namespace

Result<std::string> ComposeMessage(const ComposeRequest& r) {
  if (r.to.empty() && r.cc.empty()) return Status::InvalidArgument("a message needs at least one recipient (--to)");
  for (const std::string* field : {&r.from_name, &r.from_address, &r.subject, &r.unique})
    if (HasLineBreak(*field)) return Status::InvalidArgument("header fields cannot contain line breaks");
  for (const auto* list : {&r.to, &r.cc})
    for (const std::string& a : *list)
      if (HasLineBreak(a) || a.empty()) return Status::InvalidArgument("recipient '" + a + "' is not usable");
  std::string host = r.from_address.find('@') != std::string::npos ? r.from_address.substr(r.from_address.find('@') + 1)
                                                                   : std::string("notesd.invalid");
  std::string m;
  std::string from =
      r.from_address.find('@') != std::string::npos
          ? (r.from_name.empty() ? r.from_address : DisplayName(r.from_name) + " <" + r.from_address + ">")
          : DisplayName(r.from_address);
  m += "From: " + from + "\r\n";
  if (!r.to.empty()) m += "To: " + AddressList(r.to) + "\r\n";
  if (!r.cc.empty()) m += "Cc: " + AddressList(r.cc) + "\r\n";
  m += "Subject: " + EncodeWord(r.subject) + "\r\n";
  m += "Date: " + DateField(r.date_seconds) + "\r\n";
  m += "Message-ID: <" + r.unique + "@" + host + ">\r\n";
  m += "MIME-Version: 1.0\r\n";
  std::string body = Crlf(r.body);
  if (r.attachments.empty()) {
    m += TextPartHeaders(r.body) + "\r\n" + body;
    return m;
  }
  std::string boundary = "=_notesd_" + r.unique;
  m += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
  m += "This is a multi-part message in MIME format.\r\n";
  m += "--" + boundary + "\r\n" + TextPartHeaders(r.body) + "\r\n" + body;
  for (const Attachment& a : r.attachments) {
    m += "--" + boundary + "\r\n" + AttachmentPart(a.file_name, AttachmentType(SafeFileName(a.file_name)), a.bytes);
  }
  m += "--" + boundary + "--\r\n";
  return m;
}

}  // namespace notesd::client
