// client_cli/contacts_store.h — the user's local names.nsf: contacts (with their Internet
// certificates) and cross-certificates, what `notes contacts` and S/MIME mail read and
// write.
//
// Owns: the file CLIENTDIR/names.nsf (an LMDB .nsf, store/nsf_database.h), its notes and
// views, and the signature that protects every cross-certificate note. Delegates the
// storage to NsfDatabase, the certificate parsing to pki/crypto.h and the trust
// decision to client_cli/smime_trust.h.
//
// Notes in names.nsf:
//   Form "Person" (a contact, as the Domino Directory's Person item names):
//     FullName          text, summary        "Outside Person"
//     InternetAddress   text, summary        "outside@example.org" (may be empty)
//     UserCertificate   text list            one PEM certificate per entry, newest last
//     CertificateFingerprints  text list     SHA-256 (plain hex) of each UserCertificate
//     CertificateAddresses     text list     subjectAltName e-mails of the certificates
//   Form "CrossCertificate" (what this user chose to trust, see below):
//     Certificate       text                 PEM of the trusted certificate
//     Scope             text                 "sender" (that certificate only) or "ca"
//                                            (every certificate that CA issued)
//     Subject           text                 the certificate's subject (RFC 2253)
//     InternetAddresses text list            its subjectAltName e-mails
//     Fingerprint       text                 SHA-256 of the certificate, plain hex
//     CreatedBy         text                 the user's canonical Notes name
//     CreatedAt         time                 when it was made
//     Signature         binary               see CrossCertificateSignedBytes
// Views (all case-insensitive): "ContactsByName" (FullName), "ContactsByAddress"
// (InternetAddress and CertificateAddresses), "ByFingerprint" (CertificateFingerprints
// of contacts and Fingerprint of cross-certificates).
//
// SECURITY: names.nsf sits in the user's directory unencrypted, so anyone who can write
// that file could add a "trusted" certificate. A cross-certificate therefore carries a
// signature by the user's Notes key over every field that matters, and the signature is
// checked each time the cross-certificate is used (ReadCrossCertificates); one that
// fails is reported and never trusted. Contacts are not signed: a contact's certificate
// is only used to encrypt to that person, and its validity is checked at use.
// Certificates come from outside (mail, files): they are parsed with OpenSSL and only
// shown through cli_output's Sanitize.
//
// Thread safety: one ContactsStore per process (NsfDatabase refuses a second open of
// the same file); its methods may be called from any thread.
#pragma once

#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pki/id_file.h"
#include "store/note.h"
#include "store/nsf_database.h"
#include "pki/openssl_handles.h"
#include "base/status.h"

namespace notesd::client {

inline constexpr char kContactForm[] = "Person";
inline constexpr char kCrossCertificateForm[] = "CrossCertificate";
inline constexpr char kContactsByNameView[] = "ContactsByName";
inline constexpr char kContactsByAddressView[] = "ContactsByAddress";
inline constexpr char kByFingerprintView[] = "ByFingerprint";

// A contact, read back. Certificates that no longer parse are left out (and counted).
struct Contact {
  NoteId id = 0;
  std::string unid;
  std::string full_name;
  std::string internet_address;
  std::vector<X509Ptr> certificates;  // UserCertificate, newest last
  int unreadable_certificates = 0;
  TimeMicros created = 0;
  TimeMicros modified = 0;

  Contact() = default;
  Contact(const Contact& other);
  Contact& operator=(const Contact& other);
  Contact(Contact&&) = default;
  Contact& operator=(Contact&&) = default;
};

enum class CrossScope { kSender, kCa };
const char* CrossScopeName(CrossScope scope);  // "sender", "ca"
// "sender" or "ca" (any case); InvalidArgument otherwise.
Result<CrossScope> ParseCrossScope(std::string_view text);

// A cross-certificate note, read back and checked.
struct CrossCertificateRecord {
  NoteId id = 0;
  std::string unid;
  X509Ptr certificate;  // null when the stored PEM does not parse
  CrossScope scope = CrossScope::kSender;
  std::string subject;
  std::vector<std::string> emails;
  std::string fingerprint;  // SHA-256, plain hex, as stored
  std::string created_by;
  TimeMicros created_at = 0;
  // True only when the signature verifies with the verifying key and the certificate
  // matches its stored fingerprint; `problem` says why not otherwise.
  bool valid = false;
  std::string problem;

  CrossCertificateRecord() = default;
  CrossCertificateRecord(const CrossCertificateRecord& other);
  CrossCertificateRecord& operator=(const CrossCertificateRecord& other);
  CrossCertificateRecord(CrossCertificateRecord&&) = default;
  CrossCertificateRecord& operator=(CrossCertificateRecord&&) = default;
};

// The bytes a cross-certificate's Signature covers: a fixed tag, then each of Scope,
// Certificate (the PEM text exactly as stored), Subject, InternetAddresses (each),
// Fingerprint, CreatedBy and CreatedAt (decimal), every one as a 4-byte big-endian
// length and its bytes, so no field can run into the next.
std::string CrossCertificateSignedBytes(const Note& note);

class ContactsStore {
 public:
  // The store's file in a client directory: DIR/names.nsf.
  static std::filesystem::path PathIn(const std::filesystem::path& client_dir);
  // Opens (creating when missing, mode 0600) names.nsf at `path`. Errors as
  // NsfDatabase::Open (AlreadyExists when this process has it open already).
  static Result<std::unique_ptr<ContactsStore>> Open(const std::filesystem::path& path);

  // ---- Contacts ----
  // Adds a contact. InvalidArgument for an empty name or an address that is no
  // address (needs one '@', no spaces or controls); AlreadyExists naming the contact
  // when the name or the address is taken.
  Result<Contact> AddContact(const std::string& full_name, const std::string& internet_address);
  // Every contact, by name.
  Result<std::vector<Contact>> ListContacts() const;
  // A contact by UNID, Internet address or full name (case-insensitive), in that order.
  // NotFound "no contact 'X' in names.nsf"; InvalidArgument when a name matches several.
  Result<Contact> FindContact(std::string_view which) const;
  // The contacts whose InternetAddress or certificate e-mails equal `address`
  // (case-insensitive); empty when none.
  Result<std::vector<Contact>> ContactsForAddress(std::string_view address) const;
  // Adds certificates to a contact (FindContact's `which`), skipping ones it already
  // has. Returns how many were new. NotFound as FindContact.
  Result<int> AddCertificates(std::string_view which, const std::vector<X509*>& certificates);
  // Add Sender to Contacts: the contact with this address (else this name) gets the
  // certificates; a new contact is made when there is none. `created` says which.
  struct SenderResult {
    Contact contact;
    bool created = false;
    int certificates_added = 0;
  };
  Result<SenderResult> AddSender(const std::string& full_name, const std::string& internet_address,
                                 const std::vector<X509*>& certificates);
  Status RemoveContact(std::string_view which);

  // ---- Cross-certificates ----
  // Makes a cross-certificate for `certificate` (borrowed) with `scope`, signed with
  // `signer`'s Notes key and naming it as CreatedBy. AlreadyExists when one for the same
  // certificate and scope exists. Returns it as read back (valid).
  Result<CrossCertificateRecord> AddCrossCertificate(X509* certificate, CrossScope scope, const IdFile& signer,
                                                     TimeMicros now);
  // Every cross-certificate in creation order, each checked against `verifying_key`
  // (the user's Notes public key, borrowed): `valid` false with `problem` for a
  // changed note, another key, or an unreadable certificate.
  Result<std::vector<CrossCertificateRecord>> ReadCrossCertificates(EVP_PKEY* verifying_key) const;
  // Removes the cross-certificate numbered `which` (1-based, ReadCrossCertificates
  // order) or with this SHA-256 fingerprint (either hex style, or a unique prefix of 8+
  // hex digits). Returns what was removed. NotFound / InvalidArgument (ambiguous).
  Result<CrossCertificateRecord> RemoveCrossCertificate(std::string_view which);

  NsfDatabase& database() { return *db_; }

 private:
  explicit ContactsStore(std::unique_ptr<NsfDatabase> db) : db_(std::move(db)) {}
  Result<Note> FindContactNote(const ReadTxn& txn, std::string_view which) const;

  std::unique_ptr<NsfDatabase> db_;
};

// Checks that `address` looks like an Internet address (local@domain, no spaces or
// control characters, no angle brackets). InvalidArgument naming it otherwise.
Status CheckInternetAddress(std::string_view address);

// The signature of a cross-certificate note made with `key` over
// CrossCertificateSignedBytes (SHA-256; RSA PKCS#1 v1.5 or ECDSA by key type).
Result<Bytes> SignCrossCertificate(const Note& note, EVP_PKEY* key);
// Ok when `note`'s Signature verifies with `key`; PermissionDenied otherwise.
Status VerifyCrossCertificate(const Note& note, EVP_PKEY* key);

}  // namespace notesd::client
