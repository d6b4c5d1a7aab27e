// client_cli/contacts_store.cc — names.nsf contacts and signed cross-certificates.
#include "client_cli/contacts_store.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

#include "pki/crypto.h"
#include "pki/x509_certs.h"
#include "base/ascii.h"

namespace notesd::client {

namespace {

std::string Fingerprint(X509* cert) {
  Result<std::string> fingerprint = CertificateFingerprint(cert, DigestAlgorithm::kSha256);
  return fingerprint.ok() ? *fingerprint : std::string();
}

std::vector<ViewDefinition> Views() {
  ViewDefinition by_name{kContactsByNameView,
                         [](const Note& note) -> std::vector<std::string> {
                           if (note.form() != kContactForm) return {};
                           return {note.GetText("FullName")};
                         },
                         true, 1};
  ViewDefinition by_address{kContactsByAddressView,
                            [](const Note& note) -> std::vector<std::string> {
                              if (note.form() != kContactForm) return {};
                              std::vector<std::string> keys = note.GetTextList("CertificateAddresses");
                              keys.push_back(note.GetText("InternetAddress"));
                              return keys;
                            },
                            true, 1};
  ViewDefinition by_fingerprint{kByFingerprintView,
                                [](const Note& note) -> std::vector<std::string> {
                                  if (note.form() == kContactForm) return note.GetTextList("CertificateFingerprints");
                                  if (note.form() == kCrossCertificateForm) return {note.GetText("Fingerprint")};
                                  return {};
                                },
                                true, 1};
  return {by_name, by_address, by_fingerprint};
}

// Rewrites the certificate items of a contact note from `certs`.
void SetCertificates(Note& note, const std::vector<X509*>& certs) {
  std::vector<std::string> pems, fingerprints, addresses;
  for (X509* cert : certs) {
    Result<std::string> pem = CertificateToPem(cert);
    if (!pem.ok()) continue;
    pems.push_back(*pem);
    fingerprints.push_back(Fingerprint(cert));
    for (const std::string& email : SubjectAltEmails(cert)) {
      if (std::find_if(addresses.begin(), addresses.end(),
                       [&](const std::string& a) { return EqualsIgnoreCase(a, email); }) == addresses.end())
        addresses.push_back(email);
    }
  }
  note.SetTextList("UserCertificate", std::move(pems));
  note.SetTextList("CertificateFingerprints", std::move(fingerprints));
  note.SetTextList("CertificateAddresses", std::move(addresses));
}

Contact ContactFromNote(const Note& note) {
  Contact contact;
  contact.id = note.id();
  contact.unid = note.unid();
  contact.full_name = note.GetText("FullName");
  contact.internet_address = note.GetText("InternetAddress");
  contact.created = note.created();
  contact.modified = note.modified();
  for (const std::string& pem : note.GetTextList("UserCertificate")) {
    Result<X509Ptr> cert = CertificateFromPem(pem);
    if (cert.ok()) {
      contact.certificates.push_back(std::move(cert).value());
    } else {
      ++contact.unreadable_certificates;
    }
  }
  return contact;
}

CrossCertificateRecord CrossFromNote(const Note& note, EVP_PKEY* verifying_key) {
  CrossCertificateRecord record;
  record.id = note.id();
  record.unid = note.unid();
  record.subject = note.GetText("Subject");
  record.emails = note.GetTextList("InternetAddresses");
  record.fingerprint = note.GetText("Fingerprint");
  record.created_by = note.GetText("CreatedBy");
  record.created_at = note.GetTime("CreatedAt");
  Result<CrossScope> scope = ParseCrossScope(note.GetText("Scope"));
  if (scope.ok()) record.scope = *scope;
  Result<X509Ptr> cert = CertificateFromPem(note.GetText("Certificate"));
  if (cert.ok()) record.certificate = std::move(cert).value();
  if (!scope.ok()) {
    record.problem = "its scope '" + note.GetText("Scope") + "' is neither sender nor ca";
  } else if (!record.certificate) {
    record.problem = "its certificate cannot be read";
  } else if (!EqualsIgnoreCase(Fingerprint(record.certificate.get()), record.fingerprint)) {
    record.problem = "its certificate does not match its fingerprint";
  } else if (verifying_key == nullptr) {
    record.problem = "no key to check its signature";
  } else if (Status verified = VerifyCrossCertificate(note, verifying_key); !verified.ok()) {
    record.problem = verified.message();
  } else {
    record.valid = true;
  }
  return record;
}

void AppendField(std::string& out, std::string_view field) {
  const auto size = static_cast<std::uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((size >> shift) & 0xFF));
  out.append(field);
}

bool IsHexText(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':';
  });
}

std::string PlainHex(std::string_view text) {
  std::string out;
  for (char c : text)
    if (c != ':') out.push_back(AsciiToLower(c));
  return out;
}

}  // namespace

Contact::Contact(const Contact& other)
    : id(other.id),
      unid(other.unid),
      full_name(other.full_name),
      internet_address(other.internet_address),
      unreadable_certificates(other.unreadable_certificates),
      created(other.created),
      modified(other.modified) {
  for (const X509Ptr& cert : other.certificates) certificates.push_back(UpRef(cert.get()));
}

Contact& Contact::operator=(const Contact& other) {
  if (this != &other) *this = Contact(other);
  return *this;
}

CrossCertificateRecord::CrossCertificateRecord(const CrossCertificateRecord& other)
    : id(other.id),
      unid(other.unid),
      certificate(UpRef(other.certificate.get())),
      scope(other.scope),
      subject(other.subject),
      emails(other.emails),
      fingerprint(other.fingerprint),
      created_by(other.created_by),
      created_at(other.created_at),
      valid(other.valid),
      problem(other.problem) {}

CrossCertificateRecord& CrossCertificateRecord::operator=(const CrossCertificateRecord& other) {
  if (this != &other) *this = CrossCertificateRecord(other);
  return *this;
}

const char* CrossScopeName(CrossScope scope) { return scope == CrossScope::kCa ? "ca" : "sender"; }

Result<CrossScope> ParseCrossScope(std::string_view text) {
  if (EqualsIgnoreCase(text, "sender")) return CrossScope::kSender;
  if (EqualsIgnoreCase(text, "ca")) return CrossScope::kCa;
  return Status::InvalidArgument("'" + std::string(text) + "' is not a cross-certificate scope (sender or ca)");
}

std::string CrossCertificateSignedBytes(const Note& note) {
  std::string out = "notesd cross-certificate v1";
  out.push_back('\0');
  AppendField(out, note.GetText("Scope"));
  AppendField(out, note.GetText("Certificate"));
  AppendField(out, note.GetText("Subject"));
  std::vector<std::string> emails = note.GetTextList("InternetAddresses");
  AppendField(out, std::to_string(emails.size()));
  for (const std::string& email : emails) AppendField(out, email);
  AppendField(out, note.GetText("Fingerprint"));
  AppendField(out, note.GetText("CreatedBy"));
  AppendField(out, std::to_string(note.GetTime("CreatedAt")));
  return out;
}

Result<Bytes> SignCrossCertificate(const Note& note, EVP_PKEY* key) {
  if (key == nullptr) return Status::InvalidArgument("no key to sign the cross-certificate with");
  const std::string data = CrossCertificateSignedBytes(note);
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1)
    return Status::Internal("cannot sign the cross-certificate");
  Bytes signature(length);
  if (EVP_DigestSign(ctx.get(), signature.data(), &length, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1)
    return Status::Internal("cannot sign the cross-certificate");
  signature.resize(length);
  return signature;
}

Status VerifyCrossCertificate(const Note& note, EVP_PKEY* key) {
  Bytes signature = note.GetBinary("Signature");
  if (signature.empty()) return Status::PermissionDenied("it carries no signature");
  const std::string data = CrossCertificateSignedBytes(note);
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  bool good = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
              EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                               reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  ERR_clear_error();
  if (!good)
    return Status::PermissionDenied(
        "its signature does not verify with your Notes key (it was changed, or made "
        "by another ID)");
  return Status::Ok();
}

Status CheckInternetAddress(std::string_view address) {
  auto at = address.find('@');
  bool bad = at == std::string_view::npos || at == 0 || at + 1 == address.size() ||
             address.find('@', at + 1) != std::string_view::npos;
  for (char c : address) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u == 0x7F || c == '<' || c == '>' || c == ',' || c == '"') bad = true;
  }
  if (bad) return Status::InvalidArgument("'" + std::string(address) + "' is not an Internet address (name@domain)");
  return Status::Ok();
}

std::filesystem::path ContactsStore::PathIn(const std::filesystem::path& client_dir) {
  return client_dir / "names.nsf";
}

Result<std::unique_ptr<ContactsStore>> ContactsStore::Open(const std::filesystem::path& path) {
  NsfOptions options;
  options.title = "Contacts";
  options.views = Views();
  options.initial_map_size = std::size_t{1} << 20;
  options.label = "names.nsf";
  NOTESD_ASSIGN_OR_RETURN(std::unique_ptr<NsfDatabase> db, NsfDatabase::Open(path, std::move(options)));
  return std::unique_ptr<ContactsStore>(new ContactsStore(std::move(db)));
}

// ---- Contacts ---------------------------------------------------------------------

Result<Contact> ContactsStore::AddContact(const std::string& full_name, const std::string& internet_address) {
  if (full_name.empty() || full_name.find_first_of("\r\n") != std::string::npos)
    return Status::InvalidArgument("a contact needs a name (one line)");
  if (!internet_address.empty()) NOTESD_RETURN_IF_ERROR(CheckInternetAddress(internet_address));
  Note stored;
  Status written = db_->Write([&](WriteTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::vector<NoteId> same_name, txn.LookupIds(kContactsByNameView, full_name));
    if (!same_name.empty()) return Status::AlreadyExists("a contact named '" + full_name + "' exists already");
    if (!internet_address.empty()) {
      NOTESD_ASSIGN_OR_RETURN(std::vector<Note> same, txn.Lookup(kContactsByAddressView, internet_address));
      for (const Note& other : same) {
        if (EqualsIgnoreCase(other.GetText("InternetAddress"), internet_address))
          return Status::AlreadyExists("contact '" + other.GetText("FullName") + "' has the address " +
                                       internet_address + " already");
      }
    }
    Note note(kContactForm);
    note.SetText("Type", "Person");
    note.SetText("FullName", full_name, kItemSummary);
    note.SetText("InternetAddress", internet_address, kItemSummary);
    SetCertificates(note, {});
    NOTESD_ASSIGN_OR_RETURN(stored, txn.Create(note));
    return Status::Ok();
  });
  NOTESD_RETURN_IF_ERROR(written);
  return ContactFromNote(stored);
}

Result<std::vector<Contact>> ContactsStore::ListContacts() const {
  std::vector<Contact> contacts;
  Status read = db_->Read([&](const ReadTxn& txn) -> Status {
    contacts.clear();
    NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries, txn.Scan(kContactsByNameView));
    for (const ViewEntry& entry : entries) {
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(entry.id));
      contacts.push_back(ContactFromNote(note));
    }
    return Status::Ok();
  });
  NOTESD_RETURN_IF_ERROR(read);
  return contacts;
}

Result<Note> ContactsStore::FindContactNote(const ReadTxn& txn, std::string_view which) const {
  if (IsValidUnid(ToLowerAscii(which)) || (which.size() == 32 && IsHexText(which))) {
    Result<Note> note = txn.GetByUnid(which);
    if (note.ok() && note->form() == kContactForm) return note;
  }
  NOTESD_ASSIGN_OR_RETURN(std::vector<Note> by_address, txn.Lookup(kContactsByAddressView, which));
  for (const Note& note : by_address)
    if (EqualsIgnoreCase(note.GetText("InternetAddress"), which)) return note;
  NOTESD_ASSIGN_OR_RETURN(std::vector<Note> by_name, txn.Lookup(kContactsByNameView, which));
  if (by_name.size() > 1) return Status::InvalidArgument("several contacts are named '" + std::string(which) + "'");
  if (by_name.size() == 1) return by_name.front();
  if (by_address.size() == 1) return by_address.front();  // an address of one of its certificates
  return Status::NotFound("no contact '" + std::string(which) + "' in names.nsf (see `notes contacts list`)");
}

Result<Contact> ContactsStore::FindContact(std::string_view which) const {
  Contact contact;
  Status read = db_->Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(Note note, FindContactNote(txn, which));
    contact = ContactFromNote(note);
    return Status::Ok();
  });
  NOTESD_RETURN_IF_ERROR(read);
  return contact;
}

Result<std::vector<Contact>> ContactsStore::ContactsForAddress(std::string_view address) const {
  std::vector<Contact> contacts;
  Status read = db_->Read([&](const ReadTxn& txn) -> Status {
    contacts.clear();
    NOTESD_ASSIGN_OR_RETURN(std::vector<Note> notes, txn.Lookup(kContactsByAddressView, address));
    for (const Note& note : notes) contacts.push_back(ContactFromNote(note));
    return Status::Ok();
  });
  NOTESD_RETURN_IF_ERROR(read);
  return contacts;
}

Result<int> ContactsStore::AddCertificates(std::string_view which, const std::vector<X509*>& certificates) {
  int added = 0;
  Status written = db_->Write([&](WriteTxn& txn) -> Status {
    added = 0;
    NOTESD_ASSIGN_OR_RETURN(Note note, FindContactNote(txn, which));
    Contact contact = ContactFromNote(note);
    std::vector<X509*> all;
    std::vector<std::string> fingerprints;
    for (const X509Ptr& cert : contact.certificates) {
      all.push_back(cert.get());
      fingerprints.push_back(Fingerprint(cert.get()));
    }
    for (X509* cert : certificates) {
      std::string fingerprint = Fingerprint(cert);
      if (std::find(fingerprints.begin(), fingerprints.end(), fingerprint) != fingerprints.end()) continue;
      fingerprints.push_back(fingerprint);
      all.push_back(cert);
      ++added;
    }
    if (added == 0) return Status::Ok();
    SetCertificates(note, all);
    return txn.Update(note).status();
  });
  NOTESD_RETURN_IF_ERROR(written);
  return added;
}

Result<ContactsStore::SenderResult> ContactsStore::AddSender(const std::string& full_name,
                                                             const std::string& internet_address,
                                                             const std::vector<X509*>& certificates) {
  SenderResult result;
  Result<Contact> existing = FindContact(internet_address.empty() ? full_name : internet_address);
  if (!existing.ok() && existing.status().code() != StatusCode::kNotFound) return existing.status();
  if (!existing.ok() && !internet_address.empty()) {
    Result<Contact> by_name = FindContact(full_name);
    if (by_name.ok() && by_name->internet_address.empty()) existing = by_name;
  }
  std::string which;
  if (existing.ok()) {
    which = existing->unid;
  } else {
    NOTESD_ASSIGN_OR_RETURN(Contact made,
                            AddContact(full_name.empty() ? internet_address : full_name, internet_address));
    which = made.unid;
    result.created = true;
  }
  NOTESD_ASSIGN_OR_RETURN(result.certificates_added, AddCertificates(which, certificates));
  NOTESD_ASSIGN_OR_RETURN(result.contact, FindContact(which));
  return result;
}

Status ContactsStore::RemoveContact(std::string_view which) {
  return db_->Write([&](WriteTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(Note note, FindContactNote(txn, which));
    return txn.Delete(note.id());
  });
}

// ---- Cross-certificates -----------------------------------------------------------

Result<CrossCertificateRecord> ContactsStore::AddCrossCertificate(X509* certificate, CrossScope scope,
                                                                  const IdFile& signer, TimeMicros now) {
  if (certificate == nullptr) return Status::InvalidArgument("no certificate to cross-certify");
  if (signer.notes_key() == nullptr) return Status::InvalidArgument("the ID has no Notes key to sign with");
  if (scope == CrossScope::kCa && !IsCa(certificate))
    return Status::InvalidArgument("'" + SubjectText(certificate) +
                                   "' is not a CA certificate: cross-certify the sender");
  NOTESD_ASSIGN_OR_RETURN(std::string pem, CertificateToPem(certificate));
  const std::string fingerprint = Fingerprint(certificate);
  Note note(kCrossCertificateForm);
  note.SetText("Certificate", pem);
  note.SetText("Scope", CrossScopeName(scope), kItemSummary);
  note.SetText("Subject", SubjectText(certificate), kItemSummary);
  note.SetTextList("InternetAddresses", SubjectAltEmails(certificate), kItemSummary);
  note.SetText("Fingerprint", fingerprint, kItemSummary);
  note.SetText("CreatedBy", signer.name().Canonical(), kItemSummary | kItemNames);
  note.SetTime("CreatedAt", now, kItemSummary);
  NOTESD_ASSIGN_OR_RETURN(Bytes signature, SignCrossCertificate(note, signer.notes_key()));
  note.SetBinary("Signature", std::move(signature));
  Note stored;
  Status written = db_->Write([&](WriteTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::vector<Note> same, txn.Lookup(kByFingerprintView, fingerprint));
    for (const Note& other : same) {
      if (other.form() == kCrossCertificateForm && EqualsIgnoreCase(other.GetText("Scope"), CrossScopeName(scope)))
        return Status::AlreadyExists("a cross-certificate for " + SubjectText(certificate) + " (" +
                                     CrossScopeName(scope) + ") exists already");
    }
    NOTESD_ASSIGN_OR_RETURN(stored, txn.Create(note));
    return Status::Ok();
  });
  NOTESD_RETURN_IF_ERROR(written);
  return CrossFromNote(stored, signer.notes_key());
}

Result<std::vector<CrossCertificateRecord>> ContactsStore::ReadCrossCertificates(EVP_PKEY* verifying_key) const {
  std::vector<Note> notes;
  Status read = db_->Read([&](const ReadTxn& txn) -> Status {
    notes.clear();
    NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries, txn.Scan(kByFingerprintView));
    for (const ViewEntry& entry : entries) {
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(entry.id));
      if (note.form() == kCrossCertificateForm) notes.push_back(std::move(note));
    }
    return Status::Ok();
  });
  NOTESD_RETURN_IF_ERROR(read);
  std::sort(notes.begin(), notes.end(), [](const Note& a, const Note& b) { return a.id() < b.id(); });
  notes.erase(std::unique(notes.begin(), notes.end(), [](const Note& a, const Note& b) { return a.id() == b.id(); }),
              notes.end());
  std::vector<CrossCertificateRecord> records;
  for (const Note& note : notes) records.push_back(CrossFromNote(note, verifying_key));
  return records;
}

Result<CrossCertificateRecord> ContactsStore::RemoveCrossCertificate(std::string_view which) {
  NOTESD_ASSIGN_OR_RETURN(std::vector<CrossCertificateRecord> records, ReadCrossCertificates(nullptr));
  const CrossCertificateRecord* chosen = nullptr;
  bool numeric = !which.empty() && which.size() < 8 && std::all_of(which.begin(), which.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
  if (numeric) {
    std::size_t index = std::stoul(std::string(which));
    if (index < 1 || index > records.size())
      return Status::NotFound("no cross-certificate " + std::string(which) + " (there are " +
                              std::to_string(records.size()) + ")");
    chosen = &records[index - 1];
  } else {
    if (!IsHexText(which) || PlainHex(which).size() < 8)
      return Status::InvalidArgument(
          "'" + std::string(which) +
          "' is neither a number from `notes contacts cross-certs` nor a SHA-256 fingerprint");
    const std::string wanted = PlainHex(which);
    for (const CrossCertificateRecord& record : records) {
      if (!ToLowerAscii(record.fingerprint).starts_with(wanted)) continue;
      if (chosen != nullptr)
        return Status::InvalidArgument("several cross-certificates start with " + std::string(which) +
                                       ": give more of the fingerprint or the number");
      chosen = &record;
    }
    if (chosen == nullptr) return Status::NotFound("no cross-certificate with fingerprint " + std::string(which));
  }
  CrossCertificateRecord removed = *chosen;
  NOTESD_RETURN_IF_ERROR(db_->Delete(removed.id));
  return removed;
}

}  // namespace notesd::client
