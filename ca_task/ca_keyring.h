// ca_task/ca_keyring.h — the certifiers the CA task has activated: their private keys,
// in memory only, behind a narrow signing interface.
//
// Owns: the one place an active certifier's key lives in the server. The CA task puts a
// key here when it activates a certifier and removes it on DEACTIVATE, LOCK IDFILE,
// REFRESH of a changed certifier, or stop. The CA task (CRLs, configuration checks) and
// the AdminP handlers of the CA (Modify CA Configuration, person certificates) reach a
// key only through WithSigner, which hands out a CertifierSigner: the narrow signing
// call that signs a certificate request, a CA configuration or a CRL and never returns
// the key. A certifier that is not active here cannot sign: such requests fail as
// Unavailable and AdminP retries them.
// Thread safety: all methods are thread-safe. WithSigner does NOT hold the keyring's lock
// while its function runs: it takes a reference to the certifier's entry (shared_ptr)
// under the lock and releases the lock, so several threads (AdminP's parallel signing of
// a batch of person certificates, a CRL issue by the CA task) may sign with the same or
// different keys at once, and a long batch never blocks Put/Remove/IsActive. A Remove
// or Clear while a function is running takes effect for later calls at once; the key
// itself is freed when the last running function returns. A signer may be used from
// several threads at once (signing with one EVP_PKEY from several threads is safe in
// OpenSSL 3).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "ca_task/icl_database.h"
#include "pki/openssl_handles.h"
#include "pki/x509_certs.h"

namespace notesd {

// One active certifier's signing operations, borrowed from the keyring for one call of
// WithSigner. Its key stays inside: there is no accessor for it.
class CertifierSigner {
 public:
  // The certifier's own certificate (public).
  X509* Certificate() const { return certificate_; }
  // Signs `request` (SHA-256) as this certifier; the issuer name and authority key come
  // from Certificate().
  Result<X509Ptr> Sign(const CertRequest& request) const;
  // For signing many certificates on one thread: an issuer that prepares its signing
  // context once (pki/x509_certs.h). It holds the key privately and must not outlive
  // the WithSigner call.
  Result<CertificateIssuer> PrepareIssuer() const;
  // Signs a CA configuration revision for its ICL (SignIclConfig).
  Status SignConfig(IclConfig& config) const;
  // Whether `config` is signed by this certifier's key (VerifyIclConfig).
  Status VerifyConfig(const IclConfig& config) const;
  // Issues and stores the ICL's next CRL (IssueCrl).
  Result<CrlRecord> IssueCrl(IclDatabase& icl, const IclConfig& config, std::time_t now, bool regular) const;

 private:
  friend class CaKeyring;
  CertifierSigner(X509* certificate, EVP_PKEY* key) : certificate_(certificate), key_(key) {}
  X509* certificate_;
  EVP_PKEY* key_;
};

class CaKeyring {
 public:
  // Activates `name` (canonical certifier name, case-insensitive) with its root and key.
  void Put(const std::string& name, X509Ptr certificate, EvpPkeyPtr key);
  void Remove(const std::string& name);
  void Clear();
  bool IsActive(const std::string& name) const;
  std::vector<std::string> ActiveNames() const;
  // Runs `use` with the certifier's signer (borrowed for the call; never keep it after
  // it returns). Unavailable "certifier X is not active in the CA process" when it is
  // not. `use` may call back into this keyring.
  Status WithSigner(const std::string& name, const std::function<Status(const CertifierSigner& signer)>& use) const;

 private:
  struct Entry {
    X509Ptr certificate;
    EvpPkeyPtr key;
  };
  static std::string Key(const std::string& name);

  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const Entry>> entries_;
};

}  // namespace notesd
