// client_cli/mail_smime.h — the client's S/MIME policy around smime/smime.h: which
// certificate each recipient gets, how a signed and/or encrypted message is built from
// a composed one, which keys of the ID decrypt, and how a read message is judged and
// described (signer, validity, trust from client_cli/smime_trust.h, recipients).
//
// Recipient certificates (Delivery Options "Encrypt"): for each recipient the user's
// contacts (names.nsf, by Internet address or name) are asked first, then the
// directory (`lookup`, the home server's people lookup). A recipient's certificate must
// pass smime::CheckRecipientCertificate for that address (RSA key, address in the
// subjectAltName, within validity, keyUsage keyEncipherment, extendedKeyUsage
// emailProtection). If any recipient has none, the whole send stops with one message
// naming every such recipient and the reason: nothing is sent half-encrypted.
// Revocation is not checked (no CRL at the client yet: known limit).
//
// Thread safety: plain functions; the ContactsStore is used through its own contract.
#pragma once

#include <ctime>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "client_cli/contacts_store.h"
#include "client_cli/smime_trust.h"
#include "pki/id_file.h"
#include "smime/smime.h"

namespace notesd::client {

// What the directory knows of a recipient: its Internet address and certificates (PEM).
struct DirectoryEntry {
  std::string internet_address;
  std::vector<std::string> certificates_pem;
};
// Looks a recipient (address or Notes name) up in the directory; NotFound when unknown.
using DirectoryLookup = std::function<Result<DirectoryEntry>(const std::string& recipient)>;

struct RecipientCertificate {
  std::string recipient;  // as given (--to / --cc)
  std::string address;    // the Internet address the certificate is for
  X509Ptr certificate;
  std::string source;  // "contacts" or "directory"
};

// Resolves a usable certificate for every recipient at `now`. InvalidArgument when any
// recipient has none: "cannot encrypt: no usable certificate for bob@x.example (not in
// your contacts or the directory); carol@y.example: the certificate ... expired on ..."
// (every failing recipient named). `lookup` may be empty (contacts only).
Result<std::vector<RecipientCertificate>> ResolveRecipientCertificates(const std::vector<std::string>& recipients,
                                                                       const ContactsStore& contacts,
                                                                       const DirectoryLookup& lookup, std::time_t now);

struct SmimeSendOptions {
  bool sign = false;
  bool encrypt = false;
  smime::SmimeCipher cipher = smime::SmimeCipher::kAes256Cbc;
};

// Turns a composed plain message into its S/MIME form: sign (the ID's default Internet
// certificate and key, with the issuing chain the ID trusts), then encrypt for every
// recipient certificate and the sender's own certificate. Returns the message
// unchanged when neither is asked. InvalidArgument "your ID has no Internet
// certificate ..." when signing/encrypting without one.
Result<std::string> ApplySmime(const std::string& message, const IdFile& id,
                               const std::vector<RecipientCertificate>& recipients, const SmimeSendOptions& options,
                               std::time_t now);

// Every Internet certificate of the ID with its private key (borrowed from `id`).
smime::SmimeKeys KeysOf(const IdFile& id);

// A read message judged by this user: the library's report plus the trust decision of
// each signed layer.
struct JudgedMessage {
  smime::SmimeReport report;
  std::vector<TrustVerdict> verdicts;  // one per layer (meaningful for signed layers)
  // The first signed layer, or null.
  const smime::SignedLayer* FirstSignature() const;
  const TrustVerdict* FirstVerdict() const;
};
Result<JudgedMessage> JudgeMessage(const std::string& message, const IdFile& id, const TrustSources& sources,
                                   std::time_t now);

// Names the recipients of an encrypted layer: "you" for the user's own certificates,
// the contact's name for a contact's certificate, else RecipientId::Describe().
std::vector<std::string> NameRecipients(const smime::EncryptedLayer& layer, const std::vector<Contact>& contacts);

// What `notes mail read` shows of a message's (innermost) entity, for plain and S/MIME
// mail alike: its first text/plain part (else text/html) with the transfer encoding
// undone (quoted-printable "=46rom", base64), CRLF as LF, control characters escaped, and
// a final line break; then "Attachment: NAME (TYPE, N bytes)" for each attachment.
// Never fails: an entity without text shows only its attachments.
std::string RenderContent(std::string_view entity);

// Text lines ("Label: value") describing the S/MIME layers for `notes mail read`.
std::vector<std::pair<std::string, std::string>> DescribeSmime(const JudgedMessage& judged,
                                                               const std::vector<Contact>& contacts);
// The same as JSON: {"signed","encrypted","tampered","layers":[...]}.
nlohmann::json SmimeJson(const JudgedMessage& judged, const std::vector<Contact>& contacts);

}  // namespace notesd::client
