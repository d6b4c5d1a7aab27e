// ca_task/ca_task.h — the Certificate Authority process (CA), task name "CA".
//
// Owns: the Internet certifiers this server runs (Certifier documents of type Internet
// whose CAServer is this server, each with its ICL database), their activation state,
// and their keys while active (in the shared CaKeyring, see ca_keyring.h); regular CRLs
// on each certifier's schedule. Reads names.nsf, the ICLs, server.id (KeyFileName) and
// admin4.nsf (SHOW QUEUE); writes CRLs into the ICLs. Certifiers are created by AdminP
// (ca_handlers.h), not here: the CA sees a new certifier at its next refresh. People's
// Internet certificates are issued by AdminP too (Add Internet Certificate to Person
// Record, person_certificates.h), signing with the keys this task puts in the keyring;
// a certifier that is not active here makes those requests wait (Unavailable, retried).
//
// notes.ini keys: CA_RefreshMinutes (720) — minutes between automatic refreshes of the
// certifier list (Domino refreshes every 12 hours); re-read at every check, no restart.
// TELL CA commands (words may be abbreviated; <n> is a certifier number from STAT, its
// name, or * for all):
//   STAT | STATUS               each certifier: number, name, type, Active=Yes/No, ICL
//   REFRESH                     re-read the certifiers now
//   ACTIVATE <n> [<password>]   activate a certifier (no password: one encrypted with the
//                               server ID and no activation password)
//   DEACTIVATE <n>              drop a certifier's key from memory
//   LOCK IDFILE                 deactivate every certifier until UNLOCK IDFILE
//   UNLOCK IDFILE [<password>]  reactivate those that need no password (and, with a
//                               password, those it opens)
//   SHOW QUEUE <n>              pending AdminP requests for the certifier
//   CRL ISSUE <n>               issue a non-regular CRL now
//   CRL INFO <n> [S|N]          the latest CRL (regular S / non-regular N; default both)
//   HELP                        this list; QUIT (server core) stops the CA
// A certifier whose ID is protected by a password, or that requires an activation
// password, stays Active=No until ACTIVATE. An ICL configuration whose signature does not
// verify under the certifier ID's key is never activated (STAT says why).
// SECURITY: activation passwords arrive on the console; the console grammar declares
// them (server/console_command.cc), so every log and the history show `********`. Keys never leave
// memory except encrypted in their ID files; a deactivated certifier's key is freed.
// Logs: each certifier loaded/activated/deactivated, each CRL issued, refresh problems.
#pragma once

#include <memory>
#include <span>

#include "ca_task/ca_keyring.h"
#include "task/task.h"

namespace notesd {

std::span<const ConfigKey> CaConfigKeys();
// `keyring` is shared with the CA's AdminP handlers (builtin_tasks.cc).
TaskSpec CaTaskSpec(const std::shared_ptr<CaKeyring>& keyring);

}  // namespace notesd
