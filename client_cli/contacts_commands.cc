// client_cli/contacts_commands.cc — opening names.nsf, printing contacts and
// cross-certificates, checking certificate files for import.
#include "base/time_text.h"
#include "client_cli/contacts_commands.h"

#include "client_cli/cli_output.h"
#include "pki/crypto.h"
#include "pki/x509_certs.h"
#include "smime/cert_import.h"

namespace notesd::client {

namespace {

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string ValidityText(X509* cert) {
  Result<std::time_t> from = NotBefore(cert);
  Result<std::time_t> to = NotAfter(cert);
  return (from.ok() ? FormatTime(*from) : "?") + " to " + (to.ok() ? FormatTime(*to) : "?");
}

}  // namespace

Result<std::unique_ptr<ContactsStore>> OpenContacts(const ClientContext& context) {
  NOTESD_RETURN_IF_ERROR(context.EnsureClientDir());
  NOTESD_ASSIGN_OR_RETURN(std::filesystem::path dir, context.ClientDir());
  return ContactsStore::Open(ContactsStore::PathIn(dir));
}

nlohmann::json ContactJson(const Contact& contact) {
  nlohmann::json certificates = nlohmann::json::array();
  for (const X509Ptr& cert : contact.certificates) {
    nlohmann::json entry = CertificateJson(cert.get());
    entry["emails"] = SubjectAltEmails(cert.get());
    certificates.push_back(entry);
  }
  return {{"unid", contact.unid},
          {"name", contact.full_name},
          {"internet_address", contact.internet_address},
          {"certificate", contact.certificates.empty() ? "Not present" : "Present"},
          {"certificates", certificates},
          {"unreadable_certificates", contact.unreadable_certificates}};
}

void PrintContact(std::ostream& out, const Contact& contact) {
  PrintFields(out, {{"Name", contact.full_name},
                    {"Internet address", contact.internet_address.empty() ? "(none)" : contact.internet_address},
                    {"Certificate", contact.certificates.empty() ? "Not present" : "Present"}});
  int number = 0;
  for (const X509Ptr& cert : contact.certificates) {
    out << "\nX.509 certificate " << ++number << "\n";
    Result<std::string> fingerprint = CertificateFingerprint(cert.get(), DigestAlgorithm::kSha256, HexStyle::kColon);
    PrintFields(out,
                {{"Issuer", IssuedBy(cert.get())},
                 {"Issuer name", IssuerText(cert.get())},
                 {"Subject", SubjectText(cert.get())},
                 {"E-mail", Joined(SubjectAltEmails(cert.get()))},
                 {"Valid", ValidityText(cert.get())},
                 {"SHA-256", fingerprint.ok() ? *fingerprint : "?"}},
                "  ");
  }
  if (contact.unreadable_certificates > 0)
    out << "(" << contact.unreadable_certificates << " stored certificate(s) cannot be read)\n";
}

nlohmann::json CrossCertificateJson(const CrossCertificateRecord& record) {
  nlohmann::json out = {{"unid", record.unid},
                        {"scope", CrossScopeName(record.scope)},
                        {"subject", record.subject},
                        {"emails", record.emails},
                        {"sha256", record.fingerprint},
                        {"created_by", record.created_by},
                        {"created", Rfc3339FromMicros(record.created_at)},
                        {"valid", record.valid}};
  if (!record.valid) out["problem"] = record.problem;
  if (record.certificate) out["certificate"] = CertificateJson(record.certificate.get());
  return out;
}

Result<std::vector<X509Ptr>> CheckCertificateFile(std::string_view bytes, const std::string& file_name,
                                                  std::time_t now) {
  Result<std::vector<X509Ptr>> parsed = smime::ReadCertificates(bytes, file_name);
  if (!parsed.ok()) return parsed.status();
  std::vector<X509Ptr> people;
  std::vector<std::string> ca_names;
  for (X509Ptr& cert : *parsed) {
    if (IsCa(cert.get())) {
      ca_names.push_back(SubjectText(cert.get()));
      continue;
    }
    Result<std::time_t> from = NotBefore(cert.get());
    Result<std::time_t> to = NotAfter(cert.get());
    if (!from.ok() || !to.ok())
      return Status::InvalidArgument(file_name + ": the certificate " + SubjectText(cert.get()) +
                                     " has unreadable validity dates");
    if (*to < now)
      return Status::InvalidArgument(file_name + ": the certificate " + SubjectText(cert.get()) + " expired on " +
                                     FormatTime(*to));
    if (*from > now)
      return Status::InvalidArgument(file_name + ": the certificate " + SubjectText(cert.get()) +
                                     " is not valid before " + FormatTime(*from));
    people.push_back(std::move(cert));
  }
  if (people.empty())
    return Status::InvalidArgument(file_name + " holds only CA certificates (" + Joined(ca_names) +
                                   "): import the person's own certificate");
  return people;
}

}  // namespace notesd::client
