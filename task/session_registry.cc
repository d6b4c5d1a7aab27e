#include "task/session_registry.h"

#include <algorithm>
#include <utility>

#include "base/ascii.h"
#include "base/clock.h"

namespace notesd {

namespace {

// "CN=Jane Doe/OU=Sales/O=Acme" -> "Jane Doe/Sales/Acme".
std::string Abbreviated(std::string_view canonical) {
  std::string out;
  std::size_t start = 0;
  while (start <= canonical.size()) {
    std::size_t slash = canonical.find('/', start);
    std::string_view part = canonical.substr(start, slash == std::string_view::npos ? canonical.npos : slash - start);
    std::size_t equals = part.find('=');
    if (equals != std::string_view::npos && equals <= 2) part.remove_prefix(equals + 1);
    if (!out.empty()) out += '/';
    out += part;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

}  // namespace

bool SessionUserMatches(std::string_view canonical, std::string_view typed) {
  if (canonical.empty()) return false;
  std::string abbreviated = Abbreviated(canonical);
  std::string_view common = std::string_view(abbreviated).substr(0, abbreviated.find('/'));
  return EqualsIgnoreCase(typed, canonical) || EqualsIgnoreCase(typed, abbreviated) || EqualsIgnoreCase(typed, common);
}

// ---- Session ---------------------------------------------------------------------------

SessionRegistry::Session::Session(Session&& other) noexcept
    : registry_(std::exchange(other.registry_, nullptr)), id_(std::exchange(other.id_, 0)) {}

SessionRegistry::Session& SessionRegistry::Session::operator=(Session&& other) noexcept {
  if (this != &other) {
    Release();
    registry_ = std::exchange(other.registry_, nullptr);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

SessionRegistry::Session::~Session() { Release(); }

void SessionRegistry::Session::Release() {
  if (registry_) registry_->Forget(id_);
  registry_ = nullptr;
}

void SessionRegistry::Session::SignedIn(std::string user, std::string database) {
  if (!registry_) return;
  registry_->Update(id_, [&](SessionInfo& info) {
    info.user = std::move(user);
    info.database = std::move(database);
    info.last_used_millis = MonotonicMillis();
  });
}

void SessionRegistry::Session::Touch() {
  if (!registry_) return;
  registry_->Update(id_, [](SessionInfo& info) { info.last_used_millis = MonotonicMillis(); });
}

// ---- SessionRegistry -------------------------------------------------------------------

SessionRegistry::Session SessionRegistry::Open(std::string protocol, std::string client_address, DropFunction drop) {
  std::lock_guard lock(mutex_);
  std::uint64_t id = next_id_++;
  Entry entry;
  entry.info.id = id;
  entry.info.protocol = std::move(protocol);
  entry.info.client_address = std::move(client_address);
  entry.info.started_millis = entry.info.last_used_millis = MonotonicMillis();
  entry.drop = std::move(drop);
  sessions_.emplace(id, std::move(entry));
  return Session(this, id);
}

void SessionRegistry::Seen(std::string_view protocol, std::string_view user, std::string_view database,
                           std::string_view client_address) {
  std::int64_t now = MonotonicMillis();
  std::lock_guard lock(mutex_);
  std::string key = std::string(protocol) + "\n" + std::string(user);
  auto found = api_sessions_.find(key);
  if (found != api_sessions_.end()) {
    auto session = sessions_.find(found->second);
    if (session != sessions_.end()) {
      session->second.info.last_used_millis = now;
      session->second.info.client_address = std::string(client_address);
      return;
    }
  }
  std::uint64_t id = next_id_++;
  Entry entry;
  entry.info = {id, std::string(protocol), std::string(user), std::string(database), std::string(client_address), now,
                now};
  // Dropping an API user forgets the session: their next request is a new one.
  entry.drop = [this, id] { Forget(id); };
  sessions_.emplace(id, std::move(entry));
  api_sessions_[key] = id;
}

void SessionRegistry::ForgetIdleApiSessions(std::int64_t now) {
  for (auto it = api_sessions_.begin(); it != api_sessions_.end();) {
    auto session = sessions_.find(it->second);
    if (session == sessions_.end()) {
      it = api_sessions_.erase(it);
    } else if (now - session->second.info.last_used_millis > kApiSessionIdleMillis) {
      sessions_.erase(session);
      it = api_sessions_.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<SessionRegistry::SessionInfo> SessionRegistry::List() {
  std::vector<SessionInfo> out;
  {
    std::lock_guard lock(mutex_);
    ForgetIdleApiSessions(MonotonicMillis());
    for (const auto& [id, entry] : sessions_) out.push_back(entry.info);
  }
  std::stable_sort(out.begin(), out.end(), [](const SessionInfo& a, const SessionInfo& b) {
    if (a.user.empty() != b.user.empty()) return !a.user.empty();
    return a.user < b.user;
  });
  return out;
}

std::size_t SessionRegistry::Drop(std::string_view user) {
  bool all = user == "*" || EqualsIgnoreCase(user, "ALL");
  std::vector<DropFunction> drops;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, entry] : sessions_)
      if (entry.drop && (all || SessionUserMatches(entry.info.user, user))) drops.push_back(entry.drop);
  }
  // Outside the lock: a drop function may end its session (Forget) on this thread.
  for (const DropFunction& drop : drops) drop();
  return drops.size();
}

void SessionRegistry::Broadcast(std::string text) {
  std::lock_guard lock(mutex_);
  broadcast_ = std::move(text);
  broadcast_seen_by_.clear();
}

std::optional<std::string> SessionRegistry::TakeBroadcast(std::string_view user) {
  std::lock_guard lock(mutex_);
  if (broadcast_.empty() || user.empty()) return std::nullopt;
  if (!broadcast_seen_by_.insert(std::string(user)).second) return std::nullopt;
  return broadcast_;
}

void SessionRegistry::Forget(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(id);
}

void SessionRegistry::Update(std::uint64_t id, const std::function<void(SessionInfo&)>& change) {
  std::lock_guard lock(mutex_);
  auto found = sessions_.find(id);
  if (found != sessions_.end()) change(found->second.info);
}

}  // namespace notesd
