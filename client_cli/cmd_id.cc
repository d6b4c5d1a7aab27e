// client_cli/cmd_id.cc — `notes id ...`: what an ID file holds, changing its password
// atomically, and the ID's Internet certificates (as Notes' User Security dialog, "Your
// Identity / Your Certificates"):
//   notes id show [--id FILE] [--json]
//   notes id password [--id FILE] [--new-password P]
//   notes id internet-password [--password-stdin] [--json]
//                                   your Internet password for IMAP, POP3 and SMTP AUTH
//                                   (cmd_internet_password.h)
//   notes id sync [--json]          merge the Internet certificates the server holds for
//                                   you (over your Notes key) and their roots into your ID
//   notes id certificates [--id FILE] [--json]      "Your Internet Certificates" (local)
//   notes id export-cert (--der|--pem) FILE [--serial S] [--id FILE]
//                                   the certificate you send to an outside correspondent
//   notes id export --pkcs12 FILE [--serial S] [--export-password P] [--legacy-3des] [--id FILE]
//                                   Notes key + Internet certificate + issuer chain, for
//                                   other mail programs; a new password protects it
//                                   ($NOTESD_EXPORT_PASSWORD, else asked twice). The
//                                   default is PBES2 AES-256-CBC with PBKDF2 (OpenSSL 3);
//                                   --legacy-3des for gpgsm 2.2 and older programs.
// Exported files are written atomically, never over an existing file; the PKCS#12 with
// mode 0600, the certificate 0644.
#include <iostream>
#include <memory>

#include "client_cli/id_certificates.h"
#include "pki/crypto.h"
#include "pki/x509_certs.h"

#include "client_cli/cli_output.h"
#include "client_cli/cmd_internet_password.h"
#include "client_cli/id_view.h"
#include "client_cli/notes_cli.h"

namespace notesd::client {

namespace {

namespace fs = std::filesystem;

struct IdOptions {
  GlobalOptions* global = nullptr;
  std::optional<std::string> id_file;       // --id
  std::optional<std::string> new_password;  // --new-password
  bool json = false;
  // export-cert / export
  std::string out_file;
  bool der = false, pem = false;
  std::string serial;
  std::optional<std::string> export_password;  // --export-password
  bool legacy_3des = false;
};

Status CheckNewFile(const fs::path& path) {
  std::error_code error;
  if (fs::exists(path, error)) return Status::AlreadyExists(path.string() + " already exists; choose another file");
  fs::path parent = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  if (!fs::is_directory(parent, error)) return Status::NotFound("no directory " + parent.string());
  return Status::Ok();
}

Result<IdFile> LoadUserId(const IdOptions& options, fs::path* path_out = nullptr) {
  ClientContext context(*options.global);
  NOTESD_ASSIGN_OR_RETURN(fs::path path, context.IdPath(options.id_file));
  if (path_out) *path_out = path;
  return context.LoadId(path);
}

int RunShow(const IdOptions& options) {
  ClientContext context(*options.global);
  Result<fs::path> path = context.IdPath(options.id_file);
  if (!path.ok()) return ReportFailure(path.status());
  Result<IdFile> id = context.LoadId(*path);
  if (!id.ok()) return ReportFailure(id.status());
  if (options.json) {
    PrintJson(std::cout, IdToJson(*id, *path));
  } else {
    std::cout << IdToText(*id, *path);
  }
  return kExitOk;
}

int RunPassword(const IdOptions& options) {
  ClientContext context(*options.global);
  Result<fs::path> path = context.IdPath(options.id_file);
  if (!path.ok()) return ReportFailure(path.status());
  std::error_code error;
  if (!fs::exists(*path, error)) return ReportFailure(Status::NotFound("no ID file " + path->string()));
  Result<std::string> old_password = context.UserPassword("Old password for " + path->string() + ": ");
  if (!old_password.ok()) return ReportFailure(old_password.status());
  PasswordKind kind{"new password", "--new-password", "NOTESD_NEW_ID_PASSWORD", "New password: "};
  Result<std::string> new_password = context.NewPassword(options.new_password, kind);
  if (!new_password.ok()) return ReportFailure(new_password.status());
  Status changed = IdFile::ChangePassword(*path, *old_password, *new_password);
  if (!changed.ok()) return ReportFailure(changed);
  if (options.json) {
    PrintJson(std::cout, {{"id_file", path->string()}, {"password_changed", true}});
    return kExitOk;
  }
  std::cout << "The password of " << path->string() << " has been changed.\n";
  return kExitOk;
}

int RunSync(const IdOptions& options) {
  ClientContext context(*options.global);
  std::string password;
  Result<HomeSession> session = OpenHomeSession(context, /*sync=*/false, &password);
  if (!session.ok()) return ReportFailure(session.status());
  Result<CertificateMerge> merged = SyncIdFile(*session, password);
  if (!merged.ok()) return ReportFailure(merged.status());
  if (options.json) {
    PrintJson(std::cout, {{"added", merged->added},
                          {"ignored", merged->ignored},
                          {"roots_added", merged->roots_added},
                          {"already_present", merged->already_present},
                          {"default_set", merged->default_set}});
    return kExitOk;
  }
  for (const std::string& line : merged->added) std::cout << Sanitize(line) << "\n";
  for (const std::string& root : merged->roots_added) std::cout << "Added trusted root " << Sanitize(root) << "\n";
  for (const std::string& line : merged->ignored)
    std::cout << "Ignored " << Sanitize(line) << " (not added to your ID)\n";
  if (merged->default_set) std::cout << "The newest Internet certificate is now your default\n";
  if (!merged->Changed()) std::cout << "Your ID file is up to date\n";
  return kExitOk;
}

int RunCertificates(const IdOptions& options) {
  Result<IdFile> id = LoadUserId(options);
  if (!id.ok()) return ReportFailure(id.status());
  const InternetCertificate* default_cert = id->DefaultInternetCertificate();
  if (options.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const InternetCertificate& entry : id->internet_certificates()) {
      nlohmann::json item = CertificateJson(entry.certificate.get());
      item["emails"] = SubjectAltEmails(entry.certificate.get());
      item["default"] = &entry == default_cert;
      list.push_back(std::move(item));
    }
    PrintJson(std::cout, {{"internet_certificates", list}});
    return kExitOk;
  }
  std::cout << "Your Internet Certificates (" << id->internet_certificates().size() << ")\n";
  if (id->internet_certificates().empty())
    std::cout << "  none (run `notes id sync` after your certificate is issued)\n";
  bool first = true;
  for (const InternetCertificate& entry : id->internet_certificates()) {
    if (!first) std::cout << "\n";
    first = false;
    Fields fields = CertificateFields(entry.certificate.get());
    std::string emails;
    for (const std::string& email : SubjectAltEmails(entry.certificate.get()))
      emails += (emails.empty() ? "" : ", ") + email;
    fields.push_back({"E-mail", emails.empty() ? "none" : emails});
    fields.push_back({"Default", YesNo(&entry == default_cert)});
    for (auto& field : fields) field.second = Sanitize(field.second);
    PrintFields(std::cout, fields, "  ");
  }
  return kExitOk;
}

int RunExportCert(const IdOptions& options) {
  if (options.der == options.pem) return ReportUsage("give exactly one of --der and --pem");
  if (Status fresh = CheckNewFile(options.out_file); !fresh.ok()) return ReportFailure(fresh);
  Result<IdFile> id = LoadUserId(options);
  if (!id.ok()) return ReportFailure(id.status());
  Result<const InternetCertificate*> entry = PickInternetCertificate(*id, options.serial);
  if (!entry.ok()) return ReportFailure(entry.status());
  X509* cert = (*entry)->certificate.get();
  Result<std::string> bytes = options.der ? CertificateToDer(cert) : CertificateToPem(cert);
  if (!bytes.ok()) return ReportFailure(bytes.status());
  if (Status saved = WriteFileAtomic(options.out_file, *bytes, 0644); !saved.ok()) return ReportFailure(saved);
  if (options.json) {
    nlohmann::json out = CertificateJson(cert);
    out["file"] = options.out_file;
    out["format"] = options.der ? "der" : "pem";
    PrintJson(std::cout, out);
    return kExitOk;
  }
  std::cout << "Exported Internet certificate " << Sanitize(SubjectText(cert)) << " (serial " << SerialHex(cert)
            << ") to " << options.out_file << (options.der ? " (DER)" : " (PEM)") << "\n";
  return kExitOk;
}

int RunExportPkcs12(const IdOptions& options) {
  if (Status fresh = CheckNewFile(options.out_file); !fresh.ok()) return ReportFailure(fresh);
  ClientContext context(*options.global);
  Result<IdFile> id = LoadUserId(options);
  if (!id.ok()) return ReportFailure(id.status());
  Result<const InternetCertificate*> entry = PickInternetCertificate(*id, options.serial);
  if (!entry.ok()) return ReportFailure(entry.status());
  PasswordKind kind{"export password", "--export-password", "NOTESD_EXPORT_PASSWORD",
                    "Password for the PKCS#12 file: "};
  Result<std::string> password = context.NewPassword(options.export_password, kind);
  if (!password.ok()) return ReportFailure(password.status());
  X509* cert = (*entry)->certificate.get();
  std::vector<X509Ptr> chain = IssuerChain(*id, cert);
  Result<std::string> p12 = ExportPkcs12(*id, **entry, chain, *password,
                                         options.legacy_3des ? Pkcs12Cipher::kLegacy3Des : Pkcs12Cipher::kAes256);
  if (!p12.ok()) return ReportFailure(p12.status());
  if (Status saved = WriteFileAtomic(options.out_file, *p12, 0600); !saved.ok()) return ReportFailure(saved);
  if (options.json) {
    nlohmann::json issuers = nlohmann::json::array();
    for (const X509Ptr& issuer : chain) issuers.push_back(SubjectText(issuer.get()));
    PrintJson(std::cout, {{"file", options.out_file},
                          {"format", "pkcs12"},
                          {"cipher", options.legacy_3des ? "pbe-sha1-3des" : "aes-256-cbc"},
                          {"certificate", CertificateJson(cert)},
                          {"issuers", issuers}});
    return kExitOk;
  }
  std::cout << "Exported your private key, Internet certificate " << Sanitize(SubjectText(cert)) << " (serial "
            << SerialHex(cert) << ") and " << chain.size() << " issuer certificate(s) to " << options.out_file
            << (options.legacy_3des ? " (PKCS#12, 3DES)" : " (PKCS#12, AES-256)") << "\n";
  return kExitOk;
}

}  // namespace

void AddIdCommands(CLI::App& app, CommandLine& line) {
  CLI::App* id = app.add_subcommand("id", "Your ID file: names, keys, certificates, password");
  id->require_subcommand(1);
  auto options = std::make_shared<IdOptions>();
  options->global = &line.global;

  CLI::App* show =
      id->add_subcommand("show",
                         "Names, key, Notes certificate, trusted roots, cross-certificates and Internet certificates");
  AddOptional(show, "--id", options->id_file, "The ID file (default: the client directory's user.id)");
  show->add_flag("--json", options->json, "Print JSON");
  OnRun(show, line, [options] { return RunShow(*options); });

  CLI::App* password = id->add_subcommand("password", "Change the password of an ID file (atomically)");
  AddOptional(password, "--id", options->id_file, "The ID file (default: the client directory's user.id)");
  AddOptional(password, "--new-password", options->new_password,
              "The new password (default: $NOTESD_NEW_ID_PASSWORD, else asked twice on the terminal)");
  password->add_flag("--json", options->json, "Print JSON");
  OnRun(password, line, [options] { return RunPassword(*options); });

  CLI::App* sync =
      id->add_subcommand("sync",
                         "Add the Internet certificates the server holds for you (and their roots) to your ID file");
  sync->add_flag("--json", options->json, "Print JSON");
  OnRun(sync, line, [options] { return RunSync(*options); });

  AddOwnInternetPasswordCommand(id, line);

  CLI::App* certificates = id->add_subcommand("certificates", "Your Internet certificates (from the ID file only)");
  AddOptional(certificates, "--id", options->id_file, "The ID file (default: the client directory's user.id)");
  certificates->add_flag("--json", options->json, "Print JSON");
  OnRun(certificates, line, [options] { return RunCertificates(*options); });

  CLI::App* export_cert =
      id->add_subcommand("export-cert",
                         "Write your default (or --serial) Internet certificate to FILE, to send to others");
  export_cert->add_option("FILE", options->out_file, "The file to write (must not exist)")->required();
  export_cert->add_flag("--der", options->der, "DER (.cer)");
  export_cert->add_flag("--pem", options->pem, "PEM");
  export_cert->add_option("--serial", options->serial, "The certificate's serial number (hex)");
  AddOptional(export_cert, "--id", options->id_file, "The ID file (default: the client directory's user.id)");
  export_cert->add_flag("--json", options->json, "Print JSON (the certificate written and where)");
  OnRun(export_cert, line, [options] { return RunExportCert(*options); });

  CLI::App* export_all = id->add_subcommand(
      "export", "Write your Notes key, an Internet certificate and its issuers as a password-protected PKCS#12 file");
  export_all->add_option("--pkcs12", options->out_file, "The .p12 file to write (must not exist; mode 0600)")
      ->required();
  export_all->add_option("--serial", options->serial, "The certificate's serial number (hex; default: your default)");
  AddOptional(export_all, "--export-password", options->export_password,
              "Password of the PKCS#12 file (default: $NOTESD_EXPORT_PASSWORD, else asked twice on the terminal)");
  export_all->add_flag("--legacy-3des", options->legacy_3des,
                       "Legacy encryption (PBE-SHA1-3DES, SHA-1 MAC) for gpgsm 2.2 and older mail programs");
  AddOptional(export_all, "--id", options->id_file, "The ID file (default: the client directory's user.id)");
  export_all->add_flag("--json", options->json, "Print JSON (what was written and where)");
  OnRun(export_all, line, [options] { return RunExportPkcs12(*options); });
}

}  // namespace notesd::client
