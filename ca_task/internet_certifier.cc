#include "ca_task/internet_certifier.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>

#include "base/notes_ini.h"
#include "pki/x509_certs.h"
#include "base/ascii.h"

namespace notesd {

namespace {

constexpr std::size_t kMaxPartChars = 64;
constexpr std::time_t kHour = 3600;
constexpr std::time_t kDay = 24 * kHour;
constexpr std::size_t kRandomPasswordBytes = 32;

bool HasControlOrSlash(const std::string& text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '/' || c == '='; });
}

Status CheckPart(const std::string& value, const char* field, bool required) {
  if (value.empty()) return required ? Status::InvalidArgument(std::string(field) + " is required") : Status::Ok();
  if (value != TrimSpaces(value))
    return Status::InvalidArgument(std::string(field) + " '" + value + "' has spaces around it");
  if (value.size() > kMaxPartChars)
    return Status::InvalidArgument(std::string(field) + " is longer than " + std::to_string(kMaxPartChars) +
                                   " characters");
  if (HasControlOrSlash(value))
    return Status::InvalidArgument(std::string(field) + " '" + value +
                                   "' may not contain '/', '=' or control characters");
  return Status::Ok();
}

Status CheckEmail(const std::string& email) {
  if (email.empty()) return Status::Ok();
  std::size_t at = email.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == email.size() || email.find('@', at + 1) != std::string::npos ||
      email.find_first_of(" \t\r\n<>\"") != std::string::npos || email.size() > 128)
    return Status::InvalidArgument("e-mail '" + email + "' is not an Internet address");
  return Status::Ok();
}

Status CheckRange(int value, int min, int max, const char* field) {
  if (value < min || value > max)
    return Status::InvalidArgument(std::string(field) + " must be " + std::to_string(min) + ".." + std::to_string(max) +
                                   " (got " + std::to_string(value) + ")");
  return Status::Ok();
}

Status AddEntry(X509_NAME* name, const char* field, const std::string& value, int type = MBSTRING_UTF8) {
  if (value.empty()) return Status::Ok();
  if (X509_NAME_add_entry_by_txt(name, field, type, reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0) != 1)
    return Status::Internal(std::string("cannot add ") + field + " to the certifier's name: " + OpenSslErrors());
  return Status::Ok();
}

// A whole number; `fallback` when empty, -1 when not a number (a parse failure is an
// expected outcome here, not an exception).
int ToInt(const std::string& text, int fallback) {
  if (text.empty()) return fallback;
  int value = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (*begin == '+') ++begin;  // std::stoi took a leading '+'
  auto [ptr, ec] = std::from_chars(begin, end, value);
  return ec == std::errc() && ptr == end ? value : -1;
}

bool YesNo(const std::string& text) {
  return EqualsIgnoreCase(text, "yes") || text == "1" || EqualsIgnoreCase(text, "true");
}

// A string field of a JSON body: "" when absent; InvalidArgument when of another type.
Result<std::string> JsonString(const nlohmann::json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Status::InvalidArgument(std::string("field '") + field + "' must be a string");
  return it->get<std::string>();
}

Result<std::vector<std::string>> JsonStrings(const nlohmann::json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::vector<std::string>{};
  if (it->is_string()) return std::vector<std::string>{it->get<std::string>()};
  if (!it->is_array()) return Status::InvalidArgument(std::string("field '") + field + "' must be a list of strings");
  std::vector<std::string> values;
  for (const auto& value : *it) {
    if (!value.is_string())
      return Status::InvalidArgument(std::string("field '") + field + "' must be a list of strings");
    values.push_back(value.get<std::string>());
  }
  return values;
}

Result<int> JsonInt(const nlohmann::json& body, const char* field, int fallback) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_number_integer())
    return Status::InvalidArgument(std::string("field '") + field + "' must be a whole number");
  // get<int>() would wrap 4294967306 to 10 and let it pass the range checks in Validate.
  bool fits = it->is_number_unsigned()
                  ? it->get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<int>::max())
                  : it->get<std::int64_t>() >= std::numeric_limits<int>::min() &&
                        it->get<std::int64_t>() <= std::numeric_limits<int>::max();
  if (!fits) return Status::InvalidArgument(std::string("field '") + field + "' is out of range");
  return it->get<int>();
}

Result<bool> JsonBool(const nlohmann::json& body, const char* field, bool fallback) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return fallback;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_string()) {
    std::string text = it->get<std::string>();
    if (EqualsIgnoreCase(text, "yes") || EqualsIgnoreCase(text, "true")) return true;
    if (EqualsIgnoreCase(text, "no") || EqualsIgnoreCase(text, "false")) return false;
  }
  return Status::InvalidArgument(std::string("field '") + field + "' must be true/false (or yes/no)");
}

}  // namespace

const char* CertifierProtectionName(CertifierProtection protection) {
  return protection == CertifierProtection::kServerId ? "ServerID" : "Password";
}

Result<CertifierProtection> ParseCertifierProtection(std::string_view text) {
  std::string word = ToLowerAscii(TrimSpaces(text));
  if (word == "serverid" || word == "server-id" || word == "server id" || word == "server")
    return CertifierProtection::kServerId;
  if (word == "password") return CertifierProtection::kPassword;
  return Status::InvalidArgument("encrypt the certifier ID with 'server-id' or 'password', not '" + std::string(text) +
                                 "'");
}

Status ValidateIclFileName(const std::string& icl_file) {
  if (icl_file.empty())
    return Status::InvalidArgument("the ICL database file name is required (e.g. ICL_Acme-Corp-Email.nsf)");
  if (icl_file.size() > 200) return Status::InvalidArgument("the ICL file name is too long");
  if (icl_file.front() == '/')
    return Status::InvalidArgument("the ICL file '" + icl_file + "' must be relative to the data directory");
  std::size_t start = 0;
  while (start <= icl_file.size()) {
    std::size_t slash = icl_file.find('/', start);
    std::string part = icl_file.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty() || part == "." || part == "..")
      return Status::InvalidArgument("the ICL file '" + icl_file + "' has an empty, '.' or '..' path part");
    for (char c : part)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
        return Status::InvalidArgument("the ICL file '" + icl_file +
                                       "' may use only letters, digits, '.', '_', '-' and '/'");
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  std::string lower = ToLowerAscii(icl_file);
  if (lower.size() < 5 || lower.substr(lower.size() - 4) != ".nsf")
    return Status::InvalidArgument("the ICL file '" + icl_file + "' must end in .nsf");
  for (const char* reserved : {"names.nsf", "admin4.nsf", "log.nsf", "mail.box"})
    if (lower == reserved)
      return Status::InvalidArgument("'" + icl_file + "' is the server's own database, not an ICL");
  return Status::Ok();
}

Status InternetCertifierSpec::Validate() const {
  NOTESD_RETURN_IF_ERROR(CheckPart(common_name, "the common name", true));
  if (org_units.size() > HierName::kMaxOrgUnits)
    return Status::InvalidArgument("at most " + std::to_string(HierName::kMaxOrgUnits) + " organisational units");
  for (const std::string& unit : org_units) NOTESD_RETURN_IF_ERROR(CheckPart(unit, "an organisational unit", true));
  NOTESD_RETURN_IF_ERROR(CheckPart(organization, "the organisation", false));
  NOTESD_RETURN_IF_ERROR(CheckPart(locality, "the locality", false));
  NOTESD_RETURN_IF_ERROR(CheckPart(state, "the state", false));
  if (!country.empty() && (country.size() != 2 || !std::isalpha(static_cast<unsigned char>(country[0])) ||
                           !std::isalpha(static_cast<unsigned char>(country[1]))))
    return Status::InvalidArgument("the country '" + country + "' must be a two-letter code");
  NOTESD_RETURN_IF_ERROR(CheckEmail(email));
  NOTESD_RETURN_IF_ERROR(ValidateIclFileName(icl_file));
  NOTESD_RETURN_IF_ERROR(CheckRange(validity_years, 1, 50, "the validity in years"));
  NOTESD_RETURN_IF_ERROR(CheckRange(crl_duration_days, 1, 365, "the CRL duration in days"));
  NOTESD_RETURN_IF_ERROR(CheckRange(crl_interval_hours, 1, 8760, "the CRL interval in hours"));
  if (static_cast<int64_t>(crl_interval_hours) >= static_cast<int64_t>(crl_duration_days) * 24)
    return Status::InvalidArgument(
        "the CRL interval (" + std::to_string(crl_interval_hours) + " hours) must be shorter than the CRL duration (" +
        std::to_string(crl_duration_days) + " days), so a new CRL comes before the last one expires");
  if (caa.empty() || ra.empty()) return Status::InvalidArgument("a certifier needs at least one CAA and one RA");
  if (local_copy_file.find_first_of("\r\n") != std::string::npos)
    return Status::InvalidArgument("the local copy file name has a line break");
  return Status::Ok();
}

HierName InternetCertifierSpec::NotesName() const {
  auto full = HierName::FromParts(common_name, org_units, organization, ToUpperAscii(country));
  if (full.ok()) return *full;
  auto without_country = HierName::FromParts(common_name, org_units, organization, "");
  if (without_country.ok()) return *without_country;
  auto bare = HierName::FromParts(common_name, {}, "", "");
  return bare.ok() ? *bare : HierName();
}

Result<X509NamePtr> InternetCertifierSpec::SubjectName() const {
  X509NamePtr name(X509_NAME_new());
  if (!name) return Status::Internal("cannot make an X.509 name: " + OpenSslErrors());
  NOTESD_RETURN_IF_ERROR(AddEntry(name.get(), "C", ToUpperAscii(country), MBSTRING_ASC));
  NOTESD_RETURN_IF_ERROR(AddEntry(name.get(), "ST", state));
  NOTESD_RETURN_IF_ERROR(AddEntry(name.get(), "L", locality));
  NOTESD_RETURN_IF_ERROR(AddEntry(name.get(), "O", organization));
  for (auto unit = org_units.rbegin(); unit != org_units.rend(); ++unit)
    NOTESD_RETURN_IF_ERROR(AddEntry(name.get(), "OU", *unit));
  NOTESD_RETURN_IF_ERROR(AddEntry(name.get(), "CN", common_name));
  NOTESD_RETURN_IF_ERROR(AddEntry(name.get(), "emailAddress", email, MBSTRING_ASC));
  return name;
}

std::string InternetCertifierSpec::IdFileName() const {
  std::string file;
  for (char c : common_name)
    file += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ? c : '_';
  return file + ".id";
}

void InternetCertifierSpec::ToRequest(AdminRequest& request) const {
  request.SetParam("CommonName", common_name);
  request.SetParamList("OrgUnits", org_units);
  request.SetParam("Organization", organization);
  request.SetParam("Locality", locality);
  request.SetParam("State", state);
  request.SetParam("Country", country);
  request.SetParam("Email", email);
  request.SetParam("ICLFile", icl_file);
  request.SetParam("EncryptWith", CertifierProtectionName(protection));
  request.SetParam("RequireActivation", require_activation ? "Yes" : "No");
  request.SetParam("KeyAlgorithm", key.ToString());
  request.SetParam("ValidityYears", std::to_string(validity_years));
  request.SetParam("CRLDurationDays", std::to_string(crl_duration_days));
  request.SetParam("CRLIntervalHours", std::to_string(crl_interval_hours));
  request.SetParamList("CAAdministrators", caa);
  request.SetParamList("RegistrationAuthorities", ra);
  request.SetParam("LocalCopy", local_copy ? "Yes" : "No");
  request.SetParam("LocalCopyFile", local_copy_file);
  request.target = NotesName().Canonical();
}

Result<InternetCertifierSpec> InternetCertifierSpec::FromRequest(const AdminRequest& request) {
  InternetCertifierSpec spec;
  spec.common_name = request.Param("CommonName");
  spec.org_units = request.ParamList("OrgUnits");
  spec.organization = request.Param("Organization");
  spec.locality = request.Param("Locality");
  spec.state = request.Param("State");
  spec.country = request.Param("Country");
  spec.email = request.Param("Email");
  spec.icl_file = request.Param("ICLFile");
  NOTESD_ASSIGN_OR_RETURN(spec.protection, ParseCertifierProtection(request.Param("EncryptWith")));
  spec.require_activation = YesNo(request.Param("RequireActivation"));
  NOTESD_ASSIGN_OR_RETURN(spec.key, KeySpec::Parse(request.Param("KeyAlgorithm")));
  spec.validity_years = ToInt(request.Param("ValidityYears"), 10);
  spec.crl_duration_days = ToInt(request.Param("CRLDurationDays"), 7);
  spec.crl_interval_hours = ToInt(request.Param("CRLIntervalHours"), 24);
  spec.caa = request.ParamList("CAAdministrators");
  spec.ra = request.ParamList("RegistrationAuthorities");
  spec.local_copy = YesNo(request.Param("LocalCopy"));
  spec.local_copy_file = request.Param("LocalCopyFile");
  NOTESD_RETURN_IF_ERROR(spec.Validate());
  return spec;
}

Result<InternetCertifierSpec> InternetCertifierSpec::FromJson(const nlohmann::json& body) {
  InternetCertifierSpec spec;
  NOTESD_ASSIGN_OR_RETURN(spec.common_name, JsonString(body, "cn"));
  NOTESD_ASSIGN_OR_RETURN(spec.org_units, JsonStrings(body, "ou"));
  NOTESD_ASSIGN_OR_RETURN(spec.organization, JsonString(body, "o"));
  NOTESD_ASSIGN_OR_RETURN(spec.locality, JsonString(body, "l"));
  NOTESD_ASSIGN_OR_RETURN(spec.state, JsonString(body, "st"));
  NOTESD_ASSIGN_OR_RETURN(spec.country, JsonString(body, "c"));
  NOTESD_ASSIGN_OR_RETURN(spec.email, JsonString(body, "email"));
  NOTESD_ASSIGN_OR_RETURN(spec.icl_file, JsonString(body, "icl_file"));
  NOTESD_ASSIGN_OR_RETURN(std::string encrypt_with, JsonString(body, "encrypt_with"));
  if (!encrypt_with.empty()) {
    NOTESD_ASSIGN_OR_RETURN(spec.protection, ParseCertifierProtection(encrypt_with));
  }
  NOTESD_ASSIGN_OR_RETURN(spec.require_activation, JsonBool(body, "require_activation_password", false));
  if (spec.protection == CertifierProtection::kPassword) spec.require_activation = true;
  NOTESD_ASSIGN_OR_RETURN(std::string key, JsonString(body, "key"));
  if (!key.empty()) {
    NOTESD_ASSIGN_OR_RETURN(spec.key, KeySpec::Parse(key));
  }
  NOTESD_ASSIGN_OR_RETURN(spec.validity_years, JsonInt(body, "validity_years", 10));
  NOTESD_ASSIGN_OR_RETURN(spec.crl_duration_days, JsonInt(body, "crl_duration_days", 7));
  NOTESD_ASSIGN_OR_RETURN(spec.crl_interval_hours, JsonInt(body, "crl_interval_hours", 24));
  NOTESD_ASSIGN_OR_RETURN(spec.caa, JsonStrings(body, "caa"));
  NOTESD_ASSIGN_OR_RETURN(spec.ra, JsonStrings(body, "ra"));
  NOTESD_ASSIGN_OR_RETURN(spec.local_copy, JsonBool(body, "local_copy", false));
  NOTESD_ASSIGN_OR_RETURN(spec.local_copy_file, JsonString(body, "local_copy_file"));
  NOTESD_RETURN_IF_ERROR(spec.Validate());
  return spec;
}

nlohmann::json InternetCertifierSpec::ToJson() const {
  return {{"cn", common_name},
          {"ou", org_units},
          {"o", organization},
          {"l", locality},
          {"st", state},
          {"c", country},
          {"email", email},
          {"name", NotesName().Canonical()},
          {"icl_file", icl_file},
          {"encrypt_with", protection == CertifierProtection::kServerId ? "server-id" : "password"},
          {"require_activation_password", require_activation},
          {"key", key.ToString()},
          {"validity_years", validity_years},
          {"crl_duration_days", crl_duration_days},
          {"crl_interval_hours", crl_interval_hours},
          {"caa", caa},
          {"ra", ra},
          {"local_copy", local_copy},
          {"local_copy_file", local_copy_file}};
}

std::string CertifierIdPassword(CertifierProtection protection, const std::string& random_hex,
                                const std::string& certifier_password, const std::string& activation_password,
                                bool require_activation) {
  if (protection == CertifierProtection::kPassword) return certifier_password;
  return require_activation ? random_hex + ":" + activation_password : random_hex;
}

Result<NewInternetCertifier> MakeInternetCertifier(const InternetCertifierSpec& spec, std::time_t now) {
  NOTESD_RETURN_IF_ERROR(spec.Validate());
  NOTESD_ASSIGN_OR_RETURN(EvpPkeyPtr key, GenerateKey(spec.key));
  NOTESD_ASSIGN_OR_RETURN(X509NamePtr subject, spec.SubjectName());
  std::string subject_text = NameText(subject.get());
  CertRequest request;
  request.subject = std::move(subject);
  request.public_key = key.get();
  request.not_before = now - kHour;
  request.not_after =
      now + static_cast<std::time_t>(spec.validity_years) * 365 * kDay + (spec.validity_years / 4 + 1) * kDay;
  request.is_ca = true;
  request.key_usage = kKeyUsageKeyCertSign | kKeyUsageCrlSign;
  NOTESD_ASSIGN_OR_RETURN(X509Ptr root, IssueCertificate(request, key.get(), nullptr));

  NewInternetCertifier made;
  made.id.set_name(spec.NotesName());
  made.id.set_kind(IdKind::kCertifier);
  made.id.AddTrustedCertificate(UpRef(root.get()));
  made.id.set_notes_key(std::move(key));
  made.id.set_notes_certificate(std::move(root));
  made.id.SetProperty("certifier_type", "Internet");
  made.id.SetProperty("subject", subject_text);
  made.id.SetProperty("icl_file", spec.icl_file);
  if (spec.protection == CertifierProtection::kServerId) {
    NOTESD_ASSIGN_OR_RETURN(std::string random, RandomBytes(kRandomPasswordBytes));
    made.random_hex = HexEncode(random);
  }
  return made;
}

}  // namespace notesd
