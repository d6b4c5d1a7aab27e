// Transcript tests of SMTP AUTH and authenticated submission in the pure protocol
// (router/smtp_protocol.h): AUTH PLAIN and LOGIN only over TLS, cancel, bad base64, bad
// credentials, the submission ports' AUTH-before-MAIL, and the rules for an authenticated
// person (own envelope sender, own From, relaying allowed). No sockets.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "pki/base64.h"
#include "router/smtp_protocol.h"

namespace notesd::smtp {
namespace {

using namespace std::string_literals;

// acme.example is ours (jane exists); other domains are relaying.
class TestPolicy final : public ServerPolicy {
 public:
  RecipientCheck CheckRecipient(const Mailbox& m) override {
    if (m.domain != "acme.example") return {RecipientVerdict::kRelayDenied, ""};
    if (m.local == "jane" || m.local == "john") return {RecipientVerdict::kAccept, ""};
    return {RecipientVerdict::kUnknownUser, "no such person"};
  }
  SenderCheck CheckSender(const Mailbox& m) override {
    if (m.domain == "acme.example") return {SenderVerdict::kLocalNeedsAuth, "ours"};
    return {SenderVerdict::kAccept, ""};
  }
};

// Jane's password is "secret"; "locked" is locked out; anything else is wrong.
struct TestAuthenticator {
  std::vector<Credentials> seen;
  Result<AuthIdentity> operator()(const Credentials& c) {
    seen.push_back(c);
    if (c.name == "locked") return Status::Unavailable("too many failed logins; try again later");
    if ((c.name == "jane" || c.name == "Jane Admin") && c.password == "secret")
      return AuthIdentity{"CN=Jane Admin/O=Acme", "jane@acme.example"};
    return Status::PermissionDenied("invalid user name or password");
  }
};

ServerOptions TlsOptions(bool auth_required = false) {
  ServerOptions options;
  options.host_name = "mx.acme.example";
  options.tls_available = true;
  options.tls_active = true;
  options.auth_available = true;
  options.auth_required = auth_required;
  options.limits.max_errors = 10;
  return options;
}

std::vector<std::string> Lines(const std::string& out) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < out.size()) {
    std::size_t end = out.find("\r\n", start);
    REQUIRE(end != std::string::npos);
    lines.push_back(out.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

struct Run {
  std::vector<std::string> replies;
  std::vector<SimulatedDelivery> delivered;
  std::vector<Credentials> credentials;
};

Run Session(const std::string& input, const ServerOptions& options = TlsOptions()) {
  TestPolicy policy;
  TestAuthenticator authenticator;
  Run run;
  std::string out = SimulateSession(options, policy, input, &run.delivered, Status::Ok(),
                                    [&](const Credentials& c) { return authenticator(c); });
  run.replies = Lines(out);
  run.credentials = authenticator.seen;
  return run;
}

std::string Plain(const std::string& authzid, const std::string& name, const std::string& password) {
  return Base64Flat(authzid + '\0' + name + '\0' + password);
}

bool Has(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

TEST_CASE("smtp auth: offered only over TLS; before TLS it is refused 538", "[smtp][smtp_auth]") {
  ServerOptions clear = TlsOptions();
  clear.tls_active = false;
  Run before = Session("EHLO c\r\nAUTH PLAIN " + Plain("", "jane", "secret") + "\r\nQUIT\r\n", clear);
  CHECK(Has(before.replies, "250-STARTTLS"));
  CHECK_FALSE(Has(before.replies, "250-AUTH PLAIN LOGIN"));
  CHECK(Has(before.replies, "538 5.7.11 Encryption required for requested authentication mechanism"));
  CHECK(before.credentials.empty());  // the password was never looked at

  // After STARTTLS AUTH is offered and works (input sent before the handshake is dropped,
  // so the client's next lines come after it, as over a socket).
  TestPolicy policy;
  ServerSession session(clear, policy);
  session.Receive("EHLO c\r\nSTARTTLS\r\n");
  REQUIRE(session.pending_action() == Action::kStartTls);
  session.CompleteStartTls();
  (void)session.TakeOutput();
  session.Receive("EHLO c\r\nAUTH PLAIN " + Plain("", "jane", "secret") + "\r\n");
  CHECK(Has(Lines(session.TakeOutput()), "250-AUTH PLAIN LOGIN"));
  REQUIRE(session.pending_action() == Action::kAuthenticate);
  Credentials credentials = session.TakeCredentials();
  CHECK(credentials.password == "secret");
  CHECK(session.TakeCredentials().password.empty());  // moved out: the session keeps no copy
  session.CompleteAuthentication(Status::Ok(), {"CN=Jane Admin/O=Acme", "jane@acme.example"});
  CHECK(session.TakeOutput() == "235 2.7.0 Authentication successful\r\n");
  CHECK(session.authenticated());

  // No AUTH at all when the server has no passwords to check.
  ServerOptions none = TlsOptions();
  none.auth_available = false;
  Run off = Session("EHLO c\r\nAUTH PLAIN " + Plain("", "jane", "secret") + "\r\n", none);
  CHECK_FALSE(Has(off.replies, "250-AUTH PLAIN LOGIN"));
  CHECK(Has(off.replies, "502 5.5.1 Error: command not implemented"));
}

TEST_CASE("smtp auth: PLAIN with and without an initial response, LOGIN in two steps", "[smtp][smtp_auth]") {
  Run plain = Session("EHLO c\r\nAUTH PLAIN " + Plain("", "jane", "secret") + "\r\n");
  CHECK(plain.replies.back() == "235 2.7.0 Authentication successful");
  REQUIRE(plain.credentials.size() == 1);
  CHECK(plain.credentials[0].mechanism == "PLAIN");
  CHECK(plain.credentials[0].name == "jane");
  CHECK(plain.credentials[0].password == "secret");

  Run challenged = Session("EHLO c\r\nAUTH plain\r\n" + Plain("jane", "jane", "secret") + "\r\n");
  CHECK(challenged.replies[challenged.replies.size() - 2] == "334 ");
  CHECK(challenged.replies.back() == "235 2.7.0 Authentication successful");

  Run login = Session("EHLO c\r\nAUTH LOGIN\r\n" + Base64Flat("Jane Admin") + "\r\n" + Base64Flat("secret") + "\r\n");
  std::vector<std::string> tail(login.replies.end() - 3, login.replies.end());
  CHECK(tail ==
        std::vector<std::string>{"334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6", "235 2.7.0 Authentication successful"});
  REQUIRE(login.credentials.size() == 1);
  CHECK(login.credentials[0].mechanism == "LOGIN");
  CHECK(login.credentials[0].name == "Jane Admin");

  Run login_initial = Session("EHLO c\r\nAUTH LOGIN " + Base64Flat("jane") + "\r\n" + Base64Flat("secret") + "\r\n");
  CHECK(login_initial.replies[login_initial.replies.size() - 2] == "334 UGFzc3dvcmQ6");
  CHECK(login_initial.replies.back() == "235 2.7.0 Authentication successful");
}

TEST_CASE("smtp auth: cancel, bad base64, malformed PLAIN, unknown mechanism, wrong password", "[smtp][smtp_auth]") {
  using Case = std::pair<std::string, std::string>;
  auto [input, reply] = GENERATE(values<Case>({
      {"AUTH PLAIN\r\n*\r\n", "501 5.7.0 Authentication aborted"},
      {"AUTH LOGIN\r\n*\r\n", "501 5.7.0 Authentication aborted"},
      {"AUTH LOGIN\r\n"s + Base64Flat("jane") + "\r\n*\r\n", "501 5.7.0 Authentication aborted"},
      {"AUTH PLAIN %%%notbase64\r\n", "501 5.5.2 Error: cannot decode AUTH response"},
      {"AUTH PLAIN\r\nAGphbmUAc2VjcmV0\r\n", "235 2.7.0 Authentication successful"},
      {"AUTH PLAIN\r\nAGphbmUAc2VjcmV0=\r\n", "501 5.5.2 Error: cannot decode AUTH response"},
      {"AUTH LOGIN\r\n!!!!\r\n", "501 5.5.2 Error: cannot decode AUTH response"},
      {"AUTH PLAIN "s + Base64Flat("janesecret") + "\r\n", "501 5.5.2 Error: malformed PLAIN response"},
      {"AUTH PLAIN "s + Base64Flat("\0jane"s) + "\r\n", "501 5.5.2 Error: malformed PLAIN response"},
      {"AUTH PLAIN "s + Base64Flat("\0\0secret"s) + "\r\n", "501 5.5.2 Error: malformed PLAIN response"},
      {"AUTH PLAIN "s + Base64Flat("a\0b\0c\0d"s) + "\r\n", "501 5.5.2 Error: malformed PLAIN response"},
      {"AUTH PLAIN =\r\n", "501 5.5.2 Error: malformed PLAIN response"},
      {"AUTH PLAIN "s + Plain("john", "jane", "secret") + "\r\n",
       "535 5.7.8 Error: authentication credentials invalid"},
      {"AUTH PLAIN "s + Plain("", "jane", "wrong") + "\r\n", "535 5.7.8 Error: authentication credentials invalid"},
      {"AUTH LOGIN "s + Base64Flat("jane") + "\r\n" + Base64Flat("wrong") + "\r\n",
       "535 5.7.8 Error: authentication credentials invalid"},
      {"AUTH PLAIN "s + Plain("", "locked", "secret") + "\r\n",
       "454 4.7.0 Temporary authentication failure, try again later"},
      {"AUTH CRAM-MD5\r\n", "504 5.5.4 Unrecognized authentication type"},
      {"AUTH\r\n", "501 5.5.4 Syntax: AUTH mechanism [initial-response]"},
      {"AUTH PLAIN a b\r\n", "501 5.5.4 Syntax: AUTH mechanism [initial-response]"},
  }));
  CAPTURE(input);
  Run run = Session("EHLO c\r\n" + input + "NOOP\r\n");
  REQUIRE(run.replies.size() >= 2);
  CHECK(run.replies[run.replies.size() - 2] == reply);
  CHECK(run.replies.back() == "250 2.0.0 Ok");  // back to commands
  for (const std::string& line : run.replies) CHECK(line.find("secret") == std::string::npos);
}

TEST_CASE("smtp auth: order rules (EHLO first, once, not inside a transaction)", "[smtp][smtp_auth]") {
  std::string auth = "AUTH PLAIN " + Plain("", "jane", "secret") + "\r\n";
  CHECK(Session(auth).replies.back() == "503 5.5.1 Error: send EHLO first");
  CHECK(Session("EHLO c\r\n" + auth + auth).replies.back() == "503 5.5.1 Error: already authenticated");
  ServerOptions relay = TlsOptions();
  CHECK(Session("EHLO c\r\nMAIL FROM:<x@outside.example>\r\n" + auth, relay).replies.back() ==
        "503 5.5.1 Error: MAIL transaction in progress");
}

TEST_CASE("smtp auth: an AUTH response line may be long, but is bounded", "[smtp][smtp_auth]") {
  std::string long_password(1024, 'p');
  Run ok = Session("EHLO c\r\nAUTH PLAIN " + Plain("", "jane", long_password) + "\r\n");
  REQUIRE(ok.credentials.size() == 1);
  CHECK(ok.credentials[0].password == long_password);
  Run too_long = Session("EHLO c\r\nAUTH PLAIN\r\n" + std::string(kMaxAuthLineBytes + 10, 'A') + "\r\nNOOP\r\n");
  CHECK(too_long.replies[too_long.replies.size() - 2] == "500 5.5.2 Error: line too long");
  CHECK(too_long.replies.back() == "250 2.0.0 Ok");
  CHECK(too_long.credentials.empty());
}

TEST_CASE("smtp auth: repeated bad credentials end the session", "[smtp][smtp_auth]") {
  std::string input = "EHLO c\r\n";
  for (int i = 0; i < 12; ++i) input += "AUTH PLAIN " + Plain("", "jane", "guess" + std::to_string(i)) + "\r\n";
  Run run = Session(input);
  CHECK(run.replies.back() == "421 4.7.0 mx.acme.example Error: too many errors");
  CHECK(run.credentials.size() == 10);  // max_errors
}

TEST_CASE("smtp auth: the submission ports need AUTH before MAIL (530)", "[smtp][smtp_auth]") {
  Run refused = Session("EHLO c\r\nMAIL FROM:<jane@acme.example>\r\nQUIT\r\n", TlsOptions(/*auth_required=*/true));
  CHECK(refused.replies[refused.replies.size() - 2] == "530 5.7.0 Authentication required");
  ServerOptions clear = TlsOptions(true);
  clear.tls_active = false;
  Run in_clear = Session("EHLO c\r\nMAIL FROM:<someone@outside.example>\r\n", clear);
  CHECK(in_clear.replies.back() == "530 5.7.0 Authentication required");
  Run allowed = Session("EHLO c\r\nAUTH PLAIN " + Plain("", "jane", "secret") + "\r\nMAIL FROM:<jane@acme.example>\r\n",
                        TlsOptions(true));
  CHECK(allowed.replies.back() == "250 2.1.0 Ok");
}

const std::string kAuth = "EHLO c\r\nAUTH PLAIN " + Plain("", "jane", "secret") + "\r\n";

TEST_CASE("smtp auth: an authenticated person sends only as themselves", "[smtp][smtp_auth]") {
  // Envelope sender: their own address (any case), nothing else, not the null sender.
  CHECK(Session(kAuth + "MAIL FROM:<Jane@ACME.example>\r\n").replies.back() == "250 2.1.0 Ok");
  CHECK(Session(kAuth + "MAIL FROM:<jane@acme.example> AUTH=<jane@acme.example>\r\n").replies.back() == "250 2.1.0 Ok");
  CHECK(Session(kAuth + "MAIL FROM:<john@acme.example>\r\n").replies.back() ==
        "553 5.7.1 <john@acme.example>: Sender address rejected: not owned by you; you may send only as "
        "<jane@acme.example>");
  CHECK(Session(kAuth + "MAIL FROM:<ceo@outside.example>\r\n").replies.back().starts_with("553 5.7.1 "));
  CHECK(Session(kAuth + "MAIL FROM:<>\r\n").replies.back().starts_with("553 5.7.1 <>: "));

  // The header From (and Sender) too: the rule of router/deposit_originator.h.
  std::string envelope = kAuth + "MAIL FROM:<jane@acme.example>\r\nRCPT TO:<bob@outside.example>\r\nDATA\r\n";
  Run own = Session(envelope + "From: Jane <jane@acme.example>\r\nSubject: hi\r\n\r\nbody\r\n.\r\n");
  CHECK(own.replies.back() == "250 2.0.0 Ok: queued as Q1");
  REQUIRE(own.delivered.size() == 1);
  CHECK(own.delivered[0].envelope.auth_user == "CN=Jane Admin/O=Acme");
  CHECK(own.delivered[0].envelope.sender == "jane@acme.example");
  CHECK(own.delivered[0].envelope.recipients == std::vector<std::string>{"bob@outside.example"});

  Run foreign = Session(envelope + "From: The CEO <ceo@acme.example>\r\n\r\nbody\r\n.\r\n");
  CHECK(foreign.replies.back() ==
        "550 5.7.1 Error: the message's From field names ceo@acme.example, but you may send only as yourself "
        "(jane@acme.example)");
  CHECK(foreign.delivered.empty());
  Run sender = Session(envelope + "From: jane@acme.example\r\nSender: bob@outside.example\r\n\r\nx\r\n.\r\n");
  CHECK(sender.replies.back().starts_with("550 5.7.1 Error: the message's Sender field names bob@outside.example"));
  Run none = Session(envelope + "Subject: no from\r\n\r\nx\r\n.\r\n");
  CHECK(none.replies.back() == "550 5.7.1 Error: the message has no From field");
  Run hidden = Session(envelope + "From: jane@acme.example\r\nX-A: b\rFrom: ceo@acme.example\r\n\r\nx\r\n.\r\n");
  CHECK(hidden.replies.back() == "550 5.7.1 Error: the message has more than one From field");
}

TEST_CASE("smtp auth: relaying is for authenticated people only", "[smtp][smtp_auth]") {
  Run anonymous = Session("EHLO c\r\nMAIL FROM:<x@outside.example>\r\nRCPT TO:<bob@outside.example>\r\n");
  CHECK(anonymous.replies.back() == "550 5.7.1 <bob@outside.example>: Relay access denied");
  Run authenticated = Session(kAuth +
                              "MAIL FROM:<jane@acme.example>\r\nRCPT TO:<bob@outside.example>\r\n"
                              "RCPT TO:<nobody@acme.example>\r\nRCPT TO:<john@acme.example>\r\n");
  std::vector<std::string> tail(authenticated.replies.end() - 3, authenticated.replies.end());
  CHECK(tail == std::vector<std::string>{"250 2.1.5 Ok",
                                         "550 5.1.1 <nobody@acme.example>: Recipient address rejected: User unknown",
                                         "250 2.1.5 Ok"});
}

TEST_CASE("smtp auth: the message is handed on byte for byte", "[smtp][smtp_auth]") {
  std::string body =
      "From: jane@acme.example\r\nContent-Type: multipart/signed; boundary=\"b\"\r\n\r\n--b\r\n..dot\r\n"
      "tab\tend \r\n--b--\r\n";
  Run run =
      Session(kAuth + "MAIL FROM:<jane@acme.example>\r\nRCPT TO:<bob@outside.example>\r\nDATA\r\n" + body + ".\r\n");
  REQUIRE(run.delivered.size() == 1);
  std::string expected = body;
  expected.replace(expected.find("..dot"), 5, ".dot");
  CHECK(run.delivered[0].message == expected);
}

TEST_CASE("smtp auth: on an implicit-TLS session STARTTLS is not offered, AUTH is", "[smtp][smtp_auth]") {
  // On an implicit-TLS session STARTTLS is not offered; AUTH is.
  Run run = Session("EHLO c\r\nSTARTTLS\r\n");
  CHECK_FALSE(Has(run.replies, "250-STARTTLS"));
  CHECK(Has(run.replies, "250-AUTH PLAIN LOGIN"));
  CHECK(run.replies.back() == "554 5.5.1 Error: TLS already active");
}

}  // namespace
}  // namespace notesd::smtp
