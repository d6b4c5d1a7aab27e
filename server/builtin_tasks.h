// server/builtin_tasks.h — the list of task kinds shipped with nserver (CA, AdminP,
// Router, SMTP, HTTP as their issues land). The one place that names them all.
#pragma once

#include "task/task.h"

namespace notesd {

void RegisterBuiltinTasks(TaskRegistry& registry);

}  // namespace notesd
