// Tests of the mail service (router/mail_service.h): deposit rules, and a user's list,
// read, delete and flags on their own mail file, without HTTP.
#include <catch2/catch.hpp>

#include "base/ascii.h"
#include "base/notes_ini.h"
#include "router/mail_service.h"
#include "tests/unit/unit_test_support.h"

namespace notesd {
namespace {

using testing::Must;
using testing::Name;
using testing::TempDir;

class FixedClock final : public Clock {
 public:
  int64_t NowMicros() const override { return 1'800'000'000LL * 1'000'000; }
};

struct MailFixture {
  TempDir dir{"notesd-mailsvc-"};
  FixedClock clock;
  std::unique_ptr<MailStore> store = Must(MailStore::Open(dir.path));
  MailService service{*store, clock};
  Person jane = MakePerson("CN=Jane Doe/O=Acme", "jane@acme.example", "mail/jdoe.nsf");

  static Person MakePerson(const std::string& name, const std::string& address, const std::string& mail_file) {
    Person person;
    person.name = Name(name);
    person.internet_address = address;
    person.mail_file = mail_file;
    return person;
  }
  // Puts a delivered message into Jane's mail file, as the Router does; returns its UNID.
  std::string Deliver(const std::string& subject) {
    MailEnvelope envelope{"john@acme.example", {"jane@acme.example"}, "test", "", false};
    std::string message = "From: john@acme.example\r\nSubject: " + subject + "\r\n\r\nHello\r\n";
    QueuedMessage queued = QueuedFromNote(MailBoxNote(envelope, message, clock.NowMicros()), true);
    auto db = Must(store->MailFile(jane.mail_file, true));
    return Must(db->Create(MailFileNote(queued, clock.NowMicros()))).unid();
  }
  MailService::Submission Submission(std::vector<std::string> recipients, std::string message) {
    return {std::move(recipients), std::move(message), "[127.0.0.1]", "HTTPS"};
  }
};

TEST_CASE("mail service: a deposit is sent as the caller, with this hop's Received field", "[router]") {
  MailFixture f;
  auto unid = f.service.Deposit(f.jane, f.Submission({" john@acme.example "},
                                                     "From: jane@acme.example\r\nSubject: hi\r\n\r\nbody\r\n"));
  INFO(unid.status().ToString());
  REQUIRE(unid.ok());
  QueuedMessage queued = QueuedFromNote(Must(f.store->mail_box().GetByUnid(*unid)), false);
  CHECK(queued.sender == "jane@acme.example");
  CHECK(queued.recipients == std::vector<std::string>{"john@acme.example"});
  CHECK(queued.origin == "Notes user CN=Jane Doe/O=Acme");
  CHECK(queued.trace.rfind("Received: from Jane Doe/Acme ([127.0.0.1])\r\n\tby notesd with HTTPS;", 0) == 0);
}

TEST_CASE("mail service: deposits are refused for bad recipients, no header, or someone else's From", "[router]") {
  MailFixture f;
  const std::string good = "From: jane@acme.example\r\n\r\nbody\r\n";
  auto refused = [&](std::vector<std::string> recipients, std::string message) {
    return f.service.Deposit(f.jane, f.Submission(std::move(recipients), std::move(message))).status().code();
  };
  CHECK(refused({}, good) == StatusCode::kInvalidArgument);
  CHECK(refused(std::vector<std::string>(kMaxDepositRecipients + 1, "a@b.example"), good) ==
        StatusCode::kInvalidArgument);
  CHECK(refused({"  "}, good) == StatusCode::kInvalidArgument);
  CHECK(refused({"a@b.example>\r\nRCPT TO:<x@y"}, good) == StatusCode::kInvalidArgument);
  CHECK(refused({"a@b.example"}, "") == StatusCode::kInvalidArgument);
  CHECK(refused({"a@b.example"}, "From: boss@acme.example\r\n\r\nbody\r\n") == StatusCode::kPermissionDenied);
}

TEST_CASE("mail service: a user lists, reads, flags and deletes their own messages", "[router]") {
  MailFixture f;
  // No mail file yet: an empty inbox; no mail file at all: NotFound.
  auto empty = Must(f.service.List(f.jane));
  CHECK(empty.mail_file == "mail/jdoe.nsf");
  CHECK(empty.messages.empty());
  CHECK(f.service.List(MailFixture::MakePerson("CN=No Mail/O=Acme", "", "")).status().code() == StatusCode::kNotFound);

  std::string first = f.Deliver("first");
  std::string second = f.Deliver("second");
  auto inbox = Must(f.service.List(f.jane));
  REQUIRE(inbox.messages.size() == 2);
  CHECK(inbox.messages[0].subject == "first");
  CHECK(inbox.messages[0].message.empty());  // no bodies in a list

  StoredMail read = Must(f.service.Read(f.jane, ToLowerAscii(second)));
  CHECK(read.subject == "second");
  CHECK(read.message.find("Hello") != std::string::npos);
  CHECK(f.service.Read(f.jane, std::string(32, 'A')).status().message() ==
        "no message " + std::string(32, 'A') + " in your mail file");

  REQUIRE(f.service.SetFlags(f.jane, first, {"\\Seen", "$Label1"}).ok());
  CHECK(Must(f.service.Read(f.jane, first)).flags == std::vector<std::string>{"\\Seen", "$Label1"});
  CHECK(f.service.SetFlags(f.jane, first, {"two words"}).code() == StatusCode::kInvalidArgument);
  CHECK(f.service.SetFlags(f.jane, std::string(32, 'B'), {"\\Seen"}).code() == StatusCode::kNotFound);

  REQUIRE(f.service.Delete(f.jane, first).ok());
  CHECK(f.service.Read(f.jane, first).status().code() == StatusCode::kNotFound);
  CHECK(f.service.Delete(f.jane, first).code() == StatusCode::kNotFound);
  CHECK(Must(f.service.List(f.jane)).messages.size() == 1);
}

}  // namespace
}  // namespace notesd
