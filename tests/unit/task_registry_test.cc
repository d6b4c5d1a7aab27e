// Unit tests for task/task: the registry of task kinds and ServerTasks= parsing.
#include <catch2/catch.hpp>

#include "task/task.h"

using namespace notesd;

namespace {
class NullTask final : public Task {
 public:
  Status Start(const std::vector<std::string>&) override { return Status::Ok(); }
  void Stop() override {}
  Result<std::string> Tell(std::string_view) override { return std::string("ok"); }
  std::vector<TaskStatusRow> StatusRows() const override { return {{"Null", "Idle"}}; }
};

TaskSpec Spec(std::string name, std::vector<std::string> aliases = {}) {
  return {std::move(name), "Display", std::move(aliases), {}, [](TaskContext&) {
            return std::make_unique<NullTask>();
          }};
}
}  // namespace

TEST_CASE("tasks are found by name and alias, case-insensitively", "[tasks]") {
  TaskRegistry registry;
  REQUIRE(registry.Add(Spec("AdminP", {"nadminp"})).ok());
  REQUIRE(registry.Add(Spec("CA")).ok());
  CHECK(registry.Find("adminp") != nullptr);
  CHECK(registry.Find("NADMINP") == registry.Find("AdminP"));
  CHECK(registry.Find("ca")->name == "CA");
  CHECK(registry.Find("router") == nullptr);
  CHECK(registry.All().size() == 2);
}

TEST_CASE("a taken name or alias is refused", "[tasks]") {
  TaskRegistry registry;
  REQUIRE(registry.Add(Spec("Router")).ok());
  Status again = registry.Add(Spec("ROUTER"));
  CHECK(again.code() == StatusCode::kAlreadyExists);
  CHECK(registry.Add(Spec("Other", {"router"})).code() == StatusCode::kAlreadyExists);
}

TEST_CASE("ServerTasks entries carry arguments", "[tasks]") {
  auto entries = ParseServerTasks(" Router, RunJava JAddin  AddinName ,,CA ");
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].name == "Router");
  CHECK(entries[0].args.empty());
  CHECK(entries[1].name == "RunJava");
  CHECK(entries[1].args == std::vector<std::string>{"JAddin", "AddinName"});
  CHECK(entries[2].name == "CA");
  CHECK(ParseServerTasks("").empty());
}
