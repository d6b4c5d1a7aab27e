// Transcript tests of the POP3 handler (pop3/pop3_session.h) over a fake backend: client
// lines in, replies expected; TLS before a login, the fixed listing, DELE applied only at
// QUIT, RSET, \Seen at RETR and not at TOP, AUTH PLAIN, bad input.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "pki/base64.h"
#include "pop3/pop3_session.h"
#include "unit_test_support.h"

namespace notesd::pop3 {
namespace {

using namespace std::string_literals;

class FakeBackend final : public Pop3Backend {
 public:
  Result<Person> Login(std::string_view name, std::string_view password, std::string_view address) override {
    logins.push_back(std::string(name) + "@" + std::string(address));
    if (name == "locked") return Status::Unavailable("too many failed logins; try again later");
    if (name != "jane" || password != "secret pw") return Status::PermissionDenied("invalid user name or password");
    Person person;
    person.name = testing::Name("CN=Jane Admin/O=Acme");
    person.mail_file = "mail/jadmin.nsf";
    return person;
  }
  Result<std::vector<MaildropMessage>> ListMaildrop(const Person&) override {
    std::vector<MaildropMessage> out;
    for (const auto& [uid, bytes] : messages) out.push_back({uid, "UNID" + std::to_string(uid), bytes.size()});
    return out;
  }
  Result<std::string> ReadMessage(const Person&, const MaildropMessage& m, bool mark_seen) override {
    auto found = messages.find(m.uid);
    if (found == messages.end()) return Status::NotFound("gone");
    if (mark_seen) seen.push_back(m.uid);
    return found->second;
  }
  Result<std::size_t> RemoveMessages(const Person&, const std::vector<MaildropMessage>& doomed) override {
    std::size_t n = 0;
    for (const MaildropMessage& m : doomed) n += messages.erase(m.uid);
    removed_calls++;
    return n;
  }
  std::map<std::uint32_t, std::string> messages{
      {1, "From: a\r\nSubject: one\r\n\r\nhello\r\n.dot line\r\n"},
      {2, "From: b\r\nSubject: two\r\n\r\nbody 1\r\nbody 2\r\n"},
      {5, "From: c\r\n\r\nthird\r\n"},
  };
  std::vector<std::string> logins;
  std::vector<std::uint32_t> seen;
  int removed_calls = 0;
};

struct Fixture {
  FakeBackend backend;
  Pop3Handler handler;
  explicit Fixture(bool tls = true, bool tls_available = true)
      : handler(Options(tls_available), backend, "192.0.2.7", tls) {}
  static HandlerOptions Options(bool tls_available) {
    HandlerOptions options;
    options.host_name = "mx.acme.example";
    options.tls_available = tls_available;
    return options;
  }
  std::string Say(std::string_view line) { return handler.Handle(line).text; }
  void LogIn() {
    REQUIRE(Say("USER jane") == "+OK send PASS\r\n");
    REQUIRE(Say("PASS secret pw").starts_with("+OK maildrop has 3 messages"));
  }
};

TEST_CASE("POP3 before TLS: CAPA offers STLS, logins are refused with [AUTH]", "[pop3]") {
  Fixture f(false);
  CHECK(f.handler.Greeting() == "+OK mx.acme.example POP3 server (notesd) ready\r\n");
  std::string capa = f.Say("CAPA");
  CHECK(capa.starts_with("+OK"));
  CHECK(capa.find("STLS\r\n") != std::string::npos);
  CHECK(capa.find("USER\r\n") == std::string::npos);
  CHECK(capa.find("SASL") == std::string::npos);
  CHECK(capa.find("UIDL\r\n") != std::string::npos);
  CHECK(capa.find("RESP-CODES\r\n") != std::string::npos);
  CHECK(capa.ends_with("\r\n.\r\n"));
  CHECK(f.Say("USER jane").starts_with("-ERR [AUTH] "));
  CHECK(f.Say("PASS secret pw").starts_with("-ERR [AUTH] "));
  CHECK(f.Say("AUTH PLAIN " + Base64Flat("\0jane\0secret pw"s)).starts_with("-ERR [AUTH] "));
  CHECK(f.backend.logins.empty());
  CHECK(f.Say("STAT").starts_with("-ERR"));

  Reply stls = f.handler.Handle("STLS");
  CHECK(stls.text == "+OK begin TLS negotiation\r\n");
  CHECK(stls.action == Action::kStartTls);
  f.handler.CompleteStartTls();
  capa = f.Say("CAPA");
  CHECK(capa.find("STLS") == std::string::npos);
  CHECK(capa.find("USER\r\n") != std::string::npos);
  CHECK(capa.find("SASL PLAIN\r\n") != std::string::npos);
  CHECK(f.Say("STLS").starts_with("-ERR"));
  f.LogIn();
  CHECK(f.backend.logins == std::vector<std::string>{"jane@192.0.2.7"});
}

TEST_CASE("POP3 without a TLS certificate offers no STLS", "[pop3]") {
  Fixture f(false, false);
  CHECK(f.Say("CAPA").find("STLS") == std::string::npos);
  CHECK(f.Say("STLS").starts_with("-ERR"));
}

TEST_CASE("POP3 wrong passwords and lockouts", "[pop3]") {
  Fixture f;
  CHECK(f.Say("PASS secret pw") == "-ERR USER first\r\n");
  CHECK(f.Say("USER jane") == "+OK send PASS\r\n");
  CHECK(f.Say("PASS wrong") == "-ERR [AUTH] invalid user name or password\r\n");
  CHECK(f.handler.state() == State::kAuthorization);
  CHECK(f.Say("PASS secret pw") == "-ERR USER first\r\n");  // USER again after a failure
  CHECK(f.Say("USER locked") == "+OK send PASS\r\n");
  CHECK(f.Say("PASS x") == "-ERR [SYS/TEMP] too many failed logins; try again later\r\n");
  CHECK(f.handler.counts().logins_failed == 2);
  f.LogIn();
  CHECK(f.handler.state() == State::kTransaction);
  CHECK(f.Say("USER jane").starts_with("-ERR"));
}

TEST_CASE("POP3 AUTH PLAIN, with and without an initial response", "[pop3]") {
  SECTION("initial response") {
    Fixture f;
    CHECK(f.Say("AUTH PLAIN " + Base64Flat("\0jane\0secret pw"s)).starts_with("+OK maildrop has 3 messages"));
  }
  SECTION("continuation") {
    Fixture f;
    CHECK(f.Say("AUTH PLAIN") == "+ \r\n");
    CHECK(f.handler.Blocks(Base64Flat("jane\0jane\0secret pw"s)));
    CHECK(f.Say(Base64Flat("jane\0jane\0secret pw"s)).starts_with("+OK maildrop"));
  }
  SECTION("cancelled, malformed, another identity, other mechanisms") {
    Fixture f;
    CHECK(f.Say("AUTH PLAIN") == "+ \r\n");
    CHECK(f.Say("*").starts_with("-ERR [AUTH]"));
    CHECK(f.Say("AUTH PLAIN !!!").starts_with("-ERR"));
    CHECK(f.Say("AUTH PLAIN " + Base64Flat("no nuls")).starts_with("-ERR"));
    CHECK(f.Say("AUTH PLAIN " + Base64Flat("john\0jane\0secret pw"s)).starts_with("-ERR [AUTH]"));
    CHECK(f.Say("AUTH CRAM-MD5").starts_with("-ERR"));
    CHECK(f.Say("AUTH") == "+OK SASL mechanisms follow\r\nPLAIN\r\n.\r\n");
    CHECK(f.backend.logins.empty());
  }
}

TEST_CASE("POP3 STAT, LIST, UIDL, RETR and TOP", "[pop3]") {
  Fixture f;
  f.LogIn();
  const std::string& m1 = f.backend.messages[1];
  const std::string& m2 = f.backend.messages[2];
  const std::string& m3 = f.backend.messages[5];
  std::uint64_t total = m1.size() + m2.size() + m3.size();
  CHECK(f.Say("STAT") == "+OK 3 " + std::to_string(total) + "\r\n");
  CHECK(f.Say("LIST") == "+OK 3 messages (" + std::to_string(total) + " octets)\r\n1 " + std::to_string(m1.size()) +
                             "\r\n2 " + std::to_string(m2.size()) + "\r\n3 " + std::to_string(m3.size()) + "\r\n.\r\n");
  CHECK(f.Say("LIST 2") == "+OK 2 " + std::to_string(m2.size()) + "\r\n");
  CHECK(f.Say("LIST 4") == "-ERR no such message: 4\r\n");
  CHECK(f.Say("UIDL") == "+OK unique-id listing follows\r\n1 UNID1\r\n2 UNID2\r\n3 UNID5\r\n.\r\n");
  CHECK(f.Say("UIDL 3") == "+OK 3 UNID5\r\n");
  CHECK(f.handler.Blocks("RETR 1"));
  CHECK_FALSE(f.handler.Blocks("STAT"));
  CHECK(f.Say("RETR 1") ==
        "+OK " + std::to_string(m1.size()) + " octets\r\nFrom: a\r\nSubject: one\r\n\r\nhello\r\n..dot line\r\n.\r\n");
  CHECK(f.Say("TOP 2 1") == "+OK top of message follows\r\nFrom: b\r\nSubject: two\r\n\r\nbody 1\r\n.\r\n");
  CHECK(f.Say("TOP 2 0") == "+OK top of message follows\r\nFrom: b\r\nSubject: two\r\n\r\n.\r\n");
  CHECK(f.backend.seen == std::vector<std::uint32_t>{1});  // TOP leaves the read mark alone
  CHECK(f.handler.counts().retrieved == 1);
  CHECK(f.Say("NOOP") == "+OK \r\n");

  // A message another session removed after the listing was fixed.
  f.backend.messages.erase(5);
  CHECK(f.Say("RETR 3").starts_with("-ERR message 3 was removed"));
  CHECK(f.Say("STAT") == "+OK 3 " + std::to_string(total) + "\r\n");  // the listing stays
}

TEST_CASE("POP3 DELE marks, RSET unmarks, QUIT removes", "[pop3]") {
  Fixture f;
  f.LogIn();
  CHECK(f.Say("DELE 1") == "+OK message 1 deleted\r\n");
  CHECK(f.Say("DELE 1") == "-ERR no such message: 1\r\n");
  CHECK(f.Say("RETR 1").starts_with("-ERR"));
  CHECK(f.Say("LIST").find("\r\n1 ") == std::string::npos);
  CHECK(f.Say("STAT").starts_with("+OK 2 "));
  CHECK(f.Say("UIDL").find("UNID1") == std::string::npos);
  CHECK(f.backend.messages.size() == 3);  // nothing removed yet
  CHECK(f.Say("RSET").starts_with("+OK maildrop has 3 messages"));
  CHECK(f.Say("DELE 2") == "+OK message 2 deleted\r\n");
  CHECK(f.Say("DELE 3") == "+OK message 3 deleted\r\n");
  Reply quit = f.handler.Handle("QUIT");
  CHECK(quit.action == Action::kClose);
  CHECK(quit.text == "+OK mx.acme.example POP3 server signing off (2 messages deleted)\r\n");
  CHECK(f.handler.state() == State::kUpdate);
  CHECK(f.backend.messages.size() == 1);
  CHECK(f.backend.messages.count(1) == 1);
  CHECK(f.handler.counts().deleted == 2);
}

TEST_CASE("POP3 a session that ends without QUIT removes nothing", "[pop3]") {
  FakeBackend backend;
  {
    Pop3Handler handler(HandlerOptions{}, backend, "192.0.2.7", true);
    handler.Handle("USER jane");
    handler.Handle("PASS secret pw");
    CHECK(handler.Handle("DELE 1").text.starts_with("+OK"));
  }
  CHECK(backend.removed_calls == 0);
  CHECK(backend.messages.size() == 3);
}

TEST_CASE("POP3 QUIT before login and bad input", "[pop3]") {
  Fixture f;
  CHECK(f.Say("XYZZY") == "-ERR unknown command\r\n");
  CHECK(f.Say("RETR 1") == "-ERR command not valid before login\r\n");
  CHECK(f.handler.LineError(LineReader::Result::kLineTooLong).action == Action::kClose);
  Reply quit = f.handler.Handle("quit");
  CHECK(quit.text == "+OK mx.acme.example POP3 server signing off\r\n");
  CHECK(quit.action == Action::kClose);

  Fixture g;
  Reply last;
  for (int i = 0; i < 20; ++i) last = g.handler.Handle("BOGUS");
  CHECK(last.action == Action::kClose);
  CHECK(last.text.starts_with("-ERR too many bad commands"));
}

}  // namespace
}  // namespace notesd::pop3
