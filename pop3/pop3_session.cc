#include "pop3/pop3_session.h"

#include <utility>

#include "base/ascii.h"
#include "pki/base64.h"

namespace notesd::pop3 {

namespace {

Reply Ok(std::string text, Action action = Action::kNone) { return {"+OK " + std::move(text) + "\r\n", action}; }
Reply Err(std::string text, Action action = Action::kNone) { return {"-ERR " + std::move(text) + "\r\n", action}; }

// The response code of a refused login (RFC 3206): [AUTH] for bad credentials,
// [SYS/TEMP] for a lockout or a busy server, whose message already says to try later.
Reply LoginRefused(const Status& status) {
  if (status.code() == StatusCode::kPermissionDenied) return Err("[AUTH] invalid user name or password");
  if (status.code() == StatusCode::kUnavailable) return Err("[SYS/TEMP] " + status.message());
  return Err("[SYS/TEMP] the login cannot be checked now; try again later");
}

}  // namespace

Pop3Handler::Pop3Handler(HandlerOptions options, Pop3Backend& backend, std::string client_address, bool tls)
    : options_(std::move(options)), backend_(backend), client_address_(std::move(client_address)), tls_(tls) {}

std::string Pop3Handler::Greeting() const { return "+OK " + options_.host_name + " POP3 server (notesd) ready\r\n"; }

bool Pop3Handler::Blocks(std::string_view line) const {
  if (awaiting_auth_plain_) return true;
  ParseResult parsed = ParseCommand(line);
  if (!parsed.command) return false;
  switch (parsed.command->verb) {
    case Verb::kPass:
    case Verb::kAuth: return state_ == State::kAuthorization;
    case Verb::kRetr:
    case Verb::kTop:
    case Verb::kQuit: return state_ == State::kTransaction;
    default: return false;
  }
}

Reply Pop3Handler::Handle(std::string_view line) {
  if (awaiting_auth_plain_) {
    awaiting_auth_plain_ = false;
    return AuthPlainResponse(line);
  }
  ParseResult parsed = ParseCommand(line);
  if (!parsed.command) return Bad(parsed.error);
  return HandleCommand(*parsed.command);
}

Reply Pop3Handler::LineError(LineReader::Result problem) {
  if (problem == LineReader::Result::kLineTooLong)
    return Err("command line too long (at most " + std::to_string(kMaxLineBytes) + " bytes)", Action::kClose);
  return Bad("control characters in the command line");
}

void Pop3Handler::CompleteStartTls() {
  tls_ = true;
  user_.clear();  // RFC 2595: the client must forget what it learned before
}

Reply Pop3Handler::Bad(std::string text) {
  if (++bad_commands_ >= options_.max_bad_commands) return Err("too many bad commands; goodbye", Action::kClose);
  return Err(std::move(text));
}

Reply Pop3Handler::HandleCommand(const Command& command) {
  switch (command.verb) {
    case Verb::kCapa: return Capabilities();
    case Verb::kNoop:
      if (state_ != State::kTransaction) return Bad("NOOP is valid only after login");
      return Ok("");
    case Verb::kQuit: return Quit();
    default: break;
  }
  return state_ == State::kAuthorization ? Authorization(command) : Transaction(command);
}

Reply Pop3Handler::Capabilities() const {
  std::string text = "+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n";
  if (state_ == State::kAuthorization) {
    if (!tls_ && options_.tls_available) text += "STLS\r\n";
    if (tls_) text += "USER\r\nSASL PLAIN\r\n";
  }
  text += "IMPLEMENTATION notesd\r\n.\r\n";
  return {text, Action::kNone};
}

Reply Pop3Handler::Authorization(const Command& command) {
  auto need_tls = [] { return Err("[AUTH] a login needs TLS first (STLS)"); };
  switch (command.verb) {
    case Verb::kStls:
      if (tls_) return Bad("TLS is already active");
      if (!options_.tls_available) return Bad("STLS is not available");
      user_.clear();
      return Ok("begin TLS negotiation", Action::kStartTls);
    case Verb::kUser:
      if (!tls_) return need_tls();
      user_ = command.words[0];
      return Ok("send PASS");
    case Verb::kPass: {
      if (!tls_) return need_tls();
      if (user_.empty()) return Bad("USER first");
      std::string name = std::exchange(user_, {});
      return Login(name, command.rest);
    }
    case Verb::kAuth:
      if (command.words.empty()) return {"+OK SASL mechanisms follow\r\nPLAIN\r\n.\r\n", Action::kNone};
      if (!EqualsIgnoreCase(command.words[0], "PLAIN")) return Bad("unsupported SASL mechanism (PLAIN only)");
      if (!tls_) return need_tls();
      if (command.words.size() == 2) return AuthPlainResponse(command.words[1]);
      awaiting_auth_plain_ = true;
      return {"+ \r\n", Action::kNone};
    default: return Bad("command not valid before login");
  }
}

Reply Pop3Handler::AuthPlainResponse(std::string_view line) {
  if (line == "*") return Err("[AUTH] authentication cancelled");
  // RFC 4616: [authzid] NUL authcid NUL passwd; "=" is an empty initial response.
  Result<std::string> decoded = line == "=" ? Result<std::string>(std::string()) : Base64DecodeFlat(line);
  if (!decoded.ok()) return Bad("[AUTH] the PLAIN response is not valid base64");
  std::string_view text = *decoded;
  std::size_t first = text.find('\0');
  std::size_t second = first == std::string_view::npos ? first : text.find('\0', first + 1);
  if (second == std::string_view::npos) return Bad("[AUTH] the PLAIN response is malformed");
  std::string_view authzid = text.substr(0, first);
  std::string_view authcid = text.substr(first + 1, second - first - 1);
  std::string_view password = text.substr(second + 1);
  if (!authzid.empty() && authzid != authcid) return Err("[AUTH] acting as another user is not allowed");
  return Login(authcid, password);
}

Reply Pop3Handler::Login(std::string_view name, std::string_view password) {
  Result<Person> person = backend_.Login(name, password, client_address_);
  if (!person.ok()) {
    ++counts_.logins_failed;
    return LoginRefused(person.status());
  }
  if (person->mail_file.empty()) return Err("[SYS/PERM] you have no mail file");
  Result<std::vector<MaildropMessage>> listing = backend_.ListMaildrop(*person);
  if (!listing.ok()) return Err("[SYS/TEMP] your mail file cannot be opened now; try again later");
  person_ = std::move(person).value();
  maildrop_ = std::move(listing).value();
  deleted_.assign(maildrop_.size(), false);
  state_ = State::kTransaction;
  return Ok("maildrop has " + Totals());
}

std::string Pop3Handler::Totals() const {
  std::size_t count = 0;
  std::uint64_t octets = 0;
  for (std::size_t i = 0; i < maildrop_.size(); ++i) {
    if (deleted_[i]) continue;
    ++count;
    octets += maildrop_[i].size;
  }
  return std::to_string(count) + " messages (" + std::to_string(octets) + " octets)";
}

const MaildropMessage* Pop3Handler::Find(std::uint32_t number) const {
  if (number == 0 || number > maildrop_.size() || deleted_[number - 1]) return nullptr;
  return &maildrop_[number - 1];
}

Reply Pop3Handler::Transaction(const Command& command) {
  auto no_such = [](std::uint32_t number) { return Err("no such message: " + std::to_string(number)); };
  switch (command.verb) {
    case Verb::kStat: {
      std::size_t count = 0;
      std::uint64_t octets = 0;
      for (std::size_t i = 0; i < maildrop_.size(); ++i) {
        if (deleted_[i]) continue;
        ++count;
        octets += maildrop_[i].size;
      }
      return Ok(std::to_string(count) + " " + std::to_string(octets));
    }
    case Verb::kList:
    case Verb::kUidl: {
      bool uidl = command.verb == Verb::kUidl;
      auto value = [&](const MaildropMessage& m) { return uidl ? m.unid : std::to_string(m.size); };
      if (!command.numbers.empty()) {
        const MaildropMessage* message = Find(command.numbers[0]);
        if (message == nullptr) return no_such(command.numbers[0]);
        return Ok(std::to_string(command.numbers[0]) + " " + value(*message));
      }
      std::string text = uidl ? "+OK unique-id listing follows\r\n" : "+OK " + Totals() + "\r\n";
      for (std::size_t i = 0; i < maildrop_.size(); ++i) {
        if (!deleted_[i]) text += std::to_string(i + 1) + " " + value(maildrop_[i]) + "\r\n";
      }
      text += ".\r\n";
      return {text, Action::kNone};
    }
    case Verb::kRetr:
    case Verb::kTop: {
      bool top = command.verb == Verb::kTop;
      const MaildropMessage* message = Find(command.numbers[0]);
      if (message == nullptr) return no_such(command.numbers[0]);
      Result<std::string> bytes = backend_.ReadMessage(person_, *message, !top);
      if (!bytes.ok()) {
        if (bytes.status().code() == StatusCode::kNotFound)
          return Err("message " + std::to_string(command.numbers[0]) + " was removed by another session");
        return Err("[SYS/TEMP] the message cannot be read now; try again later");
      }
      std::string text =
          top ? std::string("+OK top of message follows\r\n") : "+OK " + std::to_string(bytes->size()) + " octets\r\n";
      AppendDotStuffed(top ? TopOf(*bytes, command.numbers[1]) : std::string_view(*bytes), &text);
      if (!top) ++counts_.retrieved;
      return {std::move(text), Action::kNone};
    }
    case Verb::kDele: {
      const MaildropMessage* message = Find(command.numbers[0]);
      if (message == nullptr) return no_such(command.numbers[0]);
      deleted_[command.numbers[0] - 1] = true;
      return Ok("message " + std::to_string(command.numbers[0]) + " deleted");
    }
    case Verb::kRset: deleted_.assign(maildrop_.size(), false); return Ok("maildrop has " + Totals());
    default: return Bad("command not valid after login");
  }
}

Reply Pop3Handler::Quit() {
  if (state_ != State::kTransaction) return Ok(options_.host_name + " POP3 server signing off", Action::kClose);
  state_ = State::kUpdate;
  std::vector<MaildropMessage> doomed;
  for (std::size_t i = 0; i < maildrop_.size(); ++i) {
    if (deleted_[i]) doomed.push_back(maildrop_[i]);
  }
  if (doomed.empty()) return Ok(options_.host_name + " POP3 server signing off", Action::kClose);
  Result<std::size_t> removed = backend_.RemoveMessages(person_, doomed);
  if (!removed.ok()) return Err("[SYS/TEMP] some deleted messages not removed", Action::kClose);
  counts_.deleted += *removed;
  return Ok(options_.host_name + " POP3 server signing off (" + std::to_string(doomed.size()) + " messages deleted)",
            Action::kClose);
}

}  // namespace notesd::pop3
