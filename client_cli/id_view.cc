// client_cli/id_view.cc — showing an ID file as text and JSON (`notes id show`).
#include "client_cli/id_view.h"

#include <sstream>

#include "client_cli/cli_output.h"
#include "pki/crypto.h"
#include "pki/x509_certs.h"

namespace notesd::client {

namespace fs = std::filesystem;

namespace {

std::string KeyText(EVP_PKEY* key) {
  Result<KeySpec> spec = KeySpecOf(key);
  if (!spec.ok()) return "unknown (" + spec.status().message() + ")";
  return spec->algorithm == KeyAlgorithm::kRsa ? "RSA " + std::to_string(spec->bits) + " bits"
                                               : std::string("ECDSA P-256");
}

nlohmann::json KeyJson(EVP_PKEY* key) {
  Result<KeySpec> spec = KeySpecOf(key);
  if (!spec.ok()) return {{"spec", "unknown"}};
  return {{"spec", spec->ToString()},
          {"algorithm", spec->algorithm == KeyAlgorithm::kRsa ? "RSA" : "ECDSA"},
          {"bits", spec->bits}};
}

}  // namespace

nlohmann::json IdToJson(const IdFile& id, const fs::path& path) {
  nlohmann::json trusted = nlohmann::json::array();
  for (const X509Ptr& cert : id.trusted_certificates()) {
    nlohmann::json entry = CertificateJson(cert.get());
    entry["root"] = IsSelfSigned(cert.get());
    trusted.push_back(std::move(entry));
  }
  nlohmann::json cross = nlohmann::json::array();
  for (const CrossCertificate& item : id.cross_certificates()) {
    nlohmann::json entry = CertificateJson(item.certificate.get());
    entry["note"] = item.note;
    cross.push_back(std::move(entry));
  }
  nlohmann::json internet = nlohmann::json::array();
  const InternetCertificate* default_cert = id.DefaultInternetCertificate();
  for (const InternetCertificate& item : id.internet_certificates()) {
    nlohmann::json entry = CertificateJson(item.certificate.get());
    entry["emails"] = SubjectAltEmails(item.certificate.get());
    entry["default"] = &item == default_cert;
    entry["own_key"] = item.private_key != nullptr;
    internet.push_back(std::move(entry));
  }
  return {{"file", path.string()},
          {"name", id.name().Canonical()},
          {"abbreviated", id.name().Abbreviated()},
          {"kind", IdKindName(id.kind())},
          {"key", KeyJson(id.notes_key())},
          {"notes_certificate", CertificateJson(id.notes_certificate())},
          {"trusted_certificates", std::move(trusted)},
          {"cross_certificates", std::move(cross)},
          {"internet_certificates", std::move(internet)}};
}

namespace {

void PrintSection(std::ostream& out, const std::string& title, std::size_t count) {
  out << '\n' << title << " (" << count << ")\n";
  if (count == 0) out << "  none\n";
}

// Entries of a section are separated by a blank line.
void PrintEntry(std::ostream& out, const Fields& fields, bool first) {
  if (!first) out << '\n';
  PrintFields(out, fields, "  ");
}

}  // namespace

std::string IdToText(const IdFile& id, const fs::path& path) {
  std::ostringstream out;
  PrintFields(out, {{"ID file", path.string()},
                    {"Name", id.name().Canonical()},
                    {"Abbreviated", id.name().Abbreviated()},
                    {"Kind", IdKindName(id.kind())},
                    {"Key", KeyText(id.notes_key())}});
  out << "\nNotes certificate\n";
  PrintFields(out, CertificateFields(id.notes_certificate()), "  ");

  PrintSection(out, "Trusted certificates", id.trusted_certificates().size());
  for (const X509Ptr& cert : id.trusted_certificates()) {
    Fields fields = CertificateFields(cert.get());
    fields.insert(fields.begin() + 1, {"Role", IsSelfSigned(cert.get()) ? "root (trust anchor)" : "intermediate"});
    PrintEntry(out, fields, &cert == &id.trusted_certificates().front());
  }

  PrintSection(out, "Cross-certificates", id.cross_certificates().size());
  for (const CrossCertificate& item : id.cross_certificates()) {
    Fields fields = CertificateFields(item.certificate.get());
    fields.push_back({"Note", item.note});
    PrintEntry(out, fields, &item == &id.cross_certificates().front());
  }

  PrintSection(out, "Your Internet certificates", id.internet_certificates().size());
  const InternetCertificate* default_cert = id.DefaultInternetCertificate();
  for (const InternetCertificate& item : id.internet_certificates()) {
    Fields fields = CertificateFields(item.certificate.get());
    std::string emails;
    for (const std::string& email : SubjectAltEmails(item.certificate.get()))
      emails += (emails.empty() ? "" : ", ") + email;
    fields.push_back({"Emails", emails.empty() ? "none" : emails});
    fields.push_back({"Key", item.private_key ? "its own key" : "the Notes key"});
    fields.push_back({"Default", YesNo(&item == default_cert)});
    PrintEntry(out, fields, &item == &id.internet_certificates().front());
  }
  return out.str();
}

}  // namespace notesd::client
