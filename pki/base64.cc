// pki/base64.cc — MIME base64 on top of OpenSSL's EVP_EncodeBlock / EVP_DecodeBlock.
#include "pki/base64.h"

#include <openssl/evp.h>

#include <climits>

namespace notesd {
namespace {

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Decodes whole 4-character quanta whose last `padding` characters are '=' (the caller
// checked the alphabet and the size).
Result<std::string> DecodeQuanta(std::string_view quanta, std::size_t padding) {
  if (quanta.empty()) return std::string();
  std::string out(quanta.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(quanta.data()), static_cast<int>(quanta.size()));
  if (n < 0) return Status::InvalidArgument("not base64");
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

}  // namespace

std::string Base64Flat(std::string_view bytes) {
  if (bytes.empty() || bytes.size() > static_cast<std::size_t>(INT_MAX / 2)) return {};
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return out;
}

std::string Base64Lines(std::string_view bytes) {
  std::string flat = Base64Flat(bytes);
  std::string out;
  out.reserve(flat.size() + flat.size() / 76 * 2 + 2);
  for (std::size_t i = 0; i < flat.size(); i += 76) {
    out.append(flat, i, 76);
    out += "\r\n";
  }
  return out;
}

Result<std::string> Base64DecodeFlat(std::string_view text) {
  if (text.size() % 4 != 0) return Status::InvalidArgument("not base64: the length is not a multiple of 4");
  if (text.size() > static_cast<std::size_t>(INT_MAX / 2)) return Status::InvalidArgument("base64 data too large");
  std::size_t padding = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
  // EVP_DecodeBlock would skip white space around the data; canonical input has none.
  for (std::size_t i = 0; i < text.size() - padding; ++i)
    if (!IsBase64Char(text[i])) return Status::InvalidArgument("not base64: unexpected character in the data");
  return DecodeQuanta(text, padding);
}

Result<std::string> Base64DecodeMime(std::string_view text) {
  // Collect the alphabet characters up to the first pad; refuse anything else that is
  // not white space, so a damaged body is reported rather than silently shortened.
  std::string clean;
  clean.reserve(text.size());
  bool padded = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '=') {
      padded = true;
      continue;
    }
    if (!IsBase64Char(c)) return Status::InvalidArgument("not base64: unexpected character in the data");
    if (padded) return Status::InvalidArgument("not base64: data after the '=' padding");
    clean += c;
  }
  std::size_t rest = clean.size() % 4;
  if (rest == 1) return Status::InvalidArgument("not base64: the data is truncated");
  if (clean.size() > static_cast<std::size_t>(INT_MAX / 2)) return Status::InvalidArgument("base64 data too large");
  std::size_t padding = rest == 0 ? 0 : 4 - rest;
  clean.append(padding, '=');
  return DecodeQuanta(clean, padding);
}

}  // namespace notesd
