// ca_task/icl_database.h — the Issued Certificate List (ICL_<name>.nsf) of one Internet
// certifier: its CA configuration, every certificate it issues, and its CRLs.
//
// Owns the ICL's schema. Notes (all in one LMDB .nsf):
//   Form "CAConfiguration"  the certifier's configuration, one note per revision
//       ConfigRevision (number, 1 at creation), CertifierName (canonical Notes name),
//       CertifierSubject (RFC 2253), CertificateType "Internet", Certificate (PEM root),
//       KeyAlgorithm, ValidityYears, CRLDurationDays, CRLIntervalHours, CertifierIDFile
//       (relative to the data directory), CertifierID (binary: the encrypted certifier
//       ID, so the file can be rewritten from here), EncryptWith (ServerID|Password),
//       RequireActivation (Yes|No), WrappedIDPassword (binary, CMS to server.id; ServerID
//       only), CAAdministrators, RegistrationAuthorities, CAServer, AdminPRequestUNID
//       (the request that made this revision), OriginRequestUNID (the Create Internet
//       Certifier request, kept in every revision), CreatedBy, $Signature (binary).
//       Protected against edits: $Signature is the certifier key's SHA-256 signature over
//       every other item (SignedBytes). This class has no way to change a configuration
//       note; a change is a new revision signed by the certifier, and the CA task refuses
//       a certifier whose configuration does not verify under the certifier ID's key.
//   Form "IssuedCertificate"  one per serial number
//       SerialNumber (upper-case hex, BN_bn2hex form), Subject, NotBefore, NotAfter
//       (times), CertStatus (Reserved|Valid|Revoked), Certificate (PEM), RevokedAt,
//       RevocationReason (number, RFC 5280 CRLReason), AdminPRequestUNID (the request
//       that reserved the serial), PersonName (canonical Notes name of the person it was
//       issued to; "" for a certificate not issued to a person)
//   Form "CRL"  one per CRL issued
//       CRLNumber (number), Regular (Yes|No), ThisUpdate, NextUpdate (times),
//       RevokedCount (number), CRL (binary DER)
// Views: ($Config) revision (10 digits), ($Serials) serial, ($CRLs) CRL number (20 digits),
// ($ByRequest) AdminPRequestUNID of an IssuedCertificate (what an earlier attempt of a
// request made), ($ByPerson) PersonName of an IssuedCertificate (case-insensitive).
//
// Serial numbers are 16 random bytes with the top bit cleared and the next set (a
// positive 127-bit number, at least 64 random bits as CA/B and RFC 5280 practice asks),
// reserved in the ICL in the same transaction that checks they are unused, so two
// certificates of one certifier never share a serial.
//
// Thread safety: all methods may be called from any thread; every change is one LMDB
// write transaction. Open each ICL file once per process: the server uses OpenIcl.
#pragma once

#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ca_task/internet_certifier.h"
#include "store/database_set.h"
#include "store/nsf_database.h"
#include "pki/openssl_handles.h"
#include "base/status.h"

namespace notesd {

struct IclConfig {
  NoteId note_id = 0;
  std::string unid;
  int revision = 1;
  std::string certifier_name;  // canonical Notes name
  std::string subject;         // RFC 2253 text of the root's subject
  std::string certificate_pem;
  std::string key_algorithm;
  int validity_years = 0;
  int crl_duration_days = 0;
  int crl_interval_hours = 0;
  std::string id_file;   // relative to the data directory
  std::string id_image;  // the encrypted certifier ID
  CertifierProtection protection = CertifierProtection::kServerId;
  bool require_activation = false;
  std::string wrapped_id_password;  // CMS DER of the random password (ServerID only)
  std::vector<std::string> caa;
  std::vector<std::string> ra;
  std::string ca_server;
  std::string request_unid;         // the request that made this revision
  std::string origin_request_unid;  // the Create Internet Certifier request (every revision)
  std::string created_by;
  std::string signature;

  // The bytes the signature covers: every field but note_id, unid and signature, in a
  // fixed order, length-prefixed.
  std::string SignedBytes() const;
};

// Signs `config` with the certifier's key (SHA-256; RSA PKCS#1 v1.5 or ECDSA).
Status SignIclConfig(IclConfig& config, EVP_PKEY* key);
// Ok when the signature verifies under `public_key`; PermissionDenied "the CA
// configuration of X has been changed outside the CA (signature does not verify)".
Status VerifyIclConfig(const IclConfig& config, EVP_PKEY* public_key);

enum class CertStatus { kReserved, kValid, kRevoked };
const char* CertStatusName(CertStatus status);

struct IssuedCertificate {
  NoteId note_id = 0;
  std::string serial_hex;
  std::string subject;
  std::time_t not_before = 0;
  std::time_t not_after = 0;
  CertStatus status = CertStatus::kReserved;
  std::string certificate_pem;
  std::time_t revoked_at = 0;
  int revocation_reason = 0;
  std::string request_unid;
  std::string person_name;  // canonical Notes name; "" when not issued to a person
};

// What ReserveSerials records with each new serial.
struct SerialReservation {
  std::string request_unid;
  std::string person_name;  // canonical; may be empty
};

struct CrlRecord {
  NoteId note_id = 0;
  int64_t number = 0;
  bool regular = true;
  std::time_t this_update = 0;
  std::time_t next_update = 0;
  int revoked_count = 0;
  std::string der;
};

class IclDatabase {
 public:
  // Opens the ICL at `path`. `create`: make the file if missing (mode 0600, parent
  // directories too); otherwise NotFound when it does not exist. AlreadyExists if this
  // process has it open already (see NsfDatabase::Open).
  // `clock` stamps notes' created and modified times; default: the system clock.
  static Result<std::unique_ptr<IclDatabase>> Open(const std::filesystem::path& path, bool create,
                                                   std::function<int64_t()> clock = nullptr);

  // ---- configuration ----
  // The newest revision, nullopt when the ICL has none yet (a half-made certifier).
  Result<std::optional<IclConfig>> LatestConfig() const;
  // Stores a configuration revision. It must be signed, and its revision must be 1 for
  // an ICL without configuration, else the newest + 1: AlreadyExists otherwise (so a
  // repeated AdminP request cannot write a second creation). Returns it as stored.
  Result<IclConfig> AddConfig(const IclConfig& config);

  // ---- issued certificates ----
  // Picks a random serial not used in this ICL and records it as Reserved, in one
  // transaction. Returns the serial (upper-case hex).
  Result<std::string> ReserveSerial(const std::string& request_unid, const std::string& person_name = "");
  // ReserveSerial for many in ONE transaction (all or none); serials in input order,
  // all distinct.
  Result<std::vector<std::string>> ReserveSerials(const std::vector<SerialReservation>& reservations);
  // Records the certificate issued under a reserved serial (status Valid). NotFound for
  // an unknown serial; InvalidArgument if the certificate's serial differs.
  Status RecordIssued(const std::string& serial_hex, X509* certificate);
  // RecordIssued for many certificates (their own serials) in ONE transaction. Element i
  // is certificate i's own outcome (NotFound: serial not reserved; InvalidArgument:
  // unreadable certificate); the outer error is a storage failure (nothing recorded).
  Result<std::vector<Status>> RecordIssuedMany(const std::vector<X509*>& certificates);
  // Marks a Valid certificate Revoked. NotFound / InvalidArgument (not Valid).
  Status Revoke(const std::string& serial_hex, std::time_t at, int reason);
  // Revokes several in ONE transaction, all or none (errors as Revoke, naming the
  // serial). Returns them as stored.
  Result<std::vector<IssuedCertificate>> RevokeMany(const std::vector<std::string>& serials, std::time_t at,
                                                    int reason);
  Result<std::optional<IssuedCertificate>> FindSerial(const std::string& serial_hex) const;
  Result<std::vector<IssuedCertificate>> Issued() const;  // in serial order
  // Every entry (any status) whose AdminPRequestUNID is request_unids[i], for each i,
  // read in ONE transaction.
  Result<std::vector<std::vector<IssuedCertificate>>> ForRequests(const std::vector<std::string>& request_unids) const;
  // Every entry (any status) issued to the person (canonical name, case-insensitive).
  Result<std::vector<IssuedCertificate>> ForPerson(const std::string& person_name) const;

  // ---- CRLs ----
  // The newest CRL; with `regular` set, the newest of that kind.
  Result<std::optional<CrlRecord>> LatestCrl(std::optional<bool> regular = std::nullopt) const;
  // Stores a CRL. Its number must be the newest number + 1 (1 for the first):
  // AlreadyExists otherwise.
  Result<CrlRecord> AddCrl(const CrlRecord& crl);

  const std::filesystem::path& path() const { return db_->path(); }
  // The underlying store, for tools and tests (as Directory::Database()).
  NsfDatabase& Database() { return *db_; }

 private:
  explicit IclDatabase(std::unique_ptr<NsfDatabase> db) : db_(std::move(db)) {}
  std::unique_ptr<NsfDatabase> db_;
};

// The ICL at `path` from the server's open databases (store/database_set.h): opened on
// first use (as IclDatabase::Open with `create`), the same object for every task after.
Result<std::shared_ptr<IclDatabase>> OpenIcl(DatabaseSet& databases, const std::filesystem::path& path, bool create);
// For an AdminP handler: the ICL `icl_file` (relative to context.data_dir) through
// context.databases. Internal when the context has no database set.
struct HandlerContext;
Result<std::shared_ptr<IclDatabase>> HandlerIcl(const HandlerContext& context, const std::string& icl_file,
                                                bool create);

// A CRL (v2) of `issuer`: every revoked certificate in `revoked`, CRL number and
// authorityKeyIdentifier extensions, SHA-256 signature. Caller owns the result.
Result<X509CrlPtr> BuildCrl(X509* issuer, EVP_PKEY* issuer_key, int64_t number, std::time_t this_update,
                            std::time_t next_update, const std::vector<IssuedCertificate>& revoked);

// Issues the next CRL of an ICL with the certifier's key and stores it: number = newest +
// 1, valid for the configuration's CRL duration. Returns the stored record.
Result<CrlRecord> IssueCrl(IclDatabase& icl, const IclConfig& config, X509* issuer, EVP_PKEY* issuer_key,
                           std::time_t now, bool regular);

}  // namespace notesd
