// pki/public_key_info.h — a subject's public key as its SubjectPublicKeyInfo: parsed with
// OpenSSL's ASN.1 templates and copied into certificates as it is, never decoded into a
// key object.
//
// Why: OpenSSL 3 decodes a public key through its provider decoders, and X509_set_pubkey
// encodes it again; for bulk issuance (a CA signing 100,000 person certificates) that
// round trip cost more than the RSA signature itself. A certificate only needs the
// algorithm identifier and the key bits, which this keeps. The key itself was checked
// when it was stored (a Person's public key is validated at registration); what is
// checked here is the structure and the algorithm (RSA or EC).
//
// Thread safety: a PublicKeyInfo is immutable; share it read-only.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <openssl/x509.h>

#include "base/status.h"

namespace notesd {

// The parsed fields (defined in public_key_info.cc with their ASN.1 template).
struct PublicKeyInfoFields;

class PublicKeyInfo {
 public:
  // DER SubjectPublicKeyInfo (RFC 5280 4.1.2.7). InvalidArgument when the bytes are not
  // one (trailing bytes included), or the algorithm is neither rsaEncryption nor
  // id-ecPublicKey.
  static Result<PublicKeyInfo> FromDer(std::string_view der);
  // The same from PEM "PUBLIC KEY" (the form Person documents store).
  static Result<PublicKeyInfo> FromPem(std::string_view pem);

  bool IsEc() const { return is_ec_; }
  // Makes `cert`'s subjectPublicKeyInfo a copy of this one. Internal on OpenSSL failure.
  Status CopyInto(X509* cert) const;

 private:
  PublicKeyInfo(std::shared_ptr<const PublicKeyInfoFields> parsed, bool is_ec)
      : parsed_(std::move(parsed)), is_ec_(is_ec) {}

  std::shared_ptr<const PublicKeyInfoFields> parsed_;
  bool is_ec_ = false;
};

}  // namespace notesd
