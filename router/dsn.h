// router/dsn.h — delivery status notifications (RFC 3464): the failure report the
// Router sends back to a message's sender.
//
// The report is multipart/report; report-type=delivery-status with three parts: a
// human-readable text/plain explanation, the machine-readable message/delivery-status
// (Reporting-MTA, Arrival-Date, then per recipient Final-Recipient, Action: failed,
// Status, Diagnostic-Code), and the original message's header as text/rfc822-headers.
// Its envelope sender is the null path <> and it is flagged as a report, so a report is
// never answered by another one (RFC 5321 section 4.5.5).
#pragma once

#include <string>
#include <vector>

#include "store/note.h"

namespace notesd {

struct FailedRecipient {
  std::string recipient;   // as written in the envelope
  std::string status;      // "5.1.1", "4.4.7"
  std::string diagnostic;  // "smtp; 550 5.1.1 unknown user" or "X-Notes; no such person"
};

struct DsnInput {
  std::string reporting_host;    // Reporting-MTA: dns; <host>
  std::string original_sender;   // the report's To
  std::string original_message;  // its header is quoted
  TimeMicros arrival = 0;
  TimeMicros now = 0;
  std::vector<FailedRecipient> failed;
  std::string boundary;  // unique per report (the caller passes a random one)
};

// The complete report, CRLF line endings.
std::string BuildDsn(const DsnInput& input);

}  // namespace notesd
