// directory/internet_password.cc — Argon2id hashing, the Internet lockout, and the login
// check (contract in directory/internet_password.h).
#include "directory/internet_password.h"

#include <argon2.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <iterator>
#include <vector>

#include "base/ascii.h"
#include "base/display_text.h"
#include "pki/crypto.h"

namespace notesd {

namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
constexpr std::chrono::seconds kHashingTurnWait{10};
constexpr const char* kInvalidLogin = "invalid user name or password";
constexpr const char* kLockedOut = "too many failed logins; try again later";

const std::array<ConfigKey, 3> kKeys = {internet_password_keys::kMaxTries, internet_password_keys::kExpirationMinutes,
                                        internet_password_keys::kMaxTriesPerAddress};

// Keys of the failure tables: a person by canonical name, an address as given; both
// case-folded so "CN=Jane Doe/O=Acme" and "cn=jane doe/o=acme" count as one.
std::string FoldKey(std::string_view text) { return ToLowerAscii(text); }

// A Person-less name in a log line: escaped, and cut so a pasted secret does not fill it.
std::string NameForLog(std::string_view name) {
  constexpr std::size_t kMaxShown = 128;
  std::string shown = EscapeForDisplay(name.substr(0, kMaxShown));
  if (name.size() > kMaxShown) shown += "...";
  return shown.empty() ? "(no name)" : shown;
}

}  // namespace

std::span<const ConfigKey> InternetPasswordConfigKeys() { return kKeys; }

InternetPasswordSettings ReadInternetPasswordSettings(const NotesIni& ini, std::string* problem) {
  InternetPasswordSettings settings;
  settings.max_tries = ConfigInt(ini, internet_password_keys::kMaxTries, problem);
  settings.expiration_seconds = ConfigInt(ini, internet_password_keys::kExpirationMinutes, problem) * 60;
  settings.max_tries_per_address = ConfigInt(ini, internet_password_keys::kMaxTriesPerAddress, problem);
  return settings;
}

Status CheckInternetPasswordRules(std::string_view password) {
  if (password.empty()) return Status::InvalidArgument("the Internet password must not be empty");
  if (password.size() > kMaxInternetPasswordBytes)
    return Status::InvalidArgument("the Internet password is " + std::to_string(password.size()) +
                                   " bytes long; at most " + std::to_string(kMaxInternetPasswordBytes) +
                                   " are allowed");
  if (password.find('\0') != std::string_view::npos)
    return Status::InvalidArgument("the Internet password must not contain a NUL byte");
  return Status::Ok();
}

Result<std::string> HashInternetPassword(std::string_view password, const Argon2Parameters& parameters) {
  NOTESD_ASSIGN_OR_RETURN(std::string salt, RandomBytes(kSaltBytes));
  std::size_t length = argon2_encodedlen(parameters.iterations, parameters.memory_kib, parameters.parallelism,
                                         kSaltBytes, kHashBytes, Argon2_id);
  std::vector<char> encoded(length + 1, '\0');
  int rc = argon2id_hash_encoded(parameters.iterations, parameters.memory_kib, parameters.parallelism, password.data(),
                                 password.size(), salt.data(), salt.size(), kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return Status::Internal(std::string("Argon2id hashing failed: ") + argon2_error_message(rc));
  return std::string(encoded.data());
}

Status VerifyInternetPasswordHash(std::string_view encoded, std::string_view password) {
  if (!encoded.starts_with("$argon2id$")) return Status::InvalidArgument("the stored hash is not an Argon2id string");
  std::string terminated(encoded);  // libargon2 wants a C string
  int rc = argon2id_verify(terminated.c_str(), password.data(), password.size());
  if (rc == ARGON2_OK) return Status::Ok();
  if (rc == ARGON2_VERIFY_MISMATCH) return Status::PermissionDenied("wrong password");
  return Status::InvalidArgument(std::string("the stored hash cannot be checked: ") + argon2_error_message(rc));
}

// ----------------------------------------------------------------------- FailureTable

bool FailureTable::IsLocked(const std::string& key, int64_t limit, int64_t expiration_seconds, int64_t now_seconds) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  if (now_seconds - it->second.latest >= expiration_seconds) {
    order_.erase(it->second.order);
    entries_.erase(it);
    return false;
  }
  return it->second.failures >= limit;
}

int64_t FailureTable::AddFailure(const std::string& key, int64_t expiration_seconds, int64_t now_seconds) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (max_tracked_ == 0) return 1;
    while (entries_.size() >= max_tracked_) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(key);
    it = entries_.emplace(key, Entry{0, now_seconds, std::prev(order_.end())}).first;
  } else {
    order_.splice(order_.end(), order_, it->second.order);  // now the most recent
  }
  Entry& entry = it->second;
  if (now_seconds - entry.latest >= expiration_seconds) entry.failures = 0;
  entry.failures++;
  entry.latest = now_seconds;
  return entry.failures;
}

void FailureTable::Forget(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  order_.erase(it->second.order);
  entries_.erase(it);
}

std::size_t FailureTable::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

// ----------------------------------------------------------------- InternetPasswords

InternetPasswords::InternetPasswords(Directory& directory, const Clock& clock, Logger& log, StatsRegistry& stats,
                                     InternetPasswordSettings settings, std::string log_source, std::size_t max_tracked)
    : directory_(directory),
      clock_(clock),
      log_(log),
      stats_(stats),
      settings_(settings),
      log_source_(std::move(log_source)),
      person_failures_(max_tracked),
      address_failures_(max_tracked),
      hashing_turns_(std::max(1, settings.max_concurrent_hashes)) {
  // Registered at once, so SHOW STAT lists them before the first login.
  stats_.Counter("Security.InternetLogin.Succeeded");
  stats_.Counter("Security.InternetLogin.Failed");
  stats_.Counter("Security.InternetLogin.LockedOut");
  stats_.Counter("Security.InternetPassword.Set");
}

Status InternetPasswords::WithHashingTurn(const std::function<Status()>& work) {
  if (!hashing_turns_.try_acquire_for(kHashingTurnWait))
    return Status::Unavailable("server busy checking other logins; try again later");
  int now = ++in_flight_;
  int peak = peak_in_flight_.load();
  while (now > peak && !peak_in_flight_.compare_exchange_weak(peak, now)) {
  }
  Status result = work();
  --in_flight_;
  hashing_turns_.release();
  return result;
}

const std::string& InternetPasswords::DummyHash() {
  std::call_once(dummy_once_, [this] {
    Result<std::string> hash = HashInternetPassword("not a password of anyone", settings_.hash);
    dummy_hash_ = hash.ok() ? *hash : std::string();
  });
  return dummy_hash_;
}

Status InternetPasswords::Refuse(std::string_view name, std::string_view client_address, std::string_view reason,
                                 bool locked, std::string_view log_source) {
  stats_.Counter(locked ? "Security.InternetLogin.LockedOut" : "Security.InternetLogin.Failed")++;
  log_.Log(log_source.empty() ? log_source_ : std::string(log_source), "Internet login failed for " + NameForLog(name) +
                                                                           " from " + NameForLog(client_address) +
                                                                           ": " + std::string(reason));
  return locked ? Status::Unavailable(kLockedOut) : Status::PermissionDenied(kInvalidLogin);
}

Result<Person> InternetPasswords::Verify(std::string_view name, std::string_view password,
                                         std::string_view client_address, std::string_view log_source) {
  const int64_t expiry = settings_.expiration_seconds;
  const std::string address_key = FoldKey(client_address);
  if (address_failures_.IsLocked(address_key, settings_.max_tries_per_address, expiry, clock_.NowSeconds()))
    return Refuse(name, client_address, "locked out: too many failed logins from this address", true, log_source);

  Result<Person> person = Status::NotFound("no name given");
  if (!name.empty() && name.size() <= 1024) person = directory_.FindPerson(name);
  if (!person.ok() && person.status().code() != StatusCode::kNotFound &&
      person.status().code() != StatusCode::kInvalidArgument)
    return person.status();  // the directory failed: not the caller's fault, not counted
  const std::string person_key = person.ok() ? FoldKey(person->name.Canonical()) : std::string();
  if (person.ok() && person_failures_.IsLocked(person_key, settings_.max_tries, expiry, clock_.NowSeconds()))
    return Refuse(name, client_address, "locked out: too many failed logins for this person", true, log_source);

  // Every path below costs one hash, so timing does not tell an unknown name from a wrong
  // password.
  std::string reason;
  bool matched = false;
  Status checked = WithHashingTurn([&]() -> Status {
    if (Status rules = CheckInternetPasswordRules(password); !rules.ok()) {
      (void)VerifyInternetPasswordHash(DummyHash(), "");
      reason = "the password given breaks the password rules";
      return Status::Ok();
    }
    if (!person.ok()) {
      (void)VerifyInternetPasswordHash(DummyHash(), password);
      reason = "no such person (" + person.status().message() + ")";
      return Status::Ok();
    }
    if (person->http_password.empty()) {
      (void)VerifyInternetPasswordHash(DummyHash(), password);
      reason = "the person has no Internet password";
      return Status::Ok();
    }
    Status verified = VerifyInternetPasswordHash(person->http_password, password);
    if (verified.ok()) {
      matched = true;
    } else if (verified.code() == StatusCode::kPermissionDenied) {
      reason = "wrong password";
    } else {
      reason = "the stored Internet password cannot be checked: " + verified.message();
    }
    return Status::Ok();
  });
  if (!checked.ok()) return checked;  // no hashing turn: the login was not tried

  if (matched) {
    person_failures_.Forget(person_key);
    stats_.Counter("Security.InternetLogin.Succeeded")++;
    return std::move(person).value();
  }
  const int64_t now = clock_.NowSeconds();
  int64_t address_count = address_failures_.AddFailure(address_key, expiry, now);
  std::string counts = " (" + std::to_string(address_count) + " from this address";
  if (person.ok())
    counts += ", " + std::to_string(person_failures_.AddFailure(person_key, expiry, now)) + " for this person";
  return Refuse(person.ok() ? person->name.Abbreviated() : name, client_address, reason + counts + ")", false,
                log_source);
}

Result<Person> InternetPasswords::SetPassword(std::string_view person_name, std::string_view password,
                                              std::string_view who) {
  NOTESD_RETURN_IF_ERROR(CheckInternetPasswordRules(password));
  NOTESD_ASSIGN_OR_RETURN(Person person, directory_.FindPerson(person_name));
  std::string encoded;
  NOTESD_RETURN_IF_ERROR(WithHashingTurn([&]() -> Status {
    NOTESD_ASSIGN_OR_RETURN(encoded, HashInternetPassword(password, settings_.hash));
    return Status::Ok();
  }));
  NOTESD_ASSIGN_OR_RETURN(Person stored,
                          directory_.SetHttpPassword(person.name.Canonical(), std::move(encoded), clock_.NowMicros()));
  // A new password ends a lockout of the person: the administrator has just spoken.
  person_failures_.Forget(FoldKey(stored.name.Canonical()));
  stats_.Counter("Security.InternetPassword.Set")++;
  log_.Log(log_source_, "Internet password of " + stored.name.Abbreviated() + " set by " + NameForLog(who));
  return stored;
}

Result<std::shared_ptr<InternetPasswords>> OpenInternetPasswords(DatabaseSet& databases,
                                                                 const std::filesystem::path& data_dir,
                                                                 const Clock& clock, Logger& log, StatsRegistry& stats,
                                                                 const NotesIni& ini) {
  NOTESD_ASSIGN_OR_RETURN(std::shared_ptr<Directory> directory, OpenDirectory(databases, data_dir));
  // Keyed on names.nsf's path: the passwords live there, and the set gives one object per
  // path and kind. The service holds the Directory by reference; the set destroys newest
  // first, so the service goes before the directory it uses.
  return databases.Get<InternetPasswords>(data_dir / "names.nsf", [&](const std::filesystem::path&) {
    return Result<std::unique_ptr<InternetPasswords>>(
        std::make_unique<InternetPasswords>(*directory, clock, log, stats, ReadInternetPasswordSettings(ini),
                                            "Internet Login"));
  });
}

}  // namespace notesd
