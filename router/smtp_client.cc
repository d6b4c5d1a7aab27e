#include "router/smtp_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <optional>

#include "base/notes_ini.h"
#include "pki/tls_context.h"
#include "router/mail_message.h"
#include "base/ascii.h"

namespace notesd {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kMaxReplyBytes = 64 * 1024;

}  // namespace

struct SmtpClient::Connection {
  explicit Connection(const std::atomic<bool>& cancel) : cancelled(cancel) {}
  const std::atomic<bool>& cancelled;
  asio::io_context io;
  tcp::socket socket{io};
  asio::ssl::context tls_context{asio::ssl::context::tls_client};
  std::optional<asio::ssl::stream<tcp::socket&>> tls;
  std::string buffer;

  // Runs the asynchronous operation started by `start` until it completes or the
  // deadline passes; on timeout the socket is closed and the operation cancelled.
  template <typename Start>
  boost::system::error_code Run(Start start, std::chrono::milliseconds timeout, std::size_t* transferred = nullptr) {
    io.restart();
    if (cancelled) return asio::error::operation_aborted;  // Cancel() stops io from now on
    bool done = false;
    boost::system::error_code result;
    start([&](const boost::system::error_code& ec, std::size_t n = 0) {
      done = true;
      result = ec;
      if (transferred) *transferred = n;
    });
    io.run_for(timeout);
    if (!done && cancelled) {
      boost::system::error_code ignored;
      socket.close(ignored);
      io.restart();
      io.run();
      return asio::error::operation_aborted;
    }
    if (!done) {
      boost::system::error_code ignored;
      socket.close(ignored);
      io.restart();
      io.run();  // lets the cancelled handler run
      return asio::error::timed_out;
    }
    return result;
  }
};

std::string DotStuff(std::string_view data) {
  // Whatever mail.box holds, the relay gets CRLF lines only (defence in depth: a lenient
  // relay must not find a line end, or an end of DATA, that we did not send as one).
  std::string canonical;
  if (!IsCrlfCanonical(data)) {
    canonical = CanonicalCrlf(data);
    data = canonical;
  }
  std::string out;
  out.reserve(data.size() + data.size() / 50 + 8);
  std::size_t start = 0;
  while (start < data.size()) {
    std::size_t end = data.find("\r\n", start);
    end = end == std::string_view::npos ? data.size() : end + 2;
    if (data[start] == '.') out += '.';
    out.append(data.substr(start, end - start));
    start = end;
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  out += ".\r\n";
  return out;
}

SmtpClient::SmtpClient(RelayOptions options) : options_(std::move(options)) {}
SmtpClient::~SmtpClient() = default;

std::string SmtpClient::Label() const { return options_.host + ":" + std::to_string(options_.port); }

bool SmtpClient::connected() const { return connection_ && connection_->socket.is_open(); }
bool SmtpClient::tls_active() const { return connection_ && connection_->tls.has_value(); }

bool SmtpClient::Offers(const std::string& extension) const {
  for (const std::string& line : extensions_)
    if (line == extension || line.starts_with(extension + " ")) return true;
  return false;
}

Status SmtpClient::Fail(const std::string& what) {
  std::lock_guard lock(connection_mutex_);
  if (connection_) {
    boost::system::error_code ignored;
    connection_->socket.close(ignored);
  }
  connection_.reset();
  return Status::Unavailable("relay " + Label() + ": " +
                             (cancelled_ ? std::string("cancelled (the Router is stopping)") : what));
}

void SmtpClient::Cancel() {
  cancelled_ = true;
  std::lock_guard lock(connection_mutex_);
  if (connection_) connection_->io.stop();  // thread-safe; run_for returns at once
}

Status SmtpClient::Connect() {
  {
    std::lock_guard lock(connection_mutex_);
    connection_ = std::make_unique<Connection>(cancelled_);
  }
  if (cancelled_) return Fail("cancelled");
  Connection& c = *connection_;
  tcp::resolver resolver(c.io);
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port), ec);
  if (ec) return Fail("cannot resolve host: " + ec.message());
  ec = c.Run(
      [&](auto handler) {
        asio::async_connect(c.socket, endpoints,
                            [handler](const boost::system::error_code& e, const tcp::endpoint&) { handler(e); });
      },
      options_.timeout);
  if (ec) return Fail("cannot connect: " + ec.message());
  NOTESD_ASSIGN_OR_RETURN(SmtpReply greeting, ReadReply());
  if (greeting.code != 220) return Fail("greeting refused: " + greeting.ToString());
  NOTESD_RETURN_IF_ERROR(Ehlo());
  if (options_.tls != RelayTls::kNone && Offers("STARTTLS")) {
    NOTESD_RETURN_IF_ERROR(StartTls());
    NOTESD_RETURN_IF_ERROR(Ehlo());
  } else if (options_.tls == RelayTls::kRequired) {
    return Fail("TLS is required (RouterRelayTLS=Required) but the relay does not offer STARTTLS");
  }
  return Status::Ok();
}

Status SmtpClient::Ehlo() {
  NOTESD_RETURN_IF_ERROR(WriteAll("EHLO " + options_.helo_name + "\r\n"));
  NOTESD_ASSIGN_OR_RETURN(SmtpReply reply, ReadReply());
  extensions_.clear();
  size_limit_ = 0;
  if (reply.code != 250) {
    NOTESD_RETURN_IF_ERROR(WriteAll("HELO " + options_.helo_name + "\r\n"));
    NOTESD_ASSIGN_OR_RETURN(SmtpReply helo, ReadReply());
    if (helo.code != 250) return Fail("HELO refused: " + helo.ToString());
    return Status::Ok();
  }
  // The reply text joins lines with " / "; the first line is the greeting.
  std::string_view text = reply.text;
  std::size_t pos = text.find(" / ");
  while (pos != std::string_view::npos) {
    std::size_t next = text.find(" / ", pos + 3);
    std::string line =
        ToUpperAscii(text.substr(pos + 3, next == std::string_view::npos ? std::string_view::npos : next - pos - 3));
    extensions_.push_back(line);
    if (line.starts_with("SIZE ")) {
      std::uint64_t limit = 0;
      std::string_view digits = std::string_view(line).substr(5);
      std::from_chars(digits.data(), digits.data() + digits.size(), limit);
      size_limit_ = limit;
    }
    pos = next;
  }
  return Status::Ok();
}

Status SmtpClient::StartTls() {
  Connection& c = *connection_;
  NOTESD_RETURN_IF_ERROR(WriteAll("STARTTLS\r\n"));
  NOTESD_ASSIGN_OR_RETURN(SmtpReply reply, ReadReply());
  if (reply.code != 220) {
    if (options_.tls == RelayTls::kRequired) return Fail("STARTTLS refused: " + reply.ToString());
    return Status::Ok();  // optional: go on in clear
  }
  if (Status policy = ApplyTlsPolicy(*c.tls_context.native_handle()); !policy.ok()) return Fail(policy.message());
  if (!options_.ca_file.empty()) {
    boost::system::error_code ec;
    c.tls_context.load_verify_file(options_.ca_file, ec);
    if (ec) return Fail("cannot read RouterRelayTLSCAFile " + options_.ca_file + ": " + ec.message());
    c.tls_context.set_verify_mode(asio::ssl::verify_peer);
  } else {
    c.tls_context.set_verify_mode(asio::ssl::verify_none);
  }
  c.buffer.clear();  // nothing read before the handshake may be used
  c.tls.emplace(c.socket, c.tls_context);
  SSL_set_tlsext_host_name(c.tls->native_handle(), options_.host.c_str());
  boost::system::error_code ec = c.Run(
      [&](auto handler) {
        c.tls->async_handshake(asio::ssl::stream_base::client,
                               [handler](const boost::system::error_code& e) { handler(e); });
      },
      options_.timeout);
  if (ec) return Fail("TLS handshake failed: " + ec.message());
  return Status::Ok();
}

Status SmtpClient::WriteAll(const std::string& bytes) {
  if (!connected()) return Status::Unavailable("relay " + Label() + ": not connected");
  Connection& c = *connection_;
  boost::system::error_code ec = c.Run(
      [&](auto handler) {
        auto done = [handler](const boost::system::error_code& e, std::size_t n) { handler(e, n); };
        if (c.tls)
          asio::async_write(*c.tls, asio::buffer(bytes), done);
        else
          asio::async_write(c.socket, asio::buffer(bytes), done);
      },
      options_.timeout);
  if (ec) return Fail("write failed: " + ec.message());
  return Status::Ok();
}

Result<SmtpReply> SmtpClient::ReadReply() {
  if (!connected()) return Status::Unavailable("relay " + Label() + ": not connected");
  Connection& c = *connection_;
  SmtpReply reply;
  for (;;) {
    std::size_t lf = c.buffer.find('\n');
    if (lf == std::string::npos) {
      if (c.buffer.size() > kMaxReplyBytes) return Fail("reply too long");
      char chunk[4096];
      std::size_t n = 0;
      boost::system::error_code ec = c.Run(
          [&](auto handler) {
            auto done = [handler](const boost::system::error_code& e, std::size_t count) { handler(e, count); };
            if (c.tls)
              c.tls->async_read_some(asio::buffer(chunk), done);
            else
              c.socket.async_read_some(asio::buffer(chunk), done);
          },
          options_.timeout, &n);
      if (ec) return Fail("read failed: " + ec.message());
      c.buffer.append(chunk, n);
      continue;
    }
    std::string line = c.buffer.substr(0, lf);
    c.buffer.erase(0, lf + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    int code = 0;
    if (line.size() < 3 || std::from_chars(line.data(), line.data() + 3, code).ec != std::errc())
      return Fail("bad reply line '" + line.substr(0, 80) + "'");
    std::string text = line.size() > 4 ? line.substr(4) : std::string();
    reply.text += reply.text.empty() && reply.code == 0 ? text : " / " + text;
    reply.code = code;
    if (line.size() == 3 || line[3] != '-') return reply;
    if (reply.text.size() > kMaxReplyBytes) return Fail("reply too long");
  }
}

TransferOutcome SmtpClient::Send(const OutboundMessage& message) {
  TransferOutcome outcome;
  auto fail_all = [&](Status status) {
    outcome.transport = std::move(status);
    outcome.recipients.clear();
    return outcome;
  };
  if (!connected()) return fail_all(Status::Unavailable("relay " + Label() + ": not connected"));
  std::string data = DotStuff(message.data);
  if (size_limit_ > 0 && message.data.size() > size_limit_) {
    SmtpReply refused{552, "5.3.4 message of " + std::to_string(message.data.size()) +
                               " bytes exceeds the relay's limit of " + std::to_string(size_limit_)};
    outcome.recipients.assign(message.recipients.size(), refused);
    return outcome;
  }
  std::string mail = "MAIL FROM:<" + message.sender + ">";
  if (Offers("SIZE") || size_limit_ > 0) mail += " SIZE=" + std::to_string(message.data.size());
  if (Offers("8BITMIME") && HasEightBitBytes(message.data)) mail += " BODY=8BITMIME";
  mail += "\r\n";
  std::vector<std::string> rcpts;
  for (const std::string& r : message.recipients) rcpts.push_back("RCPT TO:<" + r + ">\r\n");

  bool pipelining = Offers("PIPELINING");
  SmtpReply mail_reply;
  std::vector<SmtpReply> rcpt_replies;
  SmtpReply data_reply;
  if (pipelining) {
    std::string batch = mail;
    for (const std::string& r : rcpts) batch += r;
    batch += "DATA\r\n";
    if (Status s = WriteAll(batch); !s.ok()) return fail_all(s);
    auto m = ReadReply();
    if (!m.ok()) return fail_all(m.status());
    mail_reply = *m;
    for (std::size_t i = 0; i < rcpts.size(); ++i) {
      auto r = ReadReply();
      if (!r.ok()) return fail_all(r.status());
      rcpt_replies.push_back(*r);
    }
    auto d = ReadReply();
    if (!d.ok()) return fail_all(d.status());
    data_reply = *d;
  } else {
    if (Status s = WriteAll(mail); !s.ok()) return fail_all(s);
    auto m = ReadReply();
    if (!m.ok()) return fail_all(m.status());
    mail_reply = *m;
    if (mail_reply.positive()) {
      for (const std::string& r : rcpts) {
        if (Status s = WriteAll(r); !s.ok()) return fail_all(s);
        auto reply = ReadReply();
        if (!reply.ok()) return fail_all(reply.status());
        rcpt_replies.push_back(*reply);
      }
      bool any = false;
      for (const SmtpReply& r : rcpt_replies) any = any || r.positive();
      if (any) {
        if (Status s = WriteAll("DATA\r\n"); !s.ok()) return fail_all(s);
        auto d = ReadReply();
        if (!d.ok()) return fail_all(d.status());
        data_reply = *d;
      }
    }
  }
  // MAIL refused: every recipient gets that answer.
  if (!mail_reply.positive()) {
    if (data_reply.code == 354) (void)WriteAll(".\r\n");  // a pipelining server said 354 anyway
    outcome.recipients.assign(message.recipients.size(), mail_reply);
    if (pipelining || connected()) {
      if (WriteAll("RSET\r\n").ok()) (void)ReadReply();
    }
    return outcome;
  }
  rcpt_replies.resize(message.recipients.size(), SmtpReply{451, "4.3.0 no reply to RCPT"});
  bool any_accepted = false;
  for (const SmtpReply& r : rcpt_replies) any_accepted = any_accepted || r.positive();
  if (!any_accepted || data_reply.code != 354) {
    if (data_reply.code == 354) {  // pipelined DATA accepted though no recipient was: send nothing
      if (Status s = WriteAll(".\r\n"); !s.ok()) return fail_all(s);
      (void)ReadReply();
    }
    outcome.recipients = rcpt_replies;
    if (any_accepted)  // DATA itself refused
      for (SmtpReply& r : outcome.recipients)
        if (r.positive()) r = data_reply.code ? data_reply : SmtpReply{451, "4.3.0 DATA not answered"};
    if (WriteAll("RSET\r\n").ok()) (void)ReadReply();
    return outcome;
  }
  if (Status s = WriteAll(data); !s.ok()) return fail_all(s);
  auto final_reply = ReadReply();
  if (!final_reply.ok()) return fail_all(final_reply.status());
  outcome.recipients = rcpt_replies;
  for (SmtpReply& r : outcome.recipients)
    if (r.positive()) r = *final_reply;
  return outcome;
}

void SmtpClient::Quit() {
  if (!connected()) return;
  if (WriteAll("QUIT\r\n").ok()) (void)ReadReply();
  std::lock_guard lock(connection_mutex_);
  if (connection_) {
    boost::system::error_code ignored;
    if (connection_->tls) connection_->tls.reset();
    connection_->socket.close(ignored);
  }
  connection_.reset();
}

}  // namespace notesd
