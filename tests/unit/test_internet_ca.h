// tests/unit/test_internet_ca.h — a throw-away Internet CA for unit tests: a self-signed
// root (ECDSA P-256) that issues S/MIME certificates over any key the test gives it.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

#include "pki/crypto.h"
#include "pki/openssl_handles.h"
#include "pki/x509_certs.h"
#include "tests/unit/unit_test_support.h"

namespace notesd::testing {

// What to put in a certificate the CA issues (an S/MIME leaf with emailProtection).
struct TestLeaf {
  std::string subject = "CN=Jane Doe/O=Acme";
  std::string email = "jane@acme.example";
  std::string serial_hex = "0A1B2C";
  std::time_t not_before = 0;
  std::time_t not_after = 0;
  std::uint32_t key_usage = kKeyUsageDigitalSignature | kKeyUsageKeyEncipherment;
};

struct TestInternetCa {
  EvpPkeyPtr key = Must(GenerateKey(KeySpec::EcdsaP256()));
  X509Ptr cert;

  // A root named `name` (a Notes name), valid from `not_before` for `years`.
  TestInternetCa(const std::string& name, std::time_t not_before, int years = 5) {
    CertRequest request;
    request.subject = Name(name);
    request.public_key = key.get();
    request.not_before = not_before;
    request.not_after = not_before + static_cast<std::time_t>(years) * 365 * 24 * 60 * 60;
    request.is_ca = true;
    request.key_usage = kKeyUsageKeyCertSign | kKeyUsageCrlSign;
    cert = Must(IssueCertificate(request, key.get(), nullptr));
  }

  X509Ptr Issue(EVP_PKEY* subject_key, const TestLeaf& leaf) {
    CertRequest request;
    request.subject = Name(leaf.subject);
    request.public_key = subject_key;
    request.serial_hex = leaf.serial_hex;
    request.not_before = leaf.not_before;
    request.not_after = leaf.not_after;
    request.key_usage = leaf.key_usage;
    request.extended_key_usage = kExtKeyUsageEmailProtection;
    request.emails = {leaf.email};
    return Must(IssueCertificate(request, key.get(), cert.get()));
  }
  std::string IssuePem(EVP_PKEY* subject_key, const TestLeaf& leaf) {
    return Must(CertificateToPem(Issue(subject_key, leaf).get()));
  }
  std::string RootPem() const { return Must(CertificateToPem(cert.get())); }
};

}  // namespace notesd::testing
