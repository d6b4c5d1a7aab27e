#include "ca_task/ca_handlers.h"

#include "base/wall_clock.h"

#include <ctime>

#include "ca_task/certifier_document.h"
#include "ca_task/certifier_id.h"
#include "ca_task/icl_database.h"
#include "ca_task/internet_certifier.h"
#include "ca_task/person_certificates.h"
#include "ca_task/server_id_wrap.h"
#include "pki/crypto.h"
#include "base/notes_ini.h"
#include "pki/x509_certs.h"
#include "base/ascii.h"

namespace notesd {

namespace {

namespace fs = std::filesystem;

std::time_t NowSeconds(const HandlerContext& context) {
  return static_cast<std::time_t>(ClockOrWall(context.clock).NowSeconds());
}

// A secret parameter of the request, unwrapped with the server ID; "" when absent.
Result<std::string> Secret(const AdminRequest& request, const char* name, const IdFile& server_id) {
  auto it = request.secrets.find(name);
  if (it == request.secrets.end() || it->second.empty()) return std::string();
  Result<std::string> secret = UnwrapSecret(it->second, server_id.notes_key(), server_id.notes_certificate());
  if (!secret.ok()) return secret.status().WithContext(std::string("the request's ") + name);
  return secret;
}

Result<IdFile> LoadServerId(const HandlerContext& context) {
  Result<IdFile> id = IdFile::Load(context.server_id_path, "");
  if (!id.ok()) return id.status().WithContext("cannot load the server ID " + context.server_id_path.string());
  return id;
}

// Writes the certifier ID file unless it already holds exactly `image`.
Status WriteIdFile(const fs::path& path, const std::string& image) {
  if (auto current = ReadWholeFile(path); current.ok() && *current == image) return Status::Ok();
  return WriteFileAtomic(path, image, 0600);
}

class CreateInternetCertifierHandler final : public AdminRequestHandler {
 public:
  explicit CreateInternetCertifierHandler(CaStepHook hook) : hook_(std::move(hook)) {}
  std::string Type() const override { return kRequestCreateInternetCertifier; }

  Status Handle(const AdminRequest& request, HandlerContext& context) override {
    NOTESD_ASSIGN_OR_RETURN(InternetCertifierSpec spec, InternetCertifierSpec::FromRequest(request));
    if (!context.directory) return Status::Internal("no directory for the handler");
    NOTESD_ASSIGN_OR_RETURN(IdFile server_id, LoadServerId(context));
    NOTESD_ASSIGN_OR_RETURN(Secrets secrets, ReadSecrets(request, server_id));
    HierName name = spec.NotesName();

    NOTESD_ASSIGN_OR_RETURN(std::optional<InternetCertifierDocument> existing,
                            FindInternetCertifier(*context.directory, name.Canonical()));
    if (existing && !EqualsIgnoreCase(existing->request_unid, request.unid))
      return Status::AlreadyExists("a certifier named " + existing->base.name.Abbreviated() + " already exists");

    NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<IclDatabase> icl, HandlerIcl(context, spec.icl_file, true));
    IdFile certifier;
    NOTESD_ASSIGN_OR_RETURN(IclConfig config,
                            EnsureConfig(request, spec, context, *icl, server_id, secrets, certifier));
    Step("icl");
    NOTESD_RETURN_IF_ERROR(WriteIdFile(context.data_dir / config.id_file, config.id_image));
    Step("id-file");
    NOTESD_RETURN_IF_ERROR(PutDocument(request, spec, config, context));
    Step("document");
    NOTESD_ASSIGN_OR_RETURN(std::optional<CrlRecord> crl, icl->LatestCrl());
    if (!crl) {
      NOTESD_RETURN_IF_ERROR(
          IssueCrl(*icl, config, certifier.notes_certificate(), certifier.notes_key(), NowSeconds(context), true)
              .status());
    }
    Step("crl");
    return Report(spec, config, certifier, secrets, context);
  }

 private:
  struct Secrets {
    std::string certifier_password;
    std::string activation_password;
    std::string local_copy_password;
  };

  void Step(std::string_view step) const {
    if (hook_) hook_(step);
  }

  static Result<Secrets> ReadSecrets(const AdminRequest& request, const IdFile& server_id) {
    Secrets secrets;
    NOTESD_ASSIGN_OR_RETURN(secrets.certifier_password, Secret(request, kSecretCertifierPassword, server_id));
    NOTESD_ASSIGN_OR_RETURN(secrets.activation_password, Secret(request, kSecretActivationPassword, server_id));
    NOTESD_ASSIGN_OR_RETURN(secrets.local_copy_password, Secret(request, kSecretLocalCopyPassword, server_id));
    return secrets;
  }

  // The password a person types for this certifier: the certifier password, or the
  // activation password.
  static std::string TypedPassword(const InternetCertifierSpec& spec, const Secrets& secrets) {
    return spec.protection == CertifierProtection::kPassword ? secrets.certifier_password : secrets.activation_password;
  }

  // Step 1: the ICL configuration of this request — made now (with a new key), or found
  // from an earlier run, in which case `certifier` is opened from it.
  Result<IclConfig> EnsureConfig(const AdminRequest& request, const InternetCertifierSpec& spec,
                                 const HandlerContext& context, IclDatabase& icl, const IdFile& server_id,
                                 const Secrets& secrets, IdFile& certifier) {
    NOTESD_ASSIGN_OR_RETURN(std::optional<IclConfig> existing, icl.LatestConfig());
    if (existing) {
      if (!EqualsIgnoreCase(existing->origin_request_unid, request.unid))
        return Status::AlreadyExists(spec.icl_file + " already belongs to certifier " + existing->certifier_name);
      NOTESD_ASSIGN_OR_RETURN(certifier,
                              OpenCertifierId(*existing, context.data_dir, &server_id, TypedPassword(spec, secrets)));
      return *existing;
    }
    std::error_code error;
    if (fs::exists(context.data_dir / spec.IdFileName(), error))
      return Status::AlreadyExists("the certifier ID file " + spec.IdFileName() +
                                   " already exists in the data directory");
    std::string typed = TypedPassword(spec, secrets);
    if (spec.protection == CertifierProtection::kPassword && typed.empty())
      return Status::InvalidArgument("a certifier ID encrypted with a password needs the certifier password");
    if (spec.protection == CertifierProtection::kServerId && spec.require_activation && typed.empty())
      return Status::InvalidArgument("'Require password to activate' needs an activation password");
    if (spec.local_copy && secrets.local_copy_password.empty())
      return Status::InvalidArgument("the local copy of the certifier ID needs its own password");

    NOTESD_ASSIGN_OR_RETURN(NewInternetCertifier made, MakeInternetCertifier(spec, NowSeconds(context)));
    std::string password = CertifierIdPassword(spec.protection, made.random_hex, secrets.certifier_password,
                                               secrets.activation_password, spec.require_activation);
    IclConfig config;
    config.revision = 1;
    config.certifier_name = spec.NotesName().Canonical();
    config.subject = SubjectText(made.id.notes_certificate());
    NOTESD_ASSIGN_OR_RETURN(config.certificate_pem, CertificateToPem(made.id.notes_certificate()));
    config.key_algorithm = spec.key.ToString();
    config.validity_years = spec.validity_years;
    config.crl_duration_days = spec.crl_duration_days;
    config.crl_interval_hours = spec.crl_interval_hours;
    config.id_file = spec.IdFileName();
    NOTESD_ASSIGN_OR_RETURN(config.id_image, made.id.Encode(password));
    config.protection = spec.protection;
    config.require_activation = spec.require_activation || spec.protection == CertifierProtection::kPassword;
    if (spec.protection == CertifierProtection::kServerId) {
      NOTESD_ASSIGN_OR_RETURN(config.wrapped_id_password, WrapSecret(made.random_hex, server_id.notes_certificate()));
    }
    config.caa = spec.caa;
    config.ra = spec.ra;
    config.ca_server = context.server_name;
    config.request_unid = request.unid;
    config.origin_request_unid = request.unid;
    config.created_by = request.author;
    NOTESD_RETURN_IF_ERROR(SignIclConfig(config, made.id.notes_key()));
    NOTESD_ASSIGN_OR_RETURN(IclConfig stored, icl.AddConfig(config));
    certifier = std::move(made.id);
    return stored;
  }

  static Status PutDocument(const AdminRequest& request, const InternetCertifierSpec& spec, const IclConfig& config,
                            HandlerContext& context) {
    InternetCertifierDocument doc;
    doc.base.name = spec.NotesName();
    doc.base.type = "Internet";
    doc.base.certificate_pem = config.certificate_pem;
    doc.base.issued_by = doc.base.name.Canonical();
    doc.base.icl_file = spec.icl_file;
    doc.subject = config.subject;
    doc.caa = config.caa;
    doc.ra = config.ra;
    doc.ca_server = config.ca_server;
    doc.id_file = config.id_file;
    doc.request_unid = request.unid;
    return PutInternetCertifier(*context.directory, doc).status();
  }

  static Status Report(const InternetCertifierSpec& spec, const IclConfig& config, const IdFile& certifier,
                       const Secrets& secrets, HandlerContext& context) {
    auto& results = context.results.results;
    results["CertifierName"] = config.certifier_name;
    results["CertifierSubject"] = config.subject;
    results["ICLFile"] = spec.icl_file;
    results["IDFile"] = config.id_file;
    results["SerialNumber"] = SerialHex(certifier.notes_certificate());
    results["Certificate"] = config.certificate_pem;
    if (spec.local_copy) {
      if (secrets.local_copy_password.empty())
        return Status::InvalidArgument("the local copy of the certifier ID needs its own password");
      NOTESD_ASSIGN_OR_RETURN(context.results.binary_results[kResultLocalCopy],
                              certifier.Encode(secrets.local_copy_password));
      results["LocalCopyFile"] = spec.local_copy_file;
    }
    if (context.log)
      context.log->Log("CA Process", "Internet certifier " + config.certifier_name + " created: ICL " + spec.icl_file +
                                         ", certifier ID " + config.id_file + " (" +
                                         CertifierProtectionName(config.protection) +
                                         (config.require_activation ? ", activation password required)" : ")"));
    return Status::Ok();
  }

  CaStepHook hook_;
};

class ModifyCaConfigurationHandler final : public AdminRequestHandler {
 public:
  explicit ModifyCaConfigurationHandler(std::shared_ptr<CaKeyring> keyring) : keyring_(std::move(keyring)) {}
  std::string Type() const override { return kRequestModifyCaConfiguration; }

  Status Handle(const AdminRequest& request, HandlerContext& context) override {
    if (!context.directory) return Status::Internal("no directory for the handler");
    std::string name = request.Param(kParamCertifier);
    NOTESD_ASSIGN_OR_RETURN(std::optional<InternetCertifierDocument> doc,
                            FindInternetCertifier(*context.directory, name));
    if (!doc) return Status::NotFound("no Internet certifier '" + name + "' in names.nsf");
    NOTESD_ASSIGN_OR_RETURN(Person author, context.directory->FindPerson(request.author));
    NOTESD_RETURN_IF_ERROR(RequireCertifierRole(*context.directory, *doc, author, CertifierRole::kCaa));
    std::vector<std::string> caa = request.ParamList(kParamCaa);
    std::vector<std::string> ra = request.ParamList(kParamRa);
    if (caa.empty() || ra.empty()) return Status::InvalidArgument("a certifier needs at least one CAA and one RA");

    NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<IclDatabase> icl, HandlerIcl(context, doc->base.icl_file, false));
    NOTESD_ASSIGN_OR_RETURN(std::optional<IclConfig> latest, icl->LatestConfig());
    if (!latest) return Status::NotFound(doc->base.icl_file + " holds no CA configuration");
    IclConfig config = *latest;
    if (!EqualsIgnoreCase(latest->request_unid, request.unid)) {  // not yet stored by an earlier run
      config.revision = latest->revision + 1;
      config.caa = caa;
      config.ra = ra;
      config.request_unid = request.unid;
      config.created_by = request.author;
      NOTESD_RETURN_IF_ERROR(keyring_->WithSigner(latest->certifier_name, [&](const CertifierSigner& signer) -> Status {
        auto pem = CertificateToPem(signer.Certificate());
        if (!pem.ok() || *pem != latest->certificate_pem)
          return Status::PermissionDenied("the active key of " + latest->certifier_name + " is not the one in its ICL");
        return signer.SignConfig(config);
      }));
      NOTESD_ASSIGN_OR_RETURN(config, icl->AddConfig(config));
    }
    InternetCertifierDocument updated = *doc;
    updated.caa = config.caa;
    updated.ra = config.ra;
    NOTESD_RETURN_IF_ERROR(PutInternetCertifier(*context.directory, updated, true).status());
    context.results.results["CertifierName"] = config.certifier_name;
    context.results.results["ConfigRevision"] = std::to_string(config.revision);
    return Status::Ok();
  }

 private:
  std::shared_ptr<CaKeyring> keyring_;
};

}  // namespace

std::shared_ptr<AdminRequestHandler> MakeCreateInternetCertifierHandler(CaStepHook hook) {
  return std::make_shared<CreateInternetCertifierHandler>(std::move(hook));
}

std::shared_ptr<AdminRequestHandler> MakeModifyCaConfigurationHandler(std::shared_ptr<CaKeyring> keyring) {
  return std::make_shared<ModifyCaConfigurationHandler>(std::move(keyring));
}

Status RegisterCaAdminHandlers(AdminRequestHandlerRegistry& registry, std::shared_ptr<CaKeyring> keyring) {
  NOTESD_RETURN_IF_ERROR(registry.Add(MakeCreateInternetCertifierHandler()));
  NOTESD_RETURN_IF_ERROR(registry.Add(MakeModifyCaConfigurationHandler(keyring)));
  return registry.Add(MakeAddInternetCertificateHandler(std::move(keyring)));
}

}  // namespace notesd
