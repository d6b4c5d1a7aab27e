#include "server/setup.h"

#include <sys/stat.h>

#include <ctime>

#include "pki/crypto.h"
#include "pki/hier_name.h"
#include "pki/id_file.h"
#include "base/identity_keys.h"
#include "base/notes_ini.h"
#include "server/server_config.h"
#include "directory/directory.h"
#include "notes_ini_sample.h"
#include "base/ascii.h"

#ifndef NOTESD_VERSION
#define NOTESD_VERSION "0.0.0"
#endif

namespace notesd {

namespace {

constexpr std::time_t kHour = 3600;
constexpr std::time_t kYear = 365 * 24 * kHour;

Status RefuseIfSetUp(const std::filesystem::path& data_dir) {
  auto ini = NotesIni::Load(data_dir / "notes.ini", nullptr);
  if (ini.ok() && ini->Contains(server_keys::kServerSetup.name))
    return Status::AlreadyExists(data_dir.string() +
                                 " is already set up (ServerSetup=" + *ini->Get(server_keys::kServerSetup.name) +
                                 " in notes.ini); refusing to overwrite it");
  for (const char* file : {"server.id", "cert.id", "names.nsf"})
    if (std::filesystem::exists(data_dir / file))
      return Status::AlreadyExists(data_dir.string() + " already holds " + file + "; refusing to overwrite it");
  return Status::Ok();
}

std::string LowerNoSpaces(const std::string& text) {
  std::string out;
  for (char c : ToLowerAscii(text))
    if (c != ' ') out += c;
  return out;
}

Status FillNames(SetupOptions& o) {
  if (o.organization.empty()) return Status::InvalidArgument("--org is required (the organisation, e.g. Acme)");
  if (o.server_name.empty()) return Status::InvalidArgument("--server-name is required (e.g. Acme01)");
  if (o.admin_name.empty()) return Status::InvalidArgument("--admin-name is required (e.g. \"Jane Admin\")");
  if (o.domain.empty()) o.domain = o.organization;
  std::string common = o.admin_name.substr(0, o.admin_name.find('/'));
  size_t space = common.rfind(' ');
  if (o.admin_short_name.empty())
    o.admin_short_name = space == std::string::npos ? LowerNoSpaces(common)
                                                    : LowerNoSpaces(common.substr(0, 1) + common.substr(space + 1));
  if (o.internet_domain.empty()) {
    size_t at = o.admin_email.find('@');
    o.internet_domain =
        at != std::string::npos ? o.admin_email.substr(at + 1) : LowerNoSpaces(o.organization) + ".example";
  }
  if (o.admin_email.empty()) o.admin_email = o.admin_short_name + "@" + o.internet_domain;
  if (o.admin_email.find('@') == std::string::npos)
    return Status::InvalidArgument("--admin-email '" + o.admin_email + "' is not an Internet address");
  if (o.admin_id_out.empty()) o.admin_id_out = o.data_dir / "ids" / (o.admin_short_name + ".id");
  return Status::Ok();
}

Status FillDefaults(SetupOptions& o) {
  NOTESD_RETURN_IF_ERROR(FillNames(o));
  NOTESD_RETURN_IF_ERROR(CheckSetupPassword("certifier", o.certifier_password));
  return CheckSetupPassword("administrator's", o.admin_password);
}

Result<HierName> NameUnder(const HierName& certifier, const std::string& abbreviated_below) {
  // "Jane Admin/Sales" under O=Acme -> CN=Jane Admin/OU=Sales/O=Acme
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t slash = abbreviated_below.find('/', start);
    parts.push_back(TrimSpaces(abbreviated_below.substr(start, slash - start)));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  std::vector<std::string> units(parts.begin() + 1, parts.end());
  for (const std::string& unit : certifier.OrgUnits()) units.push_back(unit);
  return HierName::FromParts(parts.front(), units, certifier.Organization(), certifier.Country());
}

struct Identities {
  IdFile certifier;
  IdFile server;
  IdFile admin;
};

Result<Identities> MakeIdentities(const SetupOptions& o) {
  NOTESD_ASSIGN_OR_RETURN(KeySpec spec, KeySpec::Parse(o.key_spec));
  std::time_t now = std::time(nullptr);
  NOTESD_ASSIGN_OR_RETURN(HierName org, HierName::FromParts("", {}, o.organization, o.country));
  NOTESD_ASSIGN_OR_RETURN(HierName server_name, NameUnder(org, o.server_name));
  NOTESD_ASSIGN_OR_RETURN(HierName admin_name, NameUnder(org, o.admin_name));
  Identities ids;
  NOTESD_ASSIGN_OR_RETURN(ids.certifier,
                          CreateIdentity(org, IdKind::kCertifier, spec, nullptr, now - kHour, now + 30 * kYear));
  NOTESD_ASSIGN_OR_RETURN(ids.server, CreateIdentity(server_name, IdKind::kServer, spec, &ids.certifier, now - kHour,
                                                     now + 20 * kYear));
  NOTESD_ASSIGN_OR_RETURN(ids.admin, CreateIdentity(admin_name, IdKind::kPerson, spec, &ids.certifier, now - kHour,
                                                    now + 10 * kYear));
  return ids;
}

Status WriteDirectory(const SetupOptions& o, const Identities& ids) {
  NOTESD_ASSIGN_OR_RETURN(auto directory, Directory::Open(o.data_dir / "names.nsf"));
  CertifierDocument certifier;
  certifier.name = ids.certifier.name();
  certifier.type = "Notes";
  NOTESD_ASSIGN_OR_RETURN(certifier.certificate_pem, CertificateToPem(ids.certifier.notes_certificate()));
  certifier.issued_by = ids.certifier.name().Canonical();
  NOTESD_RETURN_IF_ERROR(directory->PutCertifier(certifier).status());

  Person admin;
  admin.name = ids.admin.name();
  std::string common = admin.name.CommonName();
  size_t space = common.rfind(' ');
  admin.first_name = space == std::string::npos ? "" : common.substr(0, space);
  admin.last_name = space == std::string::npos ? common : common.substr(space + 1);
  admin.short_name = o.admin_short_name;
  admin.internet_address = o.admin_email;
  admin.mail_server = ids.server.name().Canonical();
  admin.mail_file = "mail/" + o.admin_short_name + ".nsf";
  admin.mail_domain = o.domain;
  NOTESD_ASSIGN_OR_RETURN(admin.notes_certificate_pem, CertificateToPem(ids.admin.notes_certificate()));
  NOTESD_ASSIGN_OR_RETURN(admin.public_key_pem, PublicKeyToPem(ids.admin.notes_key()));
  NOTESD_RETURN_IF_ERROR(directory->RegisterPerson(admin).status());

  ServerDocument server;
  server.name = ids.server.name();
  server.domain = o.domain;
  server.administrators = {admin.name.Canonical()};
  NOTESD_ASSIGN_OR_RETURN(server.certificate_pem, CertificateToPem(ids.server.notes_certificate()));
  server.net_address = o.http_address + ":" + std::to_string(o.http_port);
  return directory->PutServer(server).status();
}

Status WriteNotesIni(const SetupOptions& o, const Identities& ids) {
  NotesIni ini;
  auto existing = NotesIni::Load(o.data_dir / "notes.ini", nullptr);
  ini = existing.ok() ? std::move(existing).value() : NotesIni::Parse(NotesIniSampleText(), nullptr);
  ini.Set(identity_keys::kServerName.name, ids.server.name().Canonical());
  ini.Set(identity_keys::kDomain.name, o.domain);
  ini.Set(identity_keys::kKeyFileName.name, identity_keys::kKeyFileName.default_value);
  ini.Set(server_keys::kServerTasks.name, o.server_tasks);
  ini.Set("HTTP_Port", std::to_string(o.http_port));
  ini.Set("HTTP_Address", o.http_address);
  ini.Set(server_keys::kServerSetup.name, NOTESD_VERSION);  // last: marks the directory as set up
  return ini.SaveAtomic(o.data_dir / "notes.ini");
}

Status WriteFiles(const SetupOptions& o, const Identities& ids) {
  std::error_code ec;
  std::filesystem::create_directories(o.admin_id_out.parent_path(), ec);
  NOTESD_RETURN_IF_ERROR(ids.certifier.Save(o.data_dir / "cert.id", o.certifier_password));
  NOTESD_RETURN_IF_ERROR(ids.server.Save(o.data_dir / identity_keys::kKeyFileName.default_value, ""));
  NOTESD_RETURN_IF_ERROR(ids.admin.Save(o.admin_id_out, o.admin_password));
  NOTESD_RETURN_IF_ERROR(WriteDirectory(o, ids));
  std::filesystem::create_directories(o.data_dir / "mail", ec);
  return WriteNotesIni(o, ids);
}

// Undoes a set-up that failed halfway, so it can simply be run again.
void RemoveSetupFiles(const SetupOptions& o) {
  std::error_code ignored;
  for (const char* file : {"cert.id", "server.id", "names.nsf", "names.nsf-lock"})
    std::filesystem::remove(o.data_dir / file, ignored);
  std::filesystem::remove(o.admin_id_out, ignored);
}

}  // namespace

const char* NotesIniSampleText() { return kNotesIniSample; }

Status CheckSetupPassword(std::string_view whose, std::string_view password) {
  if (password.empty()) return Status::InvalidArgument("the " + std::string(whose) + " password must not be empty");
  if (password.size() < kMinSetupPasswordLength)
    return Status::InvalidArgument("the " + std::string(whose) + " password is too short: it protects an ID file, " +
                                   "use at least " + std::to_string(kMinSetupPasswordLength) + " characters");
  return Status::Ok();
}

Status CheckSetupBeforePasswords(const SetupOptions& options) {
  SetupOptions o = options;
  NOTESD_RETURN_IF_ERROR(RefuseIfSetUp(o.data_dir));
  NOTESD_RETURN_IF_ERROR(FillNames(o));
  if (std::filesystem::exists(o.admin_id_out))
    return Status::AlreadyExists("the administrator's ID file " + o.admin_id_out.string() + " already exists");
  return KeySpec::Parse(o.key_spec).status();
}

Result<SetupResult> SetUpServer(SetupOptions o) {
  std::error_code ec;
  std::filesystem::create_directories(o.data_dir, ec);
  if (ec) return Status::IOError("cannot create data directory " + o.data_dir.string() + ": " + ec.message());
  ::chmod(o.data_dir.c_str(), 0700);
  NOTESD_RETURN_IF_ERROR(RefuseIfSetUp(o.data_dir));
  NOTESD_RETURN_IF_ERROR(FillDefaults(o));
  if (std::filesystem::exists(o.admin_id_out))
    return Status::AlreadyExists("the administrator's ID file " + o.admin_id_out.string() + " already exists");

  NOTESD_ASSIGN_OR_RETURN(Identities ids, MakeIdentities(o));
  Status written = WriteFiles(o, ids);
  if (!written.ok()) {
    RemoveSetupFiles(o);
    return written;
  }
  return SetupResult{ids.server.name().Canonical(), ids.admin.name().Canonical(), o.admin_id_out};
}

}  // namespace notesd
