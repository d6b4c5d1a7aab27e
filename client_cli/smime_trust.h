// client_cli/smime_trust.h — whom this user trusts for S/MIME: the decision behind
// "Signer trusted: yes/no" in `notes mail read`.
//
// A signer's certificate is trusted when, at the given time,
//  1. a valid cross-certificate of scope "sender" is for exactly that certificate
//     (same SHA-256) and the certificate is within its validity; or
//  2. it chains (OpenSSL X509_verify_cert, purpose S/MIME signing) to a trust anchor:
//     the organisation's Internet roots from the ID (IdFile::TrustAnchors, with the ID's
//     other trusted certificates as intermediates) or a certificate the user
//     cross-certified with scope "ca" (which need not be self-signed: the chain may
//     end at it, X509_V_FLAG_PARTIAL_CHAIN), using the certificates the message carried
//     as intermediates.
// A cross-certificate whose signature did not verify (CrossCertificateRecord::valid
// false) is never used. No CRL or OCSP checking (known limit).
//
// Pure functions over borrowed certificates; thread-safe.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "client_cli/contacts_store.h"
#include "pki/id_file.h"
#include "pki/openssl_handles.h"

namespace notesd::client {

// What the decision may rely on. Pointers are borrowed for the call.
struct TrustSources {
  std::vector<X509*> organisation_roots;  // self-signed anchors from the ID
  std::vector<X509*> intermediates;       // the ID's other trusted certificates
  std::vector<const CrossCertificateRecord*> cross_certificates;
};

// The ID's anchors and intermediates plus every VALID cross-certificate of `cross`
// (borrowed: both must outlive the result).
TrustSources MakeTrustSources(const IdFile& id, const std::vector<CrossCertificateRecord>& cross);

struct TrustVerdict {
  bool trusted = false;
  // When trusted: what the trust rests on, e.g. "cross-certificate for the sender
  // CN=..." / "cross-certificate for the CA CN=VerisignClass1" / "your organisation's
  // root CN=Acme-Corp-Email".
  std::string basis;
  // When not trusted: why, in Notes' words plus OpenSSL's reason.
  std::string reason;
  // The certificate the chain ended at (self-signed root or the top of what the message
  // carried): what `--trust ca` would cross-certify. Null when nothing above the signer
  // is known. Owned (up-referenced).
  X509Ptr issuing_ca;
};

// Decides whether `signer` is trusted at `at`. `message_certificates` are the
// certificates the signed message carried (may include the signer). Never fails: a
// problem is an untrusted verdict with a reason.
TrustVerdict DecideTrust(X509* signer, const std::vector<X509*>& message_certificates, const TrustSources& sources,
                         std::time_t at);

}  // namespace notesd::client
