#include "ca_task/ca_keyring.h"

#include "base/ascii.h"

namespace notesd {

std::string CaKeyring::Key(const std::string& name) { return ToLowerAscii(name); }

void CaKeyring::Put(const std::string& name, X509Ptr certificate, EvpPkeyPtr key) {
  std::lock_guard lock(mutex_);
  entries_[Key(name)] = std::make_shared<const Entry>(Entry{std::move(certificate), std::move(key)});
}

void CaKeyring::Remove(const std::string& name) {
  std::lock_guard lock(mutex_);
  entries_.erase(Key(name));
}

void CaKeyring::Clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

bool CaKeyring::IsActive(const std::string& name) const {
  std::lock_guard lock(mutex_);
  return entries_.count(Key(name)) != 0;
}

std::vector<std::string> CaKeyring::ActiveNames() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  for (const auto& [name, entry] : entries_) names.push_back(name);
  return names;
}

Result<X509Ptr> CertifierSigner::Sign(const CertRequest& request) const {
  return IssueCertificate(request, key_, certificate_);
}

Result<CertificateIssuer> CertifierSigner::PrepareIssuer() const {
  return CertificateIssuer::Create(key_, certificate_);
}

Status CertifierSigner::SignConfig(IclConfig& config) const { return SignIclConfig(config, key_); }

Status CertifierSigner::VerifyConfig(const IclConfig& config) const { return VerifyIclConfig(config, key_); }

Result<CrlRecord> CertifierSigner::IssueCrl(IclDatabase& icl, const IclConfig& config, std::time_t now,
                                            bool regular) const {
  return notesd::IssueCrl(icl, config, certificate_, key_, now, regular);
}

Status CaKeyring::WithSigner(const std::string& name, const std::function<Status(const CertifierSigner&)>& use) const {
  std::shared_ptr<const Entry> entry;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(Key(name));
    if (it != entries_.end()) entry = it->second;
  }
  // The lock is released here: `entry` keeps the key alive for `use` even if it is
  // removed meanwhile, and other threads may sign in parallel.
  if (!entry)
    return Status::Unavailable("certifier " + name +
                               " is not active in the CA process (start the CA task, or TELL CA ACTIVATE it)");
  return use(CertifierSigner(entry->certificate.get(), entry->key.get()));
}

}  // namespace notesd
