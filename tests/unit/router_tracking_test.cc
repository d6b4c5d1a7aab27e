// Tests of Message Tracking's store (router/message_tracking.h): records written in
// batches by the appender, queries by sender, recipient, subject and time, the bound on
// answers, MTExcludeSubject, and the purge of expired records.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>

#include "router/message_tracking.h"
#include "tests/unit/unit_test_support.h"

namespace notesd {
namespace {

namespace fs = std::filesystem;
using testing::Must;

TrackingEvent Event(TimeMicros time, std::string event, std::string sender, std::string recipient,
                    std::string subject) {
  TrackingEvent e;
  e.time = time;
  e.event = std::move(event);
  e.message_id = "<m" + std::to_string(time) + "@test>";
  e.sender = std::move(sender);
  e.recipient = std::move(recipient);
  e.from = e.sender;
  e.subject = std::move(subject);
  e.detail = "detail";
  return e;
}

fs::path TempStorePath() {
  fs::path dir =
      fs::temp_directory_path() / ("notesd_mt_" + std::to_string(::getpid()) + "_" +
                                   std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  fs::create_directories(dir);
  return dir / kTrackingFileName;
}

TEST_CASE("tracking store records, filters and purges", "[router][tracking]") {
  const fs::path path = TempStorePath();
  {
    std::unique_ptr<TrackingStore> store = Must(TrackingStore::Open(path, nullptr));
    CHECK_FALSE(store->Append(Event(1000, "received", "a@x.test", "", "hello")));  // off by default
    store->Configure(true, false);
    CHECK(store->Append(Event(1000, "received", "alice@x.test", "", "Quarterly report")));
    CHECK(store->Append(Event(2000, "delivered", "alice@x.test", "bob@acme.test", "Quarterly report")));
    CHECK(store->Append(Event(3000, "transferred", "carol@acme.test", "dave@ext.test", "Lunch")));
    CHECK(store->Append(Event(4000, "failed", "carol@acme.test", "nobody@acme.test", "Lunch")));

    std::vector<TrackingEvent> all = Must(store->Query({}));
    REQUIRE(all.size() == 4);
    CHECK(all.front().event == "received");  // oldest first
    CHECK(all.back().event == "failed");
    CHECK(all.back().detail == "detail");

    CHECK(Must(store->Query({"ALICE", "", "", 0, 200})).size() == 2);
    CHECK(Must(store->Query({"", "dave@", "", 0, 200})).size() == 1);
    CHECK(Must(store->Query({"", "", "lunch", 0, 200})).size() == 2);
    CHECK(Must(store->Query({"", "", "", 3000, 200})).size() == 2);
    std::vector<TrackingEvent> newest = Must(store->Query({"", "", "", 0, 1}));
    REQUIRE(newest.size() == 1);
    CHECK(newest[0].event == "failed");  // the bound keeps the newest

    store->Configure(true, true);
    CHECK(store->Append(Event(5000, "received", "eve@x.test", "", "secret")));
    std::vector<TrackingEvent> eve = Must(store->Query({"eve", "", "", 0, 200}));
    REQUIRE(eve.size() == 1);
    CHECK(eve[0].subject.empty());
    CHECK(FormatTrackingLine(eve[0]).find("received <m5000@test> from <eve@x.test>") != std::string::npos);

    CHECK(Must(store->PurgeBefore(3000)) == 2);
    CHECK(Must(store->Query({})).size() == 3);
  }
  // The records survive a reopen.
  std::unique_ptr<TrackingStore> again = Must(TrackingStore::Open(path, nullptr));
  CHECK(Must(again->Query({})).size() == 3);
  fs::remove_all(path.parent_path());
}

TEST_CASE("tracking store appends from many threads in batches", "[router][tracking]") {
  const fs::path path = TempStorePath();
  std::unique_ptr<TrackingStore> store = Must(TrackingStore::Open(path, nullptr));
  store->Configure(true, false);
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 250; ++i) store->Append(Event(1 + t * 1000 + i, "received", "s@x", "", "x"));
    });
  for (std::thread& thread : threads) thread.join();
  REQUIRE(store->Flush().ok());
  CHECK(Must(store->Query({"", "", "", 0, 0})).size() == 1000);
  CHECK(store->dropped() == 0);
  store.reset();
  fs::remove_all(path.parent_path());
}

}  // namespace
}  // namespace notesd

namespace notesd {
namespace {

TEST_CASE("TELL ROUTER TRACK arguments", "[router][tracking]") {
  TrackingQuery q = testing::Must(
      ParseTrackingQuery(R"(From=alice to=bob@acme.test subject="quarterly report" since=2026-12-03T07:10)"));
  CHECK(q.from == "alice");
  CHECK(q.to == "bob@acme.test");
  CHECK(q.subject == "quarterly report");
  CHECK(q.since == testing::Must(ParseTrackingTime("2026-12-03T07:10:00Z")));
  CHECK(testing::Must(ParseTrackingTime("1970-01-02")) == 86400LL * 1000000);
  CHECK(testing::Must(ParseTrackingQuery("")).limit == 200);
  CHECK_FALSE(ParseTrackingQuery("color=red").ok());
  CHECK_FALSE(ParseTrackingQuery("alice").ok());
  CHECK_FALSE(ParseTrackingQuery("since=yesterday").ok());
}

}  // namespace
}  // namespace notesd
