// ca_task/ca_keyring.h — the certifiers the CA task has activated: their private keys,
// in memory only, behind a narrow signing interface.
//
// Owns: the one place an active certifier's key lives in the server. The CA task puts a
// key here when it activates a certifier and removes it on DEACTIVATE, LOCK IDFILE,
// REFRESH of a changed certifier, or stop. AdminP handlers of the CA (Modify CA
// Configuration, later certificate issue) use a key only through WithKey, so it never
// leaves this object. A certifier that is not active here cannot sign: such requests
// fail as Unavailable and AdminP retries them.
// Thread safety: all methods are thread-safe. WithKey does NOT hold the keyring's lock
// while its function runs: it takes a reference to the certifier's entry (shared_ptr)
// under the lock and releases the lock, so several threads (AdminP's parallel signing of
// a batch of person certificates, a CRL issue by the CA task) may sign with the same or
// different keys at once, and a long batch never blocks Put/Remove/IsActive. A Remove
// or Clear while a function is running takes effect for later calls at once; the key
// itself is freed when the last running function returns. The certificate and key
// passed to the function are shared with other threads: use them read-only (signing
// with an EVP_PKEY from several threads at once is safe in OpenSSL 3).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pki/openssl_handles.h"
#include "base/status.h"

namespace notesd {

class CaKeyring {
 public:
  // Activates `name` (canonical certifier name, case-insensitive) with its root and key.
  void Put(const std::string& name, X509Ptr certificate, EvpPkeyPtr key);
  void Remove(const std::string& name);
  void Clear();
  bool IsActive(const std::string& name) const;
  std::vector<std::string> ActiveNames() const;
  // Runs `use` with the certifier's certificate and key (borrowed for the call; never
  // keep them after it returns). Unavailable "certifier X is not active in the CA
  // process" when it is not. `use` may call back into this keyring.
  Status WithKey(const std::string& name, const std::function<Status(X509* certificate, EVP_PKEY* key)>& use) const;

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
