#include "ca_task/icl_database.h"

#include <openssl/err.h>

#include <cstdio>
#include <map>
#include <mutex>

#include "adminp/admin_requests.h"
#include "pki/crypto.h"
#include "base/notes_ini.h"
#include "pki/x509_certs.h"
#include "base/ascii.h"

namespace notesd {

namespace {

constexpr char kConfigForm[] = "CAConfiguration";
constexpr char kIssuedForm[] = "IssuedCertificate";
constexpr char kCrlForm[] = "CRL";
constexpr char kConfigView[] = "($Config)";
constexpr char kSerialsView[] = "($Serials)";
constexpr char kCrlView[] = "($CRLs)";
constexpr char kByRequestView[] = "($ByRequest)";
constexpr char kByPersonView[] = "($ByPerson)";
constexpr std::size_t kSerialBytes = 16;
constexpr int kSerialAttempts = 16;
constexpr TimeMicros kMicros = 1'000'000;

bool IsForm(const Note& note, std::string_view form) { return EqualsIgnoreCase(note.form(), form); }

std::string Padded(int64_t number, int width) {
  char text[32];
  std::snprintf(text, sizeof text, "%0*lld", width, static_cast<long long>(number));
  return text;
}

std::vector<ViewDefinition> IclViews() {
  return {
      {kConfigView,
       [](const Note& note) {
         return IsForm(note, kConfigForm)
                    ? std::vector<std::string>{Padded(static_cast<int64_t>(note.GetNumber("ConfigRevision")), 10)}
                    : std::vector<std::string>{};
       },
       true, 1},
      {kSerialsView,
       [](const Note& note) {
         return IsForm(note, kIssuedForm) ? std::vector<std::string>{note.GetText("SerialNumber")}
                                          : std::vector<std::string>{};
       },
       true, 1},
      {kCrlView,
       [](const Note& note) {
         return IsForm(note, kCrlForm)
                    ? std::vector<std::string>{Padded(static_cast<int64_t>(note.GetNumber("CRLNumber")), 20)}
                    : std::vector<std::string>{};
       },
       true, 1},
      {kByRequestView,
       [](const Note& note) {
         return IsForm(note, kIssuedForm) ? std::vector<std::string>{note.GetText("AdminPRequestUNID")}
                                          : std::vector<std::string>{};
       },
       true, 1},
      {kByPersonView,
       [](const Note& note) {
         return IsForm(note, kIssuedForm) ? std::vector<std::string>{note.GetText("PersonName")}
                                          : std::vector<std::string>{};
       },
       true, 1},
  };
}

Bytes ToBytes(const std::string& text) { return Bytes(text.begin(), text.end()); }
std::string FromBytes(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

Note ConfigToNote(const IclConfig& c) {
  Note note(kConfigForm);
  note.set_id(c.note_id);
  note.SetNumber("ConfigRevision", c.revision, kItemSummary);
  note.SetText("CertifierName", c.certifier_name, kItemNames | kItemSummary);
  note.SetText("CertifierSubject", c.subject, kItemSummary);
  note.SetText("CertificateType", "Internet", kItemSummary);
  note.SetText("Certificate", c.certificate_pem);
  note.SetText("KeyAlgorithm", c.key_algorithm);
  note.SetNumber("ValidityYears", c.validity_years);
  note.SetNumber("CRLDurationDays", c.crl_duration_days);
  note.SetNumber("CRLIntervalHours", c.crl_interval_hours);
  note.SetText("CertifierIDFile", c.id_file);
  note.SetBinary("CertifierID", ToBytes(c.id_image));
  note.SetText("EncryptWith", CertifierProtectionName(c.protection));
  note.SetText("RequireActivation", c.require_activation ? "Yes" : "No");
  note.SetBinary("WrappedIDPassword", ToBytes(c.wrapped_id_password));
  note.SetTextList("CAAdministrators", c.caa, kItemNames);
  note.SetTextList("RegistrationAuthorities", c.ra, kItemNames);
  note.SetText("CAServer", c.ca_server, kItemNames);
  note.SetText("AdminPRequestUNID", c.request_unid);
  note.SetText("OriginRequestUNID", c.origin_request_unid);
  note.SetText("CreatedBy", c.created_by, kItemNames);
  note.SetBinary("$Signature", ToBytes(c.signature));
  return note;
}

Result<IclConfig> ConfigFromNote(const Note& note) {
  IclConfig c;
  c.note_id = note.id();
  c.unid = note.unid();
  c.revision = static_cast<int>(note.GetNumber("ConfigRevision"));
  c.certifier_name = note.GetText("CertifierName");
  c.subject = note.GetText("CertifierSubject");
  c.certificate_pem = note.GetText("Certificate");
  c.key_algorithm = note.GetText("KeyAlgorithm");
  c.validity_years = static_cast<int>(note.GetNumber("ValidityYears"));
  c.crl_duration_days = static_cast<int>(note.GetNumber("CRLDurationDays"));
  c.crl_interval_hours = static_cast<int>(note.GetNumber("CRLIntervalHours"));
  c.id_file = note.GetText("CertifierIDFile");
  c.id_image = FromBytes(note.GetBinary("CertifierID"));
  auto protection = ParseCertifierProtection(note.GetText("EncryptWith"));
  if (!protection.ok()) return Status::Corruption("ICL configuration: " + protection.status().message());
  c.protection = *protection;
  c.require_activation = EqualsIgnoreCase(note.GetText("RequireActivation"), "Yes");
  c.wrapped_id_password = FromBytes(note.GetBinary("WrappedIDPassword"));
  c.caa = note.GetTextList("CAAdministrators");
  c.ra = note.GetTextList("RegistrationAuthorities");
  c.ca_server = note.GetText("CAServer");
  c.request_unid = note.GetText("AdminPRequestUNID");
  c.origin_request_unid = note.GetText("OriginRequestUNID");
  c.created_by = note.GetText("CreatedBy");
  c.signature = FromBytes(note.GetBinary("$Signature"));
  return c;
}

Note IssuedToNote(const IssuedCertificate& issued) {
  Note note(kIssuedForm);
  note.set_id(issued.note_id);
  note.SetText("SerialNumber", issued.serial_hex, kItemSummary);
  note.SetText("Subject", issued.subject, kItemSummary);
  note.SetTime("NotBefore", static_cast<TimeMicros>(issued.not_before) * kMicros);
  note.SetTime("NotAfter", static_cast<TimeMicros>(issued.not_after) * kMicros);
  note.SetText("CertStatus", CertStatusName(issued.status), kItemSummary);
  note.SetText("Certificate", issued.certificate_pem);
  note.SetTime("RevokedAt", static_cast<TimeMicros>(issued.revoked_at) * kMicros);
  note.SetNumber("RevocationReason", issued.revocation_reason);
  note.SetText("AdminPRequestUNID", issued.request_unid);
  note.SetText("PersonName", issued.person_name, kItemNames | kItemSummary);
  return note;
}

IssuedCertificate IssuedFromNote(const Note& note) {
  IssuedCertificate issued;
  issued.note_id = note.id();
  issued.serial_hex = note.GetText("SerialNumber");
  issued.subject = note.GetText("Subject");
  issued.not_before = static_cast<std::time_t>(note.GetTime("NotBefore") / kMicros);
  issued.not_after = static_cast<std::time_t>(note.GetTime("NotAfter") / kMicros);
  std::string status = note.GetText("CertStatus");
  issued.status = EqualsIgnoreCase(status, "Valid")     ? CertStatus::kValid
                  : EqualsIgnoreCase(status, "Revoked") ? CertStatus::kRevoked
                                                        : CertStatus::kReserved;
  issued.certificate_pem = note.GetText("Certificate");
  issued.revoked_at = static_cast<std::time_t>(note.GetTime("RevokedAt") / kMicros);
  issued.revocation_reason = static_cast<int>(note.GetNumber("RevocationReason"));
  issued.request_unid = note.GetText("AdminPRequestUNID");
  issued.person_name = note.GetText("PersonName");
  return issued;
}

Note CrlToNote(const CrlRecord& crl) {
  Note note(kCrlForm);
  note.set_id(crl.note_id);
  note.SetNumber("CRLNumber", static_cast<double>(crl.number), kItemSummary);
  note.SetText("Regular", crl.regular ? "Yes" : "No", kItemSummary);
  note.SetTime("ThisUpdate", static_cast<TimeMicros>(crl.this_update) * kMicros);
  note.SetTime("NextUpdate", static_cast<TimeMicros>(crl.next_update) * kMicros);
  note.SetNumber("RevokedCount", crl.revoked_count);
  note.SetBinary("CRL", ToBytes(crl.der));
  return note;
}

CrlRecord CrlFromNote(const Note& note) {
  CrlRecord crl;
  crl.note_id = note.id();
  crl.number = static_cast<int64_t>(note.GetNumber("CRLNumber"));
  crl.regular = EqualsIgnoreCase(note.GetText("Regular"), "Yes");
  crl.this_update = static_cast<std::time_t>(note.GetTime("ThisUpdate") / kMicros);
  crl.next_update = static_cast<std::time_t>(note.GetTime("NextUpdate") / kMicros);
  crl.revoked_count = static_cast<int>(note.GetNumber("RevokedCount"));
  crl.der = FromBytes(note.GetBinary("CRL"));
  return crl;
}

// The note under the last key of a view, if any.
Result<std::optional<Note>> LastInView(const ReadTxn& txn, std::string_view view) {
  NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries, txn.Scan(view));
  if (entries.empty()) return std::optional<Note>();
  NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(entries.back().id));
  return std::optional<Note>(std::move(note));
}

Result<std::optional<Note>> FindSerialNote(const ReadTxn& txn, const std::string& serial_hex) {
  NOTESD_ASSIGN_OR_RETURN(std::vector<Note> notes, txn.Lookup(kSerialsView, serial_hex));
  if (notes.empty()) return std::optional<Note>();
  return std::optional<Note>(std::move(notes.front()));
}

void AppendField(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ':';
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += '\n';
}

void AppendList(std::string& out, std::string_view name, const std::vector<std::string>& values) {
  std::string joined;
  for (const std::string& value : values) AppendField(joined, "-", value);
  AppendField(out, name, joined);
}

Result<std::string> RandomSerial() {
  NOTESD_ASSIGN_OR_RETURN(std::string bytes, RandomBytes(kSerialBytes));
  bytes[0] = static_cast<char>((static_cast<unsigned char>(bytes[0]) & 0x7f) | 0x40);
  return ToUpperAscii(HexEncode(bytes));
}

}  // namespace

const char* CertStatusName(CertStatus status) {
  switch (status) {
    case CertStatus::kReserved: return "Reserved";
    case CertStatus::kValid: return "Valid";
    case CertStatus::kRevoked: return "Revoked";
  }
  return "?";
}

std::string IclConfig::SignedBytes() const {
  std::string out = "notesd-icl-config-v1\n";
  AppendField(out, "revision", std::to_string(revision));
  AppendField(out, "name", certifier_name);
  AppendField(out, "subject", subject);
  AppendField(out, "certificate", certificate_pem);
  AppendField(out, "key", key_algorithm);
  AppendField(out, "validity", std::to_string(validity_years));
  AppendField(out, "crl_duration", std::to_string(crl_duration_days));
  AppendField(out, "crl_interval", std::to_string(crl_interval_hours));
  AppendField(out, "id_file", id_file);
  AppendField(out, "id_image", id_image);
  AppendField(out, "protection", CertifierProtectionName(protection));
  AppendField(out, "activation", require_activation ? "Yes" : "No");
  AppendField(out, "wrapped", wrapped_id_password);
  AppendList(out, "caa", caa);
  AppendList(out, "ra", ra);
  AppendField(out, "server", ca_server);
  AppendField(out, "request", request_unid);
  AppendField(out, "origin", origin_request_unid);
  AppendField(out, "created_by", created_by);
  return out;
}

Status SignIclConfig(IclConfig& config, EVP_PKEY* key) {
  std::string data = config.SignedBytes();
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1)
    return Status::Internal("cannot sign the CA configuration: " + OpenSslErrors());
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    return Status::Internal("cannot sign the CA configuration: " + OpenSslErrors());
  signature.resize(length);
  config.signature = std::move(signature);
  return Status::Ok();
}

Status VerifyIclConfig(const IclConfig& config, EVP_PKEY* public_key) {
  std::string data = config.SignedBytes();
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  bool good =
      ctx && !config.signature.empty() &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, public_key) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(config.signature.data()),
                       config.signature.size(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  ERR_clear_error();
  if (!good)
    return Status::PermissionDenied("the CA configuration of " + config.certifier_name +
                                    " has been changed outside the CA (its signature does not verify)");
  return Status::Ok();
}

Result<std::unique_ptr<IclDatabase>> IclDatabase::Open(const std::filesystem::path& path, bool create,
                                                       std::function<int64_t()> clock) {
  std::error_code ignored;
  std::filesystem::path canonical = std::filesystem::weakly_canonical(path, ignored);
  if (canonical.empty()) canonical = path;
  if (!create && !std::filesystem::exists(canonical, ignored))
    return Status::NotFound("ICL database " + path.string() + " does not exist");
  if (create) std::filesystem::create_directories(canonical.parent_path(), ignored);
  NsfOptions options;
  options.title = "Issued Certificate List";
  options.clock = std::move(clock);
  options.create_if_missing = create;
  options.views = IclViews();
  options.initial_map_size = std::size_t{4} << 20;
  NOTESD_ASSIGN_OR_RETURN(auto db, NsfDatabase::Open(canonical, std::move(options)));
  return std::unique_ptr<IclDatabase>(new IclDatabase(std::move(db)));
}

Result<std::shared_ptr<IclDatabase>> HandlerIcl(const HandlerContext& context, const std::string& icl_file,
                                                bool create) {
  if (!context.databases) return Status::Internal("no database set to open " + icl_file + " from");
  return OpenIcl(*context.databases, context.data_dir / icl_file, create);
}

Result<std::shared_ptr<IclDatabase>> OpenIcl(DatabaseSet& databases, const std::filesystem::path& path, bool create) {
  return databases.Get<IclDatabase>(path, [create, &databases](const std::filesystem::path& canonical) {
    return IclDatabase::Open(canonical, create, databases.NoteClock());
  });
}

Result<std::optional<IclConfig>> IclDatabase::LatestConfig() const {
  std::optional<IclConfig> config;
  NOTESD_RETURN_IF_ERROR(db_->Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::optional<Note> note, LastInView(txn, kConfigView));
    if (!note) return Status::Ok();
    NOTESD_ASSIGN_OR_RETURN(IclConfig parsed, ConfigFromNote(*note));
    config = std::move(parsed);
    return Status::Ok();
  }));
  return config;
}

Result<IclConfig> IclDatabase::AddConfig(const IclConfig& config) {
  if (config.signature.empty()) return Status::InvalidArgument("a CA configuration must be signed by its certifier");
  Result<IclConfig> stored = Status::Internal("unset");
  NOTESD_RETURN_IF_ERROR(db_->Write([&](WriteTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::optional<Note> latest, LastInView(txn, kConfigView));
    int expected = latest ? static_cast<int>(latest->GetNumber("ConfigRevision")) + 1 : 1;
    if (config.revision != expected)
      return Status::AlreadyExists(path().filename().string() + " already holds CA configuration revision " +
                                   std::to_string(expected - 1) + "; cannot store revision " +
                                   std::to_string(config.revision));
    IclConfig fresh = config;
    fresh.note_id = 0;
    fresh.unid.clear();
    NOTESD_ASSIGN_OR_RETURN(Note note, txn.Create(ConfigToNote(fresh)));
    stored = ConfigFromNote(note);
    return stored.status();
  }));
  return stored;
}

Result<std::string> IclDatabase::ReserveSerial(const std::string& request_unid, const std::string& person_name) {
  NOTESD_ASSIGN_OR_RETURN(std::vector<std::string> serials,
                          ReserveSerials({SerialReservation{request_unid, person_name}}));
  return std::move(serials.front());
}

Result<std::vector<std::string>> IclDatabase::ReserveSerials(const std::vector<SerialReservation>& reservations) {
  std::vector<std::string> serials;
  NOTESD_RETURN_IF_ERROR(db_->Write([&](WriteTxn& txn) -> Status {
    serials.clear();  // the body may run again after the map grew
    for (const SerialReservation& reservation : reservations) {
      bool reserved = false;
      for (int attempt = 0; attempt < kSerialAttempts && !reserved; ++attempt) {
        NOTESD_ASSIGN_OR_RETURN(std::string serial, RandomSerial());
        // Reserved earlier in this transaction too: the view sees the transaction's writes.
        NOTESD_ASSIGN_OR_RETURN(std::optional<Note> clash, FindSerialNote(txn, serial));
        if (clash) continue;
        IssuedCertificate entry;
        entry.serial_hex = serial;
        entry.status = CertStatus::kReserved;
        entry.request_unid = reservation.request_unid;
        entry.person_name = reservation.person_name;
        NOTESD_RETURN_IF_ERROR(txn.Create(IssuedToNote(entry)).status());
        serials.push_back(std::move(serial));
        reserved = true;
      }
      if (!reserved) return Status::Internal("cannot find an unused serial number (the random generator is broken)");
    }
    return Status::Ok();
  }));
  return serials;
}

Status IclDatabase::RecordIssued(const std::string& serial_hex, X509* certificate) {
  if (certificate == nullptr) return Status::InvalidArgument("no certificate to record");
  if (!EqualsIgnoreCase(SerialHex(certificate), serial_hex))
    return Status::InvalidArgument("the certificate's serial " + SerialHex(certificate) + " is not " + serial_hex);
  NOTESD_ASSIGN_OR_RETURN(std::vector<Status> recorded, RecordIssuedMany({certificate}));
  return recorded.front();
}

Result<std::vector<Status>> IclDatabase::RecordIssuedMany(const std::vector<X509*>& certificates) {
  // Everything that needs OpenSSL is read before the transaction, which stays short.
  struct Prepared {
    Status status;
    std::string serial;
    std::string pem;
    std::string subject;
    std::time_t not_before = 0;
    std::time_t not_after = 0;
  };
  std::vector<Prepared> prepared(certificates.size());
  for (std::size_t i = 0; i < certificates.size(); ++i) {
    Prepared& one = prepared[i];
    X509* certificate = certificates[i];
    if (certificate == nullptr) {
      one.status = Status::InvalidArgument("no certificate to record");
      continue;
    }
    one.serial = ToUpperAscii(SerialHex(certificate));
    one.subject = SubjectText(certificate);
    Result<std::string> pem = CertificateToPem(certificate);
    Result<std::time_t> not_before = NotBefore(certificate);
    Result<std::time_t> not_after = NotAfter(certificate);
    if (!pem.ok() || !not_before.ok() || !not_after.ok()) {
      one.status = !pem.ok() ? pem.status() : !not_before.ok() ? not_before.status() : not_after.status();
      continue;
    }
    one.pem = std::move(*pem);
    one.not_before = *not_before;
    one.not_after = *not_after;
  }
  std::vector<Status> outcomes;
  NOTESD_RETURN_IF_ERROR(db_->Write([&](WriteTxn& txn) -> Status {
    outcomes.clear();  // the body may run again after the map grew
    for (const Prepared& one : prepared) {
      if (!one.status.ok()) {
        outcomes.push_back(one.status);
        continue;
      }
      NOTESD_ASSIGN_OR_RETURN(std::optional<Note> note, FindSerialNote(txn, one.serial));
      if (!note) {
        outcomes.push_back(
            Status::NotFound("serial " + one.serial + " was not reserved in " + path().filename().string()));
        continue;
      }
      IssuedCertificate issued = IssuedFromNote(*note);
      issued.subject = one.subject;
      issued.not_before = one.not_before;
      issued.not_after = one.not_after;
      issued.status = CertStatus::kValid;
      issued.certificate_pem = one.pem;
      NOTESD_RETURN_IF_ERROR(txn.Update(IssuedToNote(issued)).status());
      outcomes.push_back(Status::Ok());
    }
    return Status::Ok();
  }));
  return outcomes;
}

Status IclDatabase::Revoke(const std::string& serial_hex, std::time_t at, int reason) {
  return RevokeMany({serial_hex}, at, reason).status();
}

Result<std::vector<IssuedCertificate>> IclDatabase::RevokeMany(const std::vector<std::string>& serials, std::time_t at,
                                                               int reason) {
  std::vector<IssuedCertificate> revoked;
  NOTESD_RETURN_IF_ERROR(db_->Write([&](WriteTxn& txn) -> Status {
    revoked.clear();  // the body may run again after the map grew
    for (const std::string& serial_hex : serials) {
      NOTESD_ASSIGN_OR_RETURN(std::optional<Note> note, FindSerialNote(txn, ToUpperAscii(serial_hex)));
      if (!note)
        return Status::NotFound("no certificate with serial " + serial_hex + " in " + path().filename().string());
      IssuedCertificate issued = IssuedFromNote(*note);
      if (issued.status != CertStatus::kValid)
        return Status::InvalidArgument("certificate " + serial_hex + " is " + CertStatusName(issued.status) +
                                       ", not Valid");
      issued.status = CertStatus::kRevoked;
      issued.revoked_at = at;
      issued.revocation_reason = reason;
      NOTESD_ASSIGN_OR_RETURN(Note stored, txn.Update(IssuedToNote(issued)));
      revoked.push_back(IssuedFromNote(stored));
    }
    return Status::Ok();
  }));
  return revoked;
}

Result<std::vector<std::vector<IssuedCertificate>>> IclDatabase::ForRequests(
    const std::vector<std::string>& request_unids) const {
  std::vector<std::vector<IssuedCertificate>> found;
  NOTESD_RETURN_IF_ERROR(db_->Read([&](const ReadTxn& txn) -> Status {
    for (const std::string& unid : request_unids) {
      std::vector<IssuedCertificate> entries;
      if (!unid.empty()) {
        NOTESD_ASSIGN_OR_RETURN(std::vector<Note> notes, txn.Lookup(kByRequestView, unid));
        for (const Note& note : notes) entries.push_back(IssuedFromNote(note));
      }
      found.push_back(std::move(entries));
    }
    return Status::Ok();
  }));
  return found;
}

Result<std::vector<IssuedCertificate>> IclDatabase::ForPerson(const std::string& person_name) const {
  std::vector<IssuedCertificate> found;
  if (person_name.empty()) return found;
  NOTESD_RETURN_IF_ERROR(db_->Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::vector<Note> notes, txn.Lookup(kByPersonView, person_name));
    for (const Note& note : notes) found.push_back(IssuedFromNote(note));
    return Status::Ok();
  }));
  return found;
}

Result<std::optional<IssuedCertificate>> IclDatabase::FindSerial(const std::string& serial_hex) const {
  std::optional<IssuedCertificate> found;
  NOTESD_RETURN_IF_ERROR(db_->Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::optional<Note> note, FindSerialNote(txn, ToUpperAscii(serial_hex)));
    if (note) found = IssuedFromNote(*note);
    return Status::Ok();
  }));
  return found;
}

Result<std::vector<IssuedCertificate>> IclDatabase::Issued() const {
  std::vector<IssuedCertificate> issued;
  NOTESD_RETURN_IF_ERROR(db_->Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries, txn.Scan(kSerialsView));
    for (const ViewEntry& entry : entries) {
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(entry.id));
      issued.push_back(IssuedFromNote(note));
    }
    return Status::Ok();
  }));
  return issued;
}

Result<std::optional<CrlRecord>> IclDatabase::LatestCrl(std::optional<bool> regular) const {
  std::optional<CrlRecord> latest;
  NOTESD_RETURN_IF_ERROR(db_->Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries, txn.Scan(kCrlView));
    for (auto entry = entries.rbegin(); entry != entries.rend(); ++entry) {
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(entry->id));
      CrlRecord crl = CrlFromNote(note);
      if (regular && crl.regular != *regular) continue;
      latest = std::move(crl);
      break;
    }
    return Status::Ok();
  }));
  return latest;
}

Result<CrlRecord> IclDatabase::AddCrl(const CrlRecord& crl) {
  CrlRecord stored;
  NOTESD_RETURN_IF_ERROR(db_->Write([&](WriteTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::optional<Note> latest, LastInView(txn, kCrlView));
    int64_t expected = latest ? static_cast<int64_t>(latest->GetNumber("CRLNumber")) + 1 : 1;
    if (crl.number != expected)
      return Status::AlreadyExists("CRL number " + std::to_string(crl.number) + " is not the next one (" +
                                   std::to_string(expected) + ") in " + path().filename().string());
    CrlRecord fresh = crl;
    fresh.note_id = 0;
    NOTESD_ASSIGN_OR_RETURN(Note note, txn.Create(CrlToNote(fresh)));
    stored = CrlFromNote(note);
    return Status::Ok();
  }));
  return stored;
}

Result<X509CrlPtr> BuildCrl(X509* issuer, EVP_PKEY* issuer_key, int64_t number, std::time_t this_update,
                            std::time_t next_update, const std::vector<IssuedCertificate>& revoked) {
  if (issuer == nullptr || issuer_key == nullptr)
    return Status::InvalidArgument("a CRL needs its issuer's certificate and key");
  X509CrlPtr crl(X509_CRL_new());
  Asn1TimePtr last(ASN1_TIME_set(nullptr, this_update));
  Asn1TimePtr next(ASN1_TIME_set(nullptr, next_update));
  if (!crl || !last || !next || X509_CRL_set_version(crl.get(), 1) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer)) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 || X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1)
    return Status::Internal("cannot start a CRL: " + OpenSslErrors());
  for (const IssuedCertificate& entry : revoked) {
    BIGNUM* parsed = nullptr;
    if (BN_hex2bn(&parsed, entry.serial_hex.c_str()) == 0)
      return Status::Corruption("bad serial " + entry.serial_hex + " in the ICL");
    BignumPtr serial_number(parsed);
    Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(serial_number.get(), nullptr));
    Asn1TimePtr when(ASN1_TIME_set(nullptr, entry.revoked_at));
    X509_REVOKED* item = X509_REVOKED_new();
    std::unique_ptr<ASN1_ENUMERATED, OpenSslFree<&ASN1_ENUMERATED_free>> reason(ASN1_ENUMERATED_new());
    if (item == nullptr || !serial || !when || !reason || X509_REVOKED_set_serialNumber(item, serial.get()) != 1 ||
        X509_REVOKED_set_revocationDate(item, when.get()) != 1 ||
        ASN1_ENUMERATED_set(reason.get(), entry.revocation_reason) != 1 ||
        X509_REVOKED_add1_ext_i2d(item, NID_crl_reason, reason.get(), 0, 0) != 1 ||
        X509_CRL_add0_revoked(crl.get(), item) != 1) {
      X509_REVOKED_free(item);
      return Status::Internal("cannot add a revoked certificate to the CRL: " + OpenSslErrors());
    }
  }
  X509_CRL_sort(crl.get());
  Asn1IntegerPtr crl_number(ASN1_INTEGER_new());
  if (!crl_number || ASN1_INTEGER_set_int64(crl_number.get(), number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, crl_number.get(), 0, 0) != 1)
    return Status::Internal("cannot number the CRL: " + OpenSslErrors());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, nullptr, nullptr, crl.get(), 0);
  X509ExtensionPtr aki(X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  if (!aki || X509_CRL_add_ext(crl.get(), aki.get(), -1) != 1)
    return Status::Internal("cannot add the CRL's authority key id: " + OpenSslErrors());
  if (X509_CRL_sign(crl.get(), issuer_key, EVP_sha256()) <= 0)
    return Status::Internal("cannot sign the CRL: " + OpenSslErrors());
  return crl;
}

Result<CrlRecord> IssueCrl(IclDatabase& icl, const IclConfig& config, X509* issuer, EVP_PKEY* issuer_key,
                           std::time_t now, bool regular) {
  NOTESD_ASSIGN_OR_RETURN(std::vector<IssuedCertificate> issued, icl.Issued());
  std::vector<IssuedCertificate> revoked;
  for (IssuedCertificate& entry : issued)
    if (entry.status == CertStatus::kRevoked) revoked.push_back(std::move(entry));
  NOTESD_ASSIGN_OR_RETURN(std::optional<CrlRecord> latest, icl.LatestCrl());
  CrlRecord record;
  record.number = latest ? latest->number + 1 : 1;
  record.regular = regular;
  record.this_update = now;
  record.next_update = now + static_cast<std::time_t>(config.crl_duration_days) * 24 * 3600;
  record.revoked_count = static_cast<int>(revoked.size());
  NOTESD_ASSIGN_OR_RETURN(X509CrlPtr crl,
                          BuildCrl(issuer, issuer_key, record.number, record.this_update, record.next_update, revoked));
  unsigned char* der = nullptr;
  int length = i2d_X509_CRL(crl.get(), &der);
  if (length <= 0) return Status::Internal("cannot encode the CRL: " + OpenSslErrors());
  record.der.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return icl.AddCrl(record);
}

}  // namespace notesd
