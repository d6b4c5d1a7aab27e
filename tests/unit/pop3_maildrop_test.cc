// The POP3 handler over the real mail service (pop3/pop3_maildrop.h on
// router/mail_service.h and a MailStore in a temporary directory): the listing is the
// INBOX with its UNIDs as UIDL, RETR marks \Seen and TOP does not, DELE is applied at
// QUIT only (and not at all when the session ends without it), and a message delivered
// after the login is not in that session's listing.
#include <catch2/catch.hpp>

#include <string>

#include "pop3/pop3_maildrop.h"
#include "router/mail_service.h"
#include "unit_test_support.h"

namespace notesd::pop3 {
namespace {

using testing::Must;
using testing::Name;
using testing::TempDir;

class FixedClock final : public Clock {
 public:
  int64_t NowMicros() const override { return 1'800'000'000LL * 1'000'000; }
};

struct Fixture {
  TempDir dir{"notesd-pop3-"};
  FixedClock clock;
  std::unique_ptr<MailStore> store = Must(MailStore::Open(dir.path));
  MailService service{*store, clock};
  Person jane;
  MailServiceBackend backend{service,
                             [this](std::string_view name, std::string_view password,
                                    std::string_view) -> Result<Person> {
                               if (name == "jane" && password == "pw") return jane;
                               return Status::PermissionDenied("invalid user name or password");
                             }};

  Fixture() {
    jane.name = Name("CN=Jane Doe/O=Acme");
    jane.internet_address = "jane@acme.example";
    jane.mail_file = "mail/jdoe.nsf";
  }
  std::string Deliver(const std::string& subject) {
    MailEnvelope envelope{"john@example.org", {"jane@acme.example"}, "test", "", false};
    std::string message = "From: john@example.org\r\nSubject: " + subject + "\r\n\r\nHello\r\n.dot\r\n";
    QueuedMessage queued = QueuedFromNote(MailBoxNote(envelope, message, clock.NowMicros()), true);
    auto db = Must(store->MailFile(jane.mail_file, true));
    return Must(db->Create(MailFileNote(queued, clock.NowMicros()))).unid();
  }
  std::vector<StoredMail> Inbox() { return Must(service.ListFolder(jane, "INBOX")).messages; }
  std::unique_ptr<Pop3Handler> LogIn() {
    auto handler = std::make_unique<Pop3Handler>(HandlerOptions{}, backend, "192.0.2.1", true);
    REQUIRE(handler->Handle("USER jane").text.starts_with("+OK"));
    REQUIRE(handler->Handle("PASS pw").text.starts_with("+OK maildrop has"));
    return handler;
  }
  static bool Seen(const StoredMail& m) {
    for (const std::string& flag : m.flags)
      if (flag == "\\Seen") return true;
    return false;
  }
};

TEST_CASE("POP3 on the mail service: listing, UIDL, RETR marks read, TOP does not", "[pop3]") {
  Fixture f;
  std::string first = f.Deliver("one");
  std::string second = f.Deliver("two");
  auto pop = f.LogIn();
  f.Deliver("after login");
  CHECK(pop->Handle("STAT").text.starts_with("+OK 2 "));
  CHECK(pop->Handle("UIDL").text == "+OK unique-id listing follows\r\n1 " + first + "\r\n2 " + second + "\r\n.\r\n");
  std::vector<StoredMail> inbox = f.Inbox();
  REQUIRE(inbox.size() == 3);
  CHECK(pop->Handle("LIST 1").text == "+OK 1 " + std::to_string(inbox[0].size) + "\r\n");
  CHECK(pop->Handle("TOP 2 0").text ==
        "+OK top of message follows\r\nFrom: john@example.org\r\nSubject: two\r\n\r\n.\r\n");
  CHECK(pop->Handle("RETR 1").text ==
        "+OK " + std::to_string(inbox[0].size) +
            " octets\r\nFrom: john@example.org\r\nSubject: one\r\n\r\nHello\r\n..dot\r\n.\r\n");
  inbox = f.Inbox();
  CHECK(Fixture::Seen(inbox[0]));
  CHECK_FALSE(Fixture::Seen(inbox[1]));
  CHECK_FALSE(Fixture::Seen(inbox[2]));
  CHECK(pop->Handle("QUIT").text.starts_with("+OK"));
  CHECK(f.Inbox().size() == 3);
}

TEST_CASE("POP3 on the mail service: DELE at QUIT only", "[pop3]") {
  Fixture f;
  f.Deliver("one");
  std::string second = f.Deliver("two");
  f.Deliver("three");
  {
    auto pop = f.LogIn();
    CHECK(pop->Handle("DELE 2").text.starts_with("+OK"));
  }  // the session ended without QUIT
  CHECK(f.Inbox().size() == 3);
  auto pop = f.LogIn();
  CHECK(pop->Handle("DELE 2").text.starts_with("+OK"));
  CHECK(pop->Handle("RSET").text.starts_with("+OK maildrop has 3 messages"));
  CHECK(pop->Handle("DELE 2").text.starts_with("+OK"));
  CHECK(f.Inbox().size() == 3);
  CHECK(pop->Handle("QUIT").text.ends_with("(1 messages deleted)\r\n"));
  std::vector<StoredMail> inbox = f.Inbox();
  REQUIRE(inbox.size() == 2);
  for (const StoredMail& m : inbox) CHECK(m.unid != second);
  CHECK(Must(f.service.GetFolderStatus(f.jane, "INBOX")).messages == 2);
}

TEST_CASE("POP3 on the mail service: a message removed by another session", "[pop3]") {
  Fixture f;
  std::string first = f.Deliver("one");
  auto pop = f.LogIn();
  REQUIRE(f.service.Delete(f.jane, first).ok());
  CHECK(pop->Handle("RETR 1").text.starts_with("-ERR"));
  CHECK(pop->Handle("DELE 1").text.starts_with("+OK"));
  CHECK(pop->Handle("QUIT").text.starts_with("+OK"));  // nothing left to remove
}

}  // namespace
}  // namespace notesd::pop3
