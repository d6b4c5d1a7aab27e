#include "router/recipient_resolver.h"

#include <algorithm>

#include "base/clock.h"
#include "base/notes_ini.h"
#include "base/ascii.h"

namespace notesd {

namespace {

constexpr int kMaxDepth = 12;

RouteTarget Failed(std::string_view top, std::string status, std::string reason) {
  RouteTarget target;
  target.kind = RouteTarget::Kind::kFailed;
  target.recipient = std::string(top);
  target.status = std::move(status);
  target.reason = std::move(reason);
  return target;
}

RouteTarget Retry(std::string_view top, std::string reason) {
  RouteTarget target;
  target.kind = RouteTarget::Kind::kRetry;
  target.recipient = std::string(top);
  target.status = "4.3.0";
  target.reason = std::move(reason);
  return target;
}

// NotFound and an ambiguous name mean "no such recipient"; anything else is the
// directory failing, which is temporary.
bool IsAbsent(const Status& status) {
  return status.code() == StatusCode::kNotFound || status.code() == StatusCode::kInvalidArgument;
}

}  // namespace

std::optional<std::vector<RouteTarget>> ResolutionCache::Find(const std::string& recipient) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(recipient);
  if (it == entries_.end() || it->second.expires_millis < MonotonicMillis()) return std::nullopt;
  return it->second.targets;
}

void ResolutionCache::Put(const std::string& recipient, const std::vector<RouteTarget>& targets) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries_) entries_.clear();  // crude, but bounded
  entries_[recipient] = Entry{MonotonicMillis() + ttl_.count(), targets};
}

RecipientResolver::RecipientResolver(const Directory& directory, std::vector<std::string> local_domains,
                                     ResolutionCache* cache)
    : directory_(directory), local_domains_(std::move(local_domains)), cache_(cache) {}

bool RecipientResolver::IsLocalDomain(std::string_view domain) const {
  return std::any_of(local_domains_.begin(), local_domains_.end(),
                     [&](const std::string& local) { return EqualsIgnoreCase(local, domain); });
}

std::vector<RouteTarget> RecipientResolver::Resolve(std::string_view recipient) const {
  std::string trimmed = TrimSpaces(recipient);
  if (cache_)
    if (auto cached = cache_->Find(trimmed)) return std::move(*cached);
  std::vector<RouteTarget> out;
  std::vector<std::string> seen;
  ResolveInto(trimmed, trimmed, 0, seen, out);
  if (out.empty()) out.push_back(Failed(trimmed, "5.1.1", "the group " + trimmed + " has no members"));
  bool temporary =
      std::any_of(out.begin(), out.end(), [](const RouteTarget& t) { return t.kind == RouteTarget::Kind::kRetry; });
  if (cache_ && !temporary) cache_->Put(trimmed, out);
  return out;
}

RouteTarget RecipientResolver::LocalTarget(const Person& person, std::string_view top) const {
  if (person.mail_file.empty()) return Failed(top, "5.1.1", person.name.Abbreviated() + " has no mail file");
  RouteTarget target;
  target.kind = RouteTarget::Kind::kLocal;
  target.recipient = std::string(top);
  target.person = person.name.Canonical();
  target.mail_file = person.mail_file;
  return target;
}

void RecipientResolver::ResolveInto(std::string_view recipient, std::string_view top, int depth,
                                    std::vector<std::string>& seen, std::vector<RouteTarget>& out) const {
  if (out.size() >= kMaxExpansion) return;
  if (recipient.empty()) {
    out.push_back(Failed(top, "5.1.3", "empty recipient"));
    return;
  }
  std::size_t at = recipient.rfind('@');
  if (at == std::string_view::npos) {
    if (!ResolveName(recipient, top, depth, seen, out))
      out.push_back(Failed(top, "5.1.1", "no person or group named " + std::string(recipient) + " in the directory"));
    return;
  }
  auto person = directory_.FindPersonByAddress(recipient);
  if (person.ok()) {
    out.push_back(LocalTarget(*person, top));
    return;
  }
  if (!IsAbsent(person.status())) {
    out.push_back(Retry(top, "directory lookup failed: " + person.status().message()));
    return;
  }
  std::string_view domain = recipient.substr(at + 1);
  if (!IsLocalDomain(domain)) {
    RouteTarget target;
    target.kind = RouteTarget::Kind::kOutbound;
    target.recipient = std::string(top);
    target.address = std::string(recipient);
    out.push_back(std::move(target));
    return;
  }
  std::string_view local = recipient.substr(0, at);
  if (!ResolveName(local, top, depth, seen, out))
    out.push_back(Failed(top, "5.1.1", "no person or group for " + std::string(recipient) + " in the directory"));
}

bool RecipientResolver::ResolveName(std::string_view name, std::string_view top, int depth,
                                    std::vector<std::string>& seen, std::vector<RouteTarget>& out) const {
  auto person = directory_.FindPerson(name);
  if (person.ok()) {
    out.push_back(LocalTarget(*person, top));
    return true;
  }
  if (!IsAbsent(person.status())) {
    out.push_back(Retry(top, "directory lookup failed: " + person.status().message()));
    return true;
  }
  auto group = directory_.FindGroup(name);
  if (!group.ok()) {
    if (IsAbsent(group.status())) return false;
    out.push_back(Retry(top, "directory lookup failed: " + group.status().message()));
    return true;
  }
  std::string key = ToLowerAscii(group->name);
  if (std::find(seen.begin(), seen.end(), key) != seen.end() || depth >= kMaxDepth) return true;  // cycle: cut
  seen.push_back(key);
  for (const std::string& member : group->members) ResolveInto(TrimSpaces(member), top, depth + 1, seen, out);
  return true;
}

}  // namespace notesd
