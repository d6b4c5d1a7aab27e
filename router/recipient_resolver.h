// router/recipient_resolver.h — where a recipient's mail goes: a local mail file, the
// Internet (SMTP through the relay host), or nowhere (a delivery failure).
//
// Rules, in order, for one recipient as written in the envelope:
//  1. An Internet address ("x@y"): a Person whose InternetAddress it is -> local. Else,
//     when y is one of our Internet domains (SMTPDomains), the local part is looked up
//     as any name of a Person (short name, common name...) or a Group's ListName; none ->
//     failed 5.1.1. Else (another domain) -> outbound.
//  2. Any other text is a Notes name: a Person by any of their names -> local; a Group ->
//     each member resolved again (members may be Internet addresses); none -> failed.
// Groups nest; cycles are cut and an expansion stops at kMaxExpansion targets. A Person
// without a MailFile fails with 5.1.1 ("has no mail file"). A directory that cannot be
// read gives kRetry (try again later), never a failure.
// With no configured domains, only the addresses of people in the directory are local.
//
// Thread safety: const methods, safe from any thread (the Directory is thread-safe).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "directory/directory.h"

namespace notesd {

struct RouteTarget {
  enum class Kind { kLocal, kOutbound, kFailed, kRetry };
  Kind kind = Kind::kFailed;
  std::string recipient;  // as written in the envelope (the top-level recipient)
  std::string person;     // kLocal: the Person's canonical name
  std::string mail_file;  // kLocal: "mail/jdoe.nsf"
  std::string address;    // kOutbound: the Internet address to send to
  std::string status;     // kFailed: enhanced status code, "5.1.1"
  std::string reason;     // kFailed/kRetry: human text
};

// Resolutions remembered for a short time, so a burst of mail to the same people does
// not read the directory for every message (the SMTP listener shares one across its
// sessions; a Router pass uses its own). Results that say "try later" are not kept.
// Thread-safe.
class ResolutionCache {
 public:
  explicit ResolutionCache(std::chrono::milliseconds ttl, std::size_t max_entries = 10000)
      : ttl_(ttl), max_entries_(max_entries) {}
  std::optional<std::vector<RouteTarget>> Find(const std::string& recipient) const;
  void Put(const std::string& recipient, const std::vector<RouteTarget>& targets);

 private:
  struct Entry {
    std::int64_t expires_millis = 0;
    std::vector<RouteTarget> targets;
  };
  std::chrono::milliseconds ttl_;
  std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

class RecipientResolver {
 public:
  static constexpr std::size_t kMaxExpansion = 1000;

  // `directory` (and `cache`, when given) are borrowed and must outlive the resolver.
  // `local_domains` are compared case-insensitively.
  RecipientResolver(const Directory& directory, std::vector<std::string> local_domains,
                    ResolutionCache* cache = nullptr);

  // One or more targets (several for a group). Never empty.
  std::vector<RouteTarget> Resolve(std::string_view recipient) const;
  bool IsLocalDomain(std::string_view domain) const;
  const std::vector<std::string>& local_domains() const { return local_domains_; }

 private:
  void ResolveInto(std::string_view recipient, std::string_view top, int depth, std::vector<std::string>& seen,
                   std::vector<RouteTarget>& out) const;
  // Person or group by a Notes name; false when neither exists (out untouched).
  bool ResolveName(std::string_view name, std::string_view top, int depth, std::vector<std::string>& seen,
                   std::vector<RouteTarget>& out) const;
  RouteTarget LocalTarget(const Person& person, std::string_view top) const;

  const Directory& directory_;
  std::vector<std::string> local_domains_;
  ResolutionCache* cache_;
};

}  // namespace notesd
