// tests/unit/smime_test_pki.h — an in-memory test PKI for the S/MIME tests, made once per
// test binary run (RSA-2048 key generation is the slow part): a root CA, an intermediate
// CA, users alice/bob/carol with e-mail protection certificates, and an unrelated root
// with its own user (mallory).
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "pki/crypto.h"
#include "pki/x509_certs.h"

namespace notesd::testing {

struct TestUser {
  EvpPkeyPtr key;
  X509Ptr cert;
  std::string email;
};

class SmimePki {
 public:
  static const SmimePki& Get() {
    static const SmimePki pki;
    return pki;
  }

  std::time_t now = std::time(nullptr);
  EvpPkeyPtr root_key, ca_key, other_root_key;
  X509Ptr root, ca, other_root;
  TestUser alice, bob, carol, mallory;

  // Issues a user certificate for `key` under the intermediate CA.
  X509Ptr IssueUser(EVP_PKEY* key, const std::string& cn, std::vector<std::string> emails,
                    std::uint32_t key_usage = kKeyUsageDigitalSignature | kKeyUsageKeyEncipherment,
                    std::uint32_t eku = kExtKeyUsageEmailProtection, std::time_t not_before = 0,
                    std::time_t not_after = 0) const {
    CertRequest r;
    r.subject = Name(cn, "Acme");
    r.public_key = key;
    r.not_before = not_before != 0 ? not_before : now - 86400;
    r.not_after = not_after != 0 ? not_after : now + 365 * 86400;
    r.key_usage = key_usage;
    r.extended_key_usage = eku;
    r.emails = std::move(emails);
    return std::move(IssueCertificate(r, ca_key.get(), ca.get())).value();
  }

  std::vector<X509*> Roots() const { return {root.get()}; }
  std::vector<X509*> Chain() const { return {ca.get()}; }

  static X509NamePtr Name(const std::string& cn, const std::string& org) {
    X509NamePtr name(X509_NAME_new());
    X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(org.c_str()), -1,
                               -1, 0);
    X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                               -1, 0);
    return name;
  }

 private:
  SmimePki() {
    root_key = std::move(GenerateKey(KeySpec::Rsa2048())).value();
    ca_key = std::move(GenerateKey(KeySpec::Rsa2048())).value();
    other_root_key = std::move(GenerateKey(KeySpec::Rsa2048())).value();
    root = MakeCa(root_key.get(), "Acme Root CA", "Acme", nullptr, nullptr);
    ca = MakeCa(ca_key.get(), "Acme Mail CA", "Acme", root_key.get(), root.get());
    other_root = MakeCa(other_root_key.get(), "Other Root CA", "Other", nullptr, nullptr);
    alice = MakeUser("Alice Able", "alice@example.com");
    bob = MakeUser("Bob Baker", "bob@example.com");
    carol = MakeUser("Carol Cole", "carol@example.net");
    mallory.key = std::move(GenerateKey(KeySpec::Rsa2048())).value();
    mallory.email = "mallory@other.example";
    CertRequest r;
    r.subject = Name("Mallory", "Other");
    r.public_key = mallory.key.get();
    r.not_before = now - 86400;
    r.not_after = now + 365 * 86400;
    r.key_usage = kKeyUsageDigitalSignature | kKeyUsageKeyEncipherment;
    r.extended_key_usage = kExtKeyUsageEmailProtection;
    r.emails = {mallory.email};
    mallory.cert = std::move(IssueCertificate(r, other_root_key.get(), other_root.get())).value();
  }

  X509Ptr MakeCa(EVP_PKEY* key, const std::string& cn, const std::string& org, EVP_PKEY* issuer_key,
                 X509* issuer) const {
    CertRequest r;
    r.subject = Name(cn, org);
    r.public_key = key;
    r.not_before = now - 2 * 86400;
    r.not_after = now + 10 * 365 * 86400;
    r.is_ca = true;
    r.key_usage = kKeyUsageKeyCertSign | kKeyUsageCrlSign;
    return std::move(IssueCertificate(r, issuer_key != nullptr ? issuer_key : key, issuer)).value();
  }

  TestUser MakeUser(const std::string& cn, const std::string& email) const {
    TestUser u;
    u.key = std::move(GenerateKey(KeySpec::Rsa2048())).value();
    u.email = email;
    u.cert = IssueUser(u.key.get(), cn, {email});
    return u;
  }
};

}  // namespace notesd::testing
