// client_cli/mail_smime.cc — recipient certificates, building and judging S/MIME mail
// for the `notes` client (contract in the header).
#include "client_cli/mail_smime.h"

#include <strings.h>

#include "client_cli/cli_output.h"
#include "pki/crypto.h"
#include "pki/x509_certs.h"

namespace notesd::client {

namespace {

bool HasAt(const std::string& text) { return text.find('@') != std::string::npos; }

// The certificates of `id` that issued `cert`, walking up while the ID trusts them.
std::vector<X509*> IssuingChain(const IdFile& id, X509* cert) {
  std::vector<X509*> chain;
  X509* current = cert;
  for (int depth = 0; depth < 8 && current != nullptr && !IsSelfSigned(current); ++depth) {
    X509* issuer = nullptr;
    for (const X509Ptr& trusted : id.trusted_certificates())
      if (X509_check_issued(trusted.get(), current) == X509_V_OK && X509_cmp(trusted.get(), current) != 0)
        issuer = trusted.get();
    if (issuer == nullptr) break;
    chain.push_back(issuer);
    current = issuer;
  }
  return chain;
}

std::string Joined(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

}  // namespace

Result<std::vector<RecipientCertificate>> ResolveRecipientCertificates(const std::vector<std::string>& recipients,
                                                                       const ContactsStore& contacts,
                                                                       const DirectoryLookup& lookup, std::time_t now) {
  std::vector<RecipientCertificate> resolved;
  std::vector<std::string> failures;
  for (const std::string& recipient : recipients) {
    std::string address = HasAt(recipient) ? recipient : "";
    std::string failure;
    bool found = false;

    // 1. The user's contacts.
    std::vector<Contact> matches;
    if (!address.empty()) {
      NOTESD_ASSIGN_OR_RETURN(matches, contacts.ContactsForAddress(address));
    } else if (Result<Contact> named = contacts.FindContact(recipient); named.ok()) {
      address = named->internet_address;
      matches.push_back(std::move(named).value());
    }
    std::vector<X509*> candidates;
    for (const Contact& contact : matches)
      for (const X509Ptr& cert : contact.certificates) candidates.push_back(cert.get());
    if (!candidates.empty() && !address.empty()) {
      Result<X509*> chosen = smime::ChooseRecipientCertificate(address, candidates, now);
      if (chosen.ok()) {
        resolved.push_back({recipient, address, UpRef(*chosen), "contacts"});
        found = true;
      } else {
        failure = chosen.status().message() + " (certificate from your contacts)";
      }
    }

    // 2. The directory.
    if (!found && lookup) {
      Result<DirectoryEntry> entry = lookup(recipient);
      if (entry.ok()) {
        if (address.empty()) address = entry->internet_address;
        std::vector<X509Ptr> owned;
        for (const std::string& pem : entry->certificates_pem)
          if (Result<X509Ptr> cert = CertificateFromPem(pem); cert.ok()) owned.push_back(std::move(cert).value());
        std::vector<X509*> directory_candidates;
        for (const X509Ptr& cert : owned) directory_candidates.push_back(cert.get());
        if (address.empty()) {
          failure = recipient + " has no Internet address in the directory";
        } else if (!directory_candidates.empty()) {
          Result<X509*> chosen = smime::ChooseRecipientCertificate(address, directory_candidates, now);
          if (chosen.ok()) {
            resolved.push_back({recipient, address, UpRef(*chosen), "directory"});
            found = true;
          } else if (failure.empty()) {
            failure = chosen.status().message() + " (certificate from the directory)";
          }
        }
      } else if (entry.status().code() != StatusCode::kNotFound) {
        return entry.status().WithContext("looking up " + recipient + " in the directory");
      }
    }
    if (!found) {
      if (failure.empty()) failure = "no certificate for " + recipient + " (not in your contacts or the directory)";
      failures.push_back(failure);
    }
  }
  if (!failures.empty()) return Status::InvalidArgument("cannot encrypt, nothing was sent: " + Joined(failures, "; "));
  return resolved;
}

Result<std::string> ApplySmime(const std::string& message, const IdFile& id,
                               const std::vector<RecipientCertificate>& recipients, const SmimeSendOptions& options,
                               std::time_t now) {
  if (!options.sign && !options.encrypt) return message;
  const InternetCertificate* own = id.DefaultInternetCertificate();
  if (own == nullptr || !own->certificate)
    return Status::InvalidArgument(
        "your ID has no Internet certificate to sign or encrypt with (get one from your organisation's Internet "
        "certifier, then `notes id sync`)");
  Result<std::time_t> until = NotAfter(own->certificate.get());
  if (until.ok() && *until < now)
    return Status::InvalidArgument("your Internet certificate " + SubjectText(own->certificate.get()) + " expired on " +
                                   FormatTime(*until));
  smime::SplitResult split = smime::SplitMessage(message);
  std::string entity = split.entity;
  if (options.sign) {
    NOTESD_ASSIGN_OR_RETURN(entity, smime::SignEntity(entity, own->certificate.get(), id.PrivateKeyFor(*own),
                                                      IssuingChain(id, own->certificate.get())));
  }
  if (options.encrypt) {
    std::vector<X509*> to;
    for (const RecipientCertificate& r : recipients) to.push_back(r.certificate.get());
    to.push_back(own->certificate.get());  // the sent copy stays readable
    NOTESD_ASSIGN_OR_RETURN(entity, smime::EncryptEntity(entity, to, options.cipher));
  }
  return smime::WrapAsMessage(entity, split.outer_headers);
}

smime::SmimeKeys KeysOf(const IdFile& id) {
  smime::SmimeKeys keys;
  for (const InternetCertificate& entry : id.internet_certificates())
    keys.keys.push_back({entry.certificate.get(), id.PrivateKeyFor(entry)});
  return keys;
}

const smime::SignedLayer* JudgedMessage::FirstSignature() const {
  for (const smime::SmimeLayer& layer : report.layers)
    if (layer.kind == smime::LayerKind::kSigned) return &layer.signature;
  return nullptr;
}

const TrustVerdict* JudgedMessage::FirstVerdict() const {
  for (std::size_t i = 0; i < report.layers.size(); ++i)
    if (report.layers[i].kind == smime::LayerKind::kSigned) return &verdicts[i];
  return nullptr;
}

Result<JudgedMessage> JudgeMessage(const std::string& message, const IdFile& id, const TrustSources& sources,
                                   std::time_t now) {
  JudgedMessage judged;
  NOTESD_ASSIGN_OR_RETURN(judged.report, smime::ReadMessage(message, KeysOf(id), sources.organisation_roots, now));
  for (const smime::SmimeLayer& layer : judged.report.layers) {
    TrustVerdict verdict;
    if (layer.kind == smime::LayerKind::kSigned) {
      std::vector<X509*> carried;
      for (const X509Ptr& cert : layer.signature.certificates) carried.push_back(cert.get());
      if (layer.signature.status == smime::SignatureStatus::kValid) {
        verdict = DecideTrust(layer.signature.signer.get(), carried, sources, now);
      } else {
        verdict.reason = "the signature is not valid, so its signer cannot be trusted";
      }
    }
    judged.verdicts.push_back(std::move(verdict));
  }
  return judged;
}

std::vector<std::string> NameRecipients(const smime::EncryptedLayer& layer, const std::vector<Contact>& contacts) {
  std::vector<std::string> names;
  for (const smime::RecipientId& r : layer.recipients) {
    if (r.is_mine) {
      names.push_back("you (" + r.Describe() + ")");
      continue;
    }
    std::string name;
    for (const Contact& contact : contacts)
      for (const X509Ptr& cert : contact.certificates)
        if (!r.serial_hex.empty() && strcasecmp(SerialHex(cert.get()).c_str(), r.serial_hex.c_str()) == 0 &&
            IssuerText(cert.get()) == r.issuer)
          name = contact.full_name + (contact.internet_address.empty() ? "" : " <" + contact.internet_address + ">");
    names.push_back(name.empty() ? r.Describe() : name);
  }
  return names;
}

std::string RenderContent(std::string_view entity) {
  smime::MessageContent content = smime::ExtractContent(entity);
  std::string out = SanitizeOutput(content.text.empty() ? content.html : content.text);
  if (!out.empty() && !out.ends_with("\n")) out += "\n";
  for (const smime::ContentAttachment& a : content.attachments)
    out += "Attachment: " + Sanitize(a.file_name.empty() ? "(unnamed)" : a.file_name) + " (" +
           Sanitize(a.content_type) + ", " + std::to_string(a.bytes.size()) + " bytes)\n";
  return out;
}

std::vector<std::pair<std::string, std::string>> DescribeSmime(const JudgedMessage& judged,
                                                               const std::vector<Contact>& contacts) {
  std::vector<std::pair<std::string, std::string>> lines;
  const smime::SmimeReport& report = judged.report;
  if (report.layers.empty()) {
    lines.push_back({"Signed", "no"});
    lines.push_back({"Encrypted", "no"});
    return lines;
  }
  for (std::size_t i = 0; i < report.layers.size(); ++i) {
    const smime::SmimeLayer& layer = report.layers[i];
    if (layer.kind == smime::LayerKind::kEncrypted) {
      lines.push_back({"Encrypted", layer.encrypted.decrypted ? "yes, decrypted with your ID"
                                                              : "yes, NOT decrypted: " + layer.encrypted.error});
      lines.push_back({"Encrypted for", Joined(NameRecipients(layer.encrypted, contacts), "; ")});
      continue;
    }
    const smime::SignedLayer& s = layer.signature;
    const TrustVerdict& verdict = judged.verdicts[i];
    std::string signer = s.signer ? SubjectText(s.signer.get()) : "(signer certificate not included)";
    if (!s.signer_emails.empty()) signer += " <" + Joined(s.signer_emails) + ">";
    lines.push_back({"Signed", "yes"});
    lines.push_back({"Signed by", signer});
    if (s.signer) lines.push_back({"Signer issued by", IssuedBy(s.signer.get())});
    if (s.signing_time) lines.push_back({"Signed at", FormatTime(*s.signing_time)});
    switch (s.status) {
      case smime::SignatureStatus::kValid: lines.push_back({"Signature", "valid"}); break;
      case smime::SignatureStatus::kTampered:
        lines.push_back(
            {"Signature", "TAMPERED: the message was changed after it was signed (" + s.status_detail + ")"});
        break;
      case smime::SignatureStatus::kUnverifiable:
        lines.push_back({"Signature", "cannot be verified: " + s.status_detail});
        break;
    }
    if (s.status == smime::SignatureStatus::kValid)
      lines.push_back({"Signer trusted", verdict.trusted ? "yes, " + verdict.basis : "no: " + verdict.reason});
    if (s.signer && !report.from_address.empty() && !s.signer_matches_from)
      lines.push_back({"Warning", "the signer's certificate does not name the From address " + report.from_address});
  }
  if (!report.IsSigned()) lines.push_back({"Signed", "no"});
  if (!report.IsEncrypted()) lines.push_back({"Encrypted", "no"});
  return lines;
}

nlohmann::json SmimeJson(const JudgedMessage& judged, const std::vector<Contact>& contacts) {
  const smime::SmimeReport& report = judged.report;
  nlohmann::json layers = nlohmann::json::array();
  for (std::size_t i = 0; i < report.layers.size(); ++i) {
    const smime::SmimeLayer& layer = report.layers[i];
    if (layer.kind == smime::LayerKind::kEncrypted) {
      layers.push_back({{"kind", "encrypted"},
                        {"decrypted", layer.encrypted.decrypted},
                        {"error", layer.encrypted.error},
                        {"recipients", NameRecipients(layer.encrypted, contacts)}});
      continue;
    }
    const smime::SignedLayer& s = layer.signature;
    const TrustVerdict& verdict = judged.verdicts[i];
    nlohmann::json entry = {{"kind", "signed"},
                            {"status", smime::SignatureStatusName(s.status)},
                            {"detail", s.status_detail},
                            {"valid", s.status == smime::SignatureStatus::kValid},
                            {"trusted", verdict.trusted},
                            {"trust", verdict.trusted ? verdict.basis : verdict.reason},
                            {"signer_emails", s.signer_emails},
                            {"signer_matches_from", s.signer_matches_from}};
    if (s.signer) entry["signer"] = CertificateJson(s.signer.get());
    layers.push_back(entry);
  }
  return {{"signed", report.IsSigned()},
          {"encrypted", report.IsEncrypted()},
          {"tampered", report.AnyTampered()},
          {"content_available", report.content_available},
          {"layers", layers}};
}

}  // namespace notesd::client
