#include "directory/people_selection.h"

#include <unordered_map>
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

// The people chosen so far, each once, in the order first chosen.
class Selection {
 public:
  Selection(const Directory& directory, std::vector<Person> people)
      : directory_(directory), people_(std::move(people)), chosen_(people_.size(), false) {
    for (std::size_t i = 0; i < people_.size(); ++i) {
      for (const std::string& name : people_[i].FullNames()) index_.emplace(ToLowerAscii(name), i);
      if (!people_[i].short_name.empty()) index_.emplace(ToLowerAscii(people_[i].short_name), i);
      if (!people_[i].internet_address.empty()) index_.emplace(ToLowerAscii(people_[i].internet_address), i);
    }
  }

  Status AddPerson(const std::string& name) {
    auto it = index_.find(ToLowerAscii(TrimSpaces(name)));
    if (it == index_.end()) return Status::NotFound("no person '" + name + "' in the directory");
    Choose(it->second);
    return Status::Ok();
  }

  Status AddGroup(const std::string& name) {
    std::unordered_set<std::string> seen;
    Result<Group> group = directory_.FindGroup(name);
    if (!group.ok()) return Status::NotFound("no group '" + name + "' in the directory");
    ExpandGroup(*group, seen);
    return Status::Ok();
  }

  Status AddOu(const std::string& ou) {
    std::string path = NormalizeOuPath(ou);
    if (path.empty()) return Status::InvalidArgument("'ou' must name an OU/O path such as /Sales/Acme");
    bool any_under = false;
    for (std::size_t i = 0; i < people_.size(); ++i) {
      if (!UnderOu(people_[i], path)) continue;
      any_under = true;
      Choose(i);
    }
    if (!any_under) return Status::NotFound("no person under '" + ou + "' in the directory");
    return Status::Ok();
  }

  void AddAll() {
    for (std::size_t i = 0; i < people_.size(); ++i) Choose(i);
  }

  std::vector<Person> Take() {
    std::vector<Person> out;
    out.reserve(order_.size());
    for (std::size_t i : order_) out.push_back(std::move(people_[i]));
    return out;
  }

 private:
  void Choose(std::size_t i) {
    if (chosen_[i]) return;
    chosen_[i] = true;
    order_.push_back(i);
  }

  void ExpandGroup(const Group& group, std::unordered_set<std::string>& seen) {
    if (!seen.insert(ToLowerAscii(group.name)).second) return;
    for (const std::string& member : group.members) {
      if (auto it = index_.find(ToLowerAscii(member)); it != index_.end()) {
        Choose(it->second);
      } else if (Result<Group> nested = directory_.FindGroup(member); nested.ok()) {
        ExpandGroup(*nested, seen);
      }
    }
  }

  const Directory& directory_;
  std::vector<Person> people_;
  std::vector<bool> chosen_;
  std::vector<std::size_t> order_;
  std::unordered_map<std::string, std::size_t> index_;
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

Result<std::vector<Person>> SelectPeople(const Directory& directory, const PeopleSelector& selector) {
  if (selector.Empty()) return Status::InvalidArgument("select people: 'people', 'groups', 'ou' or 'all'");
  NOTESD_ASSIGN_OR_RETURN(std::vector<Person> everyone, directory.ListPeople());
  Selection selection(directory, std::move(everyone));
  for (const std::string& person : selector.people) NOTESD_RETURN_IF_ERROR(selection.AddPerson(person));
  for (const std::string& group : selector.groups) NOTESD_RETURN_IF_ERROR(selection.AddGroup(group));
  if (!selector.ou.empty()) NOTESD_RETURN_IF_ERROR(selection.AddOu(selector.ou));
  if (selector.all) selection.AddAll();
  std::vector<Person> chosen = selection.Take();
  if (chosen.empty()) return Status::NotFound("the selection names nobody");
  return chosen;
}

}  // namespace notesd
