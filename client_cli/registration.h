// client_cli/registration.h — the pure parts of `notes admin register`: the new person's
// full name under the certifier, first/last names, and the request body.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pki/hier_name.h"
#include "base/status.h"

namespace notesd::client {

// The full name of a person registered by `certifier` (a certifier name such as "O=Acme"
// or "OU=Sales/O=Acme/C=US").
//  - Abbreviated input names the CN and optionally OUs below the certifier, most
//    specific first: "John Roe" or "John Roe/East". The certifier's OUs, O and C are
//    appended: "John Roe/East" under "OU=Sales/O=Acme" is CN=John Roe/OU=East/OU=Sales/O=Acme.
//    If the input already ends with the certifier's own abbreviated parts ("John
//    Roe/Sales/Acme") they are not repeated.
//  - Canonical input ("CN=John Roe/O=Acme") is taken as the full name.
// InvalidArgument when the result is not a valid name with a CN that sits under the
// certifier (HierName::IsUnder), quoting the input.
Result<HierName> BuildRegistrationName(std::string_view typed, const HierName& certifier);

struct PersonalNames {
  std::string first;
  std::string last;
};
// Splits a common name at its last space: "John Q Roe" -> {"John Q", "Roe"}; a single
// word is the last name ({"", "Madonna"}).
PersonalNames SplitCommonName(std::string_view common_name);

// "mail/<short name>.nsf".
std::string DefaultMailFile(std::string_view short_name);

struct RegistrationRequest {
  HierName name;
  std::string first_name;
  std::string last_name;
  std::string short_name;
  std::string internet_address;
  std::string mail_file;
  std::string certificate_pem;  // the new ID's Notes certificate
};
// The body of POST /api/v1/admin/people.
nlohmann::json RegistrationJson(const RegistrationRequest& request);

}  // namespace notesd::client
