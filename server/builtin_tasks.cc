#include "server/builtin_tasks.h"

#include <memory>
#include <stdexcept>

#include "adminp/adminp_task.h"
#include "ca_task/ca_handlers.h"
#include "ca_task/ca_task.h"
#include "router/router_task.h"
#include "router/smtp_task.h"
#include "pop3/pop3_task.h"
#include "http/http_task.h"
#include "imap_server/imap_task.h"
#include "ldap_server/ldap_task.h"

namespace notesd {

void RegisterBuiltinTasks(TaskRegistry& registry) {
  for (TaskSpec spec :
       {HttpTaskSpec(), RouterTaskSpec(), SmtpTaskSpec(), ImapTaskSpec(), Pop3TaskSpec(), LdapTaskSpec()}) {
    Status added = registry.Add(std::move(spec));
    if (!added.ok()) throw std::logic_error(added.message());
  }
  // AdminP carries out the CA's requests with the CA's handlers; they share the CA's keyring.
  auto ca_keyring = std::make_shared<CaKeyring>();
  auto admin_handlers = std::make_shared<AdminRequestHandlerRegistry>();
  if (Status wired = RegisterCaAdminHandlers(*admin_handlers, ca_keyring); !wired.ok())
    throw std::logic_error(wired.message());
  for (TaskSpec spec : {CaTaskSpec(ca_keyring), AdminPTaskSpec(admin_handlers)}) {
    Status added = registry.Add(std::move(spec));
    if (!added.ok()) throw std::logic_error(added.message());
  }
}

}  // namespace notesd
