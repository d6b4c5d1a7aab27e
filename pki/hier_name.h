// pki/hier_name.h — Notes hierarchical names (CN=Jane Doe/OU=Sales/O=Acme/C=US).
//
// Owns: parsing, validating, printing and comparing hierarchical names, and their mapping
// to X.509 distinguished names. Untrusted input (SECURITY): names typed by users and
// names read from certificates; every accessor returns validated text.
//
// A name has up to four parts: a common name (CN), up to four organisational units (OU,
// most specific first), an organisation (O) and a country (C, two letters). Forms:
//  - canonical:   "CN=Jane Doe/OU=Sales/O=Acme/C=US". Labels are case-insensitive and
//                 must come in the order CN, OU..., O, C. A flat name prints as
//                 "CN=Jane Doe"; a certifier name has no CN ("OU=Sales/O=Acme").
//  - abbreviated: "Jane Doe/Sales/Acme/US". The first part is the CN, the last part the
//                 O, unless it is two letters following an O, which makes it the C; parts
//                 between are OUs. "Jane Doe" alone is a flat name (CN only). A leading
//                 '/' marks a certifier name without CN: "/Sales/Acme".
// Spaces around parts are trimmed. Known limit (shared with Notes): an abbreviated name
// whose O is itself two letters and has no C ("CN=Jane/OU=Acme/O=UK") reads back with
// UK as the country; use the canonical form where that matters.
//
// Validation: no empty component, at most four OUs, no unknown label ("X="), C exactly
// two ASCII letters (stored upper case), OU or C only together with an O, no '=' inside
// a part, no control characters, valid UTF-8, at most 64 characters per part (the X.509
// upper bound). Errors are InvalidArgument and quote the input.
//
// Comparison (==, IsUnder) ignores ASCII case, as Notes does. HierName is a plain value
// type: copyable, and safe to read from several threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pki/openssl_handles.h"
#include "base/status.h"

namespace notesd {

class HierName {
 public:
  static constexpr std::size_t kMaxOrgUnits = 4;
  static constexpr std::size_t kMaxComponentChars = 64;

  // The empty name (no components). Only useful as a placeholder: it prints as "".
  HierName() = default;

  // Parses either form: text containing '=' is canonical, otherwise abbreviated.
  static Result<HierName> Parse(std::string_view text);
  static Result<HierName> ParseCanonical(std::string_view text);
  static Result<HierName> ParseAbbreviated(std::string_view text);
  // Builds a name from its parts (empty strings for absent CN/O/C; `org_units` most
  // specific first), validated as above.
  static Result<HierName> FromParts(std::string common_name, std::vector<std::string> org_units,
                                    std::string organization, std::string country);
  // Reads an X.509 name made only of CN, OU, O and C attributes (any RDN order; OUs in
  // RFC order, least specific first). Other attributes (emailAddress, L, ...) are
  // InvalidArgument naming the attribute.
  static Result<HierName> FromX509Name(const X509_NAME* name);

  // The X.509 form in RFC order: C, O, OU (least specific first), CN; UTF8String
  // values (C as PrintableString). The caller owns the result. Internal on OpenSSL
  // failure; InvalidArgument for the empty name.
  Result<X509NamePtr> ToX509Name() const;

  std::string Canonical() const;    // "CN=Jane Doe/OU=Sales/O=Acme/C=US"
  std::string Abbreviated() const;  // "Jane Doe/Sales/Acme/US"; "/Acme" without CN
  std::string CommonName() const { return common_name_; }
  const std::vector<std::string>& OrgUnits() const { return org_units_; }
  const std::string& Organization() const { return organization_; }
  const std::string& Country() const { return country_; }

  bool empty() const { return common_name_.empty() && organization_.empty(); }
  bool IsFlat() const { return !common_name_.empty() && organization_.empty(); }
  // The name of the certifier level this name sits in: this name without its CN
  // ("CN=Jane/OU=Sales/O=Acme" -> "OU=Sales/O=Acme"). Empty for a flat name.
  HierName Certifier() const;

  // True when this name sits strictly below the organisational chain (OUs, O, C) of
  // `certifier`: same O and C, and the certifier's OUs are the least specific OUs of
  // this name, with this name adding a CN or more OUs. The certifier's own CN, if any,
  // is ignored. "CN=Jane Doe/O=Acme" and "OU=Sales/O=Acme" are under "O=Acme"; "O=Acme"
  // is not under itself; nothing is under a flat name.
  bool IsUnder(const HierName& certifier) const;

  // Case-insensitive (ASCII) equality of all components.
  friend bool operator==(const HierName& a, const HierName& b);

 private:
  std::string common_name_;
  std::vector<std::string> org_units_;  // Most specific first.
  std::string organization_;
  std::string country_;
};

}  // namespace notesd
