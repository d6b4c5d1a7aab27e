// client_cli/contacts_commands.h — what `notes contacts` and `notes mail` share about
// the local names.nsf: opening it in the client directory, showing contacts and
// cross-certificates, checking a certificate file before import, and Add Sender to
// Contacts (which reads a message, so it lives with the mail commands).
#pragma once

#include <ctime>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "client_cli/client_context.h"
#include "client_cli/contacts_store.h"

namespace notesd::client {

// Opens CLIENTDIR/names.nsf, creating the client directory and the file when missing.
Result<std::unique_ptr<ContactsStore>> OpenContacts(const ClientContext& context);

// {"unid","name","internet_address","certificate":"Present"|"Not present",
//  "certificates":[CertificateJson + "emails"]}
nlohmann::json ContactJson(const Contact& contact);
// Name, Internet address, Certificate = Present / Not present, and per certificate
// Issuer (the issuer's CN, as Notes shows it), Subject, validity, e-mails, SHA-256.
void PrintContact(std::ostream& out, const Contact& contact);
nlohmann::json CrossCertificateJson(const CrossCertificateRecord& record);

// Reads the certificates of a file given for import (DER, PEM or PKCS#7) and checks
// them at `now`. Returns the end-entity certificates to store. InvalidArgument naming
// `file_name` and what is wrong: no certificate / damaged data, only CA certificates,
// a certificate expired or not yet valid.
Result<std::vector<X509Ptr>> CheckCertificateFile(std::string_view bytes, const std::string& file_name,
                                                  std::time_t now);

// `notes contacts add-sender MESSAGE [--include-x509] [--json]` (cmd_mail.cc).
int RunAddSender(const GlobalOptions& global, const std::string& which, bool include_x509, bool json);

}  // namespace notesd::client
