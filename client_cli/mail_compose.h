// client_cli/mail_compose.h — the pure part of `notes mail send`: building the RFC 5322 /
// MIME message a Notes user sends (plain; issue 7 adds S/MIME on top of this).
//
// The message: From, To, Cc, Subject (RFC 2047 encoded-word when not ASCII), Date,
// Message-ID, MIME-Version, then either a text/plain body (charset=utf-8; 7bit when
// ASCII, else 8bit) or, with attachments, multipart/mixed with the text first and each
// file as a base64 application/octet-stream part (text/plain for .txt) with its file
// name. Every line ends in CRLF; body lines are kept as typed (LF or CRLF become CRLF).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace notesd::client {

struct Attachment {
  std::string file_name;  // the name shown to the recipient (no directories)
  std::string bytes;
};

struct ComposeRequest {
  std::string from_name;     // "Jane Admin"
  std::string from_address;  // "jane@acme.example" (or a Notes name when there is none)
  std::vector<std::string> to;
  std::vector<std::string> cc;
  std::string subject;
  std::string body;  // UTF-8 text
  std::vector<Attachment> attachments;
  std::int64_t date_seconds = 0;  // the Date field (seconds since the epoch)
  std::string unique;             // random text for Message-ID and the MIME boundary
};

// InvalidArgument when there is no recipient or a field holds a line break.
Result<std::string> ComposeMessage(const ComposeRequest& request);

}  // namespace notesd::client
