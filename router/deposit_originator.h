// router/deposit_originator.h — who a message deposited by a Notes user may say it is
// from: the user alone. Used by the client API's deposit endpoint (http/http_mail_api.cc);
// pure, no I/O.
//
// Rule (refuse, never rewrite: the message is kept byte for byte, so an S/MIME signature
// over it still verifies): the header has exactly one From field, every mailbox in it is
// the caller's own address (their Person's InternetAddress, compared case-insensitively;
// for a person without one, their Notes name), and a Sender field, when present, names
// only that address too. The display name is the caller's choice. The envelope sender is
// set by the endpoint from the Person document, never from the message.
//
// SECURITY: the message is untrusted; work is bounded by its header (router/mail_message.h).
#pragma once

#include <string_view>

#include "base/status.h"

namespace notesd {

// Ok when `message` may be deposited by the owner of `own_address`. InvalidArgument when
// the header has no From field, several, or one without an address; PermissionDenied
// naming the foreign address when From or Sender names someone else.
Status CheckDepositOriginator(std::string_view message, std::string_view own_address);

}  // namespace notesd
