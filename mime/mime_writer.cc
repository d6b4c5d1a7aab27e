// mime/mime_writer.cc — the MIME that notesd writes (contract in the header).
#include "mime/mime_writer.h"

#include "pki/base64.h"

namespace notesd::mime {

bool IsAscii(std::string_view text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) & 0x80) return false;
  return true;
}

std::string EncodeWord(std::string_view text) {
  if (IsAscii(text)) return std::string(text);
  return "=?utf-8?B?" + Base64Flat(text) + "?=";
}

std::string SafeFileName(std::string_view name) {
  std::string out;
  for (char c : name) out += (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 32) ? '_' : c;
  return out.empty() ? "attachment" : out;
}

std::string TextPartHeaders(std::string_view body) {
  return std::string("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: ") +
         (IsAscii(body) ? "7bit" : "8bit") + "\r\n";
}

std::string AttachmentPart(std::string_view file_name, std::string_view content_type, std::string_view bytes) {
  std::string name = SafeFileName(file_name);
  std::string out = "Content-Type: " + std::string(content_type) + "; name=\"" + name + "\"\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  out += "Content-Disposition: attachment; filename=\"" + name + "\"\r\n\r\n";
  out += Base64Lines(bytes);
  return out;
}

}  // namespace notesd::mime
