// Tests of the Router without threads or sockets: recipient resolution (groups too),
// local delivery byte for byte, failure reports (RFC 3464), exactly-once delivery across
// a simulated crash, outbound transfer with retries, back-off, expiry and dead mail.
// Hermetic: a temporary data directory, a test clock, a fake relay.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <random>
#include <set>

#include "base/clock.h"
#include "base/stats.h"
#include "directory/directory.h"
#include "router/dsn.h"
#include "router/mail_message.h"
#include "router/mail_store.h"
#include "router/message_tracking.h"
#include "router/message_spool.h"
#include "router/recipient_resolver.h"
#include "router/router_engine.h"
#include "tests/unit/unit_test_support.h"

namespace notesd {
namespace {

namespace fs = std::filesystem;

using testing::Must;

class TestClock final : public Clock {
 public:
  int64_t NowMicros() const override { return now; }
  // Starts at the real time: mail.box stamps arrivals with the wall clock.
  int64_t now = SystemClock().NowMicros();
};

// A relay that answers per recipient from a table; "down" refuses connections.
class FakeRelay {
 public:
  bool down = false;
  std::map<std::string, SmtpReply> replies;  // default 250
  std::vector<OutboundMessage> received;
  int connects = 0;

  TransportFactory Factory() {
    return [this](const RelayOptions&) {
      class Transport final : public OutboundTransport {
       public:
        explicit Transport(FakeRelay& relay) : relay_(relay) {}
        Status Connect() override {
          ++relay_.connects;
          return relay_.down ? Status::Unavailable("relay test:25: cannot connect: Connection refused") : Status::Ok();
        }
        TransferOutcome Send(const OutboundMessage& message) override {
          TransferOutcome outcome;
          bool any = false;
          for (const std::string& r : message.recipients) {
            auto it = relay_.replies.find(r);
            SmtpReply reply = it == relay_.replies.end() ? SmtpReply{250, "2.0.0 Ok"} : it->second;
            any = any || reply.positive();
            outcome.recipients.push_back(reply);
          }
          if (any) relay_.received.push_back(message);
          return outcome;
        }
        void Quit() override {}
        void Cancel() override {}

       private:
        FakeRelay& relay_;
      };
      return std::make_unique<Transport>(*this);
    };
  }
};

class RouterFixture {
 public:
  RouterFixture() {
    std::random_device random;
    dir_ = fs::temp_directory_path() / ("notesd_router_test_" + std::to_string(random()) + std::to_string(random()));
    fs::create_directories(dir_);
    directory = Must(Directory::Open(dir_ / "names.nsf"));
    AddPerson("Jane Admin", "jadmin", "jane@acme.example");
    AddPerson("John Roe", "jroe", "john.roe@acme.example");
    AddPerson("Mary Major", "mmajor", "mary@acme.example");
    REQUIRE(directory->PutGroup({0, "Sales", {"John Roe/Acme", "Marketing", "partner@outside.example"}}).ok());
    REQUIRE(directory->PutGroup({0, "Marketing", {"mmajor", "Sales"}}).ok());  // a cycle back to Sales
    store = Must(MailStore::Open(dir_));
    engine = std::make_unique<RouterEngine>(*store, *directory, clock, nullptr, stats);
    RouterConfig config;
    config.local_domains = {"acme.example"};
    config.host_name = "acme01.acme.example";
    config.relay.host = "relay.test";
    config.retry_interval_seconds = 60;
    config.retry_max_seconds = 600;
    config.expire_minutes = 60;
    engine->SetConfig(config);
  }
  ~RouterFixture() {
    engine.reset();
    store.reset();
    directory.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void AddPerson(const std::string& name, const std::string& short_name, const std::string& address) {
    Person p;
    p.name = Must(HierName::Parse(name + "/Acme"));
    p.short_name = short_name;
    p.internet_address = address;
    p.mail_file = "mail/" + short_name + ".nsf";
    Must(directory->RegisterPerson(p));
  }

  std::string Deposit(const std::string& sender, std::vector<std::string> recipients, const std::string& message) {
    return Must(store->Deposit({sender, std::move(recipients), "test", "Received: from test", false}, message));
  }

  std::vector<StoredMail> MailOf(const std::string& short_name) {
    auto db = store->MailFile("mail/" + short_name + ".nsf", false);
    if (!db.ok()) return {};
    std::vector<StoredMail> out;
    for (const ViewEntry& e : Must((*db)->Scan(kInboxView)))
      out.push_back(StoredFromNote(Must((*db)->Get(e.id)), true));
    return out;
  }

  QueueCounts Counts() { return Must(engine->Counts()); }

  fs::path dir_;
  TestClock clock;
  StatsRegistry stats;
  std::unique_ptr<Directory> directory;
  std::unique_ptr<MailStore> store;
  std::unique_ptr<RouterEngine> engine;
};

std::string Message(const std::string& subject, const std::string& to = "jane@acme.example") {
  return "From: Sender <sender@outside.example>\r\nTo: " + to + "\r\nSubject: " + subject +
         "\r\nDate: Sun, 29 Nov 2026 02:54:00 +0100\r\nMessage-ID: <" + subject + "@outside.example>\r\n\r\nBody of " +
         subject + "\r\n.leading dot\r\n\xc3\xa9t\xc3\xa9\r\n";
}

std::vector<std::string> Kinds(const std::vector<RouteTarget>& targets) {
  std::vector<std::string> out;
  for (const RouteTarget& t : targets) {
    switch (t.kind) {
      case RouteTarget::Kind::kLocal: out.push_back("local:" + t.mail_file); break;
      case RouteTarget::Kind::kOutbound: out.push_back("out:" + t.address); break;
      case RouteTarget::Kind::kFailed: out.push_back("failed:" + t.status); break;
      case RouteTarget::Kind::kRetry: out.push_back("retry"); break;
    }
  }
  return out;
}

TEST_CASE("router: recipients resolve by Internet address, any name, and groups", "[router]") {
  RouterFixture f;
  RecipientResolver resolver(*f.directory, {"acme.example", "acme.test"});
  using V = std::vector<std::string>;
  CHECK(Kinds(resolver.Resolve("jane@acme.example")) == V{"local:mail/jadmin.nsf"});
  CHECK(Kinds(resolver.Resolve("JANE@ACME.EXAMPLE")) == V{"local:mail/jadmin.nsf"});
  CHECK(Kinds(resolver.Resolve("jroe@acme.test")) == V{"local:mail/jroe.nsf"});          // short name, our domain
  CHECK(Kinds(resolver.Resolve("John Roe")) == V{"local:mail/jroe.nsf"});                // common name
  CHECK(Kinds(resolver.Resolve("CN=Mary Major/O=Acme")) == V{"local:mail/mmajor.nsf"});  // canonical
  CHECK(Kinds(resolver.Resolve("nobody@acme.example")) == V{"failed:5.1.1"});
  CHECK(Kinds(resolver.Resolve("Nobody Here")) == V{"failed:5.1.1"});
  CHECK(Kinds(resolver.Resolve("someone@outside.example")) == V{"out:someone@outside.example"});
  // Sales = John Roe + Marketing (Mary + Sales again: the cycle is cut) + an outside address.
  CHECK(Kinds(resolver.Resolve("Sales")) ==
        V{"local:mail/jroe.nsf", "local:mail/mmajor.nsf", "out:partner@outside.example"});
  CHECK(Kinds(resolver.Resolve("sales@acme.example")) ==
        V{"local:mail/jroe.nsf", "local:mail/mmajor.nsf", "out:partner@outside.example"});
  // Without configured domains only people's addresses are local.
  RecipientResolver bare(*f.directory, {});
  CHECK(Kinds(bare.Resolve("jane@acme.example")) == V{"local:mail/jadmin.nsf"});
  CHECK(Kinds(bare.Resolve("nobody@acme.example")) == V{"out:nobody@acme.example"});
}

TEST_CASE("router: local delivery keeps the message byte for byte with its summary", "[router]") {
  RouterFixture f;
  std::string message = Message("first");
  std::string unid = f.Deposit("sender@outside.example", {"jane@acme.example", "John Roe"}, message);
  CHECK(f.Counts().pending == 1);
  CHECK(Must(f.engine->RoutePending()) == 1);
  CHECK(f.Counts().pending == 0);
  CHECK(Must(f.store->mail_box().Info()).note_count == 0);  // delivered mail leaves mail.box
  for (const char* user : {"jadmin", "jroe"}) {
    auto mail = f.MailOf(user);
    REQUIRE(mail.size() == 1);
    CHECK(mail[0].message == message);
    CHECK(mail[0].unid == unid);
    CHECK(mail[0].subject == "first");
    CHECK(mail[0].from == "Sender <sender@outside.example>");
    CHECK(mail[0].send_to == std::vector<std::string>{"jane@acme.example"});
    CHECK(mail[0].size == static_cast<int64_t>(message.size()));
    CHECK(mail[0].posted == *ParseRfc5322Date("Sun, 29 Nov 2026 01:54:00 +0000"));
    CHECK(mail[0].delivered == f.clock.now);
  }
  CHECK(f.stats.Counter("Mail.Delivered").load() == 2);
}

TEST_CASE("router: a group delivers once per mail file and queues its outside member", "[router]") {
  RouterFixture f;
  f.Deposit("jane@acme.example", {"Sales", "John Roe"}, Message("group"));
  Must(f.engine->RoutePending());
  CHECK(f.MailOf("jroe").size() == 1);  // named twice, delivered once
  CHECK(f.MailOf("mmajor").size() == 1);
  CHECK(f.Counts().transfer == 1);
  FakeRelay relay;
  CHECK(Must(f.engine->TransferDue(relay.Factory())) == 1);
  REQUIRE(relay.received.size() == 1);
  CHECK(relay.received[0].recipients == std::vector<std::string>{"partner@outside.example"});
  CHECK(relay.received[0].sender == "jane@acme.example");
  CHECK(relay.received[0].data == "Received: from test\r\n" + Message("group"));  // the trace, then the bytes
  CHECK(f.Counts().transfer == 0);
  CHECK(f.stats.Counter("Mail.Transferred").load() == 1);
}

TEST_CASE("router: an unknown recipient gets a DSN back to the sender", "[router]") {
  RouterFixture f;
  std::string original = Message("lost", "nobody@acme.example");
  f.Deposit("jane@acme.example", {"nobody@acme.example", "john.roe@acme.example"}, original);
  Must(f.engine->RoutePending());  // John gets it; the report is queued
  CHECK(f.MailOf("jroe").size() == 1);
  Must(f.engine->RoutePending());  // the report is delivered to Jane
  auto jane = f.MailOf("jadmin");
  REQUIRE(jane.size() == 1);
  const std::string& dsn = jane[0].message;
  CHECK(jane[0].sender.empty());  // null reverse-path
  CHECK(dsn.find("Content-Type: multipart/report; report-type=delivery-status;") != std::string::npos);
  CHECK(dsn.find("Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; acme01.acme.example\r\n") !=
        std::string::npos);
  CHECK(dsn.find("Final-Recipient: rfc822; nobody@acme.example\r\nAction: failed\r\nStatus: 5.1.1\r\n") !=
        std::string::npos);
  CHECK(dsn.find("Content-Type: text/rfc822-headers\r\n\r\nFrom: Sender <sender@outside.example>\r\n") !=
        std::string::npos);
  CHECK(dsn.find("Body of lost") == std::string::npos);  // only the header is quoted
  CHECK(dsn.find("Auto-Submitted: auto-replied") != std::string::npos);
  CHECK(f.Counts().pending == 0);
  CHECK(f.Counts().dead == 0);
  CHECK(f.stats.Counter("Mail.DSNs").load() == 1);
}

TEST_CASE("router: a failure that cannot be reported becomes dead mail", "[router]") {
  RouterFixture f;
  f.Deposit("", {"nobody@acme.example"}, Message("bounce"));  // null sender: no report
  Must(f.engine->RoutePending());
  CHECK(f.Counts().dead == 1);
  CHECK(f.engine->DescribeQueues().find("Dead mail:                1 message(s)") != std::string::npos);
  // A report to an unknown sender is dead too, and never answered.
  f.Deposit("ghost@acme.example", {"nobody@acme.example"}, Message("x"));
  Must(f.engine->RoutePending());
  Must(f.engine->RoutePending());
  CHECK(f.Counts().dead == 2);
  CHECK(f.Counts().pending == 0);
}

TEST_CASE("router: the administrator releases dead mail for routing again, or purges it", "[router]") {
  RouterFixture f;
  std::shared_ptr<TrackingStore> tracking = Must(TrackingStore::Open(f.dir_ / "mtstore.nsf", nullptr));
  tracking->Configure(/*enabled=*/true, /*exclude_subject=*/false);
  f.store->SetTracking(tracking);
  std::string first = f.Deposit("", {"nobody@acme.example"}, Message("first"));
  std::string second = f.Deposit("", {"late@acme.example"}, Message("second"));
  Must(f.engine->RoutePending());
  REQUIRE(f.Counts().dead == 2);
  std::string shown = f.engine->DescribeDead();
  CHECK(shown.find("Dead mail in mail.box: 2 message(s)") != std::string::npos);
  CHECK(shown.find(first + "  from <> to nobody@acme.example, subject \"first\"") != std::string::npos);

  // The recipient exists now: released, the message is delivered.
  f.AddPerson("Late Comer", "late", "late@acme.example");
  CHECK(Must(f.engine->ReleaseDead(second)) == 1);
  CHECK(f.Counts().dead == 1);
  CHECK(f.Counts().pending == 1);
  Must(f.engine->RoutePending());
  CHECK(f.Counts().pending == 0);
  REQUIRE(f.MailOf("late").size() == 1);
  CHECK(f.MailOf("late")[0].message.find("Subject: second") != std::string::npos);

  // Released again without a cure, it fails again and is dead again.
  CHECK(Must(f.engine->ReleaseDead("*")) == 1);
  Must(f.engine->RoutePending());
  CHECK(f.Counts().dead == 1);

  auto unknown = f.engine->ReleaseDead("0123456789ABCDEF0123456789ABCDEF");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().code() == StatusCode::kNotFound);
  CHECK(Must(f.engine->DeleteDead(first)) == 1);
  CHECK(f.Counts().dead == 0);
  CHECK(Must(f.engine->DeleteDead("*")) == 0);
  CHECK(f.engine->DescribeDead() == "Dead mail in mail.box: 0 message(s)");

  // Message Tracking tells what the administrator did.
  REQUIRE(tracking->Flush().ok());
  std::vector<std::string> hands;
  for (const TrackingEvent& e : Must(tracking->Query({})))
    if (e.event == "released" || e.event == "purged") hands.push_back(e.event + " " + e.recipient);
  CHECK(hands == std::vector<std::string>{"released late@acme.example", "released nobody@acme.example",
                                          "purged nobody@acme.example"});
  f.store->SetTracking(nullptr);
}

TEST_CASE("router: a crash between the mail file and mail.box commits delivers exactly once", "[router]") {
  RouterFixture f;
  std::vector<std::string> sent;
  for (int i = 0; i < 20; ++i)
    f.Deposit("a@outside.example", {"jane@acme.example", "Sales"}, Message("m" + std::to_string(i)));
  f.engine->after_local_delivery = [] { return Status::IOError("simulated crash"); };
  CHECK_FALSE(f.engine->RoutePending().ok());
  CHECK(f.MailOf("jadmin").size() == 20);  // written...
  CHECK(f.Counts().pending == 20);         // ...but mail.box still says pending
  // "Restart": a new engine over the same files replays the pass.
  f.engine = std::make_unique<RouterEngine>(*f.store, *f.directory, f.clock, nullptr, f.stats);
  RouterConfig config;
  config.local_domains = {"acme.example"};
  f.engine->SetConfig(config);
  CHECK(Must(f.engine->RoutePending()) == 20);
  CHECK(f.Counts().pending == 0);
  for (const char* user : {"jadmin", "jroe", "mmajor"}) {
    auto mail = f.MailOf(user);
    CHECK(mail.size() == 20);
    std::set<std::string> unids;
    std::set<std::uint32_t> uids;
    for (const StoredMail& m : mail) {
      unids.insert(m.unid);
      uids.insert(m.uid);
      CHECK_FALSE(m.folder_unid.empty());  // filed into INBOX by the delivery
    }
    CHECK(unids.size() == 20);  // no duplicates
    // The replayed pass gave no UID twice and skipped none: 1..20 in the mail file.
    CHECK(uids.size() == 20);
    CHECK(*uids.begin() == 1);
    CHECK(*uids.rbegin() == 20);
  }
  CHECK(f.Counts().transfer == 20);  // the outside member of Sales is still to be sent
}

TEST_CASE("router: the relay being down means retries with back-off, then success", "[router]") {
  RouterFixture f;
  f.Deposit("jane@acme.example", {"friend@outside.example"}, Message("out"));
  Must(f.engine->RoutePending());
  FakeRelay relay;
  relay.down = true;
  CHECK(Must(f.engine->TransferDue(relay.Factory())) == 1);
  CHECK(Must(f.engine->TransferDue(relay.Factory())) == 0);  // not due yet
  CHECK(f.engine->MicrosUntilNextTransfer() == 60'000'000);
  CHECK(f.engine->DescribeQueues().find("attempts 1, next in 60 s, last error: relay test:25: cannot connect") !=
        std::string::npos);
  f.clock.now += 60'000'000;
  CHECK(Must(f.engine->TransferDue(relay.Factory())) == 1);
  CHECK(f.engine->MicrosUntilNextTransfer() == 120'000'000);  // doubled
  f.clock.now += 120'000'000;
  relay.down = false;
  CHECK(Must(f.engine->TransferDue(relay.Factory())) == 1);
  CHECK(relay.received.size() == 1);
  CHECK(f.Counts().transfer == 0);
  CHECK(f.stats.Counter("Mail.TransferFailures").load() == 2);
  CHECK(f.stats.Counter("Mail.Transferred").load() == 1);
}

TEST_CASE("router: permanent relay refusals and expired mail are reported", "[router]") {
  RouterFixture f;
  f.Deposit("jane@acme.example", {"bad@outside.example", "good@outside.example"}, Message("mixed"));
  f.Deposit("jane@acme.example", {"slow@outside.example"}, Message("slow"));
  Must(f.engine->RoutePending());
  FakeRelay relay;
  relay.replies["bad@outside.example"] = {550, "5.1.1 <bad@outside.example>: user unknown"};
  relay.replies["slow@outside.example"] = {451, "4.3.0 try later"};
  Must(f.engine->TransferDue(relay.Factory()));
  CHECK(relay.received.size() == 1);
  Must(f.engine->RoutePending());  // deliver the report for bad@
  auto jane = f.MailOf("jadmin");
  REQUIRE(jane.size() == 1);
  CHECK(jane[0].message.find("Final-Recipient: rfc822; bad@outside.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                             "Diagnostic-Code: smtp; 550 5.1.1 <bad@outside.example>: user unknown\r\n") !=
        std::string::npos);
  // slow@ keeps failing until it expires (60 minutes).
  f.clock.now += 61LL * 60 * 1'000'000;
  Must(f.engine->TransferDue(relay.Factory()));
  Must(f.engine->RoutePending());
  jane = f.MailOf("jadmin");
  REQUIRE(jane.size() == 2);
  bool expired = false;
  for (const StoredMail& m : jane)
    expired =
        expired || (m.message.find("Status: 4.4.7") != std::string::npos &&
                    m.message.find("delivery time expired (last error: 451 4.3.0 try later)") != std::string::npos);
  CHECK(expired);
  CHECK(f.Counts().transfer == 0);
}

// A mail file that is not an NSF (truncated, or some other file): LMDB refuses it.
void BreakMailFile(const fs::path& data_dir, const std::string& short_name) {
  fs::create_directories(data_dir / "mail");
  std::ofstream(data_dir / "mail" / (short_name + ".nsf"), std::ios::binary) << "this is not a mail file";
}

TEST_CASE("router: one retry schedule: the interval doubles up to the maximum", "[router]") {
  RouterConfig config;
  config.retry_interval_seconds = 1;
  config.retry_max_seconds = 10;
  std::vector<std::int64_t> delays;
  delays.reserve(6);
  for (int failures = 0; failures < 6; ++failures) delays.push_back(RetryDelaySeconds(config, failures));
  CHECK(delays == std::vector<std::int64_t>{1, 2, 4, 8, 10, 10});
  config.retry_interval_seconds = 60;
  config.retry_max_seconds = 3600;
  CHECK(RetryDelaySeconds(config, 0) == 60);
  CHECK(RetryDelaySeconds(config, 1000) == 3600);  // no overflow after many failures
}

TEST_CASE("router: a mail file that cannot be opened defers the message with back-off", "[router]") {
  RouterFixture f;
  BreakMailFile(f.dir_, "jroe");
  std::string unid = f.Deposit("jane@acme.example", {"John Roe", "mary@acme.example"}, Message("deferred"));
  CHECK(Must(f.engine->RoutePending()) == 1);
  CHECK(f.MailOf("mmajor").size() == 1);  // the other mail file is not held back
  CHECK(f.Counts().pending == 1);
  CHECK(f.Counts().deferred == 1);
  CHECK(Must(f.engine->RoutePending()) == 0);  // not due: no attempt at all
  std::string queues = f.engine->DescribeQueues();
  CHECK(queues.find("1 message(s), 1 waiting to be retried") != std::string::npos);
  CHECK(queues.find(unid + "  to John Roe, delivery attempts 1, next in 60 s, last error: unable to open mail file "
                           "mail/jroe.nsf") != std::string::npos);
  f.clock.now += 59'000'000;
  CHECK(Must(f.engine->RoutePending()) == 0);
  f.clock.now += 1'000'000;
  CHECK(Must(f.engine->RoutePending()) == 1);  // the second attempt fails too: twice as long
  CHECK(f.engine->DescribeQueues().find("delivery attempts 2, next in 120 s") != std::string::npos);
  f.clock.now += 120'000'000;
  fs::remove(f.dir_ / "mail" / "jroe.nsf");  // the administrator repairs it
  CHECK(Must(f.engine->RoutePending()) == 1);
  REQUIRE(f.MailOf("jroe").size() == 1);
  CHECK(f.MailOf("jroe")[0].unid == unid);
  CHECK(f.Counts().pending == 0);
  CHECK(f.stats.Counter("Mail.Delivered").load() == 2);
}

TEST_CASE("router: a deferred delivery expires into a 4.4.7 report naming the last error", "[router]") {
  RouterFixture f;
  BreakMailFile(f.dir_, "jroe");
  f.Deposit("jane@acme.example", {"john.roe@acme.example"}, Message("never"));
  Must(f.engine->RoutePending());
  f.clock.now += 61LL * 60 * 1'000'000;  // expire_minutes is 60
  CHECK(Must(f.engine->RoutePending()) == 1);
  CHECK(f.Counts().deferred == 0);
  Must(f.engine->RoutePending());  // deliver the report to Jane
  auto jane = f.MailOf("jadmin");
  REQUIRE(jane.size() == 1);
  CHECK(jane[0].message.find("Final-Recipient: rfc822; john.roe@acme.example\r\nAction: failed\r\nStatus: 4.4.7") !=
        std::string::npos);
  CHECK(jane[0].message.find("delivery time expired (last error: unable to open mail file mail/jroe.nsf") !=
        std::string::npos);
  CHECK(f.Counts().pending == 0);
  CHECK(f.stats.Counter("Mail.Delivered").load() == 1);  // the report only
}

TEST_CASE("router: deferred messages do not hold back new mail or the transfer", "[router]") {
  RouterFixture f;
  RouterConfig config = f.engine->config();
  config.batch = 4;
  f.engine->SetConfig(config);
  BreakMailFile(f.dir_, "jroe");
  for (int i = 0; i < 6; ++i)
    f.Deposit("jane@acme.example", {"John Roe", "friend@outside.example"}, Message("b" + std::to_string(i)));
  while (f.Counts().deferred < 6) REQUIRE(Must(f.engine->RoutePending()) > 0);
  f.Deposit("jane@acme.example", {"mary@acme.example"}, Message("fresh"));
  CHECK(Must(f.engine->RoutePending()) == 1);  // more deferred messages than a batch: the new one still goes
  CHECK(f.MailOf("mmajor").size() == 1);
  FakeRelay relay;
  while (Must(f.engine->TransferDue(relay.Factory())) > 0) {
  }
  CHECK(relay.received.size() == 6);  // the Internet recipients go out meanwhile
  CHECK(f.Counts().deferred == 6);
}

TEST_CASE("router: Mail.Delivered equals the messages delivered after a failed mail.box update", "[router]") {
  RouterFixture f;
  for (int i = 0; i < 10; ++i)
    f.Deposit("a@outside.example", {"jane@acme.example", "Sales"}, Message("d" + std::to_string(i)));
  int failures_left = 2;  // the disk is full for two passes, after the mail files committed
  f.engine->after_local_delivery = [&failures_left] {
    return failures_left-- > 0 ? Status::IOError("mail.box: No space left on device") : Status::Ok();
  };
  CHECK_FALSE(f.engine->RoutePending().ok());
  CHECK_FALSE(f.engine->RoutePending().ok());
  CHECK(Must(f.engine->RoutePending()) == 10);
  std::size_t stored = 0;
  for (const char* user : {"jadmin", "jroe", "mmajor"}) stored += f.MailOf(user).size();
  CHECK(stored == 30);
  CHECK(f.stats.Counter("Mail.Delivered").load() == 30);
  CHECK(f.Counts().pending == 0);
}

TEST_CASE("router: DSN layout follows RFC 3464", "[router]") {
  DsnInput in;
  in.reporting_host = "mx.acme.example";
  in.original_sender = "jane@acme.example";
  in.original_message = "From: a\nSubject: s\n\nbody";
  in.arrival = 0;
  in.now = 1'800'000'000'000'000;
  in.failed = {{"x@y.example", "5.1.1", "X-Notes; no such person"}};
  in.boundary = "B1";
  std::string dsn = BuildDsn(in);
  CHECK(dsn.starts_with("From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>\r\nTo: <jane@acme.example>\r\n"));
  CHECK(dsn.find("\tboundary=\"B1\"\r\n\r\n") != std::string::npos);
  CHECK(dsn.find("--B1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n") != std::string::npos);
  CHECK(dsn.find("Content-Type: text/rfc822-headers\r\n\r\nFrom: a\r\nSubject: s\r\n\r\n--B1--\r\n") !=
        std::string::npos);
  CHECK(dsn.find('\n') == dsn.find("\r\n") + 1);
  for (std::size_t i = 0; i < dsn.size(); ++i)
    if (dsn[i] == '\n') REQUIRE(dsn[i - 1] == '\r');
}

TEST_CASE("router: message header parsing", "[router]") {
  std::string m =
      "From: \"Roe, John\" <john@x.example>\r\nTo: a@b.example,\r\n  Jane <jane@acme.example>, "
      "undisclosed:;\r\nCc: (comment) c@d.example\r\nSubject: Hello\r\n world\r\nDate: 1 Jan 2026 00:00 "
      "GMT\r\n\r\nTo: not-a-header@x\r\n";
  MessageSummary s = SummariseMessage(m);
  CHECK(s.from == "\"Roe, John\" <john@x.example>");
  CHECK(s.send_to == std::vector<std::string>{"a@b.example", "jane@acme.example"});
  CHECK(s.copy_to == std::vector<std::string>{"c@d.example"});
  CHECK(s.subject == "Hello world");
  REQUIRE(s.date);
  CHECK(*s.date == 1767225600LL * 1'000'000);
  CHECK(FormatRfc5322Date(*s.date) == "Thu, 01 Jan 2026 00:00:00 +0000");
  CHECK_FALSE(ParseRfc5322Date("yesterday").has_value());
  CHECK(SummariseMessage("no header at all").subject.empty());
}

}  // namespace
}  // namespace notesd

namespace notesd {
namespace {

TEST_CASE("router: outbound data is dot-stuffed and terminated", "[router]") {
  CHECK(DotStuff("a\r\n.b\r\n..c\r\n") == "a\r\n..b\r\n...c\r\n.\r\n");
  CHECK(DotStuff(".x") == "..x\r\n.\r\n");
  CHECK(DotStuff("no newline") == "no newline\r\n.\r\n");
  // Whatever is stored, only CRLF lines leave: a bare LF or CR becomes a line end, and
  // the "." after it is stuffed, so no relay can read an end of DATA into it.
  CHECK(DotStuff("bare\n.lf\r\n") == "bare\r\n..lf\r\n.\r\n");
  CHECK(DotStuff("hello\n.\r\nMAIL FROM:<ceo@acme.example>\r\n") ==
        "hello\r\n..\r\nMAIL FROM:<ceo@acme.example>\r\n.\r\n");
  CHECK(DotStuff("a\r.\rb") == "a\r\n..\r\nb\r\n.\r\n");
  CHECK(DotStuff("") == ".\r\n");
}

TEST_CASE("mail: CanonicalCrlf makes bare CR and bare LF CRLF, keeps the rest", "[router][crlf]") {
  auto [input, expected] = GENERATE(table<std::string, std::string>({
      {"", ""},
      {"a\r\nb\r\n", "a\r\nb\r\n"},
      {"a\nb\n", "a\r\nb\r\n"},
      {"a\rb\r", "a\r\nb\r\n"},
      {"\n", "\r\n"},
      {"\r", "\r\n"},
      {"\r\r\n", "\r\n\r\n"},
      {"\n\r", "\r\n\r\n"},
      {"\r\n\n", "\r\n\r\n"},
      {"hello\n.\r\nMAIL FROM:<ceo@acme.example>\r\n", "hello\r\n.\r\nMAIL FROM:<ceo@acme.example>\r\n"},
      {std::string("nul\0\xff\n", 6), std::string("nul\0\xff\r\n", 7)},
  }));
  CAPTURE(input);
  CHECK(CanonicalCrlf(input) == expected);
  CHECK(IsCrlfCanonical(expected));
  CHECK(IsCrlfCanonical(input) == (input == expected));
  CHECK(CanonicalCrlf(expected) == expected);  // idempotent
}

TEST_CASE("mail: CrlfCanonicalizer gives the same bytes however the input is split", "[router][crlf]") {
  std::mt19937 random(1313);
  const std::string alphabet = "\r\n.ab";
  for (int round = 0; round < 500; ++round) {
    std::string input;
    std::size_t length = random() % 40;
    for (std::size_t i = 0; i < length; ++i) input += alphabet[random() % alphabet.size()];
    std::string whole = CanonicalCrlf(input);
    CrlfCanonicalizer canonicalizer;
    std::string pieces;
    std::size_t pos = 0;
    while (pos < input.size()) {
      std::size_t n = std::min<std::size_t>(random() % 4, input.size() - pos);
      canonicalizer.Feed(std::string_view(input).substr(pos, n), &pieces);
      pos += n;
    }
    canonicalizer.Finish(&pieces);
    CAPTURE(round, input);
    CHECK(pieces == whole);
    CHECK(IsCrlfCanonical(whole));
  }
}

TEST_CASE("mail: a large message is spooled to a file and stored and delivered as that file", "[router][spool]") {
  RouterFixture f;
  // Arrives in pieces with bare LFs; past kSpoolThreshold it lives in a 0600 file.
  std::string header = "From: big@outside.example\nTo: jane@acme.example\nSubject: big\n\n";
  std::string line = std::string(998, 'b') + "\n";
  MessageSpool spool(f.store->spool_dir());
  std::string expected = CanonicalCrlf(header);
  REQUIRE(spool.Append(header).ok());
  for (int i = 0; i < 600; ++i) {
    REQUIRE(spool.Append(line).ok());
    expected += CanonicalCrlf(line);
  }
  REQUIRE(spool.Finish().ok());
  REQUIRE(spool.in_file());
  CHECK(spool.size() == expected.size());
  MessageBody body;
  body.size = spool.size();
  body.spool_file = spool.TakeFile();
  CHECK((fs::status(body.spool_file).permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  std::promise<Result<std::string>> deposited;
  f.store->DepositAsync({"big@outside.example", {"jane@acme.example"}, "test", "Received: from test", false}, body,
                        [&](const Result<std::string>& unid) { deposited.set_value(unid); });
  std::string unid = Must(deposited.get_future().get());
  CHECK(fs::is_empty(f.store->spool_dir()));  // moved into mail.box.bodies, not copied
  CHECK(fs::file_size(f.dir_ / "mail.box.bodies" / unid) == expected.size());
  auto queued = QueuedFromNote(Must(f.store->mail_box().GetByUnid(unid)), true);
  CHECK(queued.body_in_file);
  CHECK(queued.message.empty());  // the note holds no body
  CHECK(queued.subject == "big");
  CHECK(Must(f.store->ReadBody(queued)) == expected);

  CHECK(Must(f.engine->RoutePending()) == 1);
  auto mail = f.MailOf("jadmin");
  REQUIRE(mail.size() == 1);
  CHECK(mail[0].body_in_file);
  CHECK(mail[0].size == static_cast<int64_t>(expected.size()));
  CHECK(Must(f.store->ReadMailFileBody("mail/jadmin.nsf", unid)) == expected);
  // Delivered and gone from mail.box: its link there is unreferenced and swept at the
  // next open; the mail file's link stays.
  CHECK(Must(f.store->mail_box().Info()).note_count == 0);
  f.engine.reset();
  f.store.reset();
  f.store = Must(MailStore::Open(f.dir_));
  CHECK(!fs::exists(f.dir_ / "mail.box.bodies" / unid));
  CHECK(Must(f.store->ReadMailFileBody("mail/jadmin.nsf", unid)) == expected);
}

TEST_CASE("mail: a spool that is not handed on leaves no file", "[router][spool]") {
  fs::path dir = fs::temp_directory_path() / ("notesd-spool-" + std::to_string(::getpid()));
  {
    MessageSpool spool(dir);
    REQUIRE(spool.Append(std::string(kSpoolThreshold + 10, 'x')).ok());
    REQUIRE(spool.in_file());
    CHECK(!fs::is_empty(dir));
  }
  CHECK(fs::is_empty(dir));
  MessageSpool small(dir);
  REQUIRE(small.Append("a\rb").ok());
  REQUIRE(small.Finish().ok());
  CHECK(!small.in_file());
  CHECK(small.TakeBytes() == "a\r\nb");
  fs::remove_all(dir);
}

TEST_CASE("mail: mail.box stores CRLF-canonical messages", "[router][crlf]") {
  MailEnvelope envelope{"jane@acme.example", {"friend@outside.example"}, "test", "Received: from test", false, 0};
  Note note = MailBoxNote(envelope, "Subject: x\n\nhello\n.\r\nMAIL FROM:<ceo@acme.example>\r\n", 0);
  QueuedMessage queued = QueuedFromNote(note, true);
  CHECK(queued.message == "Subject: x\r\n\r\nhello\r\n.\r\nMAIL FROM:<ceo@acme.example>\r\n");
  CHECK(note.GetNumber("Size") == static_cast<double>(queued.message.size()));
  CHECK(queued.subject == "x");
  const std::string crlf = "Subject: y\r\n\r\nbody\r\n";
  CHECK(QueuedFromNote(MailBoxNote(envelope, crlf, 0), true).message == crlf);  // byte for byte
}

}  // namespace
}  // namespace notesd

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace notesd {
namespace {

TEST_CASE("router: stopping cancels a transfer to a hung relay at once", "[router]") {
  RouterFixture f;
  // A "relay" that accepts connections (the kernel's backlog) but never says a word.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  RouterConfig config = f.engine->config();
  config.relay.host = "127.0.0.1";
  config.relay.port = ntohs(address.sin_port);
  config.relay.timeout = std::chrono::seconds(30);
  f.engine->SetConfig(config);
  f.Deposit("jane@acme.example", {"friend@outside.example"}, Message("hung"));
  Must(f.engine->RoutePending());

  auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    f.engine->CancelTransfers();
  });
  auto result = f.engine->TransferDue(SmtpTransportFactory());
  stopper.join();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK(result.ok());
  CHECK(f.engine->DescribeQueues().find("attempts 0") != std::string::npos);  // not counted as a try
  ::close(listener);
}

}  // namespace
}  // namespace notesd
