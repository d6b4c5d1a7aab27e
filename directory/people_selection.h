// directory/people_selection.h — the directory service's answer to "which people does
// this selection name?": names, groups (nested, as Domino expands them), an OU/O path,
// or everyone. Used wherever people are chosen in bulk (today: certificate requests
// over the client API; later LDAP searches or a web console).
//
// One pass over the directory (Directory::ListPeople) plus a group look-up per group
// named, then the selection in memory, so 10,000 people cost one read pass.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "directory/directory.h"

namespace notesd {

struct PeopleSelector {
  std::vector<std::string> people;  // any FullName, short name or Internet address
  std::vector<std::string> groups;  // group names; members that are groups are expanded
  std::string ou;                   // "/Sales/Acme" or "OU=Sales/O=Acme": everyone below it
  bool all = false;

  bool Empty() const { return people.empty() && groups.empty() && ou.empty() && !all; }
};

// The people `selector` names, each once, in the order first selected (people, then
// groups, then the OU, then everyone). Errors, checked in that order: InvalidArgument
// for an empty selector or an OU text that names no path; NotFound naming an unknown
// person or group, an OU with nobody under it, or a selection that names nobody (a
// group of stale members). Group members that are neither a person nor a group are
// skipped (stale entries, as Domino's expansion does); group cycles are cut.
Result<std::vector<Person>> SelectPeople(const Directory& directory, const PeopleSelector& selector);

// The part of a name below its CN as typed, in the form SelectPeople compares:
// "/Sales/Acme" and "OU=Sales/O=Acme" both give "sales/acme". Pure.
std::string NormalizeOuPath(std::string text);

}  // namespace notesd
