#include "imap_server/imap_handler.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <set>
#include <utility>

#include "base/ascii.h"
#include "imap/imap_response.h"
#include "imap/imap_section.h"
#include "mime/mail_header.h"
#include "router/mail_folders.h"

namespace notesd::imap_server {

namespace {

using imap::Command;
using imap::CommandName;
using imap::FetchAttribute;
using imap::FetchItem;
using imap::SearchKey;
using imap::SearchKeyKind;

const char kSystemFlags[] = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

// A status message made safe for one response line.
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) out.push_back((c == '\r' || c == '\n' || c == '\0') ? ' ' : c);
  return out.empty() ? std::string("failed") : out;
}

std::string AString(std::string_view text) {
  std::string out;
  imap::AppendAString(&out, text);
  return out;
}

std::string FlagList(const std::vector<std::string>& flags) {
  std::string out;
  imap::AppendFlagList(&out, flags);
  return out;
}

void AppendLiteral(std::string* out, std::string_view bytes) {
  *out += "{" + std::to_string(bytes.size()) + "}\r\n";
  out->append(bytes);
}

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
std::int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = static_cast<int>(y - era * 400);
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::int64_t DayOf(const imap::Date& date) { return DaysFromCivil(date.year, date.month, date.day); }

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

// The UTC day of a message's INTERNALDATE.
std::int64_t DayOfMicros(TimeMicros micros) { return FloorDiv(micros, 86'400'000'000LL); }

// The day of an RFC 5322 Date field ("Tue, 1 Dec 2026 10:00:00 +0100", the date as
// written, RFC 3501 ignores the zone for SENT*); nullopt when unreadable.
std::optional<std::int64_t> DayOfDateField(std::string_view value) {
  static constexpr std::array<const char*, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
  if (std::size_t comma = value.find(','); comma != std::string_view::npos) value.remove_prefix(comma + 1);
  std::vector<std::string> words;
  std::string word;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '-') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word.push_back(c);
    }
    if (words.size() == 3) break;
  }
  if (!word.empty() && words.size() < 3) words.push_back(word);
  if (words.size() < 3) return std::nullopt;
  int day = std::atoi(words[0].c_str());
  int year = std::atoi(words[2].c_str());
  int month = 0;
  for (std::size_t i = 0; i < kMonths.size(); ++i)
    if (EqualsIgnoreCase(words[1].substr(0, 3), kMonths[i])) month = static_cast<int>(i) + 1;
  if (day < 1 || day > 31 || month == 0 || year < 1900) return std::nullopt;
  return DaysFromCivil(year, month, day);
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > haystack.size()) return false;
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return AsciiToLower(a) == AsciiToLower(b); });
  return it != haystack.end();
}

// LIST wildcard matching: '*' matches anything, '%' anything but the delimiter. Dynamic
// programming, so a pattern of many wildcards cannot make it exponential.
bool MatchesPattern(std::string_view name, std::string_view pattern) {
  std::vector<char> row(name.size() + 1, 0), next(name.size() + 1, 0);
  row[0] = 1;
  for (char p : pattern) {
    std::fill(next.begin(), next.end(), 0);
    if (p == '*' || p == '%') {
      bool reach = false;
      for (std::size_t i = 0; i <= name.size(); ++i) {
        reach = reach || row[i] != 0;
        if (reach) next[i] = 1;
        if (p == '%' && i < name.size() && name[i] == kFolderDelimiter) reach = false;
      }
    } else {
      for (std::size_t i = 0; i < name.size(); ++i)
        if (row[i] != 0 && name[i] == p) next[i + 1] = 1;
    }
    std::swap(row, next);
  }
  return row[name.size()] != 0;
}

// INBOX in a pattern or name is case-insensitive (RFC 3501 5.1).
std::string InboxCase(std::string_view name) {
  if (EqualsIgnoreCase(name, "INBOX")) return "INBOX";
  if (name.size() > 5 && EqualsIgnoreCase(name.substr(0, 5), "INBOX") && name[5] == kFolderDelimiter)
    return "INBOX" + std::string(name.substr(5));
  return std::string(name);
}

std::vector<std::string> WithoutRecent(const std::vector<std::string>& flags) {
  std::vector<std::string> out;
  for (const std::string& f : flags)
    if (!EqualsIgnoreCase(f, "\\Recent")) out.push_back(f);
  return out;
}

bool NeedsBody(const FetchAttribute& attribute) {
  switch (attribute.item) {
    case FetchItem::kFlags:
    case FetchItem::kUid:
    case FetchItem::kInternalDate:
    case FetchItem::kRfc822Size: return false;  // the summary's Size is the stored bytes' count
    default: return true;
  }
}

bool SearchNeedsBody(const SearchKey& key) {
  switch (key.kind) {
    case SearchKeyKind::kBcc:
    case SearchKeyKind::kBody:
    case SearchKeyKind::kCc:
    case SearchKeyKind::kFrom:
    case SearchKeyKind::kSubject:
    case SearchKeyKind::kText:
    case SearchKeyKind::kTo:
    case SearchKeyKind::kHeader:
    case SearchKeyKind::kSentBefore:
    case SearchKeyKind::kSentOn:
    case SearchKeyKind::kSentSince:
    case SearchKeyKind::kLarger:
    case SearchKeyKind::kSmaller: return true;
    default: break;
  }
  return std::any_of(key.children.begin(), key.children.end(), SearchNeedsBody);
}

bool HeaderContains(std::string_view message, std::string_view field, std::string_view text) {
  for (const std::string& value : mime::HeaderValues(message, field)) {
    if (ContainsIgnoreCase(value, text) || ContainsIgnoreCase(mime::DecodeEncodedWords(value), text)) return true;
  }
  return false;
}

struct SearchSubject {
  std::uint32_t number = 0;
  std::uint32_t largest_number = 0;
  std::uint32_t largest_uid = 0;
  const StoredMail* mail = nullptr;  // with the message bytes when the key needs them
};

bool Matches(const SearchKey& key, const SearchSubject& s) {
  const StoredMail& m = *s.mail;
  auto flag = [&](const char* name) { return HasFlag(m.flags, name); };
  std::string_view message = m.message;
  switch (key.kind) {
    case SearchKeyKind::kAnd:
      return std::all_of(key.children.begin(), key.children.end(), [&](const SearchKey& k) { return Matches(k, s); });
    case SearchKeyKind::kOr:
      return std::any_of(key.children.begin(), key.children.end(), [&](const SearchKey& k) { return Matches(k, s); });
    case SearchKeyKind::kNot: return key.children.empty() || !Matches(key.children.front(), s);
    case SearchKeyKind::kAll: return true;
    case SearchKeyKind::kAnswered: return flag("\\Answered");
    case SearchKeyKind::kDeleted: return flag("\\Deleted");
    case SearchKeyKind::kDraft: return flag("\\Draft");
    case SearchKeyKind::kFlagged: return flag("\\Flagged");
    case SearchKeyKind::kNew:
    case SearchKeyKind::kRecent: return false;  // no \Recent (RFC 3501 allows it)
    case SearchKeyKind::kOld: return true;
    case SearchKeyKind::kSeen: return flag("\\Seen");
    case SearchKeyKind::kUnanswered: return !flag("\\Answered");
    case SearchKeyKind::kUndeleted: return !flag("\\Deleted");
    case SearchKeyKind::kUndraft: return !flag("\\Draft");
    case SearchKeyKind::kUnflagged: return !flag("\\Flagged");
    case SearchKeyKind::kUnseen: return !flag("\\Seen");
    case SearchKeyKind::kKeyword: return HasFlag(m.flags, key.text);
    case SearchKeyKind::kUnkeyword: return !HasFlag(m.flags, key.text);
    case SearchKeyKind::kBcc: return HeaderContains(message, "Bcc", key.text);
    case SearchKeyKind::kCc: return HeaderContains(message, "Cc", key.text);
    case SearchKeyKind::kFrom: return HeaderContains(message, "From", key.text);
    case SearchKeyKind::kTo: return HeaderContains(message, "To", key.text);
    case SearchKeyKind::kSubject: return HeaderContains(message, "Subject", key.text);
    case SearchKeyKind::kHeader:
      if (key.text.empty()) return mime::HeaderValue(message, key.field).has_value();
      return HeaderContains(message, key.field, key.text);
    case SearchKeyKind::kBody: {
      std::string_view header = mime::HeaderBlock(message);
      return ContainsIgnoreCase(message.substr(std::min(header.size(), message.size())), key.text);
    }
    case SearchKeyKind::kText: return ContainsIgnoreCase(message, key.text);
    case SearchKeyKind::kBefore: return DayOfMicros(m.delivered) < DayOf(key.date);
    case SearchKeyKind::kOn: return DayOfMicros(m.delivered) == DayOf(key.date);
    case SearchKeyKind::kSince: return DayOfMicros(m.delivered) >= DayOf(key.date);
    case SearchKeyKind::kSentBefore:
    case SearchKeyKind::kSentOn:
    case SearchKeyKind::kSentSince: {
      std::optional<std::string> date = mime::HeaderValue(message, "Date");
      std::optional<std::int64_t> day = date ? DayOfDateField(*date) : std::nullopt;
      std::int64_t sent = day ? *day : DayOfMicros(m.delivered);
      if (key.kind == SearchKeyKind::kSentBefore) return sent < DayOf(key.date);
      if (key.kind == SearchKeyKind::kSentOn) return sent == DayOf(key.date);
      return sent >= DayOf(key.date);
    }
    case SearchKeyKind::kLarger: return message.size() > key.number;
    case SearchKeyKind::kSmaller: return message.size() < key.number;
    case SearchKeyKind::kUid: return key.set.Contains(m.uid, s.largest_uid);
    case SearchKeyKind::kSequence: return key.set.Contains(s.number, s.largest_number);
  }
  return false;
}

}  // namespace

ImapHandler::ImapHandler(MailService& mail, LoginCheck login, HandlerOptions options, std::string peer, bool tls)
    : mail_(mail), login_(std::move(login)), options_(std::move(options)), peer_(std::move(peer)), tls_(tls) {}

std::string ImapHandler::Capabilities() const {
  std::string caps =
      "IMAP4rev1 LITERAL+ SASL-IR ID IDLE NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN LIST-EXTENDED LIST-STATUS";
  if (state_ == ImapState::kNotAuthenticated) {
    if (!tls_) {
      if (options_.tls_available) caps += " STARTTLS";
      caps += " LOGINDISABLED";
    } else {
      caps += " AUTH=PLAIN";
    }
  }
  return caps;
}

std::string ImapHandler::Greeting() const {
  return "* OK [CAPABILITY " + Capabilities() + "] " + options_.greeting_host + " IMAP4rev1 server ready\r\n";
}

std::string ImapHandler::Tagged(std::string_view tag, std::string_view status, std::string_view text) const {
  return std::string(tag) + " " + std::string(status) + " " + std::string(text) + "\r\n";
}

std::string ImapHandler::Failure(std::string_view tag, const notesd::Status& status) const {
  std::string code;
  switch (status.code()) {
    case StatusCode::kNotFound: code = "[NONEXISTENT] "; break;
    case StatusCode::kAlreadyExists: code = "[ALREADYEXISTS] "; break;
    case StatusCode::kPermissionDenied: code = "[NOPERM] "; break;
    case StatusCode::kInvalidArgument: code = "[CANNOT] "; break;
    case StatusCode::kUnavailable: code = "[UNAVAILABLE] "; break;
    default:
      // Storage and internal errors: the detail (paths, LMDB's words) goes to the log only.
      if (options_.log_error)
        options_.log_error((person_ ? person_->name.Abbreviated() : std::string("?")) + " from " + peer_ + ": " +
                           status.ToString());
      return Tagged(tag, "NO", "[SERVERBUG] the server could not do that; the problem is in its log");
  }
  return Tagged(tag, "NO", code + OneLine(status.message()));
}

std::uint64_t ImapHandler::CurrentChangeCount() { return person_ ? mail_.ChangeCount(*person_) : 0; }

Reply ImapHandler::Handle(const Command& c) {
  const std::string& tag = c.tag;
  // Commands of any state.
  switch (c.name) {
    case CommandName::kCapability:
      return {"* CAPABILITY " + Capabilities() + "\r\n" + Tagged(tag, "OK", "CAPABILITY completed")};
    case CommandName::kNoop:
    case CommandName::kCheck: {
      std::string out = selected_ ? Refresh() : std::string();
      return {out + Tagged(tag, "OK", std::string(imap::CommandNameText(c.name)) + " completed")};
    }
    case CommandName::kLogout:
      state_ = ImapState::kLogout;
      return {"* BYE " + options_.greeting_host + " IMAP4rev1 server logging out\r\n" +
                  Tagged(tag, "OK", "LOGOUT completed"),
              After::kClose};
    case CommandName::kId:
      return {"* ID (\"name\" \"notesd\" \"vendor\" \"notesd\")\r\n" + Tagged(tag, "OK", "ID completed")};
    default: break;
  }
  if (state_ == ImapState::kNotAuthenticated) {
    switch (c.name) {
      case CommandName::kStartTls:
        if (tls_) return {Tagged(tag, "BAD", "TLS is already active")};
        if (!options_.tls_available) return {Tagged(tag, "NO", "STARTTLS is not available")};
        return {Tagged(tag, "OK", "Begin TLS negotiation now"), After::kStartTls};
      case CommandName::kLogin: {
        const auto& args = std::get<imap::LoginArgs>(c.args);
        return Login(c, args.user, args.password);
      }
      case CommandName::kAuthenticate: return Authenticate(c);
      default: return {Tagged(tag, "BAD", std::string(imap::CommandNameText(c.name)) + " is not valid before login")};
    }
  }
  // Authenticated or selected.
  switch (c.name) {
    case CommandName::kStartTls:
    case CommandName::kLogin:
    case CommandName::kAuthenticate: return {Tagged(tag, "BAD", "already logged in")};
    case CommandName::kSelect: return Select(c, false);
    case CommandName::kExamine: return Select(c, true);
    case CommandName::kCreate: return Create(c);
    case CommandName::kDelete: return Delete(c);
    case CommandName::kRename: return Rename(c);
    case CommandName::kSubscribe:
    case CommandName::kUnsubscribe:
      return {Tagged(tag, "OK", std::string(imap::CommandNameText(c.name)) + " completed")};
    case CommandName::kList:
    case CommandName::kLsub: return List(c);
    case CommandName::kStatus: return Status(c);
    case CommandName::kAppend: return Append(c);
    case CommandName::kNamespace:
      return {"* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n" + Tagged(tag, "OK", "NAMESPACE completed")};
    case CommandName::kEnable: return {"* ENABLED\r\n" + Tagged(tag, "OK", "ENABLE completed")};
    case CommandName::kIdle:
      pending_tag_ = tag;
      change_seen_ = CurrentChangeCount();
      return {"+ idling\r\n" + (selected_ ? Refresh() : std::string()), After::kIdle};
    default: break;
  }
  if (state_ != ImapState::kSelected)
    return {Tagged(tag, "BAD", std::string(imap::CommandNameText(c.name)) + " needs a selected mailbox")};
  switch (c.name) {
    case CommandName::kClose: return Close(c, true);
    case CommandName::kUnselect: return Close(c, false);
    case CommandName::kExpunge: return Expunge(c);
    case CommandName::kFetch: return Fetch(c);
    case CommandName::kStore: return Store(c);
    case CommandName::kCopy: return CopyOrMove(c, false);
    case CommandName::kMove: return CopyOrMove(c, true);
    case CommandName::kSearch: return Search(c);
    default: break;
  }
  return {Tagged(tag, "BAD", "command not supported")};
}

// ---- Login ----------------------------------------------------------------------------

Reply ImapHandler::Login(const Command& c, std::string_view user, std::string_view password) {
  if (!tls_) return {Tagged(c.tag, "NO", "[PRIVACYREQUIRED] LOGIN is disabled until STARTTLS")};
  Result<Person> person = login_(user, password, peer_);
  if (person.ok() && person->mail_file.empty())
    person = notesd::Status::PermissionDenied(person->name.Abbreviated() + " has no mail file");
  if (!person.ok()) {
    ++login_failures_;
    std::string code =
        person.status().code() == StatusCode::kPermissionDenied ? "[AUTHENTICATIONFAILED] " : "[UNAVAILABLE] ";
    std::string text = person.status().code() == StatusCode::kPermissionDenied ? "invalid user name or password"
                                                                               : OneLine(person.status().message());
    if (person.status().code() == StatusCode::kPermissionDenied &&
        person.status().message().find("no mail file") != std::string::npos)
      text = OneLine(person.status().message());
    Reply reply{Tagged(c.tag, "NO", code + text)};
    if (login_failures_ >= options_.max_login_failures) {
      reply.text += "* BYE too many failed logins\r\n";
      reply.after = After::kClose;
      state_ = ImapState::kLogout;
    }
    return reply;
  }
  person_ = std::move(person).value();
  state_ = ImapState::kAuthenticated;
  return {Tagged(c.tag, "OK", "[CAPABILITY " + Capabilities() + "] Logged in")};
}

Reply ImapHandler::Authenticate(const Command& c) {
  const auto& args = std::get<imap::AuthenticateArgs>(c.args);
  if (!tls_) return {Tagged(c.tag, "NO", "[PRIVACYREQUIRED] AUTHENTICATE is disabled until STARTTLS")};
  if (args.mechanism != "PLAIN") return {Tagged(c.tag, "NO", "unsupported authentication mechanism")};
  if (args.initial_response) return FinishPlain(c.tag, *args.initial_response);
  pending_tag_ = c.tag;
  return {"+ \r\n", After::kAuthContinue};
}

Reply ImapHandler::ContinueAuthenticate(std::string_view line) {
  std::string tag = std::exchange(pending_tag_, {});
  std::string error;
  std::optional<imap::AuthenticateLine> answer = imap::ParseAuthenticateLine(line, &error);
  if (!answer) return {Tagged(tag, "BAD", OneLine(error))};
  if (answer->cancelled) return {Tagged(tag, "BAD", "AUTHENTICATE cancelled")};
  return FinishPlain(tag, answer->data);
}

Reply ImapHandler::FinishPlain(std::string_view tag, std::string_view response) {
  // authzid NUL authcid NUL passwd (RFC 4616); an authzid other than the user is refused.
  std::size_t first = response.find('\0');
  std::size_t second = first == std::string_view::npos ? first : response.find('\0', first + 1);
  if (second == std::string_view::npos) return {Tagged(tag, "BAD", "malformed PLAIN response")};
  std::string_view authzid = response.substr(0, first);
  std::string_view user = response.substr(first + 1, second - first - 1);
  std::string_view password = response.substr(second + 1);
  if (!authzid.empty() && authzid != user)
    return {Tagged(tag, "NO", "[AUTHORIZATIONFAILED] cannot act as another user")};
  Command c;
  c.tag = std::string(tag);
  return Login(c, user, password);
}

// ---- Folders ----------------------------------------------------------------------------

Reply ImapHandler::Select(const Command& c, bool read_only) {
  const std::string& name = std::get<imap::MailboxArgs>(c.args).mailbox;
  selected_.reset();
  state_ = ImapState::kAuthenticated;
  change_seen_ = CurrentChangeCount();
  Result<MailService::FolderListing> listing = mail_.ListFolder(*person_, name);
  if (!listing.ok()) return {Failure(c.tag, listing.status())};
  Selected s;
  s.name = listing->status.name;
  s.read_only = read_only;
  s.uid_validity = listing->status.uid_validity;
  s.uid_next = listing->status.uid_next;
  std::uint32_t first_unseen = 0;
  for (const StoredMail& m : listing->messages) {
    s.uids.push_back(m.uid);
    s.flags[m.uid] = m.flags;
    if (first_unseen == 0 && !HasFlag(m.flags, "\\Seen")) first_unseen = static_cast<std::uint32_t>(s.uids.size());
  }
  std::string out = std::string("* FLAGS (") + kSystemFlags + ")\r\n";
  out += std::string("* OK [PERMANENTFLAGS (") + (read_only ? "" : std::string(kSystemFlags) + " \\*") +
         ")] Flags permitted\r\n";
  out += "* " + std::to_string(s.uids.size()) + " EXISTS\r\n* 0 RECENT\r\n";
  if (first_unseen != 0) out += "* OK [UNSEEN " + std::to_string(first_unseen) + "] First unseen\r\n";
  out += "* OK [UIDVALIDITY " + std::to_string(s.uid_validity) + "] UIDs valid\r\n";
  out += "* OK [UIDNEXT " + std::to_string(s.uid_next) + "] Predicted next UID\r\n";
  selected_ = std::move(s);
  state_ = ImapState::kSelected;
  out +=
      Tagged(c.tag, "OK",
             std::string(read_only ? "[READ-ONLY] " : "[READ-WRITE] ") + imap::CommandNameText(c.name) + " completed");
  return {out};
}

Reply ImapHandler::List(const Command& c) {
  const auto& args = std::get<imap::ListArgs>(c.args);
  const bool lsub = c.name == CommandName::kLsub;
  const char* word = lsub ? "LSUB" : "LIST";
  auto has = [](const std::vector<std::string>& v, std::string_view x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  const bool subscribed = lsub || has(args.selection_options, "SUBSCRIBED") || has(args.return_options, "SUBSCRIBED");
  std::string out;
  if (args.patterns.size() == 1 && args.patterns.front().empty()) {
    out += std::string("* ") + word + " (\\Noselect) \"/\" \"\"\r\n";
    return {out + Tagged(c.tag, "OK", std::string(word) + " completed")};
  }
  Result<std::vector<MailService::FolderStatus>> folders = mail_.ListFolders(*person_);
  if (!folders.ok()) return {Failure(c.tag, folders.status())};
  std::vector<std::string> patterns;
  for (const std::string& p : args.patterns) patterns.push_back(InboxCase(args.reference + p));
  for (const MailService::FolderStatus& f : *folders) {
    bool match =
        std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return MatchesPattern(f.name, p); });
    if (!match) continue;
    bool children = std::any_of(folders->begin(), folders->end(), [&](const MailService::FolderStatus& o) {
      return o.name.size() > f.name.size() && o.name.compare(0, f.name.size(), f.name) == 0 &&
             o.name[f.name.size()] == kFolderDelimiter;
    });
    std::string attributes = children ? "\\HasChildren" : "\\HasNoChildren";
    if (subscribed && !lsub) attributes += " \\Subscribed";
    out += std::string("* ") + word + " (" + attributes + ") \"/\" " + AString(f.name) + "\r\n";
    if (!args.return_status.empty()) {
      std::string items;
      for (const std::string& item : args.return_status) {
        std::uint32_t value = 0;
        if (item == "MESSAGES")
          value = f.messages;
        else if (item == "RECENT")
          value = f.recent;
        else if (item == "UIDNEXT")
          value = f.uid_next;
        else if (item == "UIDVALIDITY")
          value = f.uid_validity;
        else if (item == "UNSEEN")
          value = f.unseen;
        else
          continue;
        items += (items.empty() ? "" : " ") + item + " " + std::to_string(value);
      }
      out += "* STATUS " + AString(f.name) + " (" + items + ")\r\n";
    }
  }
  return {out + Tagged(c.tag, "OK", std::string(word) + " completed")};
}

Reply ImapHandler::Status(const Command& c) {
  const auto& args = std::get<imap::StatusArgs>(c.args);
  Result<MailService::FolderStatus> status = mail_.GetFolderStatus(*person_, args.mailbox);
  if (!status.ok()) return {Failure(c.tag, status.status())};
  std::string items;
  for (imap::StatusItem item : args.items) {
    if (!items.empty()) items += " ";
    switch (item) {
      case imap::StatusItem::kMessages: items += "MESSAGES " + std::to_string(status->messages); break;
      case imap::StatusItem::kRecent: items += "RECENT " + std::to_string(status->recent); break;
      case imap::StatusItem::kUidNext: items += "UIDNEXT " + std::to_string(status->uid_next); break;
      case imap::StatusItem::kUidValidity: items += "UIDVALIDITY " + std::to_string(status->uid_validity); break;
      case imap::StatusItem::kUnseen: items += "UNSEEN " + std::to_string(status->unseen); break;
    }
  }
  return {"* STATUS " + AString(status->name) + " (" + items + ")\r\n" + Tagged(c.tag, "OK", "STATUS completed")};
}

Reply ImapHandler::Create(const Command& c) {
  std::string name = std::get<imap::MailboxArgs>(c.args).mailbox;
  while (!name.empty() && name.back() == kFolderDelimiter) name.pop_back();  // RFC 3501 6.3.3
  Result<MailService::FolderStatus> made = mail_.CreateFolder(*person_, name);
  if (!made.ok()) return {Failure(c.tag, made.status())};
  return {Tagged(c.tag, "OK", "CREATE completed")};
}

Reply ImapHandler::Delete(const Command& c) {
  const std::string& name = std::get<imap::MailboxArgs>(c.args).mailbox;
  if (selected_ && EqualsIgnoreCase(InboxCase(name), selected_->name)) {
    selected_.reset();
    state_ = ImapState::kAuthenticated;
  }
  if (notesd::Status done = mail_.DeleteFolder(*person_, name); !done.ok()) return {Failure(c.tag, done)};
  return {Tagged(c.tag, "OK", "DELETE completed")};
}

Reply ImapHandler::Rename(const Command& c) {
  const auto& args = std::get<imap::RenameArgs>(c.args);
  if (notesd::Status done = mail_.RenameFolder(*person_, args.from, args.to); !done.ok()) return {Failure(c.tag, done)};
  if (selected_) {
    // The selected folder (or one above it) was renamed: it keeps its UIDs under the new name.
    std::string from = InboxCase(args.from);
    const std::string& name = selected_->name;
    if (from != "INBOX" && (name == from || (name.size() > from.size() && name.compare(0, from.size(), from) == 0 &&
                                             name[from.size()] == kFolderDelimiter)))
      selected_->name = args.to + name.substr(from.size());
  }
  return {Tagged(c.tag, "OK", "RENAME completed")};
}

Reply ImapHandler::Append(const Command& c) {
  const auto& args = std::get<imap::AppendArgs>(c.args);
  TimeMicros when = args.date_time ? args.date_time->ToUnixSeconds() * 1'000'000 : 0;
  Result<MailService::Appended> done =
      mail_.Append(*person_, args.mailbox, args.message, WithoutRecent(args.flags), when);
  if (!done.ok()) {
    if (done.status().code() == StatusCode::kNotFound)
      return {Tagged(c.tag, "NO", "[TRYCREATE] " + OneLine(done.status().message()))};
    return {Failure(c.tag, done.status())};
  }
  std::string out;
  if (selected_ && selected_->name == InboxCase(args.mailbox)) out = Refresh();
  return {out + Tagged(c.tag, "OK",
                       "[APPENDUID " + std::to_string(done->uid_validity) + " " + std::to_string(done->uid) +
                           "] APPEND completed")};
}

// ---- The selected folder ----------------------------------------------------------------

std::vector<std::uint32_t> ImapHandler::Resolve(const imap::SequenceSet& set, bool uid) const {
  std::vector<std::uint32_t> out;
  const std::vector<std::uint32_t>& uids = selected_->uids;
  if (uids.empty()) return out;
  const auto count = static_cast<std::uint32_t>(uids.size());
  for (std::uint32_t i = 0; i < count; ++i) {
    if (uid ? set.Contains(uids[i], uids.back()) : set.Contains(i + 1, count)) out.push_back(uids[i]);
  }
  return out;
}

std::uint32_t ImapHandler::NumberOf(std::uint32_t uid) const {
  const std::vector<std::uint32_t>& uids = selected_->uids;
  auto it = std::lower_bound(uids.begin(), uids.end(), uid);
  if (it == uids.end() || *it != uid) return 0;
  return static_cast<std::uint32_t>(it - uids.begin()) + 1;
}

void ImapHandler::Forget(const std::vector<std::uint32_t>& gone, std::string* out) {
  std::set<std::uint32_t> drop(gone.begin(), gone.end());
  std::vector<std::uint32_t> kept;
  std::uint32_t removed = 0;
  for (std::size_t i = 0; i < selected_->uids.size(); ++i) {
    std::uint32_t uid = selected_->uids[i];
    if (drop.count(uid) != 0) {
      *out += "* " + std::to_string(i + 1 - removed) + " EXPUNGE\r\n";
      ++removed;
      selected_->flags.erase(uid);
    } else {
      kept.push_back(uid);
    }
  }
  selected_->uids = std::move(kept);
}

std::string ImapHandler::Refresh() {
  change_seen_ = CurrentChangeCount();
  Result<MailService::FolderListing> listing = mail_.ListFolder(*person_, selected_->name);
  if (!listing.ok()) {
    if (listing.status().code() == StatusCode::kNotFound) {
      // The folder went away under us (deleted elsewhere): everything is expunged.
      std::string out;
      Forget(selected_->uids, &out);
      return out;
    }
    return {};
  }
  std::set<std::uint32_t> now;
  for (const StoredMail& m : listing->messages) now.insert(m.uid);
  std::vector<std::uint32_t> gone;
  for (std::uint32_t uid : selected_->uids)
    if (now.count(uid) == 0) gone.push_back(uid);
  std::string out;
  Forget(gone, &out);
  std::string flags_out;
  const std::uint32_t last = selected_->uids.empty() ? 0 : selected_->uids.back();
  bool grew = false;
  for (const StoredMail& m : listing->messages) {
    if (m.uid > last) {
      selected_->uids.push_back(m.uid);
      selected_->flags[m.uid] = m.flags;
      grew = true;
      continue;
    }
    auto known = selected_->flags.find(m.uid);
    if (known != selected_->flags.end() && known->second != m.flags) {
      known->second = m.flags;
      flags_out += "* " + std::to_string(NumberOf(m.uid)) + " FETCH (UID " + std::to_string(m.uid) + " FLAGS " +
                   FlagList(m.flags) + ")\r\n";
    }
  }
  selected_->uid_next = listing->status.uid_next;
  if (grew) out += "* " + std::to_string(selected_->uids.size()) + " EXISTS\r\n";
  return out + flags_out;
}

std::string ImapHandler::IdleUpdates() {
  const std::uint64_t now = CurrentChangeCount();
  if (now == change_seen_) return {};
  if (!selected_) {
    change_seen_ = now;  // nothing to tell without a selected folder
    return {};
  }
  return Refresh();
}

Reply ImapHandler::EndIdle(std::string_view line) {
  std::string tag = std::exchange(pending_tag_, {});
  if (!imap::ParseIdleDone(line)) return {Tagged(tag, "BAD", "expected DONE")};
  return {Tagged(tag, "OK", "IDLE terminated")};
}

// One FETCH command in progress: what to answer for which messages, and how far it got.
struct ImapHandler::FetchJob {
  std::string tag;
  bool uid = false;
  std::vector<FetchAttribute> attributes;
  bool body = false;
  std::vector<std::uint32_t> uids;
  std::size_t done = 0;
  std::map<std::uint32_t, StoredMail> by_uid;
  std::set<std::uint32_t> newly_seen;
};

Reply ImapHandler::Fetch(const Command& c) {
  const auto& args = std::get<imap::FetchArgs>(c.args);
  auto job = std::make_shared<FetchJob>();
  job->tag = c.tag;
  job->uid = c.uid;
  job->attributes = args.attributes;
  job->uids = Resolve(args.set, c.uid);
  if (job->uids.empty()) return FetchPart(job);
  bool sets_seen = false;
  for (const FetchAttribute& a : args.attributes) {
    job->body = job->body || NeedsBody(a);
    sets_seen = sets_seen || (!a.peek && (a.item == FetchItem::kBodySection || a.item == FetchItem::kRfc822 ||
                                          a.item == FetchItem::kRfc822Text));
  }
  sets_seen = sets_seen && !selected_->read_only;
  Result<MailService::FolderListing> listing =
      mail_.ListFolder(*person_, selected_->name, job->uids.front(), job->uids.back());
  if (!listing.ok()) return {Failure(c.tag, listing.status())};
  for (StoredMail& m : listing->messages) job->by_uid.emplace(m.uid, std::move(m));
  // BODY[] without PEEK sets \Seen first (RFC 3501 6.4.5), so FLAGS says so.
  if (sets_seen) {
    std::vector<std::uint32_t> unseen;
    for (std::uint32_t uid : job->uids) {
      auto it = job->by_uid.find(uid);
      if (it != job->by_uid.end() && !HasFlag(it->second.flags, "\\Seen")) unseen.push_back(uid);
    }
    if (!unseen.empty()) {
      Result<std::vector<MailService::FlagsOfUid>> stored =
          mail_.AddFlags(*person_, selected_->name, unseen, {"\\Seen"});
      if (stored.ok()) {
        for (const MailService::FlagsOfUid& f : *stored) {
          auto it = job->by_uid.find(f.uid);
          if (it != job->by_uid.end()) it->second.flags = f.flags;
          job->newly_seen.insert(f.uid);
        }
      }
    }
  }
  return FetchPart(job);
}

Reply ImapHandler::FetchPart(const std::shared_ptr<FetchJob>& job) {
  std::string out;
  while (job->done < job->uids.size() && out.size() < kReplyPartBytes) {
    std::uint32_t uid = job->uids[job->done++];
    auto it = job->by_uid.find(uid);
    std::uint32_t number = selected_ ? NumberOf(uid) : 0;
    if (it == job->by_uid.end() || number == 0) continue;  // expunged meanwhile: no answer (RFC 3501 allows it)
    StoredMail m = std::move(it->second);
    job->by_uid.erase(it);
    if (job->body) {
      Result<StoredMail> full = mail_.ReadByUid(*person_, selected_->name, uid);
      if (!full.ok()) continue;
      m.message = std::move(full->message);
    }
    std::string items;
    auto item = [&](const std::string& text) {
      if (!items.empty()) items += " ";
      items += text;
    };
    bool flags_done = false, uid_done = false;
    if (job->uid) {
      item("UID " + std::to_string(uid));
      uid_done = true;
    }
    for (const FetchAttribute& a : job->attributes) {
      switch (a.item) {
        case FetchItem::kFlags:
          if (!flags_done) item("FLAGS " + FlagList(m.flags));
          flags_done = true;
          break;
        case FetchItem::kUid:
          if (!uid_done) item("UID " + std::to_string(uid));
          uid_done = true;
          break;
        case FetchItem::kInternalDate:
          item("INTERNALDATE \"" + imap::FormatDateTime(FloorDiv(m.delivered, 1'000'000)) + "\"");
          break;
        case FetchItem::kRfc822Size:
          item("RFC822.SIZE " + std::to_string(job->body ? static_cast<std::int64_t>(m.message.size()) : m.size));
          break;
        case FetchItem::kEnvelope: {
          std::string env = "ENVELOPE ";
          imap::AppendEnvelope(&env, imap::BuildEnvelope(m.message));
          item(env);
          break;
        }
        case FetchItem::kBody:
        case FetchItem::kBodyStructure: {
          std::string text = a.item == FetchItem::kBody ? "BODY " : "BODYSTRUCTURE ";
          imap::AppendBodyStructure(&text, imap::BuildBodyStructure(m.message), a.item == FetchItem::kBodyStructure);
          item(text);
          break;
        }
        case FetchItem::kRfc822:
        case FetchItem::kRfc822Header:
        case FetchItem::kRfc822Text:
        case FetchItem::kBodySection: {
          imap::Section section = a.section;
          if (a.item == FetchItem::kRfc822) section = {};
          if (a.item == FetchItem::kRfc822Header) section.text = imap::SectionText::kHeader;
          if (a.item == FetchItem::kRfc822Text) section.text = imap::SectionText::kText;
          std::string text = imap::FetchItemName(a) + " ";
          if (section.part.empty() && section.text == imap::SectionText::kNone) {
            AppendLiteral(&text, imap::ApplyPartial(m.message, a.partial));  // BODY[]: the stored bytes
          } else if (std::optional<std::string> part = imap::ExtractSection(m.message, section)) {
            AppendLiteral(&text, imap::ApplyPartial(*part, a.partial));
          } else {
            text += "\"\"";
          }
          item(text);
          break;
        }
      }
    }
    if (!flags_done && job->newly_seen.count(uid) != 0) item("FLAGS " + FlagList(m.flags));
    selected_->flags[uid] = m.flags;
    out += "* " + std::to_string(number) + " FETCH (" + items + ")\r\n";
  }
  if (job->done < job->uids.size()) return {std::move(out), After::kNone, [this, job] { return FetchPart(job); }};
  return {out + Tagged(job->tag, "OK", job->uid ? "UID FETCH completed" : "FETCH completed")};
}

Reply ImapHandler::Search(const Command& c) {
  const auto& args = std::get<imap::SearchArgs>(c.args);
  if (!args.charset.empty() && args.charset != "US-ASCII" && args.charset != "UTF-8")
    return {Tagged(c.tag, "NO", "[BADCHARSET (US-ASCII UTF-8)] unsupported charset")};
  std::string hits;
  if (!selected_->uids.empty()) {
    Result<MailService::FolderListing> listing = mail_.ListFolder(*person_, selected_->name);
    if (!listing.ok()) return {Failure(c.tag, listing.status())};
    const bool body = SearchNeedsBody(args.key);
    SearchSubject subject;
    subject.largest_number = static_cast<std::uint32_t>(selected_->uids.size());
    subject.largest_uid = selected_->uids.back();
    for (StoredMail& m : listing->messages) {
      std::uint32_t number = NumberOf(m.uid);
      if (number == 0) continue;
      if (body) {
        Result<StoredMail> full = mail_.ReadByUid(*person_, selected_->name, m.uid);
        if (!full.ok()) continue;
        m.message = std::move(full->message);
      }
      subject.number = number;
      subject.mail = &m;
      if (Matches(args.key, subject)) hits += " " + std::to_string(c.uid ? m.uid : number);
    }
  }
  return {"* SEARCH" + hits + "\r\n" + Tagged(c.tag, "OK", c.uid ? "UID SEARCH completed" : "SEARCH completed")};
}

Reply ImapHandler::Store(const Command& c) {
  const auto& args = std::get<imap::StoreArgs>(c.args);
  if (selected_->read_only) return {Tagged(c.tag, "NO", "[READ-ONLY] the mailbox is read-only (EXAMINE)")};
  std::vector<std::uint32_t> uids = Resolve(args.set, c.uid);
  std::string out;
  if (!uids.empty()) {
    MailService::FlagChange change = args.mode == imap::StoreMode::kAdd      ? MailService::FlagChange::kAdd
                                     : args.mode == imap::StoreMode::kRemove ? MailService::FlagChange::kRemove
                                                                             : MailService::FlagChange::kReplace;
    Result<std::vector<MailService::FlagsOfUid>> stored =
        mail_.StoreFlags(*person_, selected_->name, uids, change, WithoutRecent(args.flags));
    if (!stored.ok()) {
      if (stored.status().code() == StatusCode::kInvalidArgument)
        return {Tagged(c.tag, "BAD", OneLine(stored.status().message()))};
      return {Failure(c.tag, stored.status())};
    }
    for (const MailService::FlagsOfUid& f : *stored) {
      selected_->flags[f.uid] = f.flags;
      if (args.silent) continue;
      out += "* " + std::to_string(NumberOf(f.uid)) + " FETCH (" + (c.uid ? "UID " + std::to_string(f.uid) + " " : "") +
             "FLAGS " + FlagList(f.flags) + ")\r\n";
    }
  }
  return {out + Tagged(c.tag, "OK", c.uid ? "UID STORE completed" : "STORE completed")};
}

Reply ImapHandler::CopyOrMove(const Command& c, bool move) {
  const auto& args = std::get<imap::CopyArgs>(c.args);
  const std::string word = std::string(c.uid ? "UID " : "") + (move ? "MOVE" : "COPY");
  if (move && selected_->read_only) return {Tagged(c.tag, "NO", "[READ-ONLY] the mailbox is read-only (EXAMINE)")};
  std::vector<std::uint32_t> uids = Resolve(args.set, c.uid);
  if (uids.empty()) return {Tagged(c.tag, "OK", word + " completed")};
  Result<MailService::UidMapping> mapped = move ? mail_.MoveToFolder(*person_, selected_->name, uids, args.mailbox)
                                                : mail_.CopyToFolder(*person_, selected_->name, uids, args.mailbox);
  if (!mapped.ok()) {
    if (mapped.status().code() == StatusCode::kNotFound &&
        mapped.status().message().find("folder") != std::string::npos)
      return {Tagged(c.tag, "NO", "[TRYCREATE] " + OneLine(mapped.status().message()))};
    return {Failure(c.tag, mapped.status())};
  }
  std::vector<std::uint32_t> from, to;
  for (const auto& [source, target] : mapped->uids) {
    from.push_back(source);
    to.push_back(target);
  }
  std::string code = from.empty() ? std::string()
                                  : "[COPYUID " + std::to_string(mapped->uid_validity) + " " +
                                        imap::FormatUidSet(from) + " " + imap::FormatUidSet(to) + "] ";
  if (!move) return {Tagged(c.tag, "OK", code + word + " completed")};
  std::string out;
  if (!code.empty()) out = "* OK " + code + "Moved\r\n";
  Forget(from, &out);
  return {out + Tagged(c.tag, "OK", word + " completed")};
}

Reply ImapHandler::Expunge(const Command& c) {
  const auto& args = std::get<imap::ExpungeArgs>(c.args);
  if (selected_->read_only) return {Tagged(c.tag, "NO", "[READ-ONLY] the mailbox is read-only (EXAMINE)")};
  std::optional<std::vector<std::uint32_t>> only;
  if (args.uids) only = Resolve(*args.uids, true);
  Result<std::vector<std::uint32_t>> gone = mail_.Expunge(*person_, selected_->name, only);
  if (!gone.ok()) return {Failure(c.tag, gone.status())};
  std::string out;
  Forget(*gone, &out);
  return {out + Tagged(c.tag, "OK", c.uid ? "UID EXPUNGE completed" : "EXPUNGE completed")};
}

Reply ImapHandler::Close(const Command& c, bool expunge) {
  if (expunge && !selected_->read_only) (void)mail_.Expunge(*person_, selected_->name);
  selected_.reset();
  state_ = ImapState::kAuthenticated;
  return {Tagged(c.tag, "OK", expunge ? "CLOSE completed" : "UNSELECT completed")};
}

}  // namespace notesd::imap_server
