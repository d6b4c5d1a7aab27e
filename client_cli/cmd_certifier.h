// client_cli/cmd_certifier.h — `notes admin internet-certifier ...` and `notes admin
// requests ...`: Domino Administrator's "Configuration / Registration / Internet
// Certifier" and its Administration Requests view, over the client API.
//
//   notes admin internet-certifier create --cn CN [--o O] [--ou OU]... [--l L] [--st ST]
//       [--c CC] [--email E] --icl ICL_X.nsf --encrypt-with server-id|password
//       [--certifier-password P] --require-activation-password yes|no
//       [--activation-password P] [--caa NAME]... [--ra NAME]... [--key rsa2048]
//       [--validity-years N] [--crl-duration-days N] [--crl-interval-hours N]
//       [--local-copy FILE --local-copy-password P] [--wait [--wait-seconds N]] [--json]
//     posts a Create Internet Certifier request (you become CAA and RA); AdminP makes
//     the certifier later. With --wait the command polls until AdminP is done and saves
//     the local copy of the certifier ID to FILE.
//   notes admin internet-certifier list|show NAME [--cert-out FILE]|roles NAME --caa ... --ra ...
//   notes admin requests list [--status pending|failed|done|new|all] [--json]
//   notes admin requests show UNID [--save-local-copy FILE] [--json]
// The server never writes on this machine: the local certifier ID copy comes back in the
// request's answer (base64, already encrypted with its own password) and is written here
// (mode 0600, never over an existing file).
// Passwords: options, else $NOTESD_CERTIFIER_ID_PASSWORD / $NOTESD_ACTIVATION_PASSWORD /
// $NOTESD_LOCAL_COPY_PASSWORD, else asked twice on the terminal.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "client_cli/notes_cli.h"

namespace notesd::client {

// Adds `internet-certifier` and `requests` under `notes admin`.
void AddCertifierCommands(CLI::App* admin, CommandLine& line);

// The options of `internet-certifier create` as the request body of
// POST /api/v1/admin/requests/internet-certifier (passwords included; they go only to
// the server, which wraps them at once).
struct CertifierCreateOptions {
  std::string cn, o, l, st, c, email, icl;
  std::vector<std::string> ou, caa, ra;
  std::string encrypt_with = "server-id";
  std::string require_activation = "no";
  std::string key = "rsa2048";
  int validity_years = 10;
  int crl_duration_days = 7;
  int crl_interval_hours = 24;
  std::optional<std::string> certifier_password, activation_password;
  std::optional<std::string> local_copy, local_copy_password;
};
// InvalidArgument for a bad yes/no or encrypt-with word.
Result<nlohmann::json> CertifierRequestJson(const CertifierCreateOptions& options,
                                            const std::string& certifier_password,
                                            const std::string& activation_password,
                                            const std::string& local_copy_password);

}  // namespace notesd::client
