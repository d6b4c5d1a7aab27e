#include "server/builtin_tasks.h"

#include <stdexcept>

#include "router/router_task.h"
#include "router/smtp_task.h"
#include "server/http_task.h"

namespace notesd {

void RegisterBuiltinTasks(TaskRegistry& registry) {
  for (TaskSpec spec : {HttpTaskSpec(), RouterTaskSpec(), SmtpTaskSpec()}) {
    Status added = registry.Add(std::move(spec));
    if (!added.ok()) throw std::logic_error(added.message());
  }
}

}  // namespace notesd
