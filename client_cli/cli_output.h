// client_cli/cli_output.h — how `notes` prints: aligned "Label: value" blocks, JSON,
// certificate summaries and Person records.
//
// SECURITY: values printed as text may come from the server or from certificates made
// elsewhere; Sanitize() escapes control characters so they cannot forge lines or send
// terminal escape sequences.
#pragma once

#include <ctime>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "pki/openssl_handles.h"

namespace notesd::client {

using Fields = std::vector<std::pair<std::string, std::string>>;

// "Label:    value" lines, values aligned one column after the longest label.
void PrintFields(std::ostream& out, const Fields& fields, const std::string& indent = "");
// Pretty JSON (two-space indent) and a newline. Invalid UTF-8 is replaced, never thrown.
void PrintJson(std::ostream& out, const nlohmann::json& value);
// EscapeForDisplay (base/display_text.h) on one line: C0/C1 controls, DEL and invalid
// UTF-8 escaped, line breaks as \n.
std::string Sanitize(const std::string& text);
// As Sanitize, but keeps line breaks (LF, and CRLF written as LF) and tabs (multi-line
// console output, mail bodies). A CR not followed by LF is still escaped.
std::string SanitizeOutput(const std::string& text);

// `text` (already Sanitized) in exactly `width` columns for a table: padded with spaces,
// or, when longer, cut at the last word break (space, '@', '.', ',', '-', '<') that
// leaves at least half the width, else at the width, and ended with "…". Columns are
// counted in characters (UTF-8 code points), never bytes, so names with accents align.
std::string FitColumn(const std::string& text, std::size_t width);
// Who a From field names, for a list: the display name of "Jane Doe <jane@x>", else the
// address.
std::string SenderForList(const std::string& from);

// "2034-05-01 12:00:00 UTC"; "?" when unreadable.
std::string FormatTime(std::time_t time);
std::string YesNo(bool value);

// Who issued a certificate, as Notes shows it: the issuer's common name, else its whole
// name ("O=Acme").
std::string IssuedBy(X509* cert);
// Subject, issuer, Issued By, serial, validity and SHA-256 fingerprint of a certificate.
nlohmann::json CertificateJson(X509* cert);
// The same as text fields (subject, issued by, serial, valid from/to).
Fields CertificateFields(X509* cert);

// A string / boolean field of a JSON object; "" / false when absent or of another type
// (server answers are checked, never trusted to have every field).
std::string JsonText(const nlohmann::json& object, const char* field);
bool JsonBool(const nlohmann::json& object, const char* field);
// A canonical name from the server shown abbreviated; the text itself if it is no name.
std::string AbbreviatedName(const std::string& canonical);

// A Person as the server sends it (person JSON of the client API): name, short name,
// Internet address, mail file, Notes certificate issuer, count of Internet certificates.
Fields PersonFields(const nlohmann::json& person);
void PrintPerson(std::ostream& out, const nlohmann::json& person);

}  // namespace notesd::client
