#include "server/builtin_tasks.h"

namespace notesd {

void RegisterBuiltinTasks(TaskRegistry& registry) {
  (void)registry;  // Each task's issue adds its registration here.
}

}  // namespace notesd
