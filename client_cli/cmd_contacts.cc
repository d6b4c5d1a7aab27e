// client_cli/cmd_contacts.cc — `notes contacts ...`: the user's local names.nsf
// (client_cli/contacts_store.h) — contacts with their Internet certificates, and
// cross-certificates.
//
//   notes contacts list [--json]
//   notes contacts add NAME --email ADDR [--json]
//   notes contacts show CONTACT [--json]          Certificate = Present / Not present,
//                                                  then Issuer, subject, validity and
//                                                  SHA-256 of each certificate
//   notes contacts remove CONTACT
//   notes contacts import-cert CONTACT FILE [--json]
//       the manual import: DER (.cer), PEM, or a PKCS#7 bundle (.p7b/.p7c). The file
//       is checked first and refused with the reason (no certificate, damaged, only CA
//       certificates, expired or not yet valid); CA certificates in a bundle are not
//       stored (cross-certify a CA instead).
//   notes contacts add-sender N|UNID [--include-x509] [--json]
//       Add Sender to Contacts: name and address from the message's From; with
//       --include-x509 the signer's certificate of its S/MIME signature too
//       (implemented in cmd_mail.cc, which reads the message).
//   notes contacts cross-certs [--json]
//       the cross-certificates, each checked against your Notes key (needs your ID).
//   notes contacts remove-cross-cert N|FINGERPRINT
// CONTACT is a contact's Internet address, full name or UNID. Exit codes as every
// `notes` command (client_context.h).
#include <strings.h>

#include <iostream>
#include <memory>

#include "client_cli/cli_output.h"
#include "client_cli/contacts_commands.h"
#include "client_cli/notes_cli.h"
#include "pki/crypto.h"
#include "base/notes_ini.h"
#include "pki/x509_certs.h"

namespace notesd::client {

namespace {

struct ContactsOptions {
  GlobalOptions* global = nullptr;
  std::string name;
  std::string email;
  std::string which;
  std::string file;
  bool include_x509 = false;
  bool json = false;
};

std::string DateOf(TimeMicros micros) { return FormatTime(static_cast<std::time_t>(micros / 1'000'000)); }

int RunList(const ContactsOptions& o) {
  ClientContext context(*o.global);
  Result<std::unique_ptr<ContactsStore>> store = OpenContacts(context);
  if (!store.ok()) return ReportFailure(store.status());
  Result<std::vector<Contact>> contacts = (*store)->ListContacts();
  if (!contacts.ok()) return ReportFailure(contacts.status());
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const Contact& contact : *contacts) out.push_back(ContactJson(contact));
    PrintJson(std::cout, out);
    return kExitOk;
  }
  if (contacts->empty()) {
    std::cout << "No contacts.\n";
    return kExitOk;
  }
  std::printf("%-30s  %-34s  %s\n", "Name", "Internet address", "Certificates");
  for (const Contact& contact : *contacts)
    std::printf("%-30s  %-34s  %zu\n", Sanitize(contact.full_name).c_str(), Sanitize(contact.internet_address).c_str(),
                contact.certificates.size());
  return kExitOk;
}

int RunAdd(const ContactsOptions& o) {
  ClientContext context(*o.global);
  Result<std::unique_ptr<ContactsStore>> store = OpenContacts(context);
  if (!store.ok()) return ReportFailure(store.status());
  Result<Contact> added = (*store)->AddContact(o.name, o.email);
  if (!added.ok()) {
    if (added.status().code() == StatusCode::kInvalidArgument) return ReportUsage(added.status().message());
    return ReportFailure(added.status());
  }
  if (o.json) {
    PrintJson(std::cout, ContactJson(*added));
  } else {
    std::cout << "Added contact " << Sanitize(added->full_name) << " <" << Sanitize(added->internet_address)
              << "> to names.nsf\n";
  }
  return kExitOk;
}

int RunShow(const ContactsOptions& o) {
  ClientContext context(*o.global);
  Result<std::unique_ptr<ContactsStore>> store = OpenContacts(context);
  if (!store.ok()) return ReportFailure(store.status());
  Result<Contact> contact = (*store)->FindContact(o.which);
  if (!contact.ok()) return ReportFailure(contact.status());
  if (o.json) {
    PrintJson(std::cout, ContactJson(*contact));
  } else {
    PrintContact(std::cout, *contact);
  }
  return kExitOk;
}

int RunRemove(const ContactsOptions& o) {
  ClientContext context(*o.global);
  Result<std::unique_ptr<ContactsStore>> store = OpenContacts(context);
  if (!store.ok()) return ReportFailure(store.status());
  Result<Contact> contact = (*store)->FindContact(o.which);
  if (!contact.ok()) return ReportFailure(contact.status());
  Status removed = (*store)->RemoveContact(contact->unid);
  if (!removed.ok()) return ReportFailure(removed);
  if (o.json) {
    PrintJson(std::cout, {{"removed", ContactJson(*contact)}});
    return kExitOk;
  }
  std::cout << "Removed contact " << Sanitize(contact->full_name) << "\n";
  return kExitOk;
}

int RunImportCert(const ContactsOptions& o) {
  ClientContext context(*o.global);
  Result<std::string> bytes = ReadWholeFile(o.file);
  if (!bytes.ok()) return ReportFailure(bytes.status());
  Result<std::vector<X509Ptr>> certificates = CheckCertificateFile(*bytes, o.file, std::time(nullptr));
  if (!certificates.ok()) return ReportFailure(certificates.status());
  Result<std::unique_ptr<ContactsStore>> store = OpenContacts(context);
  if (!store.ok()) return ReportFailure(store.status());
  std::vector<X509*> borrowed;
  for (const X509Ptr& cert : *certificates) borrowed.push_back(cert.get());
  Result<int> added = (*store)->AddCertificates(o.which, borrowed);
  if (!added.ok()) return ReportFailure(added.status());
  Result<Contact> contact = (*store)->FindContact(o.which);
  if (!contact.ok()) return ReportFailure(contact.status());
  if (o.json) {
    nlohmann::json out = ContactJson(*contact);
    out["imported"] = *added;
    PrintJson(std::cout, out);
    return kExitOk;
  }
  for (const X509Ptr& cert : *certificates)
    std::cout << "Certificate " << Sanitize(SubjectText(cert.get())) << " (issued by " << Sanitize(IssuedBy(cert.get()))
              << ")\n";
  std::cout << "Imported " << *added << " new certificate(s) into contact " << Sanitize(contact->full_name) << " ("
            << certificates->size() - static_cast<std::size_t>(*added) << " already present)\n";
  for (const X509Ptr& cert : *certificates) {
    if (contact->internet_address.empty()) continue;
    bool matches = false;
    for (const std::string& email : SubjectAltEmails(cert.get()))
      if (strcasecmp(email.c_str(), contact->internet_address.c_str()) == 0) matches = true;
    if (!matches)
      std::cout << "Note: " << Sanitize(SubjectText(cert.get())) << " does not name " << contact->internet_address
                << " in its subjectAltName; mail to that address will not be encrypted with it\n";
  }
  return kExitOk;
}

int RunCrossCerts(const ContactsOptions& o) {
  ClientContext context(*o.global);
  Result<std::filesystem::path> id_path = context.IdPath(std::nullopt);
  if (!id_path.ok()) return ReportFailure(id_path.status());
  Result<IdFile> id = context.LoadId(*id_path);
  if (!id.ok()) return ReportFailure(id.status());
  Result<std::unique_ptr<ContactsStore>> store = OpenContacts(context);
  if (!store.ok()) return ReportFailure(store.status());
  Result<std::vector<CrossCertificateRecord>> records = (*store)->ReadCrossCertificates(id->notes_key());
  if (!records.ok()) return ReportFailure(records.status());
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    int number = 0;
    for (const CrossCertificateRecord& record : *records) {
      nlohmann::json entry = CrossCertificateJson(record);
      entry["number"] = ++number;
      out.push_back(entry);
    }
    PrintJson(std::cout, out);
    return kExitOk;
  }
  if (records->empty()) {
    std::cout << "No cross-certificates.\n";
    return kExitOk;
  }
  int number = 0;
  for (const CrossCertificateRecord& record : *records) {
    if (number > 0) std::cout << "\n";
    ++number;
    std::cout << "Cross-certificate " << number << "\n";
    Fields fields = {{"For",
                      record.scope == CrossScope::kCa ? "every certificate issued by this CA" : "this sender only"},
                     {"Subject", record.subject}};
    if (!record.emails.empty()) {
      std::string emails;
      for (const std::string& email : record.emails) emails += (emails.empty() ? "" : ", ") + email;
      fields.push_back({"E-mail", emails});
    }
    fields.push_back({"SHA-256", record.fingerprint});
    fields.push_back({"Created", DateOf(record.created_at) + " by " + AbbreviatedName(record.created_by)});
    fields.push_back(
        {"Signature", record.valid ? "valid (your Notes key)" : "INVALID: " + record.problem + " — ignored"});
    PrintFields(std::cout, fields, "  ");
  }
  for (const CrossCertificateRecord& record : *records)
    if (!record.valid)
      std::cerr << "notes: warning: cross-certificate for " << Sanitize(record.subject)
                << " is ignored: " << record.problem << "\n";
  return kExitOk;
}

int RunRemoveCrossCert(const ContactsOptions& o) {
  ClientContext context(*o.global);
  Result<std::unique_ptr<ContactsStore>> store = OpenContacts(context);
  if (!store.ok()) return ReportFailure(store.status());
  Result<CrossCertificateRecord> removed = (*store)->RemoveCrossCertificate(o.which);
  if (!removed.ok()) {
    if (removed.status().code() == StatusCode::kInvalidArgument) return ReportUsage(removed.status().message());
    return ReportFailure(removed.status());
  }
  if (o.json) {
    PrintJson(std::cout, {{"removed", CrossCertificateJson(*removed)}});
    return kExitOk;
  }
  std::cout << "Removed the cross-certificate for " << Sanitize(removed->subject) << " ("
            << CrossScopeName(removed->scope) << ")\n";
  return kExitOk;
}

}  // namespace

void AddContactsCommands(CLI::App& app, CommandLine& line) {
  CLI::App* contacts = app.add_subcommand("contacts", "Your contacts and cross-certificates (local names.nsf)");
  contacts->require_subcommand(1);
  auto options = std::make_shared<ContactsOptions>();
  options->global = &line.global;
  const char* kWhich = "The contact's Internet address, full name or UNID";

  CLI::App* list = contacts->add_subcommand("list", "List your contacts");
  list->add_flag("--json", options->json, "Print JSON");
  OnRun(list, line, [options] { return RunList(*options); });

  CLI::App* add = contacts->add_subcommand("add", "Add a contact");
  add->add_option("NAME", options->name, "Full name")->required();
  add->add_option("--email", options->email, "Internet address")->required();
  add->add_flag("--json", options->json, "Print JSON");
  OnRun(add, line, [options] { return RunAdd(*options); });

  CLI::App* show = contacts->add_subcommand("show", "Show a contact and its Internet certificates");
  show->add_option("CONTACT", options->which, kWhich)->required();
  show->add_flag("--json", options->json, "Print JSON");
  OnRun(show, line, [options] { return RunShow(*options); });

  CLI::App* remove = contacts->add_subcommand("remove", "Remove a contact");
  remove->add_option("CONTACT", options->which, kWhich)->required();
  remove->add_flag("--json", options->json, "Print JSON (the removed contact)");
  OnRun(remove, line, [options] { return RunRemove(*options); });

  CLI::App* import = contacts->add_subcommand("import-cert", "Import a contact's Internet certificate from a file");
  import->add_option("CONTACT", options->which, kWhich)->required();
  import->add_option("FILE", options->file, "DER (.cer), PEM or PKCS#7 (.p7b) file")->required();
  import->add_flag("--json", options->json, "Print JSON");
  OnRun(import, line, [options] { return RunImportCert(*options); });

  CLI::App* sender = contacts->add_subcommand("add-sender", "Add Sender to Contacts, from a message in your mail file");
  sender->add_option("MESSAGE", options->which, "Its number in `notes mail list`, or its UNID")->required();
  sender->add_flag("--include-x509", options->include_x509,
                   "Include X.509 certificates: store the certificate of the sender's S/MIME signature");
  sender->add_flag("--json", options->json, "Print JSON");
  OnRun(sender, line,
        [options] { return RunAddSender(*options->global, options->which, options->include_x509, options->json); });

  CLI::App* cross = contacts->add_subcommand("cross-certs", "List your cross-certificates (checked with your ID)");
  cross->add_flag("--json", options->json, "Print JSON");
  OnRun(cross, line, [options] { return RunCrossCerts(*options); });

  CLI::App* uncross = contacts->add_subcommand("remove-cross-cert", "Remove a cross-certificate");
  uncross->add_option("WHICH", options->which, "Its number in `notes contacts cross-certs`, or its SHA-256 fingerprint")
      ->required();
  uncross->add_flag("--json", options->json, "Print JSON (the removed cross-certificate)");
  OnRun(uncross, line, [options] { return RunRemoveCrossCert(*options); });
}

}  // namespace notesd::client
