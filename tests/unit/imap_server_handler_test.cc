// Tests of the IMAP command handler (imap_server/imap_handler.h) as transcripts: client
// commands in (parsed by imap/imap_parser.h), the exact replies out, on a real mail
// service over a temporary mail store, with a login check that knows one password.
#include <catch2/catch.hpp>

#include "imap/imap_parser.h"
#include "imap_server/imap_handler.h"
#include "pki/base64.h"
#include "router/mail_service.h"
#include "tests/unit/unit_test_support.h"

namespace notesd {
namespace {

using imap_server::After;
using imap_server::ImapHandler;
using imap_server::ImapState;
using imap_server::Reply;
using testing::Must;
using testing::Name;
using testing::TempDir;

class FixedClock final : public Clock {
 public:
  int64_t NowMicros() const override { return 1'800'000'000LL * 1'000'000; }
};

struct HandlerFixture {
  TempDir dir{"notesd-imaph-"};
  FixedClock clock;
  std::unique_ptr<MailStore> store = Must(MailStore::Open(dir.path));
  MailService mail{*store, clock};
  Person jane = MakeJane();
  int logins = 0;

  static Person MakeJane() {
    Person person;
    person.name = Name("CN=Jane Doe/O=Acme");
    person.internet_address = "jane@acme.example";
    person.mail_file = "mail/jdoe.nsf";
    return person;
  }

  std::unique_ptr<ImapHandler> MakeHandler(bool tls = true) {
    imap_server::HandlerOptions options;
    options.tls_available = true;
    options.greeting_host = "mx.acme.example";
    auto check = [this](std::string_view user, std::string_view password, std::string_view) -> Result<Person> {
      ++logins;
      if (user == "jane" && password == "pw") return jane;
      return Status::PermissionDenied("invalid user name or password");
    };
    return std::make_unique<ImapHandler>(mail, check, options, "192.0.2.1", tls);
  }

  std::uint32_t Append(const std::string& subject, const std::vector<std::string>& flags = {},
                       const std::string& folder = "INBOX") {
    std::string message = "From: John <john@acme.example>\r\nTo: jane@acme.example\r\nSubject: " + subject +
                          "\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n\r\nHello " + subject + "\r\n";
    return Must(mail.Append(jane, folder, message, flags, 0)).uid;
  }
};

// The whole reply, its parts joined as the session writes them; `parts` counts them.
Reply RunReply(ImapHandler& handler, const std::string& text, int* parts = nullptr) {
  auto parsed = imap::ParseCommand(text);
  REQUIRE(std::holds_alternative<imap::Command>(parsed));
  Reply reply = handler.Handle(std::get<imap::Command>(parsed));
  if (parts) *parts = 1;
  while (reply.next) {
    Reply next = reply.next();
    next.text = reply.text + next.text;
    reply = std::move(next);
    if (parts) ++*parts;
  }
  return reply;
}

std::string Run(ImapHandler& handler, const std::string& text) { return RunReply(handler, text).text; }

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST_CASE("imap handler: no login before TLS, STARTTLS, then LOGIN and AUTH=PLAIN", "[imap_server]") {
  HandlerFixture f;
  auto h = f.MakeHandler(/*tls=*/false);
  CHECK(Has(h->Greeting(), "* OK [CAPABILITY IMAP4rev1"));
  std::string caps = Run(*h, "a CAPABILITY");
  CHECK(Has(caps, " STARTTLS LOGINDISABLED\r\n"));
  CHECK_FALSE(Has(caps, "AUTH=PLAIN"));
  CHECK(Run(*h, "b LOGIN jane pw") == "b NO [PRIVACYREQUIRED] LOGIN is disabled until STARTTLS\r\n");
  CHECK(Has(Run(*h, "c AUTHENTICATE PLAIN"), "c NO [PRIVACYREQUIRED]"));
  CHECK(f.logins == 0);
  CHECK(Run(*h, "d SELECT INBOX") == "d BAD SELECT is not valid before login\r\n");
  Reply tls = RunReply(*h, "e STARTTLS");
  CHECK(tls.text == "e OK Begin TLS negotiation now\r\n");
  CHECK(tls.after == After::kStartTls);
  h->TlsStarted();
  caps = Run(*h, "f CAPABILITY");
  CHECK(Has(caps, "AUTH=PLAIN"));
  CHECK_FALSE(Has(caps, "LOGINDISABLED"));
  CHECK(Run(*h, "g STARTTLS") == "g BAD TLS is already active\r\n");
  CHECK(Has(Run(*h, "h LOGIN jane pw"), "h OK [CAPABILITY IMAP4rev1"));
  CHECK(h->state() == ImapState::kAuthenticated);
  CHECK(Run(*h, "i LOGIN jane pw") == "i BAD already logged in\r\n");
}

TEST_CASE("imap handler: wrong passwords, three of them end the session", "[imap_server]") {
  HandlerFixture f;
  auto h = f.MakeHandler();
  CHECK(Run(*h, "a LOGIN jane nope") == "a NO [AUTHENTICATIONFAILED] invalid user name or password\r\n");
  CHECK(RunReply(*h, "b LOGIN jane nope").after == After::kNone);
  Reply third = RunReply(*h, "c LOGIN jane nope");
  CHECK(Has(third.text, "* BYE too many failed logins"));
  CHECK(third.after == After::kClose);
}

TEST_CASE("imap handler: AUTHENTICATE PLAIN with a continuation and with an initial response", "[imap_server]") {
  HandlerFixture f;
  auto h = f.MakeHandler();
  Reply start = RunReply(*h, "a AUTHENTICATE PLAIN");
  CHECK(start.text == "+ \r\n");
  CHECK(start.after == After::kAuthContinue);
  std::string other = Base64Flat(std::string("admin\0jane\0pw", 13));
  CHECK(Has(h->ContinueAuthenticate(other).text, "a NO [AUTHORIZATIONFAILED]"));
  CHECK(Run(*h, "b AUTHENTICATE PLAIN") == "+ \r\n");
  CHECK(h->ContinueAuthenticate("*").text == "b BAD AUTHENTICATE cancelled\r\n");
  std::string good = Base64Flat(std::string("\0jane\0pw", 8));
  CHECK(Has(Run(*h, "c AUTHENTICATE PLAIN " + good), "c OK [CAPABILITY"));
  CHECK(h->state() == ImapState::kAuthenticated);
}

struct LoggedIn : HandlerFixture {
  std::unique_ptr<ImapHandler> h = MakeHandler();
  LoggedIn() { REQUIRE(Has(Run(*h, "0 LOGIN jane pw"), "0 OK")); }
};

TEST_CASE("imap handler: SELECT tells the folder, FETCH answers from the mail file", "[imap_server]") {
  LoggedIn f;
  f.Append("one");
  f.Append("two", {"\\Seen"});
  f.Append("three", {"\\Flagged"});
  std::uint32_t validity = Must(f.mail.GetFolderStatus(f.jane, "INBOX")).uid_validity;
  std::string select = Run(*f.h, "a SELECT inbox");
  CHECK(select ==
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
        "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted\r\n"
        "* 3 EXISTS\r\n* 0 RECENT\r\n* OK [UNSEEN 1] First unseen\r\n"
        "* OK [UIDVALIDITY " +
            std::to_string(validity) +
            "] UIDs valid\r\n"
            "* OK [UIDNEXT 4] Predicted next UID\r\n"
            "a OK [READ-WRITE] SELECT completed\r\n");
  CHECK(f.h->state() == ImapState::kSelected);
  CHECK(Run(*f.h, "b FETCH 1:* (FLAGS)") ==
        "* 1 FETCH (FLAGS ())\r\n* 2 FETCH (FLAGS (\\Seen))\r\n* 3 FETCH (FLAGS (\\Flagged))\r\nb OK FETCH "
        "completed\r\n");
  CHECK(Run(*f.h, "c UID FETCH 2:* (FLAGS)") ==
        "* 2 FETCH (UID 2 FLAGS (\\Seen))\r\n* 3 FETCH (UID 3 FLAGS (\\Flagged))\r\nc OK UID FETCH completed\r\n");
  // "n:*" with n above every UID still names the last message (RFC 3501 6.4.8).
  CHECK(Run(*f.h, "d UID FETCH 9:* (FLAGS)") == "* 3 FETCH (UID 3 FLAGS (\\Flagged))\r\nd OK UID FETCH completed\r\n");
  std::string message = Must(f.mail.ReadByUid(f.jane, "INBOX", 1)).message;
  std::string header = Run(*f.h, "e FETCH 1 (RFC822.SIZE BODY.PEEK[HEADER.FIELDS (Subject)])");
  CHECK(header == "* 1 FETCH (RFC822.SIZE " + std::to_string(message.size()) +
                      " BODY[HEADER.FIELDS (Subject)] {16}\r\nSubject: one\r\n\r\n)\r\ne OK FETCH completed\r\n");
  CHECK(Run(*f.h, "f FETCH 1 (BODY.PEEK[]<0.4>)") == "* 1 FETCH (BODY[]<0> {4}\r\nFrom)\r\nf OK FETCH completed\r\n");
  // BODY[] without PEEK sets \Seen and says so.
  CHECK(Run(*f.h, "g FETCH 1 (BODY[TEXT])") ==
        "* 1 FETCH (BODY[TEXT] {11}\r\nHello one\r\n FLAGS (\\Seen))\r\ng OK FETCH completed\r\n");
  CHECK(HasFlag(Must(f.mail.ReadByUid(f.jane, "INBOX", 1)).flags, "\\Seen"));
  std::string envelope = Run(*f.h, "h FETCH 3 (ENVELOPE BODYSTRUCTURE)");
  CHECK(Has(envelope,
            "ENVELOPE (\"Tue, 1 Dec 2026 10:00:00 +0000\" \"three\" ((\"John\" NIL \"john\" \"acme.example\"))"));
  CHECK(Has(envelope, "BODYSTRUCTURE (\"TEXT\" \"PLAIN\""));
  CHECK(Run(*f.h, "i FETCH 7 (FLAGS)") == "i OK FETCH completed\r\n");
}

TEST_CASE("imap handler: a long FETCH reply comes in parts of about 1 MB", "[imap_server]") {
  LoggedIn f;
  std::string big = "Subject: big\r\n\r\n" + std::string(300 * 1024, 'x') + "\r\n";
  for (int i = 0; i < 8; ++i) (void)Must(f.mail.Append(f.jane, "INBOX", big, {}, 0));
  Run(*f.h, "0 SELECT INBOX");
  int parts = 0;
  std::string reply = RunReply(*f.h, "a FETCH 1:* (BODY.PEEK[])", &parts).text;
  CHECK(parts == 2);  // four messages (1.2 MB) fill a part
  CHECK(reply.size() > 8 * big.size());
  CHECK(reply.rfind("a OK FETCH completed\r\n") == reply.size() - 22);
  CHECK(Has(reply, "* 8 FETCH (BODY[] {" + std::to_string(big.size()) + "}\r\n"));
}

TEST_CASE("imap handler: RENAME of the selected folder keeps it selected", "[imap_server]") {
  LoggedIn f;
  f.Append("kept", {}, "INBOX");
  CHECK(Run(*f.h, "a CREATE Old") == "a OK CREATE completed\r\n");
  CHECK(Has(Run(*f.h, "b COPY 1 Old"), "b BAD"));  // nothing selected
  Run(*f.h, "c SELECT INBOX");
  CHECK(Has(Run(*f.h, "d COPY 1 Old"), "d OK [COPYUID"));
  Run(*f.h, "e SELECT Old");
  CHECK(Run(*f.h, "f RENAME Old New") == "f OK RENAME completed\r\n");
  CHECK(Run(*f.h, "g FETCH 1 (UID)") == "* 1 FETCH (UID 1)\r\ng OK FETCH completed\r\n");
  CHECK(Run(*f.h, "h NOOP") == "h OK NOOP completed\r\n");
}

TEST_CASE("imap handler: EXAMINE is read-only", "[imap_server]") {
  LoggedIn f;
  f.Append("one");
  CHECK(Has(Run(*f.h, "a EXAMINE INBOX"), "a OK [READ-ONLY] EXAMINE completed"));
  CHECK(Has(Run(*f.h, "b STORE 1 +FLAGS (\\Seen)"), "b NO [READ-ONLY]"));
  CHECK(Has(Run(*f.h, "c FETCH 1 (BODY[])"), "c OK"));
  CHECK_FALSE(HasFlag(Must(f.mail.ReadByUid(f.jane, "INBOX", 1)).flags, "\\Seen"));
}

TEST_CASE("imap handler: STORE, COPY, MOVE and EXPUNGE", "[imap_server]") {
  LoggedIn f;
  for (const char* s : {"a", "b", "c", "d"}) f.Append(s);
  Run(*f.h, "0 SELECT INBOX");
  CHECK(Run(*f.h, "a STORE 2 +FLAGS (\\Deleted \\Recent)") ==
        "* 2 FETCH (FLAGS (\\Deleted))\r\na OK STORE completed\r\n");
  CHECK(Run(*f.h, "b UID STORE 3 +FLAGS.SILENT (\\Flagged)") == "b OK UID STORE completed\r\n");
  CHECK(Run(*f.h, "c STORE 1 FLAGS (\\bogus)").rfind("c BAD", 0) == 0);
  CHECK(Run(*f.h, "d CREATE Archive/") == "d OK CREATE completed\r\n");
  std::uint32_t archive = Must(f.mail.GetFolderStatus(f.jane, "Archive")).uid_validity;
  CHECK(Run(*f.h, "e COPY 3:4 Archive") == "e OK [COPYUID " + std::to_string(archive) + " 3:4 1:2] COPY completed\r\n");
  CHECK(Has(Run(*f.h, "f COPY 1 Nowhere"), "f NO [TRYCREATE]"));
  CHECK(Run(*f.h, "g UID MOVE 4 Archive") ==
        "* OK [COPYUID " + std::to_string(archive) + " 4 3] Moved\r\n* 4 EXPUNGE\r\ng OK UID MOVE completed\r\n");
  CHECK(Run(*f.h, "h EXPUNGE") == "* 2 EXPUNGE\r\nh OK EXPUNGE completed\r\n");
  CHECK(Run(*f.h, "i FETCH 1:* (UID)") == "* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 3)\r\ni OK FETCH completed\r\n");
  CHECK(Run(*f.h, "j STORE 1:2 +FLAGS.SILENT (\\Deleted)") == "j OK STORE completed\r\n");
  CHECK(Run(*f.h, "k UID EXPUNGE 3") == "* 2 EXPUNGE\r\nk OK UID EXPUNGE completed\r\n");
  CHECK(Run(*f.h, "l CLOSE") == "l OK CLOSE completed\r\n");
  CHECK(Must(f.mail.GetFolderStatus(f.jane, "INBOX")).messages == 0);
  CHECK(Must(f.mail.GetFolderStatus(f.jane, "Archive")).messages == 3);
  CHECK(Run(*f.h, "m FETCH 1 (FLAGS)") == "m BAD FETCH needs a selected mailbox\r\n");
}

TEST_CASE("imap handler: NOOP and IDLE tell what changed elsewhere", "[imap_server]") {
  LoggedIn f;
  f.Append("one");
  f.Append("two");
  Run(*f.h, "0 SELECT INBOX");
  CHECK(Run(*f.h, "a NOOP") == "a OK NOOP completed\r\n");
  f.Append("three");
  (void)Must(f.mail.AddFlags(f.jane, "INBOX", {2}, {"\\Seen"}));
  (void)Must(f.mail.AddFlags(f.jane, "INBOX", {1}, {"\\Deleted"}));
  (void)Must(f.mail.Expunge(f.jane, "INBOX"));
  CHECK(Run(*f.h, "b NOOP") ==
        "* 1 EXPUNGE\r\n* 2 EXISTS\r\n* 1 FETCH (UID 2 FLAGS (\\Seen))\r\nb OK NOOP completed\r\n");
  Reply idle = RunReply(*f.h, "c IDLE");
  CHECK(idle.text == "+ idling\r\n");
  CHECK(idle.after == After::kIdle);
  CHECK(f.h->CurrentChangeCount() == f.h->change_seen());
  CHECK(f.h->IdleUpdates().empty());
  f.Append("four");
  CHECK(f.h->CurrentChangeCount() != f.h->change_seen());
  CHECK(f.h->IdleUpdates() == "* 3 EXISTS\r\n");
  CHECK(f.h->EndIdle("done").text == "c OK IDLE terminated\r\n");
  Run(*f.h, "d IDLE");
  CHECK(f.h->EndIdle("NOPE").text == "d BAD expected DONE\r\n");
}

TEST_CASE("imap handler: SEARCH keys", "[imap_server]") {
  LoggedIn f;
  f.Append("apple", {"\\Seen"});
  f.Append("banana", {"\\Flagged"});
  f.Append("cherry");
  Run(*f.h, "0 SELECT INBOX");
  struct Case {
    const char* criteria;
    const char* hits;
  };
  auto c = GENERATE(values<Case>({{"ALL", " 1 2 3"},
                                  {"SEEN", " 1"},
                                  {"UNSEEN", " 2 3"},
                                  {"FLAGGED", " 2"},
                                  {"NOT FLAGGED", " 1 3"},
                                  {"OR SEEN FLAGGED", " 1 2"},
                                  {"SUBJECT banana", " 2"},
                                  {"FROM JOHN", " 1 2 3"},
                                  {"TO nobody", ""},
                                  {"BODY \"Hello cherry\"", " 3"},
                                  {"TEXT apple", " 1"},
                                  {"HEADER Subject ch", " 3"},
                                  {"UID 2:3", " 2 3"},
                                  {"2,3 UNSEEN", " 2 3"},
                                  {"LARGER 10 SMALLER 1000", " 1 2 3"},
                                  {"SENTON 1-Dec-2026", " 1 2 3"},
                                  {"SENTBEFORE 1-Dec-2026", ""},
                                  {"SINCE 1-Jan-2027", " 1 2 3"},
                                  {"BEFORE 1-Jan-2027", ""},
                                  {"DELETED", ""}}));
  INFO(c.criteria);
  CHECK(Run(*f.h, std::string("a SEARCH ") + c.criteria) ==
        std::string("* SEARCH") + c.hits + "\r\na OK SEARCH completed\r\n");
}

TEST_CASE("imap handler: LIST patterns, STATUS, CREATE, RENAME, DELETE, APPEND", "[imap_server]") {
  LoggedIn f;
  f.Append("one");
  CHECK(Run(*f.h, "a CREATE Work/2026") == "a OK CREATE completed\r\n");
  CHECK(Has(Run(*f.h, "b CREATE Work/2026"), "b NO [ALREADYEXISTS]"));
  CHECK(Run(*f.h, "c CREATE Work") == "c OK CREATE completed\r\n");
  CHECK(Run(*f.h, "d LIST \"\" \"\"") == "* LIST (\\Noselect) \"/\" \"\"\r\nd OK LIST completed\r\n");
  CHECK(Run(*f.h, "e LIST \"\" *") ==
        "* LIST (\\HasNoChildren) \"/\" INBOX\r\n* LIST (\\HasChildren) \"/\" Work\r\n"
        "* LIST (\\HasNoChildren) \"/\" Work/2026\r\ne OK LIST completed\r\n");
  CHECK(Run(*f.h, "f LIST \"\" %") ==
        "* LIST (\\HasNoChildren) \"/\" INBOX\r\n* LIST (\\HasChildren) \"/\" Work\r\nf OK LIST completed\r\n");
  CHECK(Run(*f.h, "g LIST Work/ %") == "* LIST (\\HasNoChildren) \"/\" Work/2026\r\ng OK LIST completed\r\n");
  CHECK(Run(*f.h, "h LIST (SUBSCRIBED) \"\" inbox RETURN (CHILDREN STATUS (MESSAGES UNSEEN))") ==
        "* LIST (\\HasNoChildren \\Subscribed) \"/\" INBOX\r\n* STATUS INBOX (MESSAGES 1 UNSEEN 1)\r\n"
        "h OK LIST completed\r\n");
  CHECK(Run(*f.h, "i LSUB \"\" W*") ==
        "* LSUB (\\HasChildren) \"/\" Work\r\n* LSUB (\\HasNoChildren) \"/\" "
        "Work/2026\r\ni OK LSUB completed\r\n");
  CHECK(Run(*f.h, "j STATUS INBOX (MESSAGES UIDNEXT UNSEEN RECENT)") ==
        "* STATUS INBOX (MESSAGES 1 UIDNEXT 2 UNSEEN 1 RECENT 0)\r\nj OK STATUS completed\r\n");
  CHECK(Has(Run(*f.h, "k STATUS Nowhere (MESSAGES)"), "k NO [NONEXISTENT]"));
  CHECK(Run(*f.h, "l RENAME Work Done") == "l OK RENAME completed\r\n");
  CHECK(Run(*f.h, "m LIST \"\" *") ==
        "* LIST (\\HasChildren) \"/\" Done\r\n* LIST (\\HasNoChildren) \"/\" "
        "Done/2026\r\n* LIST (\\HasNoChildren) \"/\" INBOX\r\nm OK LIST completed\r\n");
  CHECK(Run(*f.h, "n DELETE Done/2026") == "n OK DELETE completed\r\n");
  std::uint32_t validity = Must(f.mail.GetFolderStatus(f.jane, "Done")).uid_validity;
  CHECK(Run(*f.h, "o APPEND Done (\\Seen) \"02-Dec-2026 18:00:00 +0100\" {24+}\r\nSubject: x\r\n\r\nappended\r\n") ==
        "o OK [APPENDUID " + std::to_string(validity) + " 1] APPEND completed\r\n");
  StoredMail appended = Must(f.mail.ReadByUid(f.jane, "Done", 1));
  CHECK(appended.message == "Subject: x\r\n\r\nappended\r\n");
  CHECK(appended.delivered == 1'796'230'800LL * 1'000'000);
  CHECK(Has(Run(*f.h, "p APPEND Nowhere {12+}\r\nSubject: x\r\n"), "p NO [TRYCREATE]"));
  CHECK(Run(*f.h, "q NAMESPACE") == "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\nq OK NAMESPACE completed\r\n");
  Reply bye = RunReply(*f.h, "r LOGOUT");
  CHECK(bye.text == "* BYE mx.acme.example IMAP4rev1 server logging out\r\nr OK LOGOUT completed\r\n");
  CHECK(bye.after == After::kClose);
}

}  // namespace
}  // namespace notesd

namespace notesd {
namespace {

TEST_CASE("imap reader: the literal bound is raised after login, as the session does", "[imap_server]") {
  imap::ReaderLimits before;
  before.max_literal_bytes = 8;
  imap::CommandReader reader(before);
  reader.Feed("a APPEND INBOX {9}\r\n");
  imap::Step step = reader.Next();
  CHECK(step.kind == imap::StepKind::kError);
  CHECK_FALSE(step.error.fatal);
  reader.RaiseLimits({});
  reader.Feed("b APPEND INBOX {9}\r\n");
  CHECK(reader.Next().kind == imap::StepKind::kSendContinuation);
  reader.Feed("Subject:x\r\n");
  step = reader.Next();
  REQUIRE(step.kind == imap::StepKind::kCommand);
  CHECK(std::get<imap::AppendArgs>(step.command.args).message == "Subject:x");
}

}  // namespace
}  // namespace notesd
