#include "task/task.h"
#include "base/ascii.h"

#include <sstream>

namespace notesd {

Status TaskRegistry::Add(TaskSpec spec) {
  std::vector<std::string> names = spec.aliases;
  names.push_back(spec.name);
  for (const std::string& name : names)
    if (Find(name)) return Status::AlreadyExists("a task named '" + name + "' is already registered");
  specs_.push_back(std::make_unique<TaskSpec>(std::move(spec)));
  return Status::Ok();
}

const TaskSpec* TaskRegistry::Find(std::string_view name) const {
  for (const auto& spec : specs_) {
    if (EqualsIgnoreCase(spec->name, name)) return spec.get();
    for (const std::string& alias : spec->aliases)
      if (EqualsIgnoreCase(alias, name)) return spec.get();
  }
  return nullptr;
}

std::vector<const TaskSpec*> TaskRegistry::All() const {
  std::vector<const TaskSpec*> all;
  for (const auto& spec : specs_) all.push_back(spec.get());
  return all;
}

std::vector<TaskEntry> ParseServerTasks(std::string_view value) {
  std::vector<TaskEntry> entries;
  for (const std::string& item : SplitList(value, ',')) {
    std::istringstream words(item);
    TaskEntry entry;
    words >> entry.name;
    for (std::string arg; words >> arg;) entry.args.push_back(arg);
    if (!entry.name.empty()) entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace notesd
