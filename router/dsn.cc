#include "router/dsn.h"

#include "router/mail_message.h"

namespace notesd {

namespace {

// Header text with CRLF-canonical line ends, ending in one CRLF.
std::string CrlfHeaders(std::string_view headers) {
  std::string out = CanonicalCrlf(headers);
  while (out.size() >= 2 && out.ends_with("\r\n\r\n")) out.resize(out.size() - 2);
  if (!out.ends_with("\r\n")) out += "\r\n";
  return out;
}

// Keeps a diagnostic on one line of printable ASCII.
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 32 || u > 126) ? ' ' : c;
  }
  return out.substr(0, 900);
}

}  // namespace

std::string BuildDsn(const DsnInput& in) {
  const std::string crlf = "\r\n";
  bool temporary_only = true;
  for (const FailedRecipient& f : in.failed)
    if (!f.status.starts_with("4")) temporary_only = false;
  std::string out;
  out += "From: Mail Delivery System <MAILER-DAEMON@" + in.reporting_host + ">" + crlf;
  out += "To: <" + in.original_sender + ">" + crlf;
  out += "Subject: Undeliverable message" + crlf;
  out += "Date: " + FormatRfc5322Date(in.now) + crlf;
  out += "Message-ID: <" + in.boundary + "@" + in.reporting_host + ">" + crlf;
  out += "Auto-Submitted: auto-replied" + crlf;
  out += "MIME-Version: 1.0" + crlf;
  out += "Content-Type: multipart/report; report-type=delivery-status;" + crlf;
  out += "\tboundary=\"" + in.boundary + "\"" + crlf;
  out += crlf;
  out += "This is a MIME-encapsulated message." + crlf + crlf;

  out += "--" + in.boundary + crlf;
  out += "Content-Type: text/plain; charset=us-ascii" + crlf + crlf;
  out += "Your message could not be delivered to the following recipients" +
         std::string(temporary_only ? " before it expired:" : ":") + crlf + crlf;
  for (const FailedRecipient& f : in.failed) out += "  " + OneLine(f.recipient) + ": " + OneLine(f.diagnostic) + crlf;
  out += crlf + "The header of your message follows this report." + crlf + crlf;

  out += "--" + in.boundary + crlf;
  out += "Content-Type: message/delivery-status" + crlf + crlf;
  out += "Reporting-MTA: dns; " + in.reporting_host + crlf;
  if (in.arrival > 0) out += "Arrival-Date: " + FormatRfc5322Date(in.arrival) + crlf;
  for (const FailedRecipient& f : in.failed) {
    out += crlf;
    out += "Final-Recipient: rfc822; " + OneLine(f.recipient) + crlf;
    out += "Action: failed" + crlf;
    out += "Status: " + f.status + crlf;
    out += "Diagnostic-Code: " + OneLine(f.diagnostic) + crlf;
  }
  out += crlf;

  out += "--" + in.boundary + crlf;
  out += "Content-Type: text/rfc822-headers" + crlf + crlf;
  out += CrlfHeaders(mime::HeaderBlock(in.original_message));
  out += crlf + "--" + in.boundary + "--" + crlf;
  return out;
}

}  // namespace notesd
