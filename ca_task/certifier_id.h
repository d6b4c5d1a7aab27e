// ca_task/certifier_id.h — opening an Internet certifier's ID: the password it needs and
// the checks that it is the certifier its ICL describes.
//
// The ID image comes from the file named in the ICL configuration (CertifierIDFile, in
// the data directory) or, when that file is missing, from the copy the ICL keeps. The ID
// password follows internet_certifier.h: for ServerID protection the random part is
// unwrapped with the server ID and the typed activation password appended when the
// certifier requires one; for Password protection the typed password is the ID password.
// After decryption the ID's certificate must be the ICL's root and the configuration's
// signature must verify under the ID's key (PermissionDenied otherwise), so an ICL
// edited outside the CA, or an ID swapped on disk, is never used.
// Thread safety: pure functions.
#pragma once

#include <filesystem>
#include <string>

#include "ca_task/icl_database.h"
#include "pki/id_file.h"
#include "base/status.h"

namespace notesd {

// The random part of a ServerID-protected certifier's password, unwrapped with the
// server ID (hex text). InvalidArgument for a Password-protected certifier.
Result<std::string> UnwrapCertifierRandom(const IclConfig& config, const IdFile& server_id);

// Opens the certifier ID of `config`. `server_id` is needed for ServerID protection;
// `typed_password` is the activation password (ServerID with activation) or the
// certifier password (Password protection), ignored otherwise. PermissionDenied for a
// wrong password or a failed check; NotFound when neither file nor ICL copy exists.
Result<IdFile> OpenCertifierId(const IclConfig& config, const std::filesystem::path& data_dir, const IdFile* server_id,
                               const std::string& typed_password);

// Whether the CA may activate the certifier without anyone typing a password.
bool ActivatesWithoutPassword(const IclConfig& config);

}  // namespace notesd
