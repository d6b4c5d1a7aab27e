// Unit tests for directory/internet_password.h: Argon2id hashing, the password rules, the
// Internet lockout (on a test clock), the hashing bound, and what is stored.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/logger.h"
#include "base/stats.h"
#include "directory/directory.h"
#include "directory/internet_password.h"
#include "store/database_set.h"
#include "unit_test_support.h"

using namespace notesd;
using notesd::testing::Must;
using notesd::testing::TempDir;

namespace {

class TestClock final : public Clock {
 public:
  int64_t NowMicros() const override { return now_.load(); }
  void AdvanceSeconds(int64_t seconds) { now_ += seconds * 1'000'000; }

 private:
  std::atomic<int64_t> now_{1'800'000'000LL * 1'000'000};
};

Person MakePerson(const char* name, const char* short_name, const char* address) {
  Person person;
  person.name = notesd::testing::Name(name);
  person.first_name = "First";
  person.last_name = person.name.CommonName();
  person.short_name = short_name;
  person.internet_address = address;
  return person;
}

// A names.nsf with Jane (who will get a password) and Bob, a logger that keeps every line,
// and a service with cheap hash parameters unless a test asks for the defaults.
struct Fixture {
  TempDir temp{"notesd-inetpw-"};
  TestClock clock;
  Logger log{&clock};
  StatsRegistry stats;
  std::vector<std::string> lines;
  std::mutex lines_mutex;
  std::unique_ptr<Directory> directory;
  std::unique_ptr<InternetPasswords> passwords;

  explicit Fixture(InternetPasswordSettings settings = CheapSettings(), std::size_t max_tracked = 10000) {
    log.AddSink([this](const LogRecord& record) {
      std::lock_guard lock(lines_mutex);
      lines.push_back(record.source + ": " + record.message);
    });
    directory = Must(Directory::Open(temp.path / "names.nsf"));
    Must(directory->RegisterPerson(MakePerson("CN=Jane Doe/OU=Sales/O=Acme", "jdoe", "jane.doe@acme.example")));
    Must(directory->RegisterPerson(MakePerson("CN=Bob Smith/O=Acme", "bsmith", "bob@acme.example")));
    passwords = std::make_unique<InternetPasswords>(*directory, clock, log, stats, settings, "Test", max_tracked);
  }
  static InternetPasswordSettings CheapSettings() {
    InternetPasswordSettings settings;
    settings.hash.memory_kib = 64;
    settings.hash.iterations = 1;
    return settings;
  }
  int64_t Stat(const std::string& name) { return stats.Counter(name).load(); }
  std::string AllLines() {
    std::lock_guard lock(lines_mutex);
    std::string all;
    for (const std::string& line : lines) all += line + "\n";
    return all;
  }
};

}  // namespace

TEST_CASE("Argon2id: a PHC string with the OWASP parameters that verifies only its password", "[internet_password]") {
  std::string encoded = Must(HashInternetPassword("correct horse battery staple"));
  CHECK(encoded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
  CHECK(encoded.find("correct horse") == std::string::npos);
  CHECK(VerifyInternetPasswordHash(encoded, "correct horse battery staple").ok());
  Status wrong = VerifyInternetPasswordHash(encoded, "correct horse battery stapler");
  CHECK(wrong.code() == StatusCode::kPermissionDenied);
  // A fresh salt each time: the same password never hashes to the same string.
  CHECK(Must(HashInternetPassword("correct horse battery staple")) != encoded);
  // Other parameters are carried in the string and still verify.
  std::string cheap = Must(HashInternetPassword("pw", Argon2Parameters{64, 1, 1}));
  CHECK(cheap.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
  CHECK(VerifyInternetPasswordHash(cheap, "pw").ok());
  CHECK(VerifyInternetPasswordHash("$2y$10$notargon", "pw").code() == StatusCode::kInvalidArgument);
  CHECK(VerifyInternetPasswordHash("$argon2id$garbage", "pw").code() == StatusCode::kInvalidArgument);
}

TEST_CASE("the password rules name what is wrong", "[internet_password]") {
  CHECK(CheckInternetPasswordRules("x").ok());
  CHECK(CheckInternetPasswordRules(std::string(1024, 'a')).ok());
  Status empty = CheckInternetPasswordRules("");
  CHECK(empty.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(empty.message(), Catch::Contains("must not be empty"));
  Status too_long = CheckInternetPasswordRules(std::string(1025, 'a'));
  CHECK(too_long.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(too_long.message(), Catch::Contains("at most 1024"));
  Status nul = CheckInternetPasswordRules(std::string("ab\0cd", 5));
  CHECK(nul.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(nul.message(), Catch::Contains("NUL"));

  Fixture f;
  Result<Person> refused = f.passwords->SetPassword("jdoe", "", "Admin");
  CHECK(refused.status().code() == StatusCode::kInvalidArgument);
  CHECK(Must(f.directory->FindPerson("jdoe")).http_password.empty());
}

TEST_CASE("a set password is stored as Argon2id in HTTPPassword, never as text", "[internet_password]") {
  Fixture f(InternetPasswordSettings{});  // the default (OWASP) parameters
  const std::string secret = "S3cret-Internet-Pw";
  f.clock.AdvanceSeconds(100);
  Person stored = Must(f.passwords->SetPassword("Jane Doe/Sales/Acme", secret, "Admin/Acme"));
  CHECK(stored.http_password_change_date == f.clock.NowMicros());

  Note note = Must(f.directory->Database().Get(stored.note_id));
  CHECK(note.GetText("HTTPPassword").starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
  CHECK(note.GetTime("HTTPPasswordChangeDate") == f.clock.NowMicros());
  for (const Item& item : note.items()) {
    CAPTURE(item.name);
    for (const std::string& text : note.GetTextList(item.name)) CHECK(text.find(secret) == std::string::npos);
  }
  CHECK(f.AllLines().find(secret) == std::string::npos);
  CHECK_THAT(f.AllLines(), Catch::Contains("Internet password of Jane Doe/Sales/Acme set by Admin/Acme"));
  CHECK(f.Stat("Security.InternetPassword.Set") == 1);

  // An update of other items keeps the password (one Person conversion for every writer).
  stored.first_name = "Janet";
  Person updated = Must(f.directory->UpdatePerson(stored));
  CHECK(updated.http_password == stored.http_password);

  Person verified = Must(f.passwords->Verify("jane.doe@acme.example", secret, "192.0.2.1"));
  CHECK(verified.name.Canonical() == "CN=Jane Doe/OU=Sales/O=Acme");
}

TEST_CASE("Verify accepts every Internet login name and refuses alike", "[internet_password]") {
  Fixture f;
  Must(f.passwords->SetPassword("jdoe", "right", "Admin"));
  auto name = GENERATE(as<std::string>{}, "CN=Jane Doe/OU=Sales/O=Acme", "Jane Doe/Sales/Acme", "jdoe",
                       "JANE.DOE@acme.example", "Jane Doe");
  CAPTURE(name);
  Result<Person> ok = f.passwords->Verify(name, "right", "192.0.2.1");
  REQUIRE(ok.ok());
  CHECK(ok->short_name == "jdoe");
  CHECK(f.Stat("Security.InternetLogin.Succeeded") == 1);

  // Wrong password, unknown person, a person without an Internet password, an empty or
  // over-long password: one answer.
  std::vector<std::pair<std::string, std::string>> refusals = {{name, "Guess-123"},
                                                               {"nobody@acme.example", "right"},
                                                               {"bsmith", "right"},
                                                               {name, ""},
                                                               {name, std::string(2000, 'x')}};
  for (const auto& [login, password] : refusals) {
    CAPTURE(login);
    Result<Person> refused = f.passwords->Verify(login, password, "192.0.2.1");
    CHECK(refused.status().code() == StatusCode::kPermissionDenied);
    CHECK(refused.status().message() == "invalid user name or password");
  }
  CHECK(f.Stat("Security.InternetLogin.Failed") == 5);
  std::string lines = f.AllLines();
  CHECK_THAT(lines,
             Catch::Contains("Test: Internet login failed for Jane Doe/Sales/Acme from 192.0.2.1: wrong password"));
  CHECK_THAT(lines, Catch::Contains("Internet login failed for nobody@acme.example from 192.0.2.1: no such person"));
  CHECK_THAT(lines, Catch::Contains("Internet login failed for Bob Smith/Acme from 192.0.2.1: the person has no "
                                    "Internet password"));
  // The passwords are never in a line.
  CHECK(lines.find("right") == std::string::npos);
  CHECK(lines.find("Guess-123") == std::string::npos);
}

TEST_CASE("the person lockout engages after MaxTries, refuses without hashing, and expires", "[internet_password]") {
  InternetPasswordSettings settings = Fixture::CheapSettings();
  settings.max_tries = 3;
  settings.expiration_seconds = 600;
  Fixture f(settings);
  Must(f.passwords->SetPassword("jdoe", "right", "Admin"));
  for (int i = 0; i < 3; ++i)
    CHECK(f.passwords->Verify("jdoe", "wrong", "192.0.2." + std::to_string(i)).status().code() ==
          StatusCode::kPermissionDenied);
  // Locked from every address, even with the right password.
  Result<Person> locked = f.passwords->Verify("jane.doe@acme.example", "right", "198.51.100.7");
  CHECK(locked.status().code() == StatusCode::kUnavailable);
  CHECK(locked.status().message() == "too many failed logins; try again later");
  CHECK(f.Stat("Security.InternetLogin.LockedOut") == 1);
  CHECK_THAT(f.AllLines(), Catch::Contains("from 198.51.100.7: locked out: too many failed logins for this person"));
  // Bob is not locked.
  Must(f.passwords->SetPassword("bsmith", "bobs", "Admin"));
  CHECK(f.passwords->Verify("bsmith", "bobs", "198.51.100.7").ok());

  f.clock.AdvanceSeconds(599);
  CHECK(f.passwords->Verify("jdoe", "right", "198.51.100.7").status().code() == StatusCode::kUnavailable);
  f.clock.AdvanceSeconds(1);
  CHECK(f.passwords->Verify("jdoe", "right", "198.51.100.7").ok());
}

TEST_CASE("a success resets the person's failures", "[internet_password]") {
  InternetPasswordSettings settings = Fixture::CheapSettings();
  settings.max_tries = 3;
  Fixture f(settings);
  Must(f.passwords->SetPassword("jdoe", "right", "Admin"));
  for (int round = 0; round < 3; ++round) {
    CHECK_FALSE(f.passwords->Verify("jdoe", "wrong", "192.0.2.1").ok());
    CHECK_FALSE(f.passwords->Verify("jdoe", "wrong", "192.0.2.1").ok());
    CHECK(f.passwords->Verify("jdoe", "right", "192.0.2.1").ok());  // two failures, then the reset
  }
  CHECK(f.Stat("Security.InternetLogin.LockedOut") == 0);
}

TEST_CASE("the per-address lockout does not lock another user from another address", "[internet_password]") {
  InternetPasswordSettings settings = Fixture::CheapSettings();
  settings.max_tries = 100;
  settings.max_tries_per_address = 4;
  Fixture f(settings);
  Must(f.passwords->SetPassword("jdoe", "right", "Admin"));
  Must(f.passwords->SetPassword("bsmith", "bobs", "Admin"));
  // A guesser at one address tries many names.
  for (int i = 0; i < 4; ++i)
    CHECK(f.passwords->Verify("guess" + std::to_string(i), "x", "203.0.113.9").status().code() ==
          StatusCode::kPermissionDenied);
  CHECK(f.passwords->Verify("bsmith", "bobs", "203.0.113.9").status().code() == StatusCode::kUnavailable);
  CHECK_THAT(f.AllLines(), Catch::Contains("locked out: too many failed logins from this address"));
  // Bob and Jane from their own addresses are not affected.
  CHECK(f.passwords->Verify("bsmith", "bobs", "198.51.100.2").ok());
  CHECK(f.passwords->Verify("jdoe", "right", "198.51.100.3").ok());
  f.clock.AdvanceSeconds(settings.expiration_seconds);
  CHECK(f.passwords->Verify("bsmith", "bobs", "203.0.113.9").ok());
}

TEST_CASE("the failure tables are bounded and forget the least recent", "[internet_password]") {
  FailureTable table(3);
  for (int i = 0; i < 10; ++i) table.AddFailure("k" + std::to_string(i), 600, 1000 + i);
  CHECK(table.size() == 3);
  CHECK(table.IsLocked("k9", 1, 600, 1010));
  CHECK(table.IsLocked("k7", 1, 600, 1010));
  CHECK_FALSE(table.IsLocked("k6", 1, 600, 1010));
  // A failure makes a key the most recent: k7 survives the next new key, k8 does not.
  table.AddFailure("k7", 600, 1011);
  table.AddFailure("k10", 600, 1012);
  CHECK(table.IsLocked("k7", 2, 600, 1012));
  CHECK_FALSE(table.IsLocked("k8", 1, 600, 1012));
  // Expired failures start afresh.
  CHECK(table.AddFailure("k7", 600, 1011 + 600) == 1);

  Fixture f(Fixture::CheapSettings(), /*max_tracked=*/8);
  for (int i = 0; i < 50; ++i) (void)f.passwords->Verify("jdoe", "wrong", "10.0.0." + std::to_string(i));
  CHECK(f.passwords->Verify("jdoe", "x", "10.0.1.1").status().code() == StatusCode::kUnavailable);
}

TEST_CASE("at most max_concurrent_hashes Argon2 computations run at once", "[internet_password]") {
  InternetPasswordSettings settings;  // 19 MiB, t=2: long enough for threads to overlap
  settings.max_concurrent_hashes = 2;
  settings.max_tries = 1000;
  settings.max_tries_per_address = 1000;
  Fixture f(settings);
  Must(f.passwords->SetPassword("jdoe", "right", "Admin"));
  std::vector<std::thread> threads;
  threads.reserve(8);
  std::atomic<int> succeeded{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      if (f.passwords->Verify("jdoe", i % 2 ? "right" : "wrong", "192.0.2.1").ok()) succeeded++;
    });
  for (std::thread& thread : threads) thread.join();
  CHECK(succeeded == 4);
  CHECK(f.passwords->PeakHashesInFlight() == 2);
  CHECK(f.passwords->HashesInFlight() == 0);
}

TEST_CASE("the lockout keys are read from notes.ini", "[internet_password]") {
  NotesIni ini;
  ini.Set("InternetLockout_MaxTries", "7");
  ini.Set("InternetLockout_ExpirationMinutes", "3");
  ini.Set("InternetLockout_MaxTriesPerAddress", "0");  // out of range: the default
  std::string problem;
  InternetPasswordSettings settings = ReadInternetPasswordSettings(ini, &problem);
  CHECK(settings.max_tries == 7);
  CHECK(settings.expiration_seconds == 180);
  CHECK(settings.max_tries_per_address == 20);
  CHECK_THAT(problem, Catch::Contains("InternetLockout_MaxTriesPerAddress"));
}

TEST_CASE("the server's open databases hold one InternetPasswords, so every door shares one lockout",
          "[internet_password]") {
  TempDir temp{"notesd-inetpw-set-"};
  TestClock clock;
  Logger log{&clock};
  StatsRegistry stats;
  std::vector<std::string> lines;
  log.AddSink([&lines](const LogRecord& record) { lines.push_back(record.source + ": " + record.message); });
  NotesIni ini;
  ini.Set("InternetLockout_MaxTries", "2");
  DatabaseSet databases;
  std::shared_ptr<InternetPasswords> imap = Must(OpenInternetPasswords(databases, temp.path, clock, log, stats, ini));
  std::shared_ptr<InternetPasswords> pop3 =
      Must(OpenInternetPasswords(databases, temp.path, clock, log, stats, NotesIni()));
  REQUIRE(imap.get() == pop3.get());
  CHECK(imap->settings().max_tries == 2);  // the first caller's notes.ini made it

  std::shared_ptr<Directory> directory = Must(OpenDirectory(databases, temp.path));
  Must(directory->RegisterPerson(MakePerson("CN=Jane Doe/O=Acme", "jdoe", "jane@acme.example")));
  Must(imap->SetPassword("jdoe", "right", "Admin"));
  CHECK(imap->Verify("jdoe", "wrong", "192.0.2.1", "IMAP Server").status().code() == StatusCode::kPermissionDenied);
  CHECK(pop3->Verify("jdoe", "wrong", "192.0.2.2", "POP3 Server").status().code() == StatusCode::kPermissionDenied);
  // Two failures through two doors lock the person out of both.
  CHECK(imap->Verify("jdoe", "right", "192.0.2.3", "IMAP Server").status().code() == StatusCode::kUnavailable);
  bool imap_logged = false;
  bool pop3_logged = false;
  for (const std::string& line : lines) {
    imap_logged = imap_logged || line.starts_with("IMAP Server: Internet login failed for Jane Doe/Acme");
    pop3_logged = pop3_logged || line.starts_with("POP3 Server: Internet login failed for Jane Doe/Acme");
  }
  CHECK(imap_logged);
  CHECK(pop3_logged);
}
