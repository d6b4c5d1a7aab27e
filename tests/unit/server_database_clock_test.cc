// The server's databases stamp notes with the server clock: every typed accessor of the
// DatabaseSet (names.nsf, admin4.nsf, an ICL, mail.box and mail files) hands the set's
// clock to the store, so after SET CLOCK a new note's created time agrees with the CA,
// AdminP and HTTP, which all read the same clock.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "adminp/admin_requests.h"
#include "base/clock.h"
#include "ca_task/icl_database.h"
#include "directory/directory.h"
#include "router/mail_store.h"
#include "store/database_set.h"
#include "store/nsf_database.h"
#include "tests/unit/unit_test_support.h"

namespace notesd {
namespace {

using testing::TempDir;

constexpr int64_t kTenDays = int64_t{10} * 86400 * 1'000'000;

// The created time of a new note in `db`.
TimeMicros CreatedTimeOfNewNote(NsfDatabase& db) {
  Note note("ClockProbe");
  note.SetText("Subject", "probe");
  Result<Note> stored = db.Create(note);
  REQUIRE(stored.ok());
  return stored->created();
}

// Whether `created` is the advanced clock's time, not the wall clock's.
bool IsAdvancedTime(TimeMicros created, const SystemClock& clock) {
  TimeMicros now = clock.NowMicros();
  return created > now - 60'000'000 && created <= now;
}

TEST_CASE("databases opened through the set stamp notes with the set's clock", "[store][clock]") {
  TempDir dir;
  SystemClock clock;
  clock.Advance(kTenDays);
  DatabaseSet databases(&clock);

  auto directory = OpenDirectory(databases, dir.path);
  REQUIRE(directory.ok());
  CHECK(IsAdvancedTime(CreatedTimeOfNewNote((*directory)->Database()), clock));

  auto requests = OpenAdminRequests(databases, dir.path);
  REQUIRE(requests.ok());
  CHECK(IsAdvancedTime(CreatedTimeOfNewNote((*requests)->Database()), clock));

  auto icl = OpenIcl(databases, dir.path / "icl" / "test.nsf", true);
  REQUIRE(icl.ok());
  CHECK(IsAdvancedTime(CreatedTimeOfNewNote((*icl)->Database()), clock));

  auto mail = OpenMailStore(databases, dir.path);
  REQUIRE(mail.ok());
  CHECK(IsAdvancedTime(CreatedTimeOfNewNote((*mail)->mail_box()), clock));
}

TEST_CASE("a set without a clock stamps notes with the wall clock", "[store][clock]") {
  TempDir dir;
  DatabaseSet databases;
  CHECK_FALSE(databases.NoteClock());
  auto directory = OpenDirectory(databases, dir.path);
  REQUIRE(directory.ok());
  SystemClock wall;
  CHECK(IsAdvancedTime(CreatedTimeOfNewNote((*directory)->Database()), wall));
}

}  // namespace
}  // namespace notesd
