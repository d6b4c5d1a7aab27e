// ca_task/ca_handlers.h — the CA's AdminP request handlers.
//
// "Create Internet Certifier" (Interval) makes, in this order, each step skipped when an
// earlier run of the same request (same UNID) already made it:
//   1. the ICL database with its signed CA configuration (revision 1), which also keeps
//      the encrypted certifier ID and, for ServerID protection, the random ID password
//      wrapped to server.id — the one step that generates the key, so a redo never
//      makes a second key;
//   2. the certifier ID file <data>/<CN>.id, written from the ICL's copy;
//   3. the Certifier document in names.nsf (type Internet, ICL file, CAA and RA lists);
//   4. the first (regular) CRL in the ICL;
//   5. the local copy of the certifier ID, encrypted with its own password, returned as
//      the binary result "LocalCopyID" for the requesting client to save.
// Something of the same name made by another request (a Certifier document, an ICL
// configuration, an ID file) fails the request as AlreadyExists: nothing is overwritten.
// "Modify CA Configuration" (Immediate) stores new CAA/RA lists: a new configuration
// revision signed with the certifier's key (which must be active in the CA task:
// Unavailable, and retried, otherwise) and the Certifier document updated. The author
// must be a CAA of the certifier when the request runs (PermissionDenied otherwise).
// "Add Internet Certificate to Person Record" (Interval, batched) issues a person's
// S/MIME certificate: see person_certificates.h, which holds its handler, request and
// revocation; it is registered here with the others.
// Secrets (certifier, activation and local copy passwords) arrive CMS-wrapped to the
// server ID in the request and are unwrapped here only.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "ca_task/ca_keyring.h"
#include "adminp/admin_requests.h"

namespace notesd {

// Called after each numbered step with its name ("icl", "id-file", "document", "crl";
// for person certificates "reserve", "sign", "record", "person"); tests throw from it
// to simulate a crash between steps.
using CaStepHook = std::function<void(std::string_view step)>;

std::shared_ptr<AdminRequestHandler> MakeCreateInternetCertifierHandler(CaStepHook hook = nullptr);
std::shared_ptr<AdminRequestHandler> MakeModifyCaConfigurationHandler(std::shared_ptr<CaKeyring> keyring);

// Registers the three CA handlers (Create Internet Certifier, Modify CA Configuration,
// Add Internet Certificate to Person Record) with AdminP's handler registry
// (server/builtin_tasks.cc); the last two sign with `keyring`'s keys.
Status RegisterCaAdminHandlers(AdminRequestHandlerRegistry& registry, std::shared_ptr<CaKeyring> keyring);

// The parameters of a Modify CA Configuration request (kParamCertifier also names the
// certifier of an Add Internet Certificate request).
inline constexpr char kParamCertifier[] = "Certifier";
inline constexpr char kParamCaa[] = "CAAdministrators";
inline constexpr char kParamRa[] = "RegistrationAuthorities";

}  // namespace notesd
