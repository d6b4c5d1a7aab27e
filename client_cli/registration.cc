// client_cli/registration.cc — building a new person's name under a certifier and the
// registration request body.
#include "client_cli/registration.h"

#include <vector>

#include "base/notes_ini.h"
#include "base/ascii.h"

namespace notesd::client {

namespace {

// The certifier's parts as an abbreviated name spells them after the CN: OUs (most
// specific first), O, then C.
std::vector<std::string> CertifierSuffix(const HierName& certifier) {
  std::vector<std::string> parts = certifier.OrgUnits();
  parts.push_back(certifier.Organization());
  if (!certifier.Country().empty()) parts.push_back(certifier.Country());
  return parts;
}

bool EndsWith(const std::vector<std::string>& parts, const std::vector<std::string>& suffix) {
  if (parts.size() <= suffix.size()) return false;
  std::size_t offset = parts.size() - suffix.size();
  for (std::size_t i = 0; i < suffix.size(); ++i)
    if (!EqualsIgnoreCase(parts[offset + i], suffix[i])) return false;
  return true;
}

// "John Roe / East" -> {"John Roe", "East"}; empty parts are kept (and refused later).
std::vector<std::string> SplitParts(std::string_view text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = text.find('/', start);
    parts.push_back(TrimSpaces(text.substr(start, slash == std::string_view::npos ? slash : slash - start)));
    if (slash == std::string_view::npos) return parts;
    start = slash + 1;
  }
}

Status NotUnder(std::string_view typed, const HierName& certifier) {
  return Status::InvalidArgument("the name '" + std::string(typed) + "' is not a person's name under the certifier " +
                                 certifier.Canonical());
}

}  // namespace

Result<HierName> BuildRegistrationName(std::string_view typed, const HierName& certifier) {
  if (certifier.Organization().empty())
    return Status::InvalidArgument("'" + certifier.Canonical() + "' is not a certifier name (it has no O)");
  if (typed.find('=') != std::string_view::npos) {
    NOTESD_ASSIGN_OR_RETURN(HierName name, HierName::ParseCanonical(typed));
    if (name.CommonName().empty() || !name.IsUnder(certifier)) return NotUnder(typed, certifier);
    return name;
  }
  std::vector<std::string> parts = SplitParts(typed);
  for (const std::string& part : parts)
    if (part.empty()) return Status::InvalidArgument("the name '" + std::string(typed) + "' has an empty part");
  std::vector<std::string> suffix = CertifierSuffix(certifier);
  if (EndsWith(parts, suffix)) parts.resize(parts.size() - suffix.size());

  std::string common_name = parts.front();
  std::vector<std::string> org_units(parts.begin() + 1, parts.end());
  for (const std::string& unit : certifier.OrgUnits()) org_units.push_back(unit);
  Result<HierName> name =
      HierName::FromParts(common_name, std::move(org_units), certifier.Organization(), certifier.Country());
  if (!name.ok()) return name.status().WithContext("the name '" + std::string(typed) + "'");
  if (!name->IsUnder(certifier)) return NotUnder(typed, certifier);
  return name;
}

PersonalNames SplitCommonName(std::string_view common_name) {
  std::string text = TrimSpaces(common_name);
  std::size_t space = text.find_last_of(' ');
  if (space == std::string::npos) return {"", text};
  return {TrimSpaces(text.substr(0, space)), text.substr(space + 1)};
}

std::string DefaultMailFile(std::string_view short_name) { return "mail/" + std::string(short_name) + ".nsf"; }

nlohmann::json RegistrationJson(const RegistrationRequest& request) {
  return {{"name", request.name.Canonical()},
          {"first_name", request.first_name},
          {"last_name", request.last_name},
          {"short_name", request.short_name},
          {"internet_address", request.internet_address},
          {"mail_file", request.mail_file},
          {"certificate", request.certificate_pem}};
}

}  // namespace notesd::client
