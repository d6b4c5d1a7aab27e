// ldap/ldap_entry.h — entries as a search sees them, and the pure search logic: filter
// evaluation (RFC 4511 4.5.1.7, three-valued), attribute selection (`*`, `+`, `1.1`, names
// with options such as `userCertificate;binary`), DN normal form and scopes.
//
// Matching rules by attribute: the certificate attributes (userCertificate,
// userSMIMECertificate, cACertificate) compare octet for octet; every other attribute this
// server publishes is a directory string compared ignoring case and repeated spaces
// (caseIgnoreMatch; names and mail are case-insensitive, as Domino's are). Approximate
// match is caseIgnore with all spaces removed. `>=` and `<=` order by the same folded form.
// Names are matched ignoring case and options; a few well-known aliases are understood
// (commonName = cn, surname = sn, gn = givenName, userid = uid, rfc822Mailbox = mail).
//
// Thread safety: pure functions.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ldap/ldap_message.h"

namespace notesd::ldap {

struct Entry {
  std::string dn;  // RFC 4514 form, as sent ("cn=Jane Doe,o=Acme")
  std::vector<Attribute> attributes;
  std::vector<Attribute> operational;  // returned for `+` or by name only
};

// Whether an attribute (by its base name, lower case) may be read; used for filters and
// the attributes returned.
using AttributeAccess = std::function<bool(std::string_view base_name)>;

// The base name of an attribute description, lower case, aliases resolved:
// "userCertificate;binary" -> "usercertificate", "commonName" -> "cn".
std::string AttributeBaseName(std::string_view description);

// True when `filter` evaluates to TRUE for `entry` (FALSE and Undefined are not a match).
// An attribute `can_read` refuses counts as absent (Undefined), so a filter cannot probe
// what the client may not read.
bool FilterMatches(const Filter& filter, const Entry& entry, const AttributeAccess& can_read);

// The attributes to return for `requested` (RFC 4511 4.5.1.8): none asked or `*`: every
// user attribute; `+`: every operational one; `1.1` alone: none; names: those, whatever
// their options (a request for `userCertificate` returns `userCertificate;binary`).
std::vector<Attribute> SelectAttributes(const Entry& entry, const std::vector<std::string>& requested,
                                        const AttributeAccess& can_read);

// DN normal form for comparison: RDNs split on unescaped commas, spaces around `,`, `=` and
// `+` removed, attribute types and values lower case ("CN=Jane Doe, O=Acme" -> "cn=jane doe,o=acme").
std::string NormalizeDn(std::string_view dn);
// True when the entry `dn` is in scope of `base` (both in NormalizeDn form; base "" is the
// root: every entry is below it).
bool InScope(std::string_view dn, std::string_view base, Scope scope);

// RFC 4514 escaping of one attribute value for a DN.
std::string EscapeDnValue(std::string_view value);

}  // namespace notesd::ldap
