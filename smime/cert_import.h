// smime/cert_import.h — reading certificate files people are sent or export: DER .cer,
// PEM (one or many), PKCS#7 "certs-only" bundles (.p7b/.p7c, DER or PEM), and PKCS#12
// (.p12/.pfx) with a private key.
//
// SECURITY: the files come from outside. Nothing here throws or reads past the given
// bytes; PEM pass phrases are never prompted for. Errors are InvalidArgument naming the
// file and saying what is wrong (empty, truncated, a PKCS#12 or a private key where a
// certificate was expected, not a certificate at all), so a user can act on them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pki/openssl_handles.h"
#include "base/status.h"

namespace notesd::smime {

inline constexpr std::size_t kMaxCertificateFileBytes = 16u << 20;  // 16 MiB

// Every certificate in `file_bytes`, in file order (the caller owns them). `file_name`
// is used in messages only. InvalidArgument, e.g.:
//   "bob.cer: the file is empty"
//   "bob.cer: truncated DER: the data announces 1234 bytes but only 600 are present"
//   "bob.p12: this is a PKCS#12 file (a certificate with its private key); import it
//    as an ID or export the certificate alone"
//   "bob.pem: the PEM file holds a private key but no certificate"
//   "bob.cer: not a certificate (neither PEM nor DER X.509 / PKCS#7)"
Result<std::vector<X509Ptr>> ReadCertificates(std::string_view file_bytes, std::string_view file_name);

struct Pkcs12Contents {
  EvpPkeyPtr key;
  X509Ptr cert;                // the certificate of `key`
  std::vector<X509Ptr> chain;  // the other certificates in the file
};

// Opens a PKCS#12 file with `password` (the empty password is tried as given).
// PermissionDenied "<file>: wrong password" when the MAC does not verify;
// InvalidArgument when the bytes are not PKCS#12 or hold no key / certificate (naming
// the file); Unavailable when the file uses algorithms OpenSSL's default provider lacks
// (old RC2-40 exports).
Result<Pkcs12Contents> ReadPkcs12(std::string_view file_bytes, std::string_view password,
                                  std::string_view file_name = "PKCS#12 file");

// True when a PKCS#12 file (DER) uses a pbeWithSHAAnd3-KeyTripleDES-CBC salt with a zero
// byte. GnuPG 2.2's gpgsm cannot decrypt such a bag ("possibly bad passphrase"), which
// with random 8-byte salts happens to about 1 file in 16: makers of PKCS#12 files meant
// for gpgsm make them again until this is false. The PBE parameters are found by their
// DER bytes (nested bags sit verbatim inside their OCTET STRINGs).
bool HasGpgsmUnreadableSalt(std::string_view pkcs12_der);

}  // namespace notesd::smime
