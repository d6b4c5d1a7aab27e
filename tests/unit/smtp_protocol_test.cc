// Transcript tests of the pure SMTP server protocol (router/smtp_protocol.h): client
// bytes in, server replies expected, every error path. No sockets.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "router/smtp_protocol.h"

namespace notesd::smtp {
namespace {

using namespace std::string_literals;

// acme.example is ours: jane and john exist; everything else there is unknown; other
// domains are relaying; "tempfail.acme.example" makes the directory fail.
class TestPolicy final : public ServerPolicy {
 public:
  RecipientCheck CheckRecipient(const Mailbox& m) override {
    checked.push_back(m.ToString());
    if (m.domain == "tempfail.acme.example") return {RecipientVerdict::kTryLater, "directory down"};
    if (m.domain.empty()) return {RecipientVerdict::kAccept, ""};  // postmaster
    if (m.domain != "acme.example") return {RecipientVerdict::kRelayDenied, ""};
    if (m.local == "jane" || m.local == "john") return {RecipientVerdict::kAccept, ""};
    return {RecipientVerdict::kUnknownUser, "no such person"};
  }
  // acme.example addresses and the Notes name "Jane Admin" are local (forged over SMTP).
  SenderCheck CheckSender(const Mailbox& m) override {
    senders.push_back(m.ToString());
    if (m.domain == "tempfail.acme.example") return {SenderVerdict::kTryLater, "directory down"};
    if (m.domain == "acme.example" || (m.domain.empty() && m.local == "Jane Admin"))
      return {SenderVerdict::kLocalNeedsAuth, "ours"};
    return {SenderVerdict::kAccept, ""};
  }
  std::vector<std::string> checked;
  std::vector<std::string> senders;
};

ServerOptions Options() {
  ServerOptions options;
  options.host_name = "mx.acme.example";
  options.tls_available = true;
  options.limits.max_message_bytes = 1000;
  options.limits.max_recipients = 3;
  options.limits.max_commands = 50;
  options.limits.max_errors = 5;
  return options;
}

// Runs a transcript and returns the replies as lines (without CRLF), greeting first.
std::vector<std::string> Replies(const std::string& input, std::vector<SimulatedDelivery>* deliveries = nullptr,
                                 ServerOptions options = Options(), const Status& result = Status::Ok()) {
  TestPolicy policy;
  std::string out = SimulateSession(options, policy, input, deliveries, result);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < out.size()) {
    std::size_t end = out.find("\r\n", start);
    REQUIRE(end != std::string::npos);  // every reply line ends with CRLF
    lines.push_back(out.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

TEST_CASE("smtp: a good ESMTP session delivers the message byte for byte", "[smtp]") {
  std::vector<SimulatedDelivery> delivered;
  auto r = Replies(
      "EHLO client.example\r\n"
      "MAIL FROM:<sender@outside.example> SIZE=120 BODY=8BITMIME\r\n"
      "RCPT TO:<jane@acme.example>\r\n"
      "RCPT TO:<John@acme.example>\r\n"
      "DATA\r\n"
      "Subject: hi\r\n\r\nline one\r\n..dot line\r\n.\r\n"
      "QUIT\r\n",
      &delivered);
  std::vector<std::string> expected = {"220 mx.acme.example ESMTP notesd",
                                       "250-mx.acme.example",
                                       "250-SIZE 1000",
                                       "250-8BITMIME",
                                       "250-PIPELINING",
                                       "250-ENHANCEDSTATUSCODES",
                                       "250-STARTTLS",
                                       "250 HELP",
                                       "250 2.1.0 Ok",
                                       "250 2.1.5 Ok",
                                       "550 5.1.1 <John@acme.example>: Recipient address rejected: User unknown",
                                       "354 End data with <CR><LF>.<CR><LF>",
                                       "250 2.0.0 Ok: queued as Q1",
                                       "221 2.0.0 mx.acme.example closing connection"};
  CHECK(r == expected);
  REQUIRE(delivered.size() == 1);
  CHECK(delivered[0].message == "Subject: hi\r\n\r\nline one\r\n.dot line\r\n");
  CHECK(delivered[0].envelope.sender == "sender@outside.example");
  CHECK(delivered[0].envelope.recipients == std::vector<std::string>{"jane@acme.example"});
  CHECK(delivered[0].envelope.body_8bit);
  CHECK(delivered[0].envelope.helo == "client.example");
}

TEST_CASE("smtp: pipelined commands are answered in order, two messages in one session", "[smtp]") {
  std::vector<SimulatedDelivery> delivered;
  std::string one = "MAIL FROM:<a@b.example>\r\nRCPT TO:<jane@acme.example>\r\nDATA\r\nX: 1\r\n\r\nbody\r\n.\r\n";
  auto r = Replies("EHLO c\r\n" + one + one + "QUIT\r\n", &delivered);
  REQUIRE(r.size() == 8 + 4 + 4 + 1);
  CHECK(r[8] == "250 2.1.0 Ok");
  CHECK(r[11] == "250 2.0.0 Ok: queued as Q1");
  CHECK(r[15] == "250 2.0.0 Ok: queued as Q2");
  CHECK(delivered.size() == 2);
}

TEST_CASE("smtp: HELO, RSET, NOOP, HELP, VRFY and EXPN", "[smtp]") {
  auto r = Replies(
      "HELO c.example\r\nNOOP\r\nHELP\r\nVRFY jane\r\nEXPN staff\r\nMAIL FROM:<>\r\nRSET\r\n"
      "RCPT TO:<jane@acme.example>\r\nQUIT\r\n");
  std::vector<std::string> expected = {"220 mx.acme.example ESMTP notesd",
                                       "250 mx.acme.example",
                                       "250 2.0.0 Ok",
                                       "214-2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT HELP STARTTLS",
                                       "214 2.0.0 End of HELP",
                                       "252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery",
                                       "502 5.5.1 Error: EXPN not available",
                                       "250 2.1.0 Ok",
                                       "250 2.0.0 Ok",
                                       "503 5.5.1 Error: need MAIL command",
                                       "221 2.0.0 mx.acme.example closing connection"};
  CHECK(r == expected);
}

TEST_CASE("smtp: bad commands get the right 5xx and the session goes on", "[smtp]") {
  using Case = std::pair<std::string, std::string>;
  auto [command, reply] = GENERATE(values<Case>({
      {"FOO bar", "500 5.5.2 Error: command not recognized"},
      {"", "500 5.5.2 Error: bad syntax"},
      {"EHLO", "501 5.5.4 Syntax: EHLO hostname"},
      {"HELO", "501 5.5.4 Syntax: HELO hostname"},
      {"MAIL TO:<a@b.example>", "501 5.5.4 Syntax: MAIL FROM:<address>"},
      {"MAIL FROM:a@b.example", "501 5.5.4 Syntax: MAIL FROM:<address>"},
      {"MAIL FROM:<a@@b>", "501 5.1.7 Bad sender address syntax"},
      {"MAIL FROM:<a@b.example> SIZE=x", "501 5.5.4 Bad SIZE parameter syntax"},
      {"MAIL FROM:<a@b.example> AUTH=<>", "555 5.5.4 Unsupported option: AUTH=<>"},
      {"MAIL FROM:<a@b.example> SIZE=5000", "552 5.3.4 Message size exceeds fixed limit"},
      {"RCPT TO:<jane@acme.example>", "503 5.5.1 Error: need MAIL command"},
      {"DATA", "503 5.5.1 Error: need RCPT command"},
      {"DATA now", "501 5.5.4 Syntax: DATA"},
      {"RSET x", "501 5.5.4 Syntax: RSET"},
      {"BDAT 10 LAST", "502 5.5.1 Error: command not implemented"},
      {"AUTH PLAIN", "502 5.5.1 Error: command not implemented"},
      {"STARTTLS now", "501 5.5.4 Syntax: STARTTLS"},
      {"MAIL FROM:<a\0b@x.example>"s, "500 5.5.2 Error: bad syntax"},
  }));
  auto r = Replies("EHLO c\r\n" + command + "\r\nNOOP\r\n");
  REQUIRE(r.size() == 1 + 7 + 2);
  CHECK(r[8] == reply);
  CHECK(r[9] == "250 2.0.0 Ok");
}

TEST_CASE("smtp: MAIL before EHLO, nested MAIL and DATA without valid recipients", "[smtp]") {
  auto r = Replies(
      "MAIL FROM:<a@b.example>\r\nHELO c\r\nMAIL FROM:<a@b.example>\r\nMAIL FROM:<a@b.example>\r\n"
      "RCPT TO:<nobody@acme.example>\r\nDATA\r\n");
  CHECK(r[1] == "503 5.5.1 Error: send HELO/EHLO first");
  CHECK(r[3] == "250 2.1.0 Ok");
  CHECK(r[4] == "503 5.5.1 Error: nested MAIL command");
  CHECK(r[5] == "550 5.1.1 <nobody@acme.example>: Recipient address rejected: User unknown");
  CHECK(r[6] == "554 5.5.1 Error: no valid recipients");
}

TEST_CASE("smtp: relaying is refused and a failing directory is a temporary error", "[smtp]") {
  auto r = Replies(
      "EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@elsewhere.example>\r\n"
      "RCPT TO:<x@tempfail.acme.example>\r\nRCPT TO:<postmaster>\r\nRCPT TO:<@relay.example:jane@acme.example>\r\n"
      "RCPT TO:<bad address>\r\n");
  CHECK(r[9] == "550 5.7.1 <x@elsewhere.example>: Relay access denied");
  CHECK(r[10] == "451 4.3.0 <x@tempfail.acme.example>: Temporary lookup failure");
  CHECK(r[11] == "250 2.1.5 Ok");
  CHECK(r[12] == "250 2.1.5 Ok");  // the obsolete source route is dropped
  CHECK(r[13] == "501 5.1.3 Bad recipient address syntax");
}

TEST_CASE("smtp: too many recipients get 452 4.5.3", "[smtp]") {
  std::string rcpts;
  for (int i = 0; i < 4; ++i) rcpts += "RCPT TO:<jane@acme.example>\r\n";
  auto r = Replies("EHLO c\r\nMAIL FROM:<a@b.example>\r\n" + rcpts);
  CHECK(r[9] == "250 2.1.5 Ok");
  CHECK(r[12] == "452 4.5.3 Error: too many recipients");
}

TEST_CASE("smtp: a too long command line is refused with 500 5.5.2 and the session goes on", "[smtp]") {
  std::string long_line = "NOOP " + std::string(2000, 'x') + "\r\n";
  auto r = Replies("EHLO c\r\n" + long_line + "NOOP\r\n");
  REQUIRE(r.size() == 10);
  CHECK(r[8] == "500 5.5.2 Error: line too long");
  CHECK(r[9] == "250 2.0.0 Ok");
  // Exactly at the limit (1000 bytes with CRLF) is fine.
  std::string exact = "NOOP " + std::string(1000 - 7, 'y') + "\r\n";
  REQUIRE(exact.size() == 1000);
  auto ok = Replies("EHLO c\r\n" + exact);
  CHECK(ok.back() == "250 2.0.0 Ok");
}

TEST_CASE("smtp: an oversized message is read to its end and refused with 552", "[smtp]") {
  std::vector<SimulatedDelivery> delivered;
  std::string body(3000, 'a');
  auto r = Replies("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<jane@acme.example>\r\nDATA\r\n" + body +
                       "\r\n.\r\nNOOP\r\n",
                   &delivered);
  CHECK(r[11] == "552 5.3.4 Error: message size exceeds fixed maximum message size");
  CHECK(r[12] == "250 2.0.0 Ok");
  CHECK(delivered.empty());
  // Long lines inside DATA are data, not commands: within the size limit they are kept.
  std::vector<SimulatedDelivery> kept;
  ServerOptions big = Options();
  big.limits.max_message_bytes = 0;
  std::string long_body(5000, 'b');
  Replies("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<jane@acme.example>\r\nDATA\r\n" + long_body + "\r\n.\r\n",
          &kept, big);
  REQUIRE(kept.size() == 1);
  CHECK(kept[0].message == long_body + "\r\n");
}

TEST_CASE("smtp: only CRLF.CRLF ends DATA; bare LF and CR are message bytes", "[smtp]") {
  std::vector<SimulatedDelivery> delivered;
  std::string data = "A: b\r\n\r\nsmuggle\n.\nMAIL FROM:<x@y.example>\r\nbare\r.\rend\r\n.\r\n";
  auto r = Replies("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<jane@acme.example>\r\nDATA\r\n" + data + "QUIT\r\n",
                   &delivered);
  REQUIRE(delivered.size() == 1);
  CHECK(delivered[0].message == "A: b\r\n\r\nsmuggle\n.\nMAIL FROM:<x@y.example>\r\nbare\r.\rend\r\n");
  CHECK(r.back() == "221 2.0.0 mx.acme.example closing connection");
}

TEST_CASE("smtp: dot-stuffing and an empty message, fed one byte at a time", "[smtp]") {
  TestPolicy policy;
  ServerSession session(Options(), policy);
  std::string input =
      "EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<jane@acme.example>\r\nDATA\r\n.\r\n"
      "MAIL FROM:<>\r\nRCPT TO:<jane@acme.example>\r\nDATA\r\n...\r\n.x\r\n.\r\n";
  std::vector<std::string> messages;
  for (char c : input) {
    session.Receive(std::string_view(&c, 1));
    if (session.pending_action() == Action::kDeliver) {
      messages.push_back(session.message());
      session.CompleteDelivery(Status::Ok(), "Q");
      session.Receive("");
    }
  }
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].empty());
  CHECK(messages[1] == "..\r\nx\r\n");
}

TEST_CASE("smtp: a failed commit is 451 and a refused message 554; the session goes on", "[smtp]") {
  std::string tx = "EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<jane@acme.example>\r\nDATA\r\nx\r\n.\r\nNOOP\r\n";
  auto r = Replies(tx, nullptr, Options(), Status::IOError("disk full"));
  CHECK(r[11] == "451 4.3.0 Error: queue file write error, try again later");
  CHECK(r[12] == "250 2.0.0 Ok");
  auto refused = Replies(tx, nullptr, Options(), Status::InvalidArgument("bad"));
  CHECK(refused[11] == "554 5.6.0 Error: message refused");
}

TEST_CASE("smtp: STARTTLS discards pipelined input and forgets the greeting", "[smtp]") {
  TestPolicy policy;
  ServerSession session(Options(), policy);
  session.Receive("EHLO c\r\nSTARTTLS\r\nMAIL FROM:<injected@x.example>\r\n");
  std::string out = session.TakeOutput();
  CHECK(out.ends_with("220 2.0.0 Ready to start TLS\r\n"));
  REQUIRE(session.pending_action() == Action::kStartTls);
  session.CompleteStartTls();
  session.Receive("MAIL FROM:<a@b.example>\r\nEHLO c\r\n");
  out = session.TakeOutput();
  CHECK(out.starts_with("503 5.5.1 Error: send HELO/EHLO first\r\n"));
  CHECK(out.find("STARTTLS") == std::string::npos);  // not offered twice
  session.Receive("STARTTLS\r\n");
  CHECK(session.TakeOutput() == "554 5.5.1 Error: TLS already active\r\n");
  // Without a certificate STARTTLS is not offered at all.
  ServerOptions clear = Options();
  clear.tls_available = false;
  auto r = Replies("EHLO c\r\nSTARTTLS\r\n", nullptr, clear);
  CHECK(r.back() == "502 5.5.1 Error: command not implemented");
}

TEST_CASE("smtp: too many errors or commands close the session with 421", "[smtp]") {
  auto r = Replies(std::string("FOO\r\n") + "FOO\r\n" + "FOO\r\n" + "FOO\r\n" + "FOO\r\n" + "NOOP\r\n");
  CHECK(r.back() == "421 4.7.0 mx.acme.example Error: too many errors");
  std::string many;
  for (int i = 0; i < 60; ++i) many += "NOOP\r\n";
  auto c = Replies(many);
  CHECK(c.size() == 1 + 50 + 1);
  CHECK(c.back() == "421 4.7.0 mx.acme.example Error: too many commands");
}

TEST_CASE("smtp: RCPT and MAIL address grammar", "[smtp]") {
  CHECK(ParseMailbox("jane@acme.example").ok());
  CHECK(ParseMailbox("\"Jane Q\"@acme.example").ok());
  CHECK(ParseMailbox("x@[127.0.0.1]").ok());
  CHECK(ParseMailbox("postmaster", true).ok());
  CHECK_FALSE(ParseMailbox("postmaster").ok());
  CHECK_FALSE(ParseMailbox("a..b@x.example").ok());
  CHECK_FALSE(ParseMailbox(".a@x.example").ok());
  CHECK_FALSE(ParseMailbox("a@-x.example").ok());
  CHECK_FALSE(ParseMailbox("a@x..example").ok());
  CHECK_FALSE(ParseMailbox(std::string(65, 'a') + "@x.example").ok());
  CHECK_FALSE(ParseMailbox("a b@x.example").ok());
  CHECK(ParseMailbox("a@b.example")->domain == "b.example");
}

TEST_CASE("smtp: any input never crashes and every reply line is CRLF-terminated", "[smtp]") {
  std::mt19937 random(12345);  // fixed seed: reproducible
  INFO("seed 12345");
  const std::string pieces[] = {"EHLO c\r\n",
                                "MAIL FROM:<a@b.example>\r\n",
                                "RCPT TO:<jane@acme.example>\r\n",
                                "DATA\r\n",
                                ".\r\n",
                                "\r\n",
                                "\n",
                                "\r",
                                ".",
                                "x",
                                std::string(1200, 'z'),
                                "STARTTLS\r\n",
                                "RSET\r\n",
                                std::string("\0", 1),
                                "\xff\xfe"};
  for (int round = 0; round < 300; ++round) {
    std::string input;
    int n = static_cast<int>(random() % 40);
    for (int i = 0; i < n; ++i) input += pieces[random() % std::size(pieces)];
    auto r = Replies(input);  // REQUIREs CRLF framing
    CHECK(!r.empty());
  }
}

TEST_CASE("smtp: a local envelope sender is refused as forged, outside and null senders pass", "[smtp][sender]") {
  struct Case {
    std::string mail;
    std::string reply;
  };
  auto c = GENERATE(values<Case>({
      {"MAIL FROM:<jane@acme.example>",
       "550 5.7.1 <jane@acme.example>: Sender address rejected: a local sender requires authentication"},
      {"MAIL FROM:<Nobody@acme.example>",
       "550 5.7.1 <Nobody@acme.example>: Sender address rejected: a local sender requires authentication"},
      {"MAIL FROM:<@relay.example:jane@acme.example>",
       "550 5.7.1 <jane@acme.example>: Sender address rejected: a local sender requires authentication"},
      {"MAIL FROM:<x@tempfail.acme.example>", "451 4.3.0 <x@tempfail.acme.example>: Temporary lookup failure"},
      {"MAIL FROM:<outside@example.org>", "250 2.1.0 Ok"},
      {"MAIL FROM:<>", "250 2.1.0 Ok"},
  }));
  INFO(c.mail);
  auto r = Replies("EHLO c\r\n" + c.mail + "\r\nRCPT TO:<jane@acme.example>\r\n");
  REQUIRE(r.size() == 1 + 7 + 2);
  CHECK(r[8] == c.reply);
  // A refused MAIL starts no transaction.
  CHECK(r[9] == (c.reply.starts_with("250") ? "250 2.1.5 Ok" : "503 5.5.1 Error: need MAIL command"));
}

TEST_CASE("smtp: a local address in any From field is refused at the end of DATA", "[smtp][sender]") {
  struct Case {
    std::string header;
    std::string reply;
  };
  const std::string refused =
      "550 5.7.1 Error: From address <jane@acme.example> is local: a local sender requires "
      "authentication";
  std::string many = "From: ";
  for (int i = 0; i < 51; ++i) many += (i ? ", a" : "a") + std::to_string(i) + "@outside.example";
  auto c = GENERATE_COPY(values<Case>({
      {"From: Jane Admin <jane@acme.example>\r\n", refused},
      {"from: \"Outside\" <outside@example.org>,\r\n jane@acme.example\r\n", refused},  // folded, second address
      {"From: outside@example.org\r\nFrom: jane@acme.example\r\n", refused},            // a second From field
      {"From: Jane Admin\r\n",
       "550 5.7.1 Error: From address <Jane?Admin> is local: a local sender requires "
       "authentication"},  // a Notes name of ours
      {"From: x@tempfail.acme.example\r\n", "451 4.3.0 Error: temporary lookup failure, try again later"},
      {many + "\r\n", "550 5.7.1 Error: too many From addresses"},
      {"From: Outside <outside@example.org>\r\n", "250 2.0.0 Ok: queued as Q1"},
      {"Subject: no From at all\r\n", "250 2.0.0 Ok: queued as Q1"},
      {"Subject: x\r\n\r\nFrom: jane@acme.example\r\n", "250 2.0.0 Ok: queued as Q1"},  // in the body: not a field
  }));
  INFO(c.header);
  std::vector<SimulatedDelivery> delivered;
  ServerOptions options = Options();
  options.limits.max_message_bytes = 100000;
  auto r = Replies("EHLO c\r\nMAIL FROM:<outside@example.org>\r\nRCPT TO:<jane@acme.example>\r\nDATA\r\n" + c.header +
                       "\r\nbody\r\n.\r\nRSET\r\n",
                   &delivered, options);
  REQUIRE(r.size() == 1 + 7 + 3 + 1 + 1);
  CHECK(r[11] == c.reply);
  CHECK(delivered.size() == (c.reply.starts_with("250") ? 1u : 0u));
  CHECK(r[12] == "250 2.0.0 Ok");  // the session goes on
}

TEST_CASE("smtp: the driver sees each command line taken, partial lines not", "[smtp][deadline]") {
  TestPolicy policy;
  ServerSession session(Options(), policy);
  session.Receive("EHLO c\r\nNO");
  CHECK(session.commands_received() == 1);
  session.Receive("O");
  CHECK(session.commands_received() == 1);
  session.Receive("P\r\n" + std::string(1200, 'x'));  // a too-long line, not yet ended
  CHECK(session.commands_received() == 2);
  session.Receive("\r\n");
  CHECK(session.commands_received() == 3);
}

}  // namespace
}  // namespace notesd::smtp

namespace notesd::smtp {
namespace {

TEST_CASE("smtp: a driver that takes the message bytes as they come holds one read of them", "[smtp]") {
  TestPolicy policy;
  ServerOptions options = Options();
  options.limits.max_message_bytes = 1 << 20;
  ServerSession session(options, policy);
  session.Receive("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<jane@acme.example>\r\nDATA\r\n");
  (void)session.TakeOutput();
  REQUIRE(session.in_data());
  // Each line starts with a dot: stuffed on the wire, unstuffed in the message.
  std::string unstuffed = "X: 1\r\n\r\n", wire = unstuffed, spooled;
  for (int i = 0; i < 200; ++i) {
    std::string line = "." + std::to_string(i) + std::string(900, 'q') + "\r\n";
    unstuffed += line;
    wire += "." + line;
  }
  wire += ".\r\n";
  std::size_t largest = 0;
  for (std::size_t pos = 0; pos < wire.size(); pos += 1000) {
    session.Receive(std::string_view(wire).substr(pos, 1000));
    std::string piece = session.TakeMessageBytes();
    largest = std::max(largest, piece.size());
    spooled += piece;
  }
  REQUIRE(session.pending_action() == Action::kDeliver);
  spooled += session.TakeMessageBytes();
  CHECK(largest <= 1000);
  CHECK(session.message().empty());
  CHECK(spooled == unstuffed);
  session.CompleteDelivery(Status::Ok(), "Q1");
  CHECK(session.TakeOutput() == "250 2.0.0 Ok: queued as Q1\r\n");
}

}  // namespace
}  // namespace notesd::smtp

namespace notesd::smtp {
namespace {

// A driver that streams DATA to storage (TakeMessageBytes after every read) must not hide
// a local From field from the check at the end of DATA: the header block is kept apart.
TEST_CASE("smtp: a local From is refused when the message is taken a few bytes at a time", "[smtp][sender]") {
  TestPolicy policy;
  ServerOptions options = Options();
  options.limits.max_message_bytes = 1 << 20;
  ServerSession session(options, policy);
  session.Receive("EHLO c\r\nMAIL FROM:<outside@example.org>\r\nRCPT TO:<jane@acme.example>\r\nDATA\r\n");
  (void)session.TakeOutput();
  REQUIRE(session.in_data());
  std::string wire =
      "Subject: split\r\nFrom: Jane Admin <jane@acme.example>\r\n\r\n" + std::string(5000, 'b') + "\r\n.\r\n";
  for (std::size_t pos = 0; pos < wire.size(); pos += 7) {
    session.Receive(std::string_view(wire).substr(pos, 7));
    (void)session.TakeMessageBytes();
  }
  CHECK(session.pending_action() != Action::kDeliver);
  CHECK(session.TakeOutput().starts_with("550 5.7.1 Error: From address <jane@acme.example> is local"));
}

}  // namespace
}  // namespace notesd::smtp

namespace notesd::smtp {
namespace {

TEST_CASE("smtp: the From check reads the header as mail.box stores it, and a header too long is refused",
          "[smtp][sender]") {
  ServerOptions options = Options();
  options.limits.max_message_bytes = 1 << 20;
  const std::string start = "EHLO c\r\nMAIL FROM:<outside@example.org>\r\nRCPT TO:<jane@acme.example>\r\nDATA\r\n";
  SECTION("a bare CR ends the line before From") {
    auto r = Replies(start + "X-A: b\rFrom: jane@acme.example\r\n\r\nbody\r\n.\r\n", nullptr, options);
    CHECK(r.back().starts_with("550 5.7.1 Error: From address <jane@acme.example> is local"));
  }
  SECTION("a header of many short lines, then a From past the checked size") {
    std::string padding;
    for (std::size_t i = 0; padding.size() <= kMaxHeaderBlockBytes; ++i) padding += "a:\r\n";
    auto r = Replies(start + padding + "From: jane@acme.example\r\n\r\nbody\r\n.\r\n", nullptr, options);
    CHECK(r.back() == "552 5.3.4 Error: message header exceeds fixed maximum size");
  }
  SECTION("each DATA is a transaction of its own") {
    TestPolicy policy;
    ServerSession session(options, policy);
    session.Receive(start);
    CHECK(session.data_transaction() == 1);
    session.Receive(
        "From: jane@acme.example\r\n\r\nx\r\n.\r\nMAIL FROM:<o@example.org>\r\n"
        "RCPT TO:<jane@acme.example>\r\nDATA\r\nSubject: two\r\n\r\ny\r\n.\r\n");
    CHECK(session.data_transaction() == 2);
    CHECK(session.pending_action() == Action::kDeliver);
    CHECK(session.TakeMessageBytes() == "Subject: two\r\n\r\ny\r\n");
  }
}

}  // namespace
}  // namespace notesd::smtp
