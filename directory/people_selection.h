// directory/people_selection.h — the directory service's answer to "which people does
// this selection name?": names, groups (nested, as Domino expands them), an OU/O path,
// or everyone. Used wherever people are chosen in bulk (today: certificate requests
// over the client API; later LDAP searches or a web console).
//
// Named people and group members are looked up one by one; an OU or everyone is one pass
// over the directory a page at a time (Directory::ForEachPerson), so choosing 100,000
// people holds a page of Person notes and a bit per note id chosen, never all of them.
#pragma once

#include <functional>
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
// The same people handed to `visit` one at a time, in the same order, without holding
// them. An error can come after some people were visited (an OU with nobody under it,
// an error of `visit`): a caller that must check everyone before acting makes one
// pass to check and a second to act.
Status ForEachSelectedPerson(const Directory& directory, const PeopleSelector& selector,
                             const std::function<Status(const Person&)>& visit);

// The part of a name below its CN as typed, in the form SelectPeople compares:
// "/Sales/Acme" and "OU=Sales/O=Acme" both give "sales/acme". Pure.
std::string NormalizeOuPath(std::string text);

}  // namespace notesd
