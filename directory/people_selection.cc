#include "directory/people_selection.h"

#include <functional>
#include <unordered_set>

#include "base/ascii.h"
#include "base/notes_ini.h"

namespace notesd {

namespace {

// A person's name below the CN, as NormalizeOuPath makes it ("sales/acme").
std::string PersonOuPath(const Person& person) {
  std::string abbreviated = ToLowerAscii(person.name.Abbreviated());
  std::size_t slash = abbreviated.find('/');
  return slash == std::string::npos ? std::string() : abbreviated.substr(slash + 1);
}

bool UnderOu(const Person& person, const std::string& ou_path) {
  std::string path = PersonOuPath(person);
  return path == ou_path ||
         (path.size() > ou_path.size() && path.compare(path.size() - ou_path.size(), ou_path.size(), ou_path) == 0 &&
          path[path.size() - ou_path.size() - 1] == '/');
}

// A walk through the people a selector names: each is handed to `visit` once, when first
// chosen. Only a bit per note id chosen is kept, so a walk over everyone holds a page of
// Person notes and a bitmap.
class SelectionWalk {
 public:
  SelectionWalk(const Directory& directory, const std::function<Status(const Person&)>& visit)
      : directory_(directory), visit_(visit) {}

  Status AddPerson(const std::string& name) {
    Result<Person> person = directory_.FindPerson(TrimSpaces(name));
    if (!person.ok() && person.status().code() == StatusCode::kNotFound)
      return Status::NotFound("no person '" + name + "' in the directory");
    if (!person.ok()) return person.status();
    return Choose(*person);
  }

  Status AddGroup(const std::string& name) {
    std::unordered_set<std::string> seen;
    Result<Group> group = directory_.FindGroup(name);
    if (!group.ok()) return Status::NotFound("no group '" + name + "' in the directory");
    return ExpandGroup(*group, seen);
  }

  Status AddOu(const std::string& ou) {
    std::string path = NormalizeOuPath(ou);
    if (path.empty()) return Status::InvalidArgument("'ou' must name an OU/O path such as /Sales/Acme");
    bool any_under = false;
    NOTESD_RETURN_IF_ERROR(directory_.ForEachPerson([&](const Person& person) {
      if (!UnderOu(person, path)) return Status::Ok();
      any_under = true;
      return Choose(person);
    }));
    if (!any_under) return Status::NotFound("no person under '" + ou + "' in the directory");
    return Status::Ok();
  }

  Status AddAll() {
    return directory_.ForEachPerson([&](const Person& person) { return Choose(person); });
  }

  std::size_t ChosenCount() const { return chosen_count_; }

 private:
  Status Choose(const Person& person) {
    if (person.note_id >= chosen_.size()) chosen_.resize(static_cast<std::size_t>(person.note_id) + 1, false);
    if (chosen_[person.note_id]) return Status::Ok();
    chosen_[person.note_id] = true;
    ++chosen_count_;
    return visit_(person);
  }

  // Members that name neither one person nor a group are skipped (stale entries, as
  // Domino's expansion does); cycles are cut by `seen`.
  Status ExpandGroup(const Group& group, std::unordered_set<std::string>& seen) {
    if (!seen.insert(ToLowerAscii(group.name)).second) return Status::Ok();
    for (const std::string& member : group.members) {
      if (Result<Person> person = directory_.FindPerson(member); person.ok()) {
        NOTESD_RETURN_IF_ERROR(Choose(*person));
      } else if (Result<Group> nested = directory_.FindGroup(member); nested.ok()) {
        NOTESD_RETURN_IF_ERROR(ExpandGroup(*nested, seen));
      }
    }
    return Status::Ok();
  }

  const Directory& directory_;
  const std::function<Status(const Person&)>& visit_;
  // One bit per note id (ids are small and dense): 100,000 people cost ~12 KB.
  std::vector<bool> chosen_;
  std::size_t chosen_count_ = 0;
};

}  // namespace

std::string NormalizeOuPath(std::string text) {
  text = ToLowerAscii(TrimSpaces(text));
  while (!text.empty() && text.front() == '/') text.erase(0, 1);
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('/', start);
    std::string part = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (std::size_t eq = part.find('='); eq != std::string::npos) part = part.substr(eq + 1);
    if (!part.empty()) out += (out.empty() ? "" : "/") + part;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

Status ForEachSelectedPerson(const Directory& directory, const PeopleSelector& selector,
                             const std::function<Status(const Person&)>& visit) {
  if (selector.Empty()) return Status::InvalidArgument("select people: 'people', 'groups', 'ou' or 'all'");
  SelectionWalk walk(directory, visit);
  for (const std::string& person : selector.people) NOTESD_RETURN_IF_ERROR(walk.AddPerson(person));
  for (const std::string& group : selector.groups) NOTESD_RETURN_IF_ERROR(walk.AddGroup(group));
  if (!selector.ou.empty()) NOTESD_RETURN_IF_ERROR(walk.AddOu(selector.ou));
  if (selector.all) NOTESD_RETURN_IF_ERROR(walk.AddAll());
  if (walk.ChosenCount() == 0) return Status::NotFound("the selection names nobody");
  return Status::Ok();
}

Result<std::vector<Person>> SelectPeople(const Directory& directory, const PeopleSelector& selector) {
  std::vector<Person> chosen;
  NOTESD_RETURN_IF_ERROR(ForEachSelectedPerson(directory, selector, [&](const Person& person) {
    chosen.push_back(person);
    return Status::Ok();
  }));
  return chosen;
}

}  // namespace notesd
