// directory/internet_password.h — Internet passwords: the one check behind every login
// that is not a Notes ID (IMAP, POP3, SMTP AUTH; later LDAP and the web console), and
// the one place that sets them.
//
// Owns: hashing (Argon2id, RFC 9106, through libargon2: memory-hard, the Password Hashing
// Competition's winner and OWASP's first choice; OpenSSL 3.0 on Debian 12 has no Argon2),
// the password rules, the Person's HTTPPassword and HTTPPasswordChangeDate items (Domino's
// names; written through Directory::SetHttpPassword), and Domino's "Internet lockout":
// failed logins counted per person and per client address, in memory.
//
// Stored form: the PHC string `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` (16 random
// bytes of salt from OpenSSL's RAND_bytes, a 32-byte hash). The string carries its
// parameters, so they can change later and every older hash still verifies.
//
// notes.ini keys (read when the server's one instance is made, OpenInternetPasswords below;
// they apply at the next server start):
// InternetLockout_MaxTries, InternetLockout_ExpirationMinutes,
// InternetLockout_MaxTriesPerAddress (the table below).
//
// Lockout: a person with InternetLockout_MaxTries failures, or a client address with
// InternetLockout_MaxTriesPerAddress failures, each counted until
// InternetLockout_ExpirationMinutes have passed since that key's latest failure, is refused
// (Unavailable) without the hash being computed. A locked address does not lock the same
// person elsewhere; a locked person is locked from every address (Domino's account lockout;
// an attacker can therefore keep a known name locked, the price of stopping a guesser who
// spreads over many addresses). A success forgets the person's failures. Expiry reads the
// Clock, so tests move time instead of sleeping. Failures of names that are no Person are
// counted against the address only. Memory is bounded: each of the two tables keeps at most
// `max_tracked` keys and forgets the least recently failed one to make room.
//
// CPU and memory: at most InternetPasswordSettings::max_concurrent_hashes Argon2
// computations run at once (19 MiB each by default); more callers wait up to 10 s for a
// turn, then get Unavailable. An unknown person or one without an Internet password is
// checked against a dummy hash, so timing does not tell which names exist.
//
// Logs (source: the caller's task, e.g. "IMAP Server"): every refused login as
// "Internet login failed for <name> from <address>: <reason>", never the password; every
// set password ("Internet password of <person> set by <who>"). Statistics (SHOW STAT):
// Security.InternetLogin.Succeeded, .Failed, .LockedOut, and Security.InternetPassword.Set.
//
// SECURITY: the name, password and address given to Verify are untrusted; names are
// escaped for the log. The stored hash is trusted (only this file writes it).
//
// Thread safety: InternetPasswords and InternetLockout may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <semaphore>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"
#include "base/config_keys.h"
#include "base/logger.h"
#include "base/notes_ini.h"
#include "base/stats.h"
#include "base/status.h"
#include "directory/directory.h"
#include "store/database_set.h"

namespace notesd {

namespace internet_password_keys {
inline constexpr ConfigKey kMaxTries{"InternetLockout_MaxTries",
                                     ConfigType::kInt,
                                     "5",
                                     1,
                                     1000,
                                     "Failed Internet logins (IMAP, POP3, SMTP AUTH) of one person before that person "
                                     "is locked out for InternetLockout_ExpirationMinutes",
                                     "Server",
                                     true};
inline constexpr ConfigKey kExpirationMinutes{"InternetLockout_ExpirationMinutes",
                                              ConfigType::kInt,
                                              "10",
                                              1,
                                              10080,
                                              "Minutes after the latest failed Internet login until a person's or an "
                                              "address's failures are forgotten (and a lockout ends)",
                                              "Server",
                                              true};
inline constexpr ConfigKey kMaxTriesPerAddress{"InternetLockout_MaxTriesPerAddress",
                                               ConfigType::kInt,
                                               "20",
                                               1,
                                               100000,
                                               "Failed Internet logins from one client address, whatever the names, "
                                               "before logins from that address are refused for "
                                               "InternetLockout_ExpirationMinutes",
                                               "Server",
                                               true};
}  // namespace internet_password_keys

// The keys above, for the server's catalogue.
std::span<const ConfigKey> InternetPasswordConfigKeys();

// Argon2id cost parameters (OWASP's first recommendation by default).
struct Argon2Parameters {
  uint32_t memory_kib = 19456;  // m: 19 MiB
  uint32_t iterations = 2;      // t
  uint32_t parallelism = 1;     // p
};

struct InternetPasswordSettings {
  int64_t max_tries = 5;
  int64_t expiration_seconds = 600;
  int64_t max_tries_per_address = 20;
  Argon2Parameters hash;
  int max_concurrent_hashes = 4;
};

// The lockout keys from notes.ini (invalid values: the defaults; `problem`, when given,
// receives why a value was ignored); the hash parameters stay at their defaults.
InternetPasswordSettings ReadInternetPasswordSettings(const NotesIni& ini, std::string* problem = nullptr);

// The rules every new Internet password must meet: not empty, at most 1024 bytes, no NUL
// byte. InvalidArgument saying which rule is broken.
inline constexpr std::size_t kMaxInternetPasswordBytes = 1024;
Status CheckInternetPasswordRules(std::string_view password);

// The PHC string of `password` under a fresh 16-byte salt. Internal when libargon2 or the
// random generator fails (the message names the libargon2 error, never the password).
Result<std::string> HashInternetPassword(std::string_view password, const Argon2Parameters& parameters = {});

// Ok when `password` matches `encoded` (compared in constant time by libargon2);
// PermissionDenied "wrong password" when not; InvalidArgument when `encoded` is not an
// Argon2id PHC string.
Status VerifyInternetPasswordHash(std::string_view encoded, std::string_view password);

// Failure counts per key with expiry, bounded. Two instances of it make the lockout (one
// per person, one per address); InternetPasswords holds both.
class FailureTable {
 public:
  explicit FailureTable(std::size_t max_tracked) : max_tracked_(max_tracked) {}
  // True when `key` has at least `limit` failures, the latest less than
  // `expiration_seconds` before `now_seconds`.
  bool IsLocked(const std::string& key, int64_t limit, int64_t expiration_seconds, int64_t now_seconds);
  // Counts one failure of `key` (starting afresh when its failures had expired); returns
  // the count.
  int64_t AddFailure(const std::string& key, int64_t expiration_seconds, int64_t now_seconds);
  void Forget(const std::string& key);
  std::size_t size() const;

 private:
  struct Entry {
    int64_t failures = 0;
    int64_t latest = 0;  // seconds
    std::list<std::string>::iterator order;
  };
  std::size_t max_tracked_;
  mutable std::mutex mutex_;
  std::list<std::string> order_;  // least recently failed first
  std::unordered_map<std::string, Entry> entries_;
};

class InternetPasswords {
 public:
  // Default bound of each failure table.
  static constexpr std::size_t kDefaultMaxTracked = 10000;

  // `directory`, `clock`, `log` and `stats` must outlive the service. `log_source` names
  // the caller in log lines ("IMAP Server"). The lockout lives in this object: tasks that
  // should share one lockout share one InternetPasswords.
  InternetPasswords(Directory& directory, const Clock& clock, Logger& log, StatsRegistry& stats,
                    InternetPasswordSettings settings, std::string log_source,
                    std::size_t max_tracked = kDefaultMaxTracked);
  InternetPasswords(const InternetPasswords&) = delete;
  InternetPasswords& operator=(const InternetPasswords&) = delete;

  // A login: `name` is any name Domino accepts for an Internet login (the full name,
  // canonical or abbreviated, the common name, the short name or the Internet address),
  // `client_address` the peer's IP address as text. Returns the Person on success.
  // PermissionDenied "invalid user name or password" — the same whether the person does
  // not exist, has no Internet password or the password is wrong; Unavailable "too many
  // failed logins; try again later" while the person or the address is locked out (the
  // hash is then not computed), or "server busy" when no hashing turn came within 10 s;
  // other codes for a directory failure.
  // `log_source`, when given, names the door in the log line instead of the service's own
  // source ("IMAP Server"), so one shared service logs each protocol's failures as its own.
  Result<Person> Verify(std::string_view name, std::string_view password, std::string_view client_address,
                        std::string_view log_source = {});

  // Sets (or replaces) the Internet password of the person found by `person_name`, after
  // CheckInternetPasswordRules; `who` names the one who set it for the log. Returns the
  // Person as stored. InvalidArgument for a password the rules refuse, NotFound for no
  // such person.
  Result<Person> SetPassword(std::string_view person_name, std::string_view password, std::string_view who);

  // The number of hashes computing now and the highest number seen at once (the
  // concurrency bound is visible to tests and SHOW STAT).
  int HashesInFlight() const { return in_flight_.load(); }
  int PeakHashesInFlight() const { return peak_in_flight_.load(); }
  const InternetPasswordSettings& settings() const { return settings_; }

 private:
  // Runs `work` while holding one hashing turn; Unavailable when none came in time.
  Status WithHashingTurn(const std::function<Status()>& work);
  Status Refuse(std::string_view name, std::string_view client_address, std::string_view reason, bool locked,
                std::string_view log_source);
  const std::string& DummyHash();

  Directory& directory_;
  const Clock& clock_;
  Logger& log_;
  StatsRegistry& stats_;
  InternetPasswordSettings settings_;
  std::string log_source_;
  FailureTable person_failures_;
  FailureTable address_failures_;
  std::counting_semaphore<> hashing_turns_;
  std::atomic<int> in_flight_{0};
  std::atomic<int> peak_in_flight_{0};
  std::once_flag dummy_once_;
  std::string dummy_hash_;
};

// The server's one InternetPasswords, kept in its open databases (store/database_set.h)
// beside `<data_dir>/names.nsf`, so the HTTP, IMAP, POP3 and SMTP tasks share one lockout:
// a guesser who moves from IMAP to POP3 keeps his count. Made on first use with the
// lockout keys of `ini` as they are then (they apply at the next server start), logging
// under "Internet Login"; the same object for every task after. `clock`, `log` and
// `stats` must outlive `databases` (the core's own do). Errors as OpenDirectory.
Result<std::shared_ptr<InternetPasswords>> OpenInternetPasswords(DatabaseSet& databases,
                                                                 const std::filesystem::path& data_dir,
                                                                 const Clock& clock, Logger& log, StatsRegistry& stats,
                                                                 const NotesIni& ini);

}  // namespace notesd
