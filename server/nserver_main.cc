// nserver: registers the task kinds shipped with notesd and runs the server program.
#include "server/builtin_tasks.h"
#include "server/server_core.h"

int main(int argc, char** argv) {
  notesd::TaskRegistry registry;
  notesd::RegisterBuiltinTasks(registry);
  return notesd::NserverMain(argc, argv, registry);
}
