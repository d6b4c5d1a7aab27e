// pki/hier_name.cc — parsing, validation and X.509 mapping of Notes hierarchical names.
#include "pki/hier_name.h"
#include "base/ascii.h"

#include <openssl/err.h>
#include <openssl/objects.h>

#include <algorithm>
#include <cctype>

namespace notesd {
namespace {

std::vector<std::string_view> SplitOnSlash(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = text.find('/', start);
    parts.push_back(TrimBlanks(text.substr(start, slash - start)));
    if (slash == std::string_view::npos) return parts;
    start = slash + 1;
  }
}

bool IsTwoLetters(std::string_view text) {
  return text.size() == 2 && std::isalpha(static_cast<unsigned char>(text[0])) &&
         std::isalpha(static_cast<unsigned char>(text[1]));
}

// Counts the code points of valid UTF-8, or returns -1 for invalid UTF-8 (overlong
// forms, surrogates and values past U+10FFFF included).
long Utf8Length(std::string_view text) {
  long count = 0;
  for (std::size_t i = 0; i < text.size(); ++count) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    unsigned long code_point = 0;
    if (lead < 0x80) {
      code_point = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      extra = 1;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      extra = 2;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      extra = 3;
      code_point = lead & 0x07;
    } else {
      return -1;
    }
    if (i + extra >= text.size()) return -1;  // Sequence cut short.
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return -1;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    static constexpr unsigned long kMinimum[] = {0, 0x80, 0x800, 0x10000};
    if (code_point < kMinimum[extra] || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return -1;
    }
    i += extra + 1;
  }
  return count;
}

// Checks one component value; `label` names it in the message ("OU").
Status ValidateComponent(std::string_view label, std::string_view value) {
  const std::string what = std::string(label) + " \"" + std::string(value) + "\"";
  if (value.empty()) return Status::InvalidArgument("empty " + std::string(label) + " component");
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) return Status::InvalidArgument(what + " contains a control character");
    if (c == '=' || c == '/') {
      return Status::InvalidArgument(what + " contains the illegal character '" + std::string(1, c) + "'");
    }
  }
  if (TrimBlanks(value) != value) return Status::InvalidArgument(what + " has leading or trailing spaces");
  const long length = Utf8Length(value);
  if (length < 0) return Status::InvalidArgument(std::string(label) + " is not valid UTF-8");
  if (static_cast<std::size_t>(length) > HierName::kMaxComponentChars) {
    return Status::InvalidArgument(what + " is longer than 64 characters");
  }
  return Status::Ok();
}

Status ValidateParts(const std::string& common_name, const std::vector<std::string>& org_units,
                     const std::string& organization, const std::string& country) {
  if (common_name.empty() && organization.empty()) {
    return Status::InvalidArgument(org_units.empty() && country.empty() ? "empty name" : "OU and C need an O");
  }
  if (org_units.size() > HierName::kMaxOrgUnits) {
    return Status::InvalidArgument("more than four OUs (" + std::to_string(org_units.size()) + " given)");
  }
  if (organization.empty() && !org_units.empty()) return Status::InvalidArgument("OU needs an O");
  if (organization.empty() && !country.empty()) return Status::InvalidArgument("C needs an O");
  if (!common_name.empty()) NOTESD_RETURN_IF_ERROR(ValidateComponent("CN", common_name));
  for (const std::string& unit : org_units) NOTESD_RETURN_IF_ERROR(ValidateComponent("OU", unit));
  if (!organization.empty()) NOTESD_RETURN_IF_ERROR(ValidateComponent("O", organization));
  if (!country.empty() && !IsTwoLetters(country)) {
    return Status::InvalidArgument("C \"" + country + "\" must be a two-letter country code");
  }
  return Status::Ok();
}

Status InNameContext(const Status& status, std::string_view text) {
  return status.WithContext("name \"" + std::string(text) + "\"");
}

// The canonical labels in the order a name must list them.
enum class Label { kCn = 0, kOu = 1, kO = 2, kC = 3 };

Result<Label> ParseLabel(std::string_view text) {
  const std::string upper = ToUpperAscii(text);
  if (upper == "CN") return Label::kCn;
  if (upper == "OU") return Label::kOu;
  if (upper == "O") return Label::kO;
  if (upper == "C") return Label::kC;
  return Status::InvalidArgument("unknown component label \"" + std::string(text) + "=\" (use CN=, OU=, O= or C=)");
}

// The X.509 attribute name for a message: "emailAddress", or the dotted OID.
std::string AttributeName(const ASN1_OBJECT* object) {
  const int nid = OBJ_obj2nid(object);
  if (nid != NID_undef) return OBJ_nid2sn(nid);
  char buffer[128] = {0};
  OBJ_obj2txt(buffer, sizeof(buffer), object, 1);
  return buffer;
}

Status AddX509Entry(X509_NAME* name, int nid, const std::string& value) {
  if (X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0) != 1) {
    return Status::Internal(std::string("cannot add ") + OBJ_nid2sn(nid) + " to an X.509 name: " + OpenSslErrors());
  }
  return Status::Ok();
}

}  // namespace

Result<HierName> HierName::Parse(std::string_view text) {
  if (text.find('=') != std::string_view::npos) return ParseCanonical(text);
  return ParseAbbreviated(text);
}

Result<HierName> HierName::ParseCanonical(std::string_view text) {
  if (TrimBlanks(text).empty()) return Status::InvalidArgument("empty name");
  std::string common_name, organization, country;
  std::vector<std::string> org_units;
  int previous = -1;
  for (std::string_view part : SplitOnSlash(TrimBlanks(text))) {
    if (part.empty()) return InNameContext(Status::InvalidArgument("empty component"), text);
    const std::size_t equals = part.find('=');
    if (equals == std::string_view::npos) {
      return InNameContext(Status::InvalidArgument("component \"" + std::string(part) +
                                                   "\" has no label (use CN=, OU=, O= or C=)"),
                           text);
    }
    Result<Label> label = ParseLabel(TrimBlanks(part.substr(0, equals)));
    if (!label.ok()) return InNameContext(label.status(), text);
    const std::string value(TrimBlanks(part.substr(equals + 1)));
    const int rank = static_cast<int>(*label);
    if (value.empty()) {
      return InNameContext(Status::InvalidArgument("empty value for " +
                                                   ToUpperAscii(TrimBlanks(part.substr(0, equals)))),
                           text);
    }
    if (rank < previous || (rank == previous && *label != Label::kOu)) {
      return InNameContext(Status::InvalidArgument(
                               "components out of order or repeated (the order is CN, OU..., O, C)"),
                           text);
    }
    previous = rank;
    switch (*label) {
      case Label::kCn: common_name = value; break;
      case Label::kOu: org_units.push_back(value); break;
      case Label::kO: organization = value; break;
      case Label::kC: country = value; break;
    }
  }
  Result<HierName> name =
      FromParts(std::move(common_name), std::move(org_units), std::move(organization), std::move(country));
  if (!name.ok()) return InNameContext(name.status(), text);
  return name;
}

Result<HierName> HierName::ParseAbbreviated(std::string_view text) {
  std::string_view body = TrimBlanks(text);
  if (body.empty()) return Status::InvalidArgument("empty name");
  const bool has_common_name = body.front() != '/';
  if (!has_common_name) body.remove_prefix(1);
  std::vector<std::string_view> parts = SplitOnSlash(body);
  for (std::string_view part : parts) {
    if (part.empty()) return InNameContext(Status::InvalidArgument("empty component"), text);
    if (part.find('=') != std::string_view::npos) {
      return InNameContext(Status::InvalidArgument("illegal character '=' in abbreviated part \"" + std::string(part) +
                                                   "\" (write the whole name in canonical form)"),
                           text);
    }
  }
  std::string common_name;
  std::vector<std::string_view> org_parts(parts.begin(), parts.end());
  if (has_common_name) {
    common_name = std::string(org_parts.front());
    org_parts.erase(org_parts.begin());
  }
  std::string country, organization;
  if (org_parts.size() >= 2 && IsTwoLetters(org_parts.back())) {
    country = std::string(org_parts.back());
    org_parts.pop_back();
  }
  if (!org_parts.empty()) {
    organization = std::string(org_parts.back());
    org_parts.pop_back();
  }
  std::vector<std::string> org_units(org_parts.begin(), org_parts.end());
  Result<HierName> name =
      FromParts(std::move(common_name), std::move(org_units), std::move(organization), std::move(country));
  if (!name.ok()) return InNameContext(name.status(), text);
  return name;
}

Result<HierName> HierName::FromParts(std::string common_name, std::vector<std::string> org_units,
                                     std::string organization, std::string country) {
  NOTESD_RETURN_IF_ERROR(ValidateParts(common_name, org_units, organization, country));
  HierName name;
  name.common_name_ = std::move(common_name);
  name.org_units_ = std::move(org_units);
  name.organization_ = std::move(organization);
  name.country_ = ToUpperAscii(country);
  return name;
}

Result<HierName> HierName::FromX509Name(const X509_NAME* x509_name) {
  if (x509_name == nullptr) return Status::InvalidArgument("no X.509 name");
  std::string common_name, organization, country;
  std::vector<std::string> units_least_specific_first;
  const int count = X509_NAME_entry_count(x509_name);
  for (int i = 0; i < count; ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(x509_name, i);
    const ASN1_OBJECT* object = X509_NAME_ENTRY_get_object(entry);
    const int nid = OBJ_obj2nid(object);
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    if (length < 0) {
      ERR_clear_error();
      return Status::InvalidArgument("X.509 name attribute " + AttributeName(object) + " is not a readable string");
    }
    std::string value(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    std::string* single = nid == NID_commonName         ? &common_name
                          : nid == NID_organizationName ? &organization
                          : nid == NID_countryName      ? &country
                                                        : nullptr;
    if (nid == NID_organizationalUnitName) {
      units_least_specific_first.push_back(std::move(value));
    } else if (single == nullptr) {
      return Status::InvalidArgument("X.509 name has the attribute " + AttributeName(object) +
                                     ", which a hierarchical name cannot hold");
    } else if (!single->empty() || value.empty()) {
      return Status::InvalidArgument("X.509 name has an empty or repeated " + AttributeName(object));
    } else {
      *single = std::move(value);
    }
  }
  std::reverse(units_least_specific_first.begin(), units_least_specific_first.end());
  return FromParts(std::move(common_name), std::move(units_least_specific_first), std::move(organization),
                   std::move(country));
}

Result<X509NamePtr> HierName::ToX509Name() const {
  if (empty()) return Status::InvalidArgument("cannot make an X.509 name from an empty name");
  X509NamePtr name(X509_NAME_new());
  if (!name) return Status::Internal("X509_NAME_new failed: " + OpenSslErrors());
  if (!country_.empty()) NOTESD_RETURN_IF_ERROR(AddX509Entry(name.get(), NID_countryName, country_));
  if (!organization_.empty()) NOTESD_RETURN_IF_ERROR(AddX509Entry(name.get(), NID_organizationName, organization_));
  for (auto unit = org_units_.rbegin(); unit != org_units_.rend(); ++unit) {
    NOTESD_RETURN_IF_ERROR(AddX509Entry(name.get(), NID_organizationalUnitName, *unit));
  }
  if (!common_name_.empty()) NOTESD_RETURN_IF_ERROR(AddX509Entry(name.get(), NID_commonName, common_name_));
  return name;
}

std::string HierName::Canonical() const {
  std::string out;
  auto append = [&out](const char* label, const std::string& value) {
    if (value.empty()) return;
    if (!out.empty()) out += '/';
    out += label;
    out += value;
  };
  append("CN=", common_name_);
  for (const std::string& unit : org_units_) append("OU=", unit);
  append("O=", organization_);
  append("C=", country_);
  return out;
}

std::string HierName::Abbreviated() const {
  std::string out = common_name_;
  auto append = [&out](const std::string& value) {
    if (value.empty()) return;
    out += '/';
    out += value;
  };
  for (const std::string& unit : org_units_) append(unit);
  append(organization_);
  append(country_);
  return out;
}

HierName HierName::Certifier() const {
  HierName certifier = *this;
  certifier.common_name_.clear();
  if (certifier.organization_.empty()) return HierName();
  return certifier;
}

bool HierName::IsUnder(const HierName& certifier) const {
  if (certifier.organization_.empty() || organization_.empty()) return false;
  if (!EqualsIgnoreCase(organization_, certifier.organization_) || !EqualsIgnoreCase(country_, certifier.country_)) {
    return false;
  }
  const std::vector<std::string>& theirs = certifier.org_units_;
  if (org_units_.size() < theirs.size()) return false;
  const std::size_t extra_units = org_units_.size() - theirs.size();
  for (std::size_t i = 0; i < theirs.size(); ++i) {
    if (!EqualsIgnoreCase(org_units_[extra_units + i], theirs[i])) return false;
  }
  return !common_name_.empty() || extra_units > 0;
}

bool operator==(const HierName& a, const HierName& b) {
  if (a.org_units_.size() != b.org_units_.size()) return false;
  for (std::size_t i = 0; i < a.org_units_.size(); ++i) {
    if (!EqualsIgnoreCase(a.org_units_[i], b.org_units_[i])) return false;
  }
  return EqualsIgnoreCase(a.common_name_, b.common_name_) && EqualsIgnoreCase(a.organization_, b.organization_) &&
         EqualsIgnoreCase(a.country_, b.country_);
}

}  // namespace notesd
