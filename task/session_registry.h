// task/session_registry.h — who is connected: the sessions of every door (IMAP, POP3,
// LDAP binds, the client API), for SHOW USERS, DROP and BROADCAST.
//
// A door opens a Session when a client connects (Open), names the person once they
// signed in (SignedIn), touches it on every command (Touch), and lets it go when the
// connection ends (the Session's destructor). DROP calls each matching session's drop
// function, which closes that connection soon, from any thread. The client API has no
// connections of its own to keep (each request is authenticated by its TLS client
// certificate): it records each person's use as a session that is forgotten after
// kApiSessionIdleMillis (Seen), as Domino forgets an idle Notes client session.
//
// BROADCAST: the last message the administrator broadcast, with a number that grows, so
// a door can show it once to each person at their next command or page (TakeBroadcast).
// Thread safety: all methods may be called from any thread at once; a Session belongs to
// one connection.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace notesd {

class SessionRegistry {
 public:
  static constexpr std::int64_t kApiSessionIdleMillis = 15 * 60 * 1000;

  struct SessionInfo {
    std::uint64_t id = 0;
    std::string protocol;        // "IMAP", "POP3", "HTTPS"
    std::string user;            // the person's canonical name; "" before sign-in
    std::string database;        // "mail/jdoe.nsf"
    std::string client_address;  // "127.0.0.1"
    std::int64_t started_millis = 0;
    std::int64_t last_used_millis = 0;  // monotonic
  };
  // Closes the session (soon); called from any thread, at most once per DROP.
  using DropFunction = std::function<void()>;

  // A registration; movable; unregisters when destroyed. A default-constructed one is
  // registered nowhere (every call is a no-op).
  class Session {
   public:
    Session() = default;
    Session(Session&& other) noexcept;
    Session& operator=(Session&& other) noexcept;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    ~Session();

    void SignedIn(std::string user, std::string database);
    void Touch();
    std::uint64_t id() const { return id_; }

   private:
    friend class SessionRegistry;
    Session(SessionRegistry* registry, std::uint64_t id) : registry_(registry), id_(id) {}
    void Release();
    SessionRegistry* registry_ = nullptr;
    std::uint64_t id_ = 0;
  };

  SessionRegistry() = default;
  SessionRegistry(const SessionRegistry&) = delete;
  SessionRegistry& operator=(const SessionRegistry&) = delete;

  // `drop` may be empty (a session that cannot be dropped).
  [[nodiscard]] Session Open(std::string protocol, std::string client_address, DropFunction drop);
  // The client API: `user` used the server now ("HTTPS", their mail file).
  void Seen(std::string_view protocol, std::string_view user, std::string_view database,
            std::string_view client_address);

  // The sessions now, signed-in ones first by user, then the others; API sessions idle
  // for longer than kApiSessionIdleMillis are forgotten first.
  std::vector<SessionInfo> List();
  // DROP: every session of `user` (compared case-insensitively with the canonical name,
  // the abbreviated name "Jane Doe/Acme" or the common name "Jane Doe"), or every session
  // when `user` is "*" or "ALL". Returns how many were dropped.
  std::size_t Drop(std::string_view user);

  // BROADCAST "text": replaces the message; an empty text withdraws it.
  void Broadcast(std::string text);
  // The broadcast `user` has not seen yet, marking it seen; nullopt when there is none.
  std::optional<std::string> TakeBroadcast(std::string_view user);

 private:
  struct Entry {
    SessionInfo info;
    DropFunction drop;
  };
  void Forget(std::uint64_t id);
  void Update(std::uint64_t id, const std::function<void(SessionInfo&)>& change);
  void ForgetIdleApiSessions(std::int64_t now);

  std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Entry> sessions_;
  std::map<std::string, std::uint64_t> api_sessions_;  // "<protocol>\n<user>" -> id
  std::string broadcast_;
  std::set<std::string> broadcast_seen_by_;
};

// True when `typed` names `canonical` ("CN=Jane Doe/O=Acme"): the canonical name, the
// abbreviated one ("Jane Doe/Acme") or the common name, any case.
bool SessionUserMatches(std::string_view canonical, std::string_view typed);

}  // namespace notesd
