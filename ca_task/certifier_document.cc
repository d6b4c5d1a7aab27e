#include "ca_task/certifier_document.h"

#include <algorithm>

#include "base/notes_ini.h"
#include "base/ascii.h"

namespace notesd {

namespace {

// directory/directory.h documents this view: CertifierName canonical, abbreviated and CN.
constexpr char kCertifiersView[] = "($Certifiers)";

std::string LookupKey(std::string_view name) {
  auto parsed = HierName::Parse(TrimSpaces(name));
  return parsed.ok() && !parsed->IsFlat() ? parsed->Canonical() : TrimSpaces(name);
}

Note ToNote(const InternetCertifierDocument& doc) {
  Note note("Certifier");
  note.set_id(doc.base.note_id);
  note.SetText("CertifierName", doc.base.name.Canonical(), kItemNames | kItemSummary);
  note.SetText("CertificateType", "Internet", kItemSummary);
  note.SetText("Certificate", doc.base.certificate_pem);
  note.SetText("IssuedBy", doc.base.issued_by, kItemNames);
  note.SetText("ICLFile", doc.base.icl_file);
  note.SetText("CertifierSubject", doc.subject, kItemSummary);
  note.SetTextList("CAAdministrators", doc.caa, kItemNames);
  note.SetTextList("RegistrationAuthorities", doc.ra, kItemNames);
  note.SetText("CAServer", doc.ca_server, kItemNames);
  note.SetText("CertifierIDFile", doc.id_file);
  note.SetText("AdminPRequestUNID", doc.request_unid);
  return note;
}

Result<InternetCertifierDocument> FromNote(const Note& note) {
  InternetCertifierDocument doc;
  auto name = HierName::Parse(note.GetText("CertifierName"));
  if (!name.ok())
    return Status::Corruption("names.nsf Certifier NoteID " + std::to_string(note.id()) + ": " +
                              name.status().message());
  doc.base.note_id = note.id();
  doc.base.name = *name;
  doc.base.type = note.GetText("CertificateType");
  doc.base.certificate_pem = note.GetText("Certificate");
  doc.base.issued_by = note.GetText("IssuedBy");
  doc.base.icl_file = note.GetText("ICLFile");
  doc.subject = note.GetText("CertifierSubject");
  doc.caa = note.GetTextList("CAAdministrators");
  doc.ra = note.GetTextList("RegistrationAuthorities");
  doc.ca_server = note.GetText("CAServer");
  doc.id_file = note.GetText("CertifierIDFile");
  doc.request_unid = note.GetText("AdminPRequestUNID");
  return doc;
}

Result<std::optional<Note>> LookupCertifierNote(const ReadTxn& txn, std::string_view name) {
  std::string key = LookupKey(name);
  NOTESD_ASSIGN_OR_RETURN(std::vector<Note> notes, txn.Lookup(kCertifiersView, key));
  if (notes.empty()) return std::optional<Note>();
  if (notes.size() > 1)
    return Status::InvalidArgument("'" + key + "' names " + std::to_string(notes.size()) +
                                   " certifiers; give the full hierarchical name");
  return std::optional<Note>(std::move(notes.front()));
}

}  // namespace

Result<std::optional<InternetCertifierDocument>> FindInternetCertifier(Directory& directory, std::string_view name) {
  std::optional<InternetCertifierDocument> found;
  NOTESD_RETURN_IF_ERROR(directory.Database().Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::optional<Note> note, LookupCertifierNote(txn, name));
    if (!note) return Status::Ok();
    if (!EqualsIgnoreCase(note->GetText("CertificateType"), "Internet"))
      return Status::InvalidArgument("'" + std::string(name) + "' is a Notes certifier, not an Internet certifier");
    NOTESD_ASSIGN_OR_RETURN(InternetCertifierDocument doc, FromNote(*note));
    found = std::move(doc);
    return Status::Ok();
  }));
  return found;
}

Result<std::vector<InternetCertifierDocument>> ListInternetCertifiers(Directory& directory) {
  std::vector<InternetCertifierDocument> certifiers;
  NOTESD_RETURN_IF_ERROR(directory.Database().Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries, txn.Scan(kCertifiersView));
    std::vector<NoteId> seen;
    for (const ViewEntry& entry : entries) {
      if (std::find(seen.begin(), seen.end(), entry.id) != seen.end()) continue;
      seen.push_back(entry.id);
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(entry.id));
      if (!EqualsIgnoreCase(note.GetText("CertificateType"), "Internet")) continue;
      NOTESD_ASSIGN_OR_RETURN(InternetCertifierDocument doc, FromNote(note));
      certifiers.push_back(std::move(doc));
    }
    return Status::Ok();
  }));
  std::sort(certifiers.begin(), certifiers.end(), [](const auto& a, const auto& b) {
    return ToLowerAscii(a.base.name.Canonical()) < ToLowerAscii(b.base.name.Canonical());
  });
  return certifiers;
}

Result<InternetCertifierDocument> PutInternetCertifier(Directory& directory, const InternetCertifierDocument& document,
                                                       bool allow_update) {
  if (document.base.name.empty()) return Status::InvalidArgument("a certifier document needs a name");
  Result<InternetCertifierDocument> stored = Status::Internal("unset");
  NOTESD_RETURN_IF_ERROR(directory.Database().Write([&](WriteTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::optional<Note> existing, LookupCertifierNote(txn, document.base.name.Canonical()));
    // The common name alone must not name another certifier either (lookups use it).
    if (!existing && !document.base.name.CommonName().empty()) {
      NOTESD_ASSIGN_OR_RETURN(std::optional<Note> by_cn, LookupCertifierNote(txn, document.base.name.CommonName()));
      if (by_cn)
        return Status::AlreadyExists("a certifier named " + by_cn->GetText("CertifierName") + " already exists");
    }
    Note note = ToNote(document);
    if (existing) {
      bool same_request = !document.request_unid.empty() &&
                          EqualsIgnoreCase(existing->GetText("AdminPRequestUNID"), document.request_unid) &&
                          EqualsIgnoreCase(existing->GetText("CertificateType"), "Internet");
      if (!same_request && !allow_update)
        return Status::AlreadyExists("a certifier named " + existing->GetText("CertifierName") +
                                     " already exists in names.nsf");
      note.set_id(existing->id());
      NOTESD_ASSIGN_OR_RETURN(note, txn.Update(note));
    } else {
      note.set_id(0);
      NOTESD_ASSIGN_OR_RETURN(note, txn.Create(note));
    }
    stored = FromNote(note);
    return stored.status();
  }));
  return stored;
}

const char* CertifierRoleName(CertifierRole role) {
  return role == CertifierRole::kCaa ? "CA administrator (CAA)" : "registration authority (RA)";
}

bool HasCertifierRole(Directory& directory, const InternetCertifierDocument& certifier, const Person& person,
                      CertifierRole role) {
  return directory.NameListIncludes(role == CertifierRole::kCaa ? certifier.caa : certifier.ra, person);
}

Status RequireCertifierRole(Directory& directory, const InternetCertifierDocument& certifier, const Person& person,
                            CertifierRole role) {
  if (HasCertifierRole(directory, certifier, person, role)) return Status::Ok();
  return Status::PermissionDenied(person.name.Abbreviated() + " is not a " + CertifierRoleName(role) +
                                  " of certifier " + certifier.base.name.Abbreviated());
}

Result<std::vector<std::string>> ResolveRoleNames(Directory& directory, const std::vector<std::string>& typed) {
  std::vector<std::string> names;
  for (const std::string& entry : typed) {
    std::string name = TrimSpaces(entry);
    if (name.empty()) continue;
    std::string resolved;
    if (auto person = directory.FindPerson(name); person.ok()) {
      resolved = person->name.Canonical();
    } else if (auto group = directory.FindGroup(name); group.ok()) {
      resolved = group->name;
    } else {
      return person.status().code() == StatusCode::kNotFound
                 ? Status::NotFound("'" + name + "' is neither a person nor a group in the directory")
                 : person.status();
    }
    bool seen =
        std::any_of(names.begin(), names.end(), [&](const std::string& n) { return EqualsIgnoreCase(n, resolved); });
    if (!seen) names.push_back(resolved);
  }
  return names;
}

}  // namespace notesd
