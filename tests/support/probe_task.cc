#include "tests/support/probe_task.h"
#include "base/ascii.h"

#include <array>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace notesd::testing {

namespace {

constexpr ConfigKey kProbeLimit{"Probe_Limit", ConfigType::kInt, "5", 1, 10, "Test-only key", "Probe", false};
const std::array<ConfigKey, 1> kProbeKeys = {kProbeLimit};

class ProbeTask final : public Task {
 public:
  ProbeTask(TaskContext& context, std::string name) : context_(context), name_(std::move(name)) {}

  Status Start(const std::vector<std::string>& args) override {
    args_ = args;
    for (const std::string& arg : args) {
      if (arg == "fail-start") return Status::Unavailable("probe asked to fail at start");
      // Holds the server in its start-up phase, for the start-up order tests.
      if (arg.starts_with("slow-start="))
        std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(arg.substr(11))));
    }
    context_.Stats().Counter(name_ + ".Pings");
    return Status::Ok();
  }

  void Stop() override { context_.Log().Log(name_, "stopping"); }

  Result<std::string> Tell(std::string_view command) override {
    std::string verb = ToUpperAscii(command);
    if (verb == "PING") {
      context_.Stats().Counter(name_ + ".Pings")++;
      std::string joined;
      for (const std::string& arg : args_) joined += " " + arg;
      return std::string("PONG") + (joined.empty() ? "" : " args:" + joined);
    }
    if (verb == "FAIL") {
      context_.PostGuarded(name_, [] { throw std::runtime_error("probe failure requested"); });
      return std::string("failing soon");
    }
    if (verb == "LIMIT") return std::to_string(ConfigInt(context_.Config(), kProbeLimit));
    return Status::InvalidArgument("Unknown command for " + name_ + ": '" + std::string(command) + "'");
  }

  std::vector<TaskStatusRow> StatusRows() const override { return {{name_ + " Task", "Idle"}}; }

 private:
  TaskContext& context_;
  std::string name_;
  std::vector<std::string> args_;
};

}  // namespace

void RegisterProbeTasks(TaskRegistry& registry) {
  for (const char* name : {"Probe", "ProbeB"}) {
    Status added = registry.Add({name, std::string(name) + " Task", {}, kProbeKeys, [name](TaskContext& context) {
                                   return std::make_unique<ProbeTask>(context, name);
                                 }});
    if (!added.ok()) throw std::logic_error(added.message());
  }
}

}  // namespace notesd::testing
