#include "ca_task/certifier_id.h"

#include "ca_task/server_id_wrap.h"
#include "pki/crypto.h"
#include "base/notes_ini.h"

namespace notesd {

bool ActivatesWithoutPassword(const IclConfig& config) {
  return config.protection == CertifierProtection::kServerId && !config.require_activation;
}

Result<std::string> UnwrapCertifierRandom(const IclConfig& config, const IdFile& server_id) {
  if (config.protection != CertifierProtection::kServerId)
    return Status::InvalidArgument("certifier " + config.certifier_name +
                                   " is protected by a password, not the server ID");
  Result<std::string> random =
      UnwrapSecret(config.wrapped_id_password, server_id.notes_key(), server_id.notes_certificate());
  if (!random.ok())
    return random.status().WithContext("cannot open certifier " + config.certifier_name + " with the server ID");
  return random;
}

Result<IdFile> OpenCertifierId(const IclConfig& config, const std::filesystem::path& data_dir, const IdFile* server_id,
                               const std::string& typed_password) {
  std::string password = typed_password;
  if (config.protection == CertifierProtection::kServerId) {
    if (server_id == nullptr)
      return Status::InvalidArgument("the server ID is needed to open certifier " + config.certifier_name);
    NOTESD_ASSIGN_OR_RETURN(std::string random, UnwrapCertifierRandom(config, *server_id));
    password = CertifierIdPassword(config.protection, random, "", typed_password, config.require_activation);
  }
  std::filesystem::path path = data_dir / config.id_file;
  std::string image;
  if (auto file = ReadWholeFile(path); file.ok()) {
    image = std::move(file).value();
  } else if (!config.id_image.empty()) {
    image = config.id_image;
  } else {
    return Status::NotFound("the certifier ID " + path.string() + " is missing and the ICL holds no copy");
  }
  Result<IdFile> id = IdFile::Decode(image, password, path.string());
  if (!id.ok()) {
    if (id.status().code() == StatusCode::kPermissionDenied)
      return Status::PermissionDenied("wrong password for certifier " + config.certifier_name);
    return id.status();
  }
  NOTESD_ASSIGN_OR_RETURN(std::string id_pem, CertificateToPem(id->notes_certificate()));
  if (id_pem != config.certificate_pem)
    return Status::PermissionDenied("the certifier ID " + path.string() + " does not hold the root certificate of " +
                                    config.certifier_name + " recorded in its ICL");
  NOTESD_RETURN_IF_ERROR(VerifyIclConfig(config, id->notes_key()));
  return id;
}

}  // namespace notesd
