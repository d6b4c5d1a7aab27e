// ca_task/person_certificates.h — Internet (S/MIME) certificates for people: Domino's
// "Add Internet Certificate to Person Record" AdminP request, the certificate it issues,
// its handler (batched: 10,000 requests are a normal admin action), and revocation.
//
// Owns: the request's parameters and their checks (MakeAddInternetCertificateRequest,
// the one way the HTTP API builds one), the person certificate profile
// (PersonCertificateRequest), the handler that issues it from an active certifier
// (MakeAddInternetCertificateHandler, registered by RegisterCaAdminHandlers), and
// RevokeCertificates. Delegates certificate encoding to pki/x509_certs.h, serials and
// the issued list to the ICL (icl_database.h), the certifier's key to the CaKeyring (it
// never leaves it), roles to certifier_document.h, the CRL URL to crl_publication.h.
// Reads names.nsf (Person, Certifier documents, groups) and notes.ini (CA_CRLBaseURL,
// HTTP_CRLPort, HTTP_Address through HandlerContext::config; re-read for every chunk);
// writes the ICL and the Person's UserCertificate item.
//
// ---- The request (admin4.nsf) -----------------------------------------------------------
//   type kRequestAddInternetCertificate (Interval, updates Person documents)
//   ProxyNameList   the person's canonical name
//   ProxyAuthor     the RA who asked (canonical)
//   Param_Certifier      the certifier's canonical name (kParamCertifier)
//   Param_ValidityYears  1..10, default 2 (kParamValidityYears); the certificate never
//                        outlives the certifier's root (notAfter is cut to the root's)
// Results of a done request: Result_Serial (upper-case hex), Result_Certifier (canonical).
//
// ---- The certificate (accepted by Outlook, Thunderbird, OpenSSL smime, gpgsm) ----------
//   v3, SHA-256, signed by the certifier's root; serial: 127 random bits reserved in the
//   ICL. Certifies the person's existing Notes public key (Person PublicKey): no new key
//   is made, the person's ID already holds the private half.
//   subject: the root subject's C/ST/L/O/OU (root order), then CN=<person's common name>
//   subjectAltName rfc822Name=<Internet address>
//   keyUsage (critical): digitalSignature, nonRepudiation, and keyEncipherment (RSA) or
//   keyAgreement (EC); extendedKeyUsage emailProtection; basicConstraints CA:FALSE;
//   subjectKeyIdentifier / authorityKeyIdentifier; cRLDistributionPoints =
//   CrlDistributionUrl(notes.ini, certifier CN) when CRLs are published.
//   notBefore = now - 1 hour (clock skew); notAfter = now + ValidityYears.
//   Note: OpenSSL's S/MIME-encrypt purpose check wants keyEncipherment, so an EC
//   person's certificate verifies for signing (and ECDH encryption in mail clients) but
//   not under OpenSSL's smimeencrypt purpose; RSA people pass both.
//
// ---- The handler: idempotent, exactly one certificate per request -----------------------
// Each run re-checks (permanent failures): the person exists and has an Internet address
// and a Notes public key; the certifier exists and is Internet; the author is an RA of it
// (PermissionDenied); ValidityYears. Then (Unavailable, retried by AdminP) the
// certifier's key must be active in the CA task. Steps, each one transaction for a whole
// chunk of requests, each redone safely after a crash at any point:
//   1. find what earlier attempts of the same request UNIDs left in the ICL ($ByRequest):
//      a Valid certificate is reused as is; a Reserved serial is signed again; a Revoked
//      one (revoked before the request finished) ends the request without a new one;
//   2. reserve serials for the rest ("reserve");
//   3. sign, in parallel on up to 8 threads (std::thread::hardware_concurrency)
//      ("sign");
//   4. record them Valid in the ICL ("record");
//   5. put each new certificate first in its Person's UserCertificate, keeping older
//      ones and never adding one twice ("person").
// A CaStepHook is called after each quoted step; tests throw from it to simulate crashes.
//
// SECURITY: requests come from admin4.nsf, written by the HTTP API for an authenticated
// author; the author's RA role is checked again here, when the request runs. The
// person's name, address and key come from names.nsf and are encoded as typed ASN.1
// values by x509_certs. Known limits: a Person document edited between a chunk's read
// and its write loses that edit (the window is one chunk's signing time); a renamed
// person's old certificates are found by their old name only.
// Thread safety: functions over thread-safe objects; the handler runs on AdminP's thread
// (its signing threads are its own).
#pragma once

#include <cstddef>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ca_task/ca_handlers.h"
#include "ca_task/ca_keyring.h"
#include "ca_task/certifier_document.h"
#include "ca_task/icl_database.h"
#include "pki/openssl_handles.h"
#include "base/status.h"
#include "pki/x509_certs.h"
#include "adminp/admin_requests.h"
#include "directory/directory.h"

namespace notesd {

inline constexpr char kParamValidityYears[] = "ValidityYears";
inline constexpr char kResultSerial[] = "Serial";
inline constexpr char kResultCertifier[] = "Certifier";
inline constexpr int kPersonCertDefaultYears = 2;
inline constexpr int kPersonCertMinYears = 1;
inline constexpr int kPersonCertMaxYears = 10;
// Requests a chunk of AdminP's batch path holds at most.
inline constexpr std::size_t kPersonCertMaxBatch = 256;

// Builds (does not post) the request to add an Internet certificate from `certifier` to
// `person`, asked by `author`, to run on `server_name` (canonical; "" = the certifier's
// CAServer). Checks first, without writing anything: PermissionDenied "Jane Admin/Acme is
// not a registration authority (RA) of certifier Acme-Corp-Email/Acme" unless the author
// is an RA (directly or by group); InvalidArgument "Jane Doe/Acme has no Internet address;
// set one in the Person document before adding an Internet certificate", or naming a
// missing Notes public key; InvalidArgument for validity_years outside 1..10. The caller
// posts it (AdminRequestsDb::Post / PostMany).
Result<AdminRequest> MakeAddInternetCertificateRequest(Directory& directory, const InternetCertifierDocument& certifier,
                                                       const Person& person, const Person& author,
                                                       const std::string& server_name, int validity_years);

// The certificate profile above for `person` (its Internet address and common name)
// with `person_key` (the Notes public key, borrowed: must outlive the returned request)
// under `root`: the subject built from the root's subject, validity from `now`
// (not_after cut to the root's notAfter), `crl_url` as the distribution point when not
// empty. InvalidArgument when the person has no Internet address or the root expires
// before the certificate could start.
Result<CertRequest> PersonCertificateRequest(X509* root, const Person& person, EVP_PKEY* person_key,
                                             const std::string& serial_hex, std::time_t now, int validity_years,
                                             const std::string& crl_url);

// The AdminP handler of kRequestAddInternetCertificate, signing with `keyring`'s keys
// (MaxBatch() = kPersonCertMaxBatch). `hook`: see the top of this file.
std::shared_ptr<AdminRequestHandler> MakeAddInternetCertificateHandler(std::shared_ptr<CaKeyring> keyring,
                                                                       CaStepHook hook = nullptr);

// ---- Revocation -------------------------------------------------------------------------

// What to revoke: one certificate by serial (hex, any case), or every Valid certificate
// the certifier issued to a person (any name FindPerson takes, or a canonical name of a
// person no longer in the directory). Exactly one of the two.
struct RevocationTarget {
  std::string serial_hex;
  std::string person;
};

// Revokes what `target` names among `certifier`'s Valid certificates (in `icl`, its
// ICL) at `now` with RFC 5280 `reason`: first removes them from their Person documents'
// UserCertificate (a revoked certificate is no longer offered), then marks them Revoked
// in the ICL in one transaction (so a crash in between leaves them Valid and a redo
// finishes). The next CRL lists them. Returns them as revoked. NotFound "certifier X
// has no valid certificate with serial S" / "... for Jane Doe/Acme" when nothing
// matches; InvalidArgument for a bad target or reason.
Result<std::vector<IssuedCertificate>> RevokeCertificates(Directory& directory, IclDatabase& icl,
                                                          const InternetCertifierDocument& certifier,
                                                          const RevocationTarget& target, int reason, std::time_t now);

// RFC 5280 CRLReason: a name (case-insensitive: unspecified, keyCompromise,
// cACompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold,
// privilegeWithdrawn) or its number (0-6, 9). InvalidArgument listing them otherwise.
Result<int> ParseRevocationReason(std::string_view text);
// The RFC 5280 name of a reason number; "unknown" for others.
const char* RevocationReasonName(int reason);

}  // namespace notesd
