// Tests of the directory service's people selection (directory/people_selection.h):
// names, nested groups, OU paths and everyone, each person once, and the refusals.
#include <catch2/catch.hpp>

#include "directory/people_selection.h"
#include "tests/unit/unit_test_support.h"

namespace notesd {
namespace {

using testing::Must;
using testing::Name;
using testing::TempDir;

struct People {
  TempDir dir{"notesd-select-"};
  std::unique_ptr<Directory> directory = Must(Directory::Open(dir.path / "names.nsf"));

  People() {
    Add("CN=Jane Admin/O=Acme", "jadmin", "jane@acme.com");
    Add("CN=John Roe/OU=Sales/O=Acme", "jroe", "john@acme.com");
    Add("CN=Ann Lee/OU=East/OU=Sales/O=Acme", "alee", "ann@acme.com");
    Add("CN=Bob Ray/OU=Wholesales/O=Acme", "bray", "");
    REQUIRE(
        directory->PutGroup({0, "Sales Team", {"CN=John Roe/O=Acme", "jroe", "Nested", "Gone Person"}, "Multi-purpose"})
            .ok());
    REQUIRE(
        directory->PutGroup({0, "Nested", {"CN=Ann Lee/OU=East/OU=Sales/O=Acme", "Sales Team"}, "Multi-purpose"}).ok());
    REQUIRE(directory->PutGroup({0, "Stale", {"Gone Person"}, "Multi-purpose"}).ok());
  }
  void Add(const std::string& name, const std::string& short_name, const std::string& address) {
    Person person;
    person.name = Name(name);
    person.last_name = person.name.CommonName();
    person.short_name = short_name;
    person.internet_address = address;
    REQUIRE(directory->RegisterPerson(person).ok());
  }
  std::vector<std::string> Select(const PeopleSelector& selector) {
    std::vector<std::string> names;
    for (const Person& person : Must(SelectPeople(*directory, selector))) names.push_back(person.name.Abbreviated());
    return names;
  }
};

TEST_CASE("people selection: names, groups, OU paths and all, each person once in the order chosen", "[directory]") {
  People p;
  PeopleSelector by_name;
  by_name.people = {"john@acme.com", "JADMIN", "Jane Admin/Acme"};
  CHECK(p.Select(by_name) == std::vector<std::string>{"John Roe/Sales/Acme", "Jane Admin/Acme"});

  PeopleSelector by_group;  // nested, with a cycle and a stale member
  by_group.groups = {"sales team"};
  CHECK(p.Select(by_group) == std::vector<std::string>{"John Roe/Sales/Acme", "Ann Lee/East/Sales/Acme"});

  PeopleSelector by_ou;  // below /Sales/Acme, not /Wholesales/Acme
  by_ou.ou = "OU=Sales/O=Acme";
  CHECK(p.Select(by_ou) == std::vector<std::string>{"Ann Lee/East/Sales/Acme", "John Roe/Sales/Acme"});

  PeopleSelector mixed;
  mixed.people = {"bray"};
  mixed.ou = "/Sales/Acme";
  mixed.all = true;
  CHECK(p.Select(mixed).size() == 4);
  CHECK(p.Select(mixed).front() == "Bob Ray/Wholesales/Acme");
}

TEST_CASE("people selection: refusals name what is missing", "[directory]") {
  People p;
  auto code = [&](const PeopleSelector& selector) { return SelectPeople(*p.directory, selector).status(); };
  CHECK(code(PeopleSelector{}).code() == StatusCode::kInvalidArgument);
  PeopleSelector unknown;
  unknown.people = {"jroe", "Nobody"};
  CHECK(code(unknown).message() == "no person 'Nobody' in the directory");
  PeopleSelector no_group;
  no_group.groups = {"No Such Group"};
  CHECK(code(no_group).message() == "no group 'No Such Group' in the directory");
  PeopleSelector empty_ou;
  empty_ou.ou = "/Marketing/Acme";
  CHECK(code(empty_ou).message() == "no person under '/Marketing/Acme' in the directory");
  PeopleSelector slash;
  slash.ou = "/";
  CHECK(code(slash).code() == StatusCode::kInvalidArgument);
  PeopleSelector stale;
  stale.groups = {"Stale"};
  CHECK(code(stale).message() == "the selection names nobody");
}

TEST_CASE("people selection one at a time: the same people, and an error of the visit stops it", "[directory]") {
  People p;
  PeopleSelector everyone;
  everyone.all = true;
  std::vector<std::string> visited;
  REQUIRE(ForEachSelectedPerson(*p.directory, everyone, [&](const Person& person) {
            visited.push_back(person.name.Abbreviated());
            return Status::Ok();
          }).ok());
  CHECK(visited == p.Select(everyone));
  CHECK(visited.size() == 4);

  int calls = 0;
  Status stopped = ForEachSelectedPerson(*p.directory, everyone, [&](const Person&) {
    ++calls;
    return calls == 2 ? Status::InvalidArgument("second person refused") : Status::Ok();
  });
  CHECK(stopped.message() == "second person refused");
  CHECK(calls == 2);
}

TEST_CASE("people selection: OU paths are compared in one form", "[directory]") {
  CHECK(NormalizeOuPath(" /Sales/Acme ") == "sales/acme");
  CHECK(NormalizeOuPath("OU=Sales/O=Acme") == "sales/acme");
  CHECK(NormalizeOuPath("//East//Sales") == "east/sales");
  CHECK(NormalizeOuPath("/").empty());
}

}  // namespace
}  // namespace notesd
