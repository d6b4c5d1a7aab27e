// Unit tests for adminp/: the timing classes on a fake clock (AdminPSchedule), the TELL
// ADMINP PROCESS selections, and the AdminProcessor that works requests (crash redo,
// idempotent handlers, retries).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

#include "adminp/adminp_schedule.h"
#include "adminp/adminp_task.h"

using namespace notesd;

namespace {

std::tm Utc(std::time_t seconds) {
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return utc;
}

// 2027-01-06 is a Wednesday; 2027-01-10 a Sunday.
constexpr int64_t kWednesdayMidnight = 1'799'193'600;  // 2027-01-06T00:00:00Z
constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 24 * kHour;

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t micros) : now_(micros) {}
  int64_t NowMicros() const override { return now_; }
  void Advance(int64_t micros) { now_ += micros; }

 private:
  int64_t now_;
};

}  // namespace

TEST_CASE("the fake week starts where the test thinks", "[adminp]") {
  std::tm wednesday = Utc(kWednesdayMidnight);
  CHECK(wednesday.tm_wday == 3);
  CHECK(wednesday.tm_hour == 0);
  CHECK(Utc(kWednesdayMidnight + 4 * kDay).tm_wday == 0);
}

TEST_CASE("immediate requests are polled every minute, interval ones every interval", "[adminp]") {
  AdminPSchedule schedule(Utc);
  AdminPScheduleConfig config;
  config.interval_seconds = 3600;
  config.daily_hour = 23;
  const int64_t t0 = kWednesdayMidnight + 10 * kHour;
  schedule.MarkAllRun(t0);
  CHECK(schedule.TakeDue(t0 + 59, config).empty());
  CHECK(schedule.SecondsUntilNextPoll(t0 + 59, config) == 1);
  CHECK(schedule.TakeDue(t0 + 60, config) == std::set<TimingClass>{TimingClass::kImmediate});
  CHECK(schedule.TakeDue(t0 + 61, config).empty());
  CHECK(schedule.TakeDue(t0 + 3599, config) == std::set<TimingClass>{TimingClass::kImmediate});
  CHECK(schedule.TakeDue(t0 + 3600, config) == std::set<TimingClass>{TimingClass::kImmediate, TimingClass::kInterval});
  CHECK(schedule.TakeDue(t0 + 3601, config).empty());

  // AdminP_Interval_Seconds below a minute also shortens the immediate poll.
  config.interval_seconds = 5;
  schedule.MarkAllRun(t0);
  CHECK(schedule.SecondsUntilNextPoll(t0, config) == 5);
  CHECK(schedule.TakeDue(t0 + 5, config) == std::set<TimingClass>{TimingClass::kImmediate, TimingClass::kInterval});
}

TEST_CASE("daily requests run once a day at AdminPModifyPersonDocumentsAt", "[adminp]") {
  AdminPSchedule schedule(Utc);
  AdminPScheduleConfig config;
  config.daily_hour = 2;
  schedule.MarkAllRun(kWednesdayMidnight + 12 * kHour);  // started Wednesday noon
  auto daily_at = [&](int64_t t) { return schedule.TakeDue(t, config).count(TimingClass::kDaily) == 1; };
  CHECK_FALSE(daily_at(kWednesdayMidnight + 23 * kHour));        // same day: already run at start
  CHECK_FALSE(daily_at(kWednesdayMidnight + kDay + 1 * kHour));  // Thursday 01:00: too early
  CHECK(daily_at(kWednesdayMidnight + kDay + 2 * kHour));        // Thursday 02:00
  CHECK_FALSE(daily_at(kWednesdayMidnight + kDay + 3 * kHour));  // once a day
  CHECK(daily_at(kWednesdayMidnight + 2 * kDay + 5 * kHour));    // Friday, late poll still counts
}

TEST_CASE("delayed requests run on Sunday from midnight, once", "[adminp]") {
  AdminPSchedule schedule(Utc);
  AdminPScheduleConfig config;
  schedule.MarkAllRun(kWednesdayMidnight);
  auto delayed_at = [&](int64_t t) { return schedule.TakeDue(t, config).count(TimingClass::kDelayed) == 1; };
  CHECK_FALSE(delayed_at(kWednesdayMidnight + 3 * kDay + 23 * kHour));  // Saturday night
  CHECK(delayed_at(kWednesdayMidnight + 4 * kDay));                     // Sunday 00:00
  CHECK_FALSE(delayed_at(kWednesdayMidnight + 4 * kDay + kHour));
  CHECK_FALSE(delayed_at(kWednesdayMidnight + 5 * kDay));  // Monday
  CHECK(delayed_at(kWednesdayMidnight + 11 * kDay + 30));  // next Sunday
}

TEST_CASE("TELL ADMINP PROCESS words select timing classes", "[adminp]") {
  struct Row {
    const char* word;
    std::set<TimingClass> classes;
    bool only_new;
    bool only_people;
  };
  const std::set<TimingClass> scheduled = {TimingClass::kImmediate, TimingClass::kInterval, TimingClass::kDaily,
                                           TimingClass::kDelayed};
  std::set<TimingClass> with_timed = scheduled;
  with_timed.insert(TimingClass::kTimed);
  auto row = GENERATE_COPY(values<Row>({
      {"ALL", scheduled, false, false},
      {"a", scheduled, false, false},
      {"new", with_timed, true, false},
      {"PEOPLE", scheduled, false, true},
      {"interval", {TimingClass::kImmediate, TimingClass::kInterval}, false, false},
      {"daily", {TimingClass::kDaily}, false, false},
      {"DELAYED", {TimingClass::kDelayed}, false, false},
      {"time", {TimingClass::kTimed}, false, false},
  }));
  CAPTURE(row.word);
  auto selection = ParseProcessSelection(row.word);
  REQUIRE(selection.ok());
  CHECK(selection->classes == row.classes);
  CHECK(selection->only_new == row.only_new);
  CHECK(selection->only_people == row.only_people);
  CHECK(selection->ignore_backoff);
  CHECK(ParseProcessSelection("d").status().code() == StatusCode::kInvalidArgument);  // DAILY or DELAYED
  CHECK(ParseProcessSelection("everything").status().code() == StatusCode::kInvalidArgument);
}

namespace {

// A handler that counts its runs; fails while `failures` > 0.
class CountingHandler final : public AdminRequestHandler {
 public:
  std::string Type() const override { return kRequestCreateInternetCertifier; }
  Status Handle(const AdminRequest& request, HandlerContext& context) override {
    ++runs;
    last_attempt = request.attempts;
    if (failures > 0) {
      --failures;
      return Status::Unavailable("not yet");
    }
    context.results.results["Made"] = request.target;
    return Status::Ok();
  }
  int runs = 0;
  int failures = 0;
  int last_attempt = 0;
};

struct ProcessorFixture {
  std::filesystem::path dir;
  std::shared_ptr<AdminRequestsDb> db;
  std::shared_ptr<AdminRequestHandlerRegistry> handlers = std::make_shared<AdminRequestHandlerRegistry>();
  std::shared_ptr<CountingHandler> handler = std::make_shared<CountingHandler>();
  FakeClock clock{kWednesdayMidnight * 1'000'000};

  ProcessorFixture() {
    std::random_device random;
    dir = std::filesystem::temp_directory_path() /
          ("notesd-adminp-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
    std::filesystem::create_directories(dir);
    auto opened = AdminRequestsDb::Open(dir / "admin4.nsf");
    REQUIRE(opened.ok());
    db = std::move(opened).value();
    REQUIRE(handlers->Add(handler).ok());
  }
  ~ProcessorFixture() {
    db.reset();
    std::filesystem::remove_all(dir);
  }
  AdminProcessor::Environment Environment() {
    AdminProcessor::Environment env;
    env.requests = db;
    env.handlers = handlers;
    env.handler_context.clock = &clock;
    env.handler_context.server_name = "CN=Acme01/O=Acme";
    return env;
  }
  std::string Post(const std::string& server = "CN=Acme01/O=Acme") {
    AdminRequest request;
    request.type = kRequestCreateInternetCertifier;
    request.author = "CN=Jane Admin/O=Acme";
    request.server = server;
    request.target = "CN=Acme-Corp-Email/O=Acme";
    auto posted = db->Post(request);
    REQUIRE(posted.ok());
    return posted->unid;
  }
};

}  // namespace

TEST_CASE("a pass works the selected timing classes only", "[adminp]") {
  ProcessorFixture fixture;
  std::string unid = fixture.Post();  // Create Internet Certifier is an Interval request
  AdminProcessor processor(fixture.Environment());
  auto daily = processor.RunPass(*ParseProcessSelection("DAILY"), fixture.clock.NowMicros());
  REQUIRE(daily.ok());
  CHECK(daily->begun == 0);
  CHECK(daily->Text() == "Admin Process: No requests to process");
  auto interval = processor.RunPass(*ParseProcessSelection("INTERVAL"), fixture.clock.NowMicros());
  REQUIRE(interval.ok());
  CHECK(interval->begun == 1);
  CHECK(interval->done == 1);
  CHECK(interval->Text() == "Admin Process: Processed 1 request(s): 1 done, 0 failed, 0 to retry");
  CHECK(fixture.db->Get(unid)->status == RequestStatus::kDone);
  CHECK(fixture.db->Responses(unid)->front().results.at("Made") == "CN=Acme-Corp-Email/O=Acme");
  // Done is done: another pass does not run the handler again.
  REQUIRE(processor.RunPass(*ParseProcessSelection("ALL"), fixture.clock.NowMicros()).ok());
  CHECK(fixture.handler->runs == 1);
}

TEST_CASE("a pass goes through admin4.nsf a page at a time and works every request once", "[adminp]") {
  ProcessorFixture fixture;
  std::vector<std::string> unids;
  for (int i = 0; i < 7; ++i) unids.push_back(fixture.Post());
  AdminProcessor::Environment env = fixture.Environment();
  env.pass_page_size = 3;  // pages of 3, 3 and 1
  AdminProcessor processor(env);
  auto summary = processor.RunPass(*ParseProcessSelection("ALL"), fixture.clock.NowMicros());
  REQUIRE(summary.ok());
  CHECK(summary->done == 7);
  CHECK(fixture.handler->runs == 7);
  for (const std::string& unid : unids) CHECK(fixture.db->Get(unid)->status == RequestStatus::kDone);
}

TEST_CASE("requests for another server are left to it", "[adminp]") {
  ProcessorFixture fixture;
  std::string unid = fixture.Post("CN=Acme02/O=Acme");
  AdminProcessor processor(fixture.Environment());
  REQUIRE(processor.RunPass(*ParseProcessSelection("ALL"), fixture.clock.NowMicros()).ok());
  CHECK(fixture.handler->runs == 0);
  CHECK(fixture.db->Get(unid)->status == RequestStatus::kNew);
}

TEST_CASE("a crash after InProgress leaves the request to be redone by the next pass, once", "[adminp]") {
  ProcessorFixture fixture;
  std::string unid = fixture.Post();
  {
    AdminProcessor::Environment env = fixture.Environment();
    env.after_begin = [](const AdminRequest&) { throw std::runtime_error("SIGKILL"); };  // dies mid-request
    AdminProcessor crashing(env);
    CHECK_THROWS(crashing.RunPass(*ParseProcessSelection("ALL"), fixture.clock.NowMicros()));
  }
  CHECK(fixture.handler->runs == 0);
  CHECK(fixture.db->Get(unid)->status == RequestStatus::kInProgress);
  CHECK(fixture.db->Pending()->size() == 1);

  // The restarted AdminP: its start-up pass (no backoff override) finishes it.
  AdminProcessor restarted(fixture.Environment());
  PassSelection startup;
  startup.classes = {TimingClass::kImmediate, TimingClass::kInterval, TimingClass::kDaily, TimingClass::kDelayed};
  auto summary = restarted.RunPass(startup, fixture.clock.NowMicros());
  REQUIRE(summary.ok());
  CHECK(summary->done == 1);
  CHECK(fixture.handler->runs == 1);
  CHECK(fixture.handler->last_attempt == 2);
  CHECK(fixture.db->Get(unid)->status == RequestStatus::kDone);
}

TEST_CASE("timer passes honour the retry back-off, TELL ADMINP PROCESS ALL does not", "[adminp]") {
  ProcessorFixture fixture;
  fixture.handler->failures = 1;
  std::string unid = fixture.Post();
  AdminProcessor processor(fixture.Environment());
  PassSelection timer;
  timer.classes = {TimingClass::kImmediate, TimingClass::kInterval};
  auto first = processor.RunPass(timer, fixture.clock.NowMicros());
  REQUIRE(first.ok());
  CHECK(first->retrying == 1);
  CHECK(fixture.db->Get(unid)->status == RequestStatus::kFailed);

  fixture.clock.Advance(30'000'000);  // 30 s: not yet
  REQUIRE(processor.RunPass(timer, fixture.clock.NowMicros()).ok());
  CHECK(fixture.handler->runs == 1);

  auto forced = processor.RunPass(*ParseProcessSelection("ALL"), fixture.clock.NowMicros());
  REQUIRE(forced.ok());
  CHECK(forced->done == 1);
  CHECK(fixture.handler->runs == 2);
  CHECK(fixture.db->Responses(unid)->size() == 2);
}

TEST_CASE("a request without a handler fails for good, naming its type", "[adminp]") {
  ProcessorFixture fixture;
  AdminRequest request;
  request.type = kRequestAddInternetCertificate;  // issue 5's: no handler yet
  request.target = "CN=John Roe/O=Acme";
  auto posted = fixture.db->Post(request);
  REQUIRE(posted.ok());
  AdminProcessor processor(fixture.Environment());
  auto summary = processor.RunPass(*ParseProcessSelection("PEOPLE"), fixture.clock.NowMicros());
  REQUIRE(summary.ok());
  CHECK(summary->failed == 1);
  auto failed = fixture.db->Get(posted->unid);
  CHECK(failed->status == RequestStatus::kFailed);
  CHECK(failed->retry_at == 0);
  CHECK_THAT(failed->error, Catch::Contains("no handler for 'Add Internet Certificate to Person Record'"));
}
