#include "router/smtp_protocol.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "base/notes_ini.h"
#include "pki/base64.h"
#include "router/deposit_originator.h"
#include "router/mail_message.h"
#include "base/ascii.h"

namespace notesd::smtp {

namespace {

constexpr std::size_t kMaxLocalPart = 64;
constexpr std::size_t kMaxDomain = 255;
constexpr std::size_t kMaxPath = 256;

bool IsAtext(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool IsDotAtom(std::string_view text) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  char previous = 0;
  for (char c : text) {
    if (c == '.' && previous == '.') return false;
    if (c != '.' && !IsAtext(c)) return false;
    previous = c;
  }
  return true;
}

// A quoted-string local part: printable ASCII, with backslash escapes.
bool IsQuotedString(std::string_view text) {
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') return false;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      if (++i + 1 >= text.size()) return false;
      c = static_cast<unsigned char>(text[i]);
      if (c < 32 || c > 126) return false;
      continue;
    }
    if (c == '"' || c < 32 || c > 126) return false;
  }
  return true;
}

bool IsDomain(std::string_view domain) {
  if (domain.empty() || domain.size() > kMaxDomain) return false;
  if (domain.front() == '[') {  // an address literal: printable, no brackets inside
    if (domain.back() != ']' || domain.size() < 3) return false;
    return std::all_of(domain.begin() + 1, domain.end() - 1,
                       [](char c) { return c > 32 && c < 127 && c != '[' && c != ']' && c != '\\'; });
  }
  std::size_t start = 0;
  while (start <= domain.size()) {
    std::size_t dot = domain.find('.', start);
    std::string_view label = domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

// Splits "VERB args" at the first space; the verb is upper-cased.
void SplitCommand(std::string_view line, std::string* verb, std::string_view* args) {
  std::size_t space = line.find(' ');
  *verb = ToUpperAscii(line.substr(0, space));
  *args = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  while (!args->empty() && args->front() == ' ') args->remove_prefix(1);
  while (!args->empty() && args->back() == ' ') args->remove_suffix(1);
}

// Reads "<path>" at the start of `args` (after "FROM:" / "TO:"): returns the text inside
// the brackets and leaves the parameters after it in *rest. False on a syntax error.
bool TakePath(std::string_view args, std::string* path, std::string_view* rest) {
  while (!args.empty() && args.front() == ' ') args.remove_prefix(1);  // "FROM: <x>" is common
  if (args.empty() || args.front() != '<') return false;
  bool quoted = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    char c = args[i];
    if (quoted && c == '\\') {
      ++i;
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (c == '>' && !quoted) {
      *path = std::string(args.substr(1, i - 1));
      *rest = args.substr(i + 1);
      if (!rest->empty() && rest->front() != ' ') return false;
      while (!rest->empty() && rest->front() == ' ') rest->remove_prefix(1);
      return true;
    }
  }
  return false;
}

// Drops an obsolete source route: "@a,@b:user@host" -> "user@host".
std::string_view StripSourceRoute(std::string_view path) {
  if (!path.empty() && path.front() == '@') {
    std::size_t colon = path.find(':');
    if (colon != std::string_view::npos) return path.substr(colon + 1);
  }
  return path;
}

std::vector<std::string_view> SplitParams(std::string_view text) {
  std::vector<std::string_view> params;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t space = text.find(' ', start);
    if (space == std::string_view::npos) space = text.size();
    if (space > start) params.push_back(text.substr(start, space - start));
    start = space + 1;
  }
  return params;
}

bool ParseSize(std::string_view text, std::uint64_t* out) {
  if (text.empty() || text.size() > 20) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

Result<Mailbox> ParseMailbox(std::string_view text, bool allow_postmaster) {
  if (text.size() > kMaxPath) return Status::InvalidArgument("address longer than 256 characters");
  if (allow_postmaster && EqualsIgnoreCase(text, "postmaster")) return Mailbox{"postmaster", ""};
  std::size_t at = text.rfind('@');
  if (at == std::string_view::npos) return Status::InvalidArgument("address has no domain");
  std::string_view local = text.substr(0, at);
  std::string_view domain = text.substr(at + 1);
  if (local.empty() || local.size() > kMaxLocalPart) return Status::InvalidArgument("bad local part length");
  if (!IsDotAtom(local) && !IsQuotedString(local)) return Status::InvalidArgument("bad local part");
  if (!IsDomain(domain)) return Status::InvalidArgument("bad domain");
  return Mailbox{std::string(local), std::string(domain)};
}

ServerSession::ServerSession(ServerOptions options, ServerPolicy& policy)
    : options_(std::move(options)), policy_(policy) {}

std::string ServerSession::Greeting() const { return "220 " + options_.host_name + " ESMTP notesd\r\n"; }

std::string ServerSession::TakeMessageBytes() {
  std::string bytes;
  bytes.swap(message_);
  return bytes;
}

std::string ServerSession::TakeOutput() {
  std::string out;
  out.swap(output_);
  return out;
}

void ServerSession::Reply(std::string_view text) {
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    output_.append(text.substr(start, end - start));
    output_.append("\r\n");
    start = end + 1;
  }
}

void ServerSession::Error(std::string_view text) {
  last_error_ = std::string(text);
  Reply(text);
  if (++errors_ >= options_.limits.max_errors) Close("421 4.7.0 " + options_.host_name + " Error: too many errors");
}

void ServerSession::Close(std::string_view text) {
  if (action_ == Action::kClose) return;
  Reply(text);
  action_ = Action::kClose;
  input_.clear();
  input_pos_ = 0;
}

void ServerSession::Receive(std::string_view bytes) {
  if (action_ == Action::kClose) return;
  if (input_pos_ > 0 && input_pos_ >= input_.size() / 2) {  // compact the consumed prefix
    input_.erase(0, input_pos_);
    input_pos_ = 0;
  }
  input_.append(bytes);
  Process();
}

void ServerSession::Process() {
  while (action_ == Action::kNone) {
    if (state_ == State::kData) {
      ConsumeData();
      if (state_ == State::kData) return;  // needs more bytes
      continue;
    }
    std::string line;
    bool handled = false;
    if (!TakeLine(&line, &handled)) return;
    if (handled) continue;
    if (state_ == State::kCommand)
      HandleLine(line);
    else
      HandleAuthResponse(line);
  }
}

bool ServerSession::TakeLine(std::string* line, bool* handled) {
  // An AUTH exchange's lines, and an AUTH command with its initial response, may be
  // longer than other commands (RFC 4954 section 4).
  std::string_view pending(input_.data() + input_pos_, std::min<std::size_t>(5, input_.size() - input_pos_));
  const bool auth_line =
      state_ != State::kCommand || (options_.auth_available && StartsWithIgnoreCase(pending, "AUTH "));
  const std::size_t max =
      auth_line ? std::max(options_.limits.max_line_bytes, kMaxAuthLineBytes) : options_.limits.max_line_bytes;
  std::size_t lf = input_.find('\n', input_pos_);
  if (lf == std::string::npos) {
    // Bound the buffer: a line that cannot fit is dropped up to its LF.
    if (input_.size() - input_pos_ > max) {
      discarding_line_ = true;
      input_.clear();
      input_pos_ = 0;
    }
    return false;
  }
  std::size_t length = lf + 1 - input_pos_;
  bool too_long = discarding_line_ || length > max;
  std::string_view raw(input_.data() + input_pos_, length);
  input_pos_ = lf + 1;
  discarding_line_ = false;
  if (too_long) {
    *handled = true;
    if (state_ != State::kCommand) {  // an AUTH exchange ends with its over-long line
      state_ = State::kCommand;
      credentials_ = Credentials();
    }
    if (++commands_ > options_.limits.max_commands) {
      Close("421 4.7.0 " + options_.host_name + " Error: too many commands");
      return true;
    }
    Error("500 5.5.2 Error: line too long");
    return true;
  }
  raw.remove_suffix(1);
  if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
  *line = std::string(raw);
  return true;
}

void ServerSession::HandleLine(std::string_view line) {
  if (++commands_ > options_.limits.max_commands) {
    Close("421 4.7.0 " + options_.host_name + " Error: too many commands");
    return;
  }
  if (line.find('\0') != std::string_view::npos || line.find('\r') != std::string_view::npos) {
    Error("500 5.5.2 Error: bad syntax");
    return;
  }
  std::string verb;
  std::string_view args;
  SplitCommand(line, &verb, &args);
  if (verb == "EHLO") return HandleEhlo(args, true);
  if (verb == "HELO") return HandleEhlo(args, false);
  if (verb == "MAIL") return HandleMail(args);
  if (verb == "RCPT") return HandleRcpt(args);
  if (verb == "DATA") return HandleData(args);
  if (verb == "STARTTLS") return HandleStartTls(args);
  if (verb == "AUTH") return HandleAuth(args);
  if (verb == "RSET") {
    if (!args.empty()) return Error("501 5.5.4 Syntax: RSET");
    ResetTransaction();
    return Reply("250 2.0.0 Ok");
  }
  if (verb == "NOOP") return Reply("250 2.0.0 Ok");
  if (verb == "QUIT") return Close("221 2.0.0 " + options_.host_name + " closing connection");
  if (verb == "HELP")
    return Reply("214-2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT HELP" +
                 std::string(options_.tls_available && !options_.tls_active ? " STARTTLS" : "") +
                 std::string(options_.auth_available && options_.tls_active ? " AUTH" : "") +
                 "\n214 2.0.0 End of HELP");
  if (verb == "VRFY") return Reply("252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery");
  if (verb == "EXPN") return Error("502 5.5.1 Error: EXPN not available");
  if (verb == "BDAT" || verb == "TURN" || verb == "ETRN") return Error("502 5.5.1 Error: command not implemented");
  if (verb.empty()) return Error("500 5.5.2 Error: bad syntax");
  Error("500 5.5.2 Error: command not recognized");
}

void ServerSession::HandleEhlo(std::string_view args, bool esmtp) {
  if (args.empty() || args.find(' ') != std::string_view::npos)
    return Error(esmtp ? "501 5.5.4 Syntax: EHLO hostname" : "501 5.5.4 Syntax: HELO hostname");
  ResetTransaction();
  greeted_ = true;
  envelope_.helo = std::string(args);
  envelope_.esmtp = esmtp;
  if (!esmtp) return Reply("250 " + options_.host_name);
  std::string reply = "250-" + options_.host_name + "\n";
  reply += "250-SIZE " + std::to_string(options_.limits.max_message_bytes) + "\n";
  reply += "250-8BITMIME\n250-PIPELINING\n250-ENHANCEDSTATUSCODES\n";
  if (options_.tls_available && !options_.tls_active) reply += "250-STARTTLS\n";
  if (options_.auth_available && options_.tls_active) reply += "250-AUTH PLAIN LOGIN\n";
  reply += "250 HELP";
  Reply(reply);
}

void ServerSession::HandleMail(std::string_view args) {
  if (!greeted_) return Error("503 5.5.1 Error: send HELO/EHLO first");
  if (in_transaction_) return Error("503 5.5.1 Error: nested MAIL command");
  if (options_.auth_required && !authenticated_) {
    last_error_ = "MAIL before AUTH on a submission port";
    return Reply("530 5.7.0 Authentication required");
  }
  if (!StartsWithIgnoreCase(args, "FROM:")) return Error("501 5.5.4 Syntax: MAIL FROM:<address>");
  std::string path;
  std::string_view rest;
  if (!TakePath(args.substr(5), &path, &rest)) return Error("501 5.5.4 Syntax: MAIL FROM:<address>");
  std::string sender;
  if (authenticated_) {
    // Submission: the envelope sender is the person's own address, nothing else.
    Result<Mailbox> mailbox = path.empty() ? Result<Mailbox>(Mailbox{}) : ParseMailbox(StripSourceRoute(path));
    if (!mailbox.ok()) return Error("501 5.1.7 Bad sender address syntax");
    sender = mailbox->ToString();
    if (identity_.address.empty() || !EqualsIgnoreCase(sender, identity_.address)) {
      last_error_ = "<" + sender + "> is not the address of " + identity_.user;
      if (identity_.address.empty())
        return Reply("553 5.7.1 <" + sender + ">: Sender address rejected: you have no Internet address to send as");
      return Reply("553 5.7.1 <" + sender + ">: Sender address rejected: not owned by you; you may send only as <" +
                   identity_.address + ">");
    }
  } else if (!path.empty()) {
    auto mailbox = ParseMailbox(StripSourceRoute(path));
    if (!mailbox.ok()) return Error("501 5.1.7 Bad sender address syntax");
    sender = mailbox->ToString();
    SenderCheck check = policy_.CheckSender(*mailbox);
    if (check.verdict == SenderVerdict::kLocalNeedsAuth) {
      last_error_ = "<" + sender + "> forged local sender: " + check.detail;
      return Reply("550 5.7.1 <" + sender + ">: Sender address rejected: a local sender requires authentication");
    }
    if (check.verdict == SenderVerdict::kTryLater) {
      last_error_ = "<" + sender + "> lookup failed: " + check.detail;
      return Reply("451 4.3.0 <" + sender + ">: Temporary lookup failure");
    }
  }
  bool body_8bit = false;
  std::uint64_t declared = 0;
  for (std::string_view param : SplitParams(rest)) {
    std::size_t equals = param.find('=');
    std::string key = ToUpperAscii(param.substr(0, equals));
    std::string_view value = equals == std::string_view::npos ? std::string_view() : param.substr(equals + 1);
    if (key == "SIZE" && ParseSize(value, &declared)) continue;
    if (key == "BODY" && (EqualsIgnoreCase(value, "8BITMIME") || EqualsIgnoreCase(value, "7BIT"))) {
      body_8bit = EqualsIgnoreCase(value, "8BITMIME");
      continue;
    }
    // RFC 4954 section 5: a server that offers AUTH takes MAIL's AUTH= parameter; its value
    // (who the message is on behalf of) is not trusted, so it is ignored.
    if (key == "AUTH" && options_.auth_available && options_.tls_active && !value.empty()) continue;
    if (key == "SIZE" || key == "BODY") return Error("501 5.5.4 Bad " + key + " parameter syntax");
    return Error("555 5.5.4 Unsupported option: " + std::string(param.substr(0, 64)));
  }
  const std::uint64_t max = options_.limits.max_message_bytes;
  if ((max > 0 && declared > max) || declared > kHardMessageCap)
    return Reply("552 5.3.4 Message size exceeds fixed limit");
  in_transaction_ = true;
  envelope_.sender = sender;
  envelope_.recipients.clear();
  envelope_.body_8bit = body_8bit;
  envelope_.declared_size = declared;
  Reply("250 2.1.0 Ok");
}

void ServerSession::HandleRcpt(std::string_view args) {
  if (!in_transaction_) return Error("503 5.5.1 Error: need MAIL command");
  if (!StartsWithIgnoreCase(args, "TO:")) return Error("501 5.5.4 Syntax: RCPT TO:<address>");
  std::string path;
  std::string_view rest;
  if (!TakePath(args.substr(3), &path, &rest)) return Error("501 5.5.4 Syntax: RCPT TO:<address>");
  if (!rest.empty()) return Error("555 5.5.4 Unsupported option: " + std::string(rest.substr(0, 64)));
  auto mailbox = ParseMailbox(StripSourceRoute(path), /*allow_postmaster=*/true);
  if (!mailbox.ok()) return Error("501 5.1.3 Bad recipient address syntax");
  if (envelope_.recipients.size() >= options_.limits.max_recipients)
    return Reply("452 4.5.3 Error: too many recipients");
  std::string address = mailbox->ToString();
  RecipientCheck check = policy_.CheckRecipient(*mailbox);
  switch (check.verdict) {
    case RecipientVerdict::kAccept: envelope_.recipients.push_back(address); return Reply("250 2.1.5 Ok");
    case RecipientVerdict::kUnknownUser:
      last_error_ = "<" + address + "> unknown: " + check.detail;
      return Reply("550 5.1.1 <" + address + ">: Recipient address rejected: User unknown");
    case RecipientVerdict::kRelayDenied:
      if (authenticated_) {  // an authenticated person may send anywhere (through the Router)
        envelope_.recipients.push_back(address);
        return Reply("250 2.1.5 Ok");
      }
      last_error_ = "<" + address + "> relay denied";
      return Reply("550 5.7.1 <" + address + ">: Relay access denied");
    case RecipientVerdict::kTryLater:
      last_error_ = "<" + address + "> lookup failed: " + check.detail;
      return Reply("451 4.3.0 <" + address + ">: Temporary lookup failure");
  }
}

void ServerSession::HandleData(std::string_view args) {
  if (!args.empty()) return Error("501 5.5.4 Syntax: DATA");
  if (!in_transaction_) return Error("503 5.5.1 Error: need RCPT command");
  if (envelope_.recipients.empty()) return Error("554 5.5.1 Error: no valid recipients");
  state_ = State::kData;
  message_.clear();
  message_bytes_ = 0;
  message_too_big_ = false;
  header_block_.clear();
  header_block_complete_ = false;
  header_too_long_ = false;
  header_canonicalizer_ = CrlfCanonicalizer();
  data_line_start_ = true;
  data_prev_cr_ = false;
  envelope_.tls = options_.tls_active;
  envelope_.auth_user = authenticated_ ? identity_.user : std::string();
  ++data_transaction_;
  Reply("354 End data with <CR><LF>.<CR><LF>");
}

void ServerSession::ConsumeData() {
  const std::uint64_t max = options_.limits.max_message_bytes > 0
                                ? std::min(options_.limits.max_message_bytes, kHardMessageCap)
                                : kHardMessageCap;
  auto append = [&](std::string_view bytes) {
    message_bytes_ += bytes.size();
    if (message_bytes_ > max) {
      message_too_big_ = true;
      message_.clear();
      message_.shrink_to_fit();
    }
    if (!message_too_big_) message_.append(bytes);
    KeepHeaderBlock(bytes);
  };
  while (input_pos_ < input_.size()) {
    if (data_line_start_ && input_[input_pos_] == '.') {
      // ".\r\n" ends the message; "." before anything else is a stuffed dot.
      if (input_.size() - input_pos_ < 3) {
        if (input_.size() - input_pos_ == 2 && input_[input_pos_ + 1] != '\r') {
          ++input_pos_;  // ".x": unstuff
          data_line_start_ = false;
          continue;
        }
        return;  // need more bytes to decide
      }
      if (input_[input_pos_ + 1] == '\r' && input_[input_pos_ + 2] == '\n') {
        input_pos_ += 3;
        FinishData();
        return;
      }
      ++input_pos_;  // unstuff
      data_line_start_ = false;
      data_prev_cr_ = false;
      continue;
    }
    std::size_t lf = input_.find('\n', input_pos_);
    std::size_t end = lf == std::string::npos ? input_.size() : lf + 1;
    std::string_view chunk(input_.data() + input_pos_, end - input_pos_);
    append(chunk);
    input_pos_ = end;
    if (lf != std::string::npos) {
      // A line ends only at CRLF; a bare LF is just a byte of the message.
      bool cr_before = chunk.size() >= 2 ? chunk[chunk.size() - 2] == '\r' : data_prev_cr_;
      data_line_start_ = cr_before;
      data_prev_cr_ = false;
    } else {
      data_line_start_ = false;
      data_prev_cr_ = !chunk.empty() && chunk.back() == '\r';
    }
  }
  input_.clear();
  input_pos_ = 0;
}

void ServerSession::KeepHeaderBlock(std::string_view bytes) {
  if (header_block_complete_) return;
  // Canonicalised as mail.box stores the message, so the check reads the fields a reader
  // will see (a bare CR before "From:" ends a line there).
  std::string canonical;
  header_canonicalizer_.Feed(bytes, &canonical);
  const std::size_t searched = header_block_.size() < 3 ? 0 : header_block_.size() - 3;
  std::size_t room = kMaxHeaderBlockBytes - header_block_.size();
  header_block_.append(std::string_view(canonical).substr(0, room));
  if (header_block_.starts_with("\r\n")) {  // no header at all
    header_block_.clear();
    header_block_complete_ = true;
    return;
  }
  // The header ends at the first empty line; search only what is new (and the three bytes
  // before it), so a header of many short lines costs linear time.
  std::size_t end = header_block_.find("\r\n\r\n", searched);
  if (end != std::string::npos) {
    header_block_.resize(end + 2);
    header_block_complete_ = true;
  } else if (header_block_.size() >= kMaxHeaderBlockBytes) {
    header_block_complete_ = true;
    header_too_long_ = true;  // refused at the end of DATA: fields past here go unchecked
  }
}

void ServerSession::FinishData() {
  state_ = State::kCommand;
  if (message_too_big_) {
    ResetTransaction();
    last_error_ = "message of " + std::to_string(message_bytes_) + " bytes refused: too big";
    Reply("552 5.3.4 Error: message size exceeds fixed maximum message size");
    return;
  }
  if (header_too_long_) {
    ResetTransaction();
    last_error_ = "message refused: header block over " + std::to_string(kMaxHeaderBlockBytes) + " bytes";
    Reply("552 5.3.4 Error: message header exceeds fixed maximum size");
    return;
  }
  if (std::string refusal = authenticated_ ? CheckOwnOriginator() : CheckAuthors(); !refusal.empty()) {
    ResetTransaction();
    Reply(refusal);
    return;
  }
  action_ = Action::kDeliver;
}

std::string ServerSession::CheckAuthors() {
  std::vector<std::string> authors;
  for (const std::string& value : mime::HeaderValues(header_block_, "From", kMaxAuthors + 1)) {
    for (std::string& address : AddressesIn(value)) authors.push_back(std::move(address));
    if (authors.size() > kMaxAuthors) break;
  }
  if (authors.size() > kMaxAuthors) {
    last_error_ = "message refused: " + std::to_string(authors.size()) + " From addresses";
    return "550 5.7.1 Error: too many From addresses";
  }
  for (const std::string& author : authors) {
    // Checked as written: a Notes name has no domain, an odd address is split at its last '@'.
    std::size_t at = author.rfind('@');
    Mailbox mailbox =
        at == std::string::npos ? Mailbox{author, ""} : Mailbox{author.substr(0, at), author.substr(at + 1)};
    SenderCheck check = policy_.CheckSender(mailbox);
    std::string shown = author.substr(0, kMaxPath);
    for (char& c : shown)
      if (c <= ' ' || c > '~' || c == '<' || c == '>') c = '?';  // header bytes, not ours to echo
    if (check.verdict == SenderVerdict::kLocalNeedsAuth) {
      last_error_ = "From <" + shown + "> forged local sender: " + check.detail;
      return "550 5.7.1 Error: From address <" + shown + "> is local: a local sender requires authentication";
    }
    if (check.verdict == SenderVerdict::kTryLater) {
      last_error_ = "From <" + shown + "> lookup failed: " + check.detail;
      return "451 4.3.0 Error: temporary lookup failure, try again later";
    }
  }
  return "";
}

// The rule of every deposit by a person (the client API's too): one From field naming
// only them, and a Sender naming only them. Read from the header block as mail.box will
// store it; the text names header bytes, so it is made printable before it is echoed.
std::string ServerSession::CheckOwnOriginator() {
  Status allowed = CheckDepositOriginator(header_block_ + "\r\n", identity_.address);
  if (allowed.ok()) return "";
  std::string shown = allowed.message().substr(0, 400);
  for (char& c : shown)
    if (c < ' ' || c > '~') c = '?';
  last_error_ = "message of " + identity_.user + " refused: " + shown;
  return "550 5.7.1 Error: " + shown;
}

void ServerSession::HandleAuth(std::string_view args) {
  if (!options_.auth_available) return Error("502 5.5.1 Error: command not implemented");
  if (!options_.tls_active) return Error("538 5.7.11 Encryption required for requested authentication mechanism");
  if (!greeted_) return Error("503 5.5.1 Error: send EHLO first");
  if (authenticated_) return Error("503 5.5.1 Error: already authenticated");
  if (in_transaction_) return Error("503 5.5.1 Error: MAIL transaction in progress");
  std::size_t space = args.find(' ');
  std::string mechanism = ToUpperAscii(args.substr(0, space));
  std::string_view initial = space == std::string_view::npos ? std::string_view() : args.substr(space + 1);
  if (initial.find(' ') != std::string_view::npos) return Error("501 5.5.4 Syntax: AUTH mechanism [initial-response]");
  if (mechanism.empty()) return Error("501 5.5.4 Syntax: AUTH mechanism [initial-response]");
  if (mechanism != "PLAIN" && mechanism != "LOGIN") return Error("504 5.5.4 Unrecognized authentication type");
  credentials_ = Credentials();
  credentials_.mechanism = mechanism;
  if (mechanism == "PLAIN") {
    state_ = State::kAuthPlain;
    if (initial.empty()) return Reply("334 ");
  } else {
    state_ = State::kAuthLoginName;
    if (initial.empty()) return Reply("334 VXNlcm5hbWU6");  // "Username:"
  }
  // An initial response (RFC 4954): "=" is an empty one.
  HandleAuthResponse(initial == "=" ? std::string_view() : initial);
}

// One line of an AUTH exchange: "*" cancels, anything else must be base64.
void ServerSession::HandleAuthResponse(std::string_view line) {
  if (++commands_ > options_.limits.max_commands) {
    credentials_ = Credentials();
    state_ = State::kCommand;
    return Close("421 4.7.0 " + options_.host_name + " Error: too many commands");
  }
  const State step = state_;
  state_ = State::kCommand;
  if (line == "*") {
    credentials_ = Credentials();
    last_error_ = "AUTH cancelled by the client";
    return Reply("501 5.7.0 Authentication aborted");
  }
  Result<std::string> decoded = line.empty() ? Result<std::string>(std::string()) : Base64DecodeFlat(line);
  if (!decoded.ok()) {
    credentials_ = Credentials();
    return Error("501 5.5.2 Error: cannot decode AUTH response");
  }
  switch (step) {
    case State::kAuthPlain: return TakePlainResponse(*decoded);
    case State::kAuthLoginName:
      if (decoded->empty()) {
        credentials_ = Credentials();
        return Error("501 5.5.2 Error: empty user name");
      }
      credentials_.name = std::move(*decoded);
      state_ = State::kAuthLoginPassword;
      return Reply("334 UGFzc3dvcmQ6");  // "Password:"
    case State::kAuthLoginPassword:
      credentials_.password = std::move(*decoded);
      action_ = Action::kAuthenticate;
      return;
    case State::kCommand:
    case State::kData: return;  // not an AUTH step
  }
}

// RFC 4616: authzid NUL authcid NUL passwd. Acting for someone else (an authzid that is
// not the authcid) is not offered.
void ServerSession::TakePlainResponse(std::string_view decoded) {
  std::size_t first = decoded.find('\0');
  std::size_t second = first == std::string_view::npos ? first : decoded.find('\0', first + 1);
  if (second == std::string_view::npos || decoded.find('\0', second + 1) != std::string_view::npos ||
      second == first + 1) {
    credentials_ = Credentials();
    return Error("501 5.5.2 Error: malformed PLAIN response");
  }
  std::string_view authzid = decoded.substr(0, first);
  std::string_view authcid = decoded.substr(first + 1, second - first - 1);
  if (!authzid.empty() && !EqualsIgnoreCase(authzid, authcid)) {
    credentials_ = Credentials();
    last_error_ = "AUTH PLAIN for another identity refused";
    return Error("535 5.7.8 Error: authentication credentials invalid");
  }
  credentials_.name = std::string(authcid);
  credentials_.password = std::string(decoded.substr(second + 1));
  action_ = Action::kAuthenticate;
}

Credentials ServerSession::TakeCredentials() {
  Credentials taken = std::move(credentials_);
  credentials_ = Credentials();
  return taken;
}

void ServerSession::CompleteAuthentication(const Status& result, const AuthIdentity& identity) {
  if (action_ != Action::kAuthenticate) return;
  action_ = Action::kNone;
  credentials_ = Credentials();
  if (result.ok()) {
    authenticated_ = true;
    identity_ = identity;
    return Reply("235 2.7.0 Authentication successful");
  }
  last_error_ = "AUTH failed: " + result.message();
  if (result.code() == StatusCode::kPermissionDenied)
    return Error("535 5.7.8 Error: authentication credentials invalid");
  Reply("454 4.7.0 Temporary authentication failure, try again later");
}

void ServerSession::CompleteDelivery(const Status& result, std::string_view queue_id) {
  if (action_ != Action::kDeliver) return;
  action_ = Action::kNone;
  if (result.ok()) {
    ++messages_accepted_;
    Reply("250 2.0.0 Ok: queued as " + std::string(queue_id));
  } else if (result.code() == StatusCode::kInvalidArgument) {
    last_error_ = result.message();
    Reply("554 5.6.0 Error: message refused");
  } else {
    last_error_ = result.message();
    Reply("451 4.3.0 Error: queue file write error, try again later");
  }
  ResetTransaction();
}

void ServerSession::HandleStartTls(std::string_view args) {
  if (!args.empty()) return Error("501 5.5.4 Syntax: STARTTLS");
  if (!options_.tls_available) return Error("502 5.5.1 Error: command not implemented");
  if (options_.tls_active) return Error("554 5.5.1 Error: TLS already active");
  Reply("220 2.0.0 Ready to start TLS");
  action_ = Action::kStartTls;
  input_.clear();  // RFC 3207 section 6: nothing sent before the handshake may be used
  input_pos_ = 0;
}

void ServerSession::CompleteStartTls() {
  if (action_ != Action::kStartTls) return;
  action_ = Action::kNone;
  options_.tls_active = true;
  greeted_ = false;
  authenticated_ = false;
  identity_ = AuthIdentity();
  ResetTransaction();
  envelope_.helo.clear();
}

void ServerSession::ResetTransaction() {
  in_transaction_ = false;
  envelope_.sender.clear();
  envelope_.recipients.clear();
  envelope_.body_8bit = false;
  envelope_.declared_size = 0;
  message_.clear();
  message_bytes_ = 0;
  message_too_big_ = false;
  header_block_.clear();
  header_block_complete_ = false;
  header_too_long_ = false;
  header_canonicalizer_ = CrlfCanonicalizer();
}

std::string SimulateSession(const ServerOptions& options, ServerPolicy& policy, std::string_view input,
                            std::vector<SimulatedDelivery>* deliveries, const Status& delivery_result,
                            const SimulatedAuthenticator& authenticate) {
  ServerSession session(options, policy);
  std::string out = session.Greeting();
  session.Receive(input);
  int queued = 0;
  for (;;) {
    out += session.TakeOutput();
    switch (session.pending_action()) {
      case Action::kDeliver:
        if (deliveries && delivery_result.ok()) deliveries->push_back({session.envelope(), session.message()});
        session.CompleteDelivery(delivery_result, "Q" + std::to_string(++queued));
        session.Receive("");
        continue;
      case Action::kStartTls:
        session.CompleteStartTls();
        session.Receive("");
        continue;
      case Action::kAuthenticate: {
        Credentials credentials = session.TakeCredentials();
        Result<AuthIdentity> identity = authenticate
                                            ? authenticate(credentials)
                                            : Result<AuthIdentity>(Status::PermissionDenied("no authenticator"));
        session.CompleteAuthentication(identity.ok() ? Status::Ok() : identity.status(),
                                       identity.ok() ? *identity : AuthIdentity());
        session.Receive("");
        continue;
      }
      case Action::kClose:
      case Action::kNone: return out;
    }
  }
}

}  // namespace notesd::smtp
