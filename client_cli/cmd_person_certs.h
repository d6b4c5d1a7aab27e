// client_cli/cmd_person_certs.h — Internet certificates for people, as Domino
// Administrator's "People / Add Internet Certificate" and the certifier's revocation
// dialog, over the client API:
//
//   notes admin people add-internet-cert [NAME...] [--group G]... [--ou /Sales/Acme]
//       [--all] --ca CERTIFIER [--validity-years N] [--no-wait] [--timeout SECONDS] [--json]
//     posts one "Add Internet Certificate to Person Record" request per selected person
//     (one batch; you must be an RA of the certifier), then, unless --no-wait, polls the
//     batch every 0.5 s printing progress with an estimate of the time left, until nothing
//     is pending or --timeout passes (default kDefaultBatchWaitSeconds; 0 = no limit): then
//     it says how to follow the batch (`notes admin requests batch ID --wait`) and exits 1.
//     Exit 1 when any request failed, with the failed requests' errors.
//   notes admin requests batch ID [--wait [--timeout SECONDS]] [--json]
//     (registered with the other `requests` commands, cmd_certifier.cc) the batch's
//     progress once, or waited for as above.
//   notes admin person show NAME [--certificates] [--json]
//     the Person record; with --certificates each Internet certificate (Subject, Issuer
//     CN, serial, validity, e-mail), or "Internet Certificate: none".
//   notes admin person set-internet-password NAME [--password-stdin] [--json]
//     in cmd_internet_password.h (added under the same `person` command).
//   notes admin certificates revoke --ca CERTIFIER (--serial S | --person NAME)
//       [--reason R] [--json]
//     revokes at once (RAs and CAAs of the certifier); the next CRL lists it.
#pragma once

#include <string>

#include "client_cli/notes_cli.h"

namespace notesd::client {

inline constexpr double kDefaultBatchWaitSeconds = 300;

struct BatchProgressOptions {
  GlobalOptions* global = nullptr;
  std::string batch;
  bool wait = false;
  double timeout = kDefaultBatchWaitSeconds;
  bool json = false;
};
// `notes admin requests batch`: the exit status.
int RunBatchProgress(const BatchProgressOptions& options);

// Adds `people add-internet-cert`, `person show` and `certificates revoke` under `notes admin`.
void AddPersonCertificateCommands(CLI::App* admin, CommandLine& line);

}  // namespace notesd::client
