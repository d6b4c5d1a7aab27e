// client_cli/cli_output.cc — aligned text, JSON, certificate and Person printing.
#include "client_cli/cli_output.h"

#include <algorithm>
#include <cstdio>

#include "pki/crypto.h"
#include "base/ascii.h"
#include "base/display_text.h"
#include "pki/hier_name.h"
#include "pki/x509_certs.h"
#include "base/time_text.h"

namespace notesd::client {

void PrintFields(std::ostream& out, const Fields& fields, const std::string& indent) {
  std::size_t width = 0;
  for (const auto& [label, value] : fields) width = std::max(width, label.size());
  for (const auto& [label, value] : fields)
    out << indent << label << ':' << std::string(width - label.size() + 2, ' ') << Sanitize(value) << '\n';
}

void PrintJson(std::ostream& out, const nlohmann::json& value) {
  out << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

std::string Sanitize(const std::string& text) { return EscapeForDisplay(text, DisplayStyle::kOneLine); }
std::string SanitizeOutput(const std::string& text) { return EscapeForDisplay(text, DisplayStyle::kMultiLine); }

std::string FormatTime(std::time_t time) { return FormatSeconds(time, "%Y-%m-%d %H:%M:%S UTC"); }

std::string YesNo(bool value) { return value ? "yes" : "no"; }

namespace {
bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
}  // namespace

std::string FitColumn(const std::string& text, std::size_t width) {
  std::vector<std::size_t> starts;  // byte offset of each character
  for (std::size_t i = 0; i < text.size(); ++i)
    if (!IsContinuationByte(text[i])) starts.push_back(i);
  if (starts.size() <= width) return text + std::string(width - starts.size(), ' ');
  if (width == 0) return "";
  std::size_t keep = width - 1;  // characters kept before the ellipsis
  for (std::size_t n = keep; n > width / 2; --n) {
    char at = text[starts[n]];
    if (at == ' ' || at == '@' || at == '.' || at == ',' || at == '-' || at == '<') {
      keep = n;
      break;
    }
  }
  std::string cut = text.substr(0, starts[keep]);
  while (!cut.empty() && cut.back() == ' ') cut.pop_back();
  std::size_t characters = 0;
  for (char c : cut)
    if (!IsContinuationByte(c)) ++characters;
  return cut + "\u2026" + std::string(width - characters - 1, ' ');
}

std::string SenderForList(const std::string& from) {
  std::size_t angle = from.find('<');
  if (angle == std::string::npos) return TrimSpaces(from);
  std::string name = TrimSpaces(std::string_view(from).substr(0, angle));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  if (!name.empty()) return name;
  std::size_t close = from.find('>', angle);
  return TrimSpaces(std::string_view(from).substr(angle + 1, close == std::string::npos ? close : close - angle - 1));
}

std::string IssuedBy(X509* cert) {
  std::string common_name = IssuerCommonName(cert);
  return common_name.empty() ? IssuerText(cert) : common_name;
}

namespace {

std::string TimeOrUnknown(const Result<std::time_t>& time) { return time.ok() ? FormatTime(*time) : "?"; }
std::string JsonTimeOrUnknown(const Result<std::time_t>& time) { return time.ok() ? Rfc3339FromSeconds(*time) : "?"; }

}  // namespace

nlohmann::json CertificateJson(X509* cert) {
  Result<std::string> fingerprint = CertificateFingerprint(cert, DigestAlgorithm::kSha256);
  return {{"subject", SubjectText(cert)},
          {"issuer", IssuerText(cert)},
          {"issued_by", IssuedBy(cert)},
          {"serial", SerialHex(cert)},
          {"not_before", JsonTimeOrUnknown(NotBefore(cert))},
          {"not_after", JsonTimeOrUnknown(NotAfter(cert))},
          {"sha256", fingerprint.ok() ? *fingerprint : ""}};
}

Fields CertificateFields(X509* cert) {
  return {{"Subject", SubjectText(cert)},
          {"Issued By", IssuedBy(cert)},
          {"Serial", SerialHex(cert)},
          {"Valid from", TimeOrUnknown(NotBefore(cert))},
          {"Valid to", TimeOrUnknown(NotAfter(cert))}};
}

std::string JsonText(const nlohmann::json& object, const char* field) {
  if (!object.is_object()) return "";
  auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool JsonBool(const nlohmann::json& object, const char* field) {
  if (!object.is_object()) return false;
  auto it = object.find(field);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

std::string AbbreviatedName(const std::string& canonical) {
  Result<HierName> name = HierName::Parse(canonical);
  return name.ok() ? name->Abbreviated() : canonical;
}

namespace {

std::string NotesCertificateText(const std::string& pem) {
  if (pem.empty()) return "none";
  Result<X509Ptr> cert = CertificateFromPem(pem);
  if (!cert.ok()) return "unreadable (" + cert.status().message() + ")";
  return "issued by " + IssuedBy(cert->get());
}

}  // namespace

Fields PersonFields(const nlohmann::json& person) {
  std::size_t internet = 0;
  if (auto it = person.find("internet_certificates"); it != person.end() && it->is_array()) internet = it->size();
  return {{"Name", JsonText(person, "name")},
          {"Abbreviated", JsonText(person, "abbreviated")},
          {"First name", JsonText(person, "first_name")},
          {"Last name", JsonText(person, "last_name")},
          {"Short name", JsonText(person, "short_name")},
          {"Internet address", JsonText(person, "internet_address")},
          {"Mail server", JsonText(person, "mail_server")},
          {"Mail file", JsonText(person, "mail_file")},
          {"Notes certificate", NotesCertificateText(JsonText(person, "certificate"))},
          {"Internet certificates", std::to_string(internet)}};
}

void PrintPerson(std::ostream& out, const nlohmann::json& person) { PrintFields(out, PersonFields(person)); }

}  // namespace notesd::client
