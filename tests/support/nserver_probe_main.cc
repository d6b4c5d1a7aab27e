// nserver_probe: nserver with the built-in tasks plus the test-only Probe tasks.
#include "server/builtin_tasks.h"
#include "server/server_core.h"
#include "tests/support/probe_task.h"

int main(int argc, char** argv) {
  notesd::TaskRegistry registry;
  notesd::RegisterBuiltinTasks(registry);
  notesd::testing::RegisterProbeTasks(registry);
  return notesd::NserverMain(argc, argv, registry);
}
