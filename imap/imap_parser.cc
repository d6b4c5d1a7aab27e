#include "imap/imap_parser.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "base/ascii.h"
#include "pki/base64.h"

namespace notesd::imap {

namespace {
bool IsCtl(unsigned char c) { return c < 0x20 || c == 0x7f; }
}  // namespace

// ATOM-CHAR: any 7-bit CHAR except atom-specials "(){ %*\"\\]" and CTLs.
bool IsAtomChar(unsigned char c) {
  if (c >= 0x80 || IsCtl(c)) return false;
  switch (c) {
    case '(':
    case ')':
    case '{':
    case ' ':
    case '%':
    case '*':
    case '"':
    case '\\':
    case ']': return false;
    default: return true;
  }
}
bool IsAstringChar(unsigned char c) { return IsAtomChar(c) || c == ']'; }

namespace {

bool IsTagChar(unsigned char c) { return IsAstringChar(c) && c != '+'; }

constexpr std::uint64_t kMaxNumber = std::numeric_limits<std::uint32_t>::max();
// A longer tag is not guessed for an error reply (the reply is untagged then).
constexpr std::size_t kMaxTagGuess = 64;
// RFC 2971 3.3: at most 30 field/value pairs.
constexpr std::size_t kMaxIdFields = 30;

bool IsListChar(unsigned char c) { return IsAtomChar(c) || c == '%' || c == '*' || c == ']'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

const char* const kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

int MonthFromName(std::string_view name) {
  for (int i = 0; i < 12; ++i)
    if (EqualsIgnoreCase(name, kMonths[i])) return i + 1;
  return 0;
}

// A few bytes of the input for an error message, control and 8-bit bytes shown as '?'.
std::string Snippet(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 16)) out += (IsCtl(static_cast<unsigned char>(c)) || (c & 0x80)) ? '?' : c;
  if (text.size() > 16) out += "...";
  return out;
}

// Recursive-descent parser over one complete command. Each method returns false after
// recording the first error; the caller stops at the first false.
class Parser {
 public:
  Parser(std::string_view text, const ReaderLimits& limits) : text_(text), limits_(limits) {}

  std::variant<Command, ParseError> Run();

  // Entry for ParseSequenceSet.
  bool SequenceSetOnly(SequenceSet* set) { return ReadSequenceSet(set, "sequence set") && End(); }
  const std::string& error() const { return error_; }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  bool Consume(char c) {
    if (Peek() != c || AtEnd()) return false;
    ++pos_;
    return true;
  }

  bool Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }
  // "missing <what>" at the end of the command, else "invalid <what> at "..."".
  bool Missing(std::string_view what) {
    if (AtEnd()) return Fail("missing " + std::string(what));
    return Fail("invalid " + std::string(what) + " at \"" + Snippet(text_.substr(pos_)) + "\"");
  }
  bool Space(std::string_view next) {
    if (Consume(' ')) return true;
    return Missing(next);
  }
  bool End() {
    if (AtEnd()) return true;
    std::string_view rest = text_.substr(pos_);
    if (rest.size() > 1 && rest.front() == ' ') rest.remove_prefix(1);
    return Fail("unexpected text after the arguments: \"" + Snippet(rest) + "\"");
  }
  bool Open(std::string_view what) {
    if (!Consume('(')) return Missing(what);
    return true;
  }

  std::string_view ReadWhile(bool (*pred)(unsigned char)) {
    std::size_t begin = pos_;
    while (!AtEnd() && pred(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    return text_.substr(begin, pos_ - begin);
  }

  bool ReadNumber(std::uint32_t* out, std::string_view what, bool nonzero) {
    std::size_t begin = pos_;
    std::uint64_t value = 0;
    while (IsDigit(Peek())) {
      value = value * 10 + static_cast<std::uint64_t>(text_[pos_] - '0');
      if (value > kMaxNumber) return Fail(std::string(what) + " is too large");
      ++pos_;
    }
    if (pos_ == begin) return Missing(what);
    if (nonzero && value == 0) return Fail(std::string(what) + " must not be 0");
    *out = static_cast<std::uint32_t>(value);
    return true;
  }

  bool ReadQuoted(std::string* out, std::string_view what) {
    ++pos_;  // the opening quote
    out->clear();
    while (!AtEnd()) {
      char c = text_[pos_++];
      if (c == '"') return true;
      if (c == '\r' || c == '\n' || c == '\0') break;
      if (c == '\\') {
        char next = Peek();
        if (next != '\\' && next != '"')
          return Fail("bad quoting in " + std::string(what) + ": '\\' before '" +
                      Snippet(std::string_view(&next, AtEnd() ? 0 : 1)) + "'");
        ++pos_;
        c = next;
      }
      out->push_back(c);
    }
    return Fail("bad quoting in " + std::string(what) + ": no closing '\"'");
  }

  // {n} or {n+} CRLF, then n bytes (the reader checked n against the limits).
  bool ReadLiteral(std::string* out, std::string_view what) {
    ++pos_;  // '{'
    std::uint32_t size = 0;
    if (!ReadNumber(&size, "literal size", false)) return false;
    Consume('+');
    if (!Consume('}')) return Missing("'}' of the literal");
    Consume('\r');
    if (!Consume('\n')) return Fail("literal of " + std::string(what) + " is not at the end of a line");
    if (text_.size() - pos_ < size) return Fail("literal of " + std::string(what) + " is cut short");
    out->assign(text_.substr(pos_, size));
    pos_ += size;
    return true;
  }

  bool ReadString(std::string* out, std::string_view what) {
    if (Peek() == '"') return ReadQuoted(out, what);
    if (Peek() == '{') return ReadLiteral(out, what);
    return Missing(what);
  }

  bool ReadAString(std::string* out, std::string_view what) {
    if (Peek() == '"' || Peek() == '{') return ReadString(out, what);
    std::string_view atom = ReadWhile(IsAstringChar);
    if (atom.empty()) return Missing(what);
    out->assign(atom);
    return true;
  }

  bool ReadNString(std::optional<std::string>* out, std::string_view what) {
    if (Peek() == '"' || Peek() == '{') {
      std::string value;
      if (!ReadString(&value, what)) return false;
      *out = std::move(value);
      return true;
    }
    std::string_view atom = ReadWhile(IsAtomChar);
    if (!EqualsIgnoreCase(atom, "NIL")) return Missing(what);
    out->reset();
    return true;
  }

  bool ReadMailbox(std::string* out) {
    if (!ReadAString(out, "mailbox name")) return false;
    if (EqualsIgnoreCase(*out, "INBOX")) *out = "INBOX";
    return true;
  }

  bool ReadListMailbox(std::string* out) {
    if (Peek() == '"' || Peek() == '{') return ReadString(out, "mailbox pattern");
    std::string_view pattern = ReadWhile(IsListChar);
    if (pattern.empty()) return Missing("mailbox pattern");
    out->assign(pattern);
    return true;
  }

  // An atom, upper-cased.
  bool ReadAtomUpper(std::string* out, std::string_view what) {
    std::string_view atom = ReadWhile(IsAtomChar);
    if (atom.empty()) return Missing(what);
    *out = ToUpperAscii(atom);
    return true;
  }

  bool ReadFlag(std::string* out) {
    std::size_t begin = pos_;
    Consume('\\');
    std::string_view atom = ReadWhile(IsAtomChar);
    if (atom.empty()) {
      pos_ = begin;
      return Missing("flag");
    }
    out->assign(text_.substr(begin, pos_ - begin));
    return true;
  }

  // "(" [flag *(SP flag)] ")"
  bool ReadFlagList(std::vector<std::string>* flags) {
    if (!Open("flag list")) return false;
    if (Consume(')')) return true;
    for (;;) {
      std::string flag;
      if (!ReadFlag(&flag)) return false;
      flags->push_back(std::move(flag));
      if (Consume(')')) return true;
      if (!Space("')' of the flag list")) return false;
    }
  }

  bool ReadSequenceSet(SequenceSet* set, std::string_view what) {
    if (Consume('$')) {
      set->saved = true;
      return true;
    }
    auto seq_number = [&](std::uint32_t* out) {
      if (Consume('*')) {
        *out = kStar;
        return true;
      }
      return ReadNumber(out, what, true);
    };
    for (;;) {
      SequenceRange range;
      if (!seq_number(&range.first)) return false;
      range.last = range.first;
      if (Consume(':') && !seq_number(&range.last)) return false;
      set->ranges.push_back(range);
      if (!Consume(',')) return true;
    }
  }

  // date = date-text / DQUOTE date-text DQUOTE; date-text = date-day "-" date-month "-" date-year
  bool ReadDate(Date* date) {
    bool quoted = Consume('"');
    std::uint32_t day = 0, year = 0;
    if (!ReadNumber(&day, "date", false)) return false;
    if (!Consume('-')) return Missing("date");
    std::string_view month = text_.substr(pos_, 3);
    date->month = MonthFromName(month);
    if (date->month == 0) return Missing("month of the date");
    pos_ += 3;
    if (!Consume('-')) return Missing("date");
    std::size_t year_begin = pos_;
    if (!ReadNumber(&year, "year of the date", false)) return false;
    if (pos_ - year_begin != 4) return Fail("the year of a date has 4 digits");
    if (day < 1 || day > 31) return Fail("day of the date out of range");
    if (quoted && !Consume('"')) return Missing("closing '\"' of the date");
    date->day = static_cast<int>(day);
    date->year = static_cast<int>(year);
    return true;
  }

  // date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
  bool ReadDateTime(DateTime* out) {
    if (!Consume('"')) return Missing("date-time");
    Consume(' ');  // date-day-fixed: a day below 10 may be written " 2"
    std::size_t day_begin = pos_;
    std::uint32_t day = 0, year = 0, hour = 0, minute = 0, second = 0, zone = 0;
    if (!ReadNumber(&day, "day of the date-time", false) || pos_ - day_begin > 2) return Missing("date-time");
    if (!Consume('-')) return Missing("date-time");
    out->date.month = MonthFromName(text_.substr(pos_, 3));
    if (out->date.month == 0) return Missing("month of the date-time");
    pos_ += 3;
    auto two = [&](std::uint32_t* v, std::string_view what) {
      std::size_t begin = pos_;
      if (!ReadNumber(v, what, false)) return false;
      if (pos_ - begin != 2) return Missing(what);
      return true;
    };
    std::size_t year_begin = pos_ + 1;
    if (!Consume('-') || !ReadNumber(&year, "year of the date-time", false) || pos_ - year_begin != 4)
      return Missing("year of the date-time");
    if (!Consume(' ') || !two(&hour, "hour of the date-time") || !Consume(':') ||
        !two(&minute, "minute of the date-time") || !Consume(':') || !two(&second, "second of the date-time") ||
        !Consume(' '))
      return Missing("time of the date-time");
    char sign = Peek();
    if (sign != '+' && sign != '-') return Missing("zone of the date-time");
    ++pos_;
    std::size_t zone_begin = pos_;
    if (!ReadNumber(&zone, "zone of the date-time", false) || pos_ - zone_begin != 4)
      return Missing("zone of the date-time");
    if (!Consume('"')) return Missing("closing '\"' of the date-time");
    if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || zone % 100 > 59)
      return Fail("date-time out of range");
    out->date.day = static_cast<int>(day);
    out->date.year = static_cast<int>(year);
    out->hour = static_cast<int>(hour);
    out->minute = static_cast<int>(minute);
    out->second = static_cast<int>(second);
    int minutes = static_cast<int>(zone / 100 * 60 + zone % 100);
    out->zone_minutes = sign == '-' ? -minutes : minutes;
    return true;
  }

  // Commands.
  bool ParseArguments(Command* command);
  bool ParseLogin(Command* command);
  bool ParseAuthenticate(Command* command);
  bool ParseList(Command* command);
  bool ParseLsub(Command* command);
  bool ParseStatus(Command* command);
  bool ParseAppend(Command* command);
  bool ParseFetch(Command* command);
  bool ParseFetchAttribute(std::vector<FetchAttribute>* attributes);
  bool ParseSection(Section* section);
  bool ParseStore(Command* command);
  bool ParseCopy(Command* command);
  bool ParseSearch(Command* command);
  bool ParseSearchKey(SearchKey* key, int depth);
  bool ParseId(Command* command);
  bool ParseEnable(Command* command);

  std::string_view text_;
  const ReaderLimits& limits_;
  std::size_t pos_ = 0;
  std::string error_;
};

struct NameEntry {
  const char* text;
  CommandName name;
};

constexpr NameEntry kCommandNames[] = {
    {"CAPABILITY", CommandName::kCapability},
    {"NOOP", CommandName::kNoop},
    {"LOGOUT", CommandName::kLogout},
    {"ID", CommandName::kId},
    {"STARTTLS", CommandName::kStartTls},
    {"LOGIN", CommandName::kLogin},
    {"AUTHENTICATE", CommandName::kAuthenticate},
    {"SELECT", CommandName::kSelect},
    {"EXAMINE", CommandName::kExamine},
    {"CREATE", CommandName::kCreate},
    {"DELETE", CommandName::kDelete},
    {"RENAME", CommandName::kRename},
    {"SUBSCRIBE", CommandName::kSubscribe},
    {"UNSUBSCRIBE", CommandName::kUnsubscribe},
    {"LIST", CommandName::kList},
    {"LSUB", CommandName::kLsub},
    {"STATUS", CommandName::kStatus},
    {"APPEND", CommandName::kAppend},
    {"CHECK", CommandName::kCheck},
    {"CLOSE", CommandName::kClose},
    {"UNSELECT", CommandName::kUnselect},
    {"EXPUNGE", CommandName::kExpunge},
    {"FETCH", CommandName::kFetch},
    {"STORE", CommandName::kStore},
    {"COPY", CommandName::kCopy},
    {"MOVE", CommandName::kMove},
    {"SEARCH", CommandName::kSearch},
    {"IDLE", CommandName::kIdle},
    {"ENABLE", CommandName::kEnable},
    {"NAMESPACE", CommandName::kNamespace},
};

std::variant<Command, ParseError> Parser::Run() {
  Command command;
  ParseError error;
  std::string_view tag = ReadWhile(IsTagChar);
  if (tag.empty() || Peek() != ' ') {
    error.message = tag.empty() ? "missing or invalid tag" : "missing command name";
    if (!tag.empty()) error.tag.assign(tag);
    return error;
  }
  command.tag.assign(tag);
  error.tag = command.tag;
  ++pos_;
  std::string_view word = ReadWhile(IsAtomChar);
  if (word.empty()) {
    error.message = "missing command name";
    return error;
  }
  std::string name = ToUpperAscii(word);
  if (name == "UID") {
    command.uid = true;
    if (!Consume(' ')) {
      error.message = "UID: missing command (FETCH, STORE, COPY, MOVE, SEARCH or EXPUNGE)";
      return error;
    }
    name = ToUpperAscii(ReadWhile(IsAtomChar));
    if (name != "FETCH" && name != "STORE" && name != "COPY" && name != "MOVE" && name != "SEARCH" &&
        name != "EXPUNGE") {
      error.message = "UID: unknown command \"" + Snippet(name) + "\"";
      return error;
    }
  }
  const NameEntry* entry = std::find_if(std::begin(kCommandNames), std::end(kCommandNames),
                                        [&](const NameEntry& e) { return name == e.text; });
  if (entry == std::end(kCommandNames)) {
    error.message = "unknown command \"" + Snippet(name) + "\"";
    return error;
  }
  command.name = entry->name;
  if (!ParseArguments(&command)) {
    error.message = std::string(command.uid ? "UID " : "") + entry->text + ": " + error_;
    return error;
  }
  return command;
}

bool Parser::ParseArguments(Command* command) {
  switch (command->name) {
    case CommandName::kCapability:
    case CommandName::kNoop:
    case CommandName::kLogout:
    case CommandName::kStartTls:
    case CommandName::kCheck:
    case CommandName::kClose:
    case CommandName::kUnselect:
    case CommandName::kIdle:
    case CommandName::kNamespace: return End();
    case CommandName::kExpunge: {
      ExpungeArgs args;
      if (command->uid) {
        SequenceSet set;
        if (!Space("UID set") || !ReadSequenceSet(&set, "UID set")) return false;
        args.uids = std::move(set);
      }
      command->args = std::move(args);
      return End();
    }
    case CommandName::kSelect:
    case CommandName::kExamine:
    case CommandName::kCreate:
    case CommandName::kDelete:
    case CommandName::kSubscribe:
    case CommandName::kUnsubscribe: {
      MailboxArgs args;
      if (!Space("mailbox name") || !ReadMailbox(&args.mailbox)) return false;
      command->args = std::move(args);
      return End();
    }
    case CommandName::kRename: {
      RenameArgs args;
      if (!Space("mailbox name") || !ReadMailbox(&args.from) || !Space("new mailbox name") || !ReadMailbox(&args.to))
        return false;
      command->args = std::move(args);
      return End();
    }
    case CommandName::kLogin: return ParseLogin(command);
    case CommandName::kAuthenticate: return ParseAuthenticate(command);
    case CommandName::kList: return ParseList(command);
    case CommandName::kLsub: return ParseLsub(command);
    case CommandName::kStatus: return ParseStatus(command);
    case CommandName::kAppend: return ParseAppend(command);
    case CommandName::kFetch: return ParseFetch(command);
    case CommandName::kStore: return ParseStore(command);
    case CommandName::kCopy:
    case CommandName::kMove: return ParseCopy(command);
    case CommandName::kSearch: return ParseSearch(command);
    case CommandName::kId: return ParseId(command);
    case CommandName::kEnable: return ParseEnable(command);
  }
  return Fail("unknown command");
}

bool Parser::ParseLogin(Command* command) {
  LoginArgs args;
  if (!Space("user name") || !ReadAString(&args.user, "user name") || !Space("password") ||
      !ReadAString(&args.password, "password"))
    return false;
  command->args = std::move(args);
  return End();
}

bool Parser::ParseAuthenticate(Command* command) {
  AuthenticateArgs args;
  if (!Space("SASL mechanism") || !ReadAtomUpper(&args.mechanism, "SASL mechanism")) return false;
  if (Consume(' ')) {
    std::string_view response = ReadWhile(IsAtomChar);
    if (response.empty()) return Missing("initial response");
    if (response == "=") {
      args.initial_response = std::string();
    } else {
      Result<std::string> decoded = Base64DecodeFlat(response);
      if (!decoded.ok()) return Fail("initial response is not valid base64");
      args.initial_response = std::move(decoded).value();
    }
  }
  command->args = std::move(args);
  return End();
}

bool Parser::ParseList(Command* command) {
  ListArgs args;
  if (!Space("mailbox reference")) return false;
  // list-select-opts (RFC 5258)
  if (Consume('(')) {
    while (!Consume(')')) {
      if (!args.selection_options.empty() && !Space("')' of the selection options")) return false;
      std::string option;
      if (!ReadAtomUpper(&option, "selection option")) return false;
      args.selection_options.push_back(std::move(option));
    }
    if (!Space("mailbox reference")) return false;
  }
  if (!ReadAString(&args.reference, "mailbox reference") || !Space("mailbox pattern")) return false;
  if (Consume('(')) {
    do {
      std::string pattern;
      if (!ReadListMailbox(&pattern)) return false;
      args.patterns.push_back(std::move(pattern));
    } while (Consume(' '));
    if (!Consume(')')) return Missing("')' of the mailbox patterns");
  } else {
    std::string pattern;
    if (!ReadListMailbox(&pattern)) return false;
    args.patterns.push_back(std::move(pattern));
  }
  if (Consume(' ')) {
    std::string word;
    if (!ReadAtomUpper(&word, "RETURN") || word != "RETURN") return Fail("expected RETURN after the patterns");
    if (!Space("return options") || !Open("return options")) return false;
    while (!Consume(')')) {
      if (!args.return_options.empty() && !Space("')' of the return options")) return false;
      std::string option;
      if (!ReadAtomUpper(&option, "return option")) return false;
      if (option == "STATUS") {
        if (!Space("status items") || !Open("status items")) return false;
        do {
          std::string item;
          if (!ReadAtomUpper(&item, "status item")) return false;
          args.return_status.push_back(std::move(item));
        } while (Consume(' '));
        if (!Consume(')')) return Missing("')' of the status items");
      }
      args.return_options.push_back(std::move(option));
    }
  }
  command->args = std::move(args);
  return End();
}

bool Parser::ParseLsub(Command* command) {
  ListArgs args;
  std::string pattern;
  if (!Space("mailbox reference") || !ReadAString(&args.reference, "mailbox reference") || !Space("mailbox pattern") ||
      !ReadListMailbox(&pattern))
    return false;
  args.patterns.push_back(std::move(pattern));
  command->args = std::move(args);
  return End();
}

bool Parser::ParseStatus(Command* command) {
  StatusArgs args;
  if (!Space("mailbox name") || !ReadMailbox(&args.mailbox) || !Space("status items") || !Open("status items"))
    return false;
  do {
    std::string item;
    if (!ReadAtomUpper(&item, "status item")) return false;
    if (item == "MESSAGES") {
      args.items.push_back(StatusItem::kMessages);
    } else if (item == "RECENT") {
      args.items.push_back(StatusItem::kRecent);
    } else if (item == "UIDNEXT") {
      args.items.push_back(StatusItem::kUidNext);
    } else if (item == "UIDVALIDITY") {
      args.items.push_back(StatusItem::kUidValidity);
    } else if (item == "UNSEEN") {
      args.items.push_back(StatusItem::kUnseen);
    } else {
      return Fail("unknown status item \"" + Snippet(item) + "\"");
    }
  } while (Consume(' '));
  if (!Consume(')')) return Missing("')' of the status items");
  command->args = std::move(args);
  return End();
}

bool Parser::ParseAppend(Command* command) {
  AppendArgs args;
  if (!Space("mailbox name") || !ReadMailbox(&args.mailbox) || !Space("message literal")) return false;
  if (Peek() == '(') {
    if (!ReadFlagList(&args.flags) || !Space("message literal")) return false;
  }
  if (Peek() == '"') {
    DateTime date_time;
    if (!ReadDateTime(&date_time) || !Space("message literal")) return false;
    args.date_time = date_time;
  }
  if (Peek() != '{') return Missing("message literal");
  if (!ReadLiteral(&args.message, "message")) return false;
  command->args = std::move(args);
  return End();
}

bool Parser::ParseFetch(Command* command) {
  FetchArgs args;
  if (!Space("sequence set") || !ReadSequenceSet(&args.set, "sequence set") || !Space("FETCH attributes")) return false;
  if (Consume('(')) {
    do {
      if (!ParseFetchAttribute(&args.attributes)) return false;
    } while (Consume(' '));
    if (!Consume(')')) return Missing("')' of the FETCH attributes");
  } else {
    if (!ParseFetchAttribute(&args.attributes)) return false;
  }
  command->args = std::move(args);
  return End();
}

bool Parser::ParseFetchAttribute(std::vector<FetchAttribute>* attributes) {
  std::size_t begin = pos_;
  while (!AtEnd() && (std::isalnum(static_cast<unsigned char>(Peek())) || Peek() == '.' || Peek() == '-')) ++pos_;
  std::string name = ToUpperAscii(text_.substr(begin, pos_ - begin));
  if (name.empty()) return Missing("FETCH attribute");
  auto simple = [&](FetchItem item) {
    FetchAttribute attribute;
    attribute.item = item;
    attributes->push_back(attribute);
    return true;
  };
  if (name == "ALL" || name == "FAST" || name == "FULL") {
    simple(FetchItem::kFlags);
    simple(FetchItem::kInternalDate);
    simple(FetchItem::kRfc822Size);
    if (name != "FAST") simple(FetchItem::kEnvelope);
    if (name == "FULL") simple(FetchItem::kBody);
    return true;
  }
  if (name == "FLAGS") return simple(FetchItem::kFlags);
  if (name == "UID") return simple(FetchItem::kUid);
  if (name == "INTERNALDATE") return simple(FetchItem::kInternalDate);
  if (name == "RFC822.SIZE") return simple(FetchItem::kRfc822Size);
  if (name == "RFC822") return simple(FetchItem::kRfc822);
  if (name == "RFC822.HEADER") return simple(FetchItem::kRfc822Header);
  if (name == "RFC822.TEXT") return simple(FetchItem::kRfc822Text);
  if (name == "ENVELOPE") return simple(FetchItem::kEnvelope);
  if (name == "BODYSTRUCTURE") return simple(FetchItem::kBodyStructure);
  if (name == "BODY" && Peek() != '[') return simple(FetchItem::kBody);
  if (name != "BODY" && name != "BODY.PEEK") return Fail("unknown FETCH attribute \"" + Snippet(name) + "\"");
  FetchAttribute attribute;
  attribute.item = FetchItem::kBodySection;
  attribute.peek = name == "BODY.PEEK";
  if (!Consume('[')) return Missing("'[' of the section");
  if (!ParseSection(&attribute.section)) return false;
  if (Consume('<')) {
    Partial partial;
    if (!ReadNumber(&partial.origin, "partial origin", false)) return false;
    if (!Consume('.')) return Missing("'.' of the partial range");
    if (!ReadNumber(&partial.count, "partial length", true)) return false;
    if (!Consume('>')) return Missing("'>' of the partial range");
    attribute.partial = partial;
  }
  attributes->push_back(std::move(attribute));
  return true;
}

// section-spec inside [ ]: section-msgtext / (section-part ["." section-text]).
bool Parser::ParseSection(Section* section) {
  if (Consume(']')) return true;
  // Part numbers "1.2.3", then "." and a section text, or "]".
  while (IsDigit(Peek())) {
    std::uint32_t part = 0;
    if (!ReadNumber(&part, "section part number", true)) return false;
    section->part.push_back(part);
    if (section->part.size() > static_cast<std::size_t>(limits_.max_depth))
      return Fail("section part numbers nested too deeply");
    if (!Consume('.')) {
      if (!Consume(']')) return Missing("']' of the section");
      return true;
    }
  }
  std::size_t begin = pos_;
  while (!AtEnd() && (std::isalpha(static_cast<unsigned char>(Peek())) || Peek() == '.')) ++pos_;
  std::string text = ToUpperAscii(text_.substr(begin, pos_ - begin));
  if (text == "HEADER") {
    section->text = SectionText::kHeader;
  } else if (text == "HEADER.FIELDS") {
    section->text = SectionText::kHeaderFields;
  } else if (text == "HEADER.FIELDS.NOT") {
    section->text = SectionText::kHeaderFieldsNot;
  } else if (text == "TEXT") {
    section->text = SectionText::kText;
  } else if (text == "MIME" && !section->part.empty()) {
    section->text = SectionText::kMime;
  } else {
    pos_ = begin;
    return Missing("section");
  }
  if (section->text == SectionText::kHeaderFields || section->text == SectionText::kHeaderFieldsNot) {
    if (!Space("header field list") || !Open("header field list")) return false;
    do {
      std::string field;
      if (!ReadAString(&field, "header field name")) return false;
      section->fields.push_back(std::move(field));
    } while (Consume(' '));
    if (!Consume(')')) return Missing("')' of the header field list");
  }
  if (!Consume(']')) return Missing("']' of the section");
  return true;
}

bool Parser::ParseStore(Command* command) {
  StoreArgs args;
  if (!Space("sequence set") || !ReadSequenceSet(&args.set, "sequence set") || !Space("FLAGS, +FLAGS or -FLAGS"))
    return false;
  if (Consume('+')) {
    args.mode = StoreMode::kAdd;
  } else if (Consume('-')) {
    args.mode = StoreMode::kRemove;
  }
  std::string item;
  std::size_t begin = pos_;
  while (!AtEnd() && (std::isalpha(static_cast<unsigned char>(Peek())) || Peek() == '.')) ++pos_;
  item = ToUpperAscii(text_.substr(begin, pos_ - begin));
  if (item == "FLAGS.SILENT") {
    args.silent = true;
  } else if (item != "FLAGS") {
    pos_ = begin;
    return Missing("FLAGS, +FLAGS or -FLAGS");
  }
  if (!Space("flags")) return false;
  if (Peek() == '(') {
    if (!ReadFlagList(&args.flags)) return false;
  } else {
    do {
      std::string flag;
      if (!ReadFlag(&flag)) return false;
      args.flags.push_back(std::move(flag));
    } while (Consume(' '));
  }
  command->args = std::move(args);
  return End();
}

bool Parser::ParseCopy(Command* command) {
  CopyArgs args;
  if (!Space("sequence set") || !ReadSequenceSet(&args.set, "sequence set") || !Space("mailbox name") ||
      !ReadMailbox(&args.mailbox))
    return false;
  command->args = std::move(args);
  return End();
}

bool Parser::ParseSearch(Command* command) {
  SearchArgs args;
  args.key.kind = SearchKeyKind::kAnd;
  if (!Space("search key")) return false;
  std::size_t begin = pos_;
  std::string_view word = ReadWhile(IsAtomChar);
  if (EqualsIgnoreCase(word, "CHARSET")) {
    if (!Space("charset") || !ReadAString(&args.charset, "charset") || !Space("search key")) return false;
    args.charset = ToUpperAscii(args.charset);
  } else {
    pos_ = begin;
  }
  do {
    SearchKey key;
    if (!ParseSearchKey(&key, 0)) return false;
    args.key.children.push_back(std::move(key));
  } while (Consume(' '));
  command->args = std::move(args);
  return End();
}

struct SearchWord {
  const char* word;
  SearchKeyKind kind;
  enum Argument { kNone, kString, kDate, kNumber, kHeader, kKeyword, kSet, kOne, kTwo } argument;
};

constexpr SearchWord kSearchWords[] = {
    {"ALL", SearchKeyKind::kAll, SearchWord::kNone},
    {"ANSWERED", SearchKeyKind::kAnswered, SearchWord::kNone},
    {"DELETED", SearchKeyKind::kDeleted, SearchWord::kNone},
    {"DRAFT", SearchKeyKind::kDraft, SearchWord::kNone},
    {"FLAGGED", SearchKeyKind::kFlagged, SearchWord::kNone},
    {"NEW", SearchKeyKind::kNew, SearchWord::kNone},
    {"OLD", SearchKeyKind::kOld, SearchWord::kNone},
    {"RECENT", SearchKeyKind::kRecent, SearchWord::kNone},
    {"SEEN", SearchKeyKind::kSeen, SearchWord::kNone},
    {"UNANSWERED", SearchKeyKind::kUnanswered, SearchWord::kNone},
    {"UNDELETED", SearchKeyKind::kUndeleted, SearchWord::kNone},
    {"UNDRAFT", SearchKeyKind::kUndraft, SearchWord::kNone},
    {"UNFLAGGED", SearchKeyKind::kUnflagged, SearchWord::kNone},
    {"UNSEEN", SearchKeyKind::kUnseen, SearchWord::kNone},
    {"KEYWORD", SearchKeyKind::kKeyword, SearchWord::kKeyword},
    {"UNKEYWORD", SearchKeyKind::kUnkeyword, SearchWord::kKeyword},
    {"BCC", SearchKeyKind::kBcc, SearchWord::kString},
    {"BODY", SearchKeyKind::kBody, SearchWord::kString},
    {"CC", SearchKeyKind::kCc, SearchWord::kString},
    {"FROM", SearchKeyKind::kFrom, SearchWord::kString},
    {"SUBJECT", SearchKeyKind::kSubject, SearchWord::kString},
    {"TEXT", SearchKeyKind::kText, SearchWord::kString},
    {"TO", SearchKeyKind::kTo, SearchWord::kString},
    {"HEADER", SearchKeyKind::kHeader, SearchWord::kHeader},
    {"BEFORE", SearchKeyKind::kBefore, SearchWord::kDate},
    {"ON", SearchKeyKind::kOn, SearchWord::kDate},
    {"SINCE", SearchKeyKind::kSince, SearchWord::kDate},
    {"SENTBEFORE", SearchKeyKind::kSentBefore, SearchWord::kDate},
    {"SENTON", SearchKeyKind::kSentOn, SearchWord::kDate},
    {"SENTSINCE", SearchKeyKind::kSentSince, SearchWord::kDate},
    {"LARGER", SearchKeyKind::kLarger, SearchWord::kNumber},
    {"SMALLER", SearchKeyKind::kSmaller, SearchWord::kNumber},
    {"UID", SearchKeyKind::kUid, SearchWord::kSet},
    {"NOT", SearchKeyKind::kNot, SearchWord::kOne},
    {"OR", SearchKeyKind::kOr, SearchWord::kTwo},
};

bool Parser::ParseSearchKey(SearchKey* key, int depth) {
  if (depth >= limits_.max_depth)
    return Fail("search keys nested too deeply (at most " + std::to_string(limits_.max_depth) + " levels)");
  if (Consume('(')) {
    key->kind = SearchKeyKind::kAnd;
    do {
      SearchKey child;
      if (!ParseSearchKey(&child, depth + 1)) return false;
      key->children.push_back(std::move(child));
    } while (Consume(' '));
    if (!Consume(')')) return Missing("')' of the search key group");
    return true;
  }
  if (IsDigit(Peek()) || Peek() == '*' || Peek() == '$') {
    key->kind = SearchKeyKind::kSequence;
    return ReadSequenceSet(&key->set, "sequence set");
  }
  std::size_t begin = pos_;
  std::string word = ToUpperAscii(ReadWhile(IsAtomChar));
  const SearchWord* entry = std::find_if(std::begin(kSearchWords), std::end(kSearchWords),
                                         [&](const SearchWord& w) { return word == w.word; });
  if (entry == std::end(kSearchWords)) {
    pos_ = begin;
    if (word.empty()) return Missing("search key");
    return Fail("unknown search key \"" + Snippet(word) + "\"");
  }
  key->kind = entry->kind;
  std::string what = std::string("argument of ") + entry->word;
  switch (entry->argument) {
    case SearchWord::kNone: return true;
    case SearchWord::kString: return Space(what) && ReadAString(&key->text, what);
    case SearchWord::kKeyword: return Space(what) && ReadFlag(&key->text);
    case SearchWord::kHeader:
      return Space("header field name of HEADER") && ReadAString(&key->field, "header field name of HEADER") &&
             Space(what) && ReadAString(&key->text, what);
    case SearchWord::kDate: return Space(what) && ReadDate(&key->date);
    case SearchWord::kNumber: return Space(what) && ReadNumber(&key->number, what, false);
    case SearchWord::kSet: return Space(what) && ReadSequenceSet(&key->set, "UID set");
    case SearchWord::kOne:
    case SearchWord::kTwo: {
      int count = entry->argument == SearchWord::kOne ? 1 : 2;
      for (int i = 0; i < count; ++i) {
        SearchKey child;
        if (!Space(what) || !ParseSearchKey(&child, depth + 1)) return false;
        key->children.push_back(std::move(child));
      }
      return true;
    }
  }
  return false;
}

bool Parser::ParseId(Command* command) {
  IdArgs args;
  if (!Space("ID parameter list or NIL")) return false;
  if (Consume('(')) {
    if (!Consume(')')) {
      do {
        std::string field;
        std::optional<std::string> value;
        if (!ReadString(&field, "ID field name") || !Space("ID field value") || !ReadNString(&value, "ID field value"))
          return false;
        if (args.fields.size() == kMaxIdFields) return Fail("more than 30 ID fields");
        args.fields.emplace_back(std::move(field), std::move(value));
      } while (Consume(' '));
      if (!Consume(')')) return Missing("')' of the ID parameter list");
    }
  } else {
    std::string_view word = ReadWhile(IsAtomChar);
    if (!EqualsIgnoreCase(word, "NIL")) return Fail("expected a parameter list or NIL");
    args.nil = true;
  }
  command->args = std::move(args);
  return End();
}

bool Parser::ParseEnable(Command* command) {
  EnableArgs args;
  if (!Space("capability")) return false;
  do {
    std::string capability;
    if (!ReadAtomUpper(&capability, "capability")) return false;
    args.capabilities.push_back(std::move(capability));
  } while (Consume(' '));
  command->args = std::move(args);
  return End();
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil).
std::int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// The literal announced at the end of a line ("{12}", "{12+}"), outside quoted strings.
struct LiteralMarker {
  bool found = false;
  bool synchronising = true;
  bool too_large = false;  // more digits than any limit allows
  std::uint64_t size = 0;
};

LiteralMarker FindLiteralMarker(std::string_view line) {
  LiteralMarker marker;
  if (line.empty() || line.back() != '}') return marker;
  std::size_t end = line.size() - 1;  // the '}'
  std::size_t digits_end = end;
  if (digits_end > 0 && line[digits_end - 1] == '+') {
    marker.synchronising = false;
    --digits_end;
  }
  std::size_t digits_begin = digits_end;
  while (digits_begin > 0 && IsDigit(line[digits_begin - 1])) --digits_begin;
  if (digits_begin == digits_end || digits_begin == 0 || line[digits_begin - 1] != '{') return marker;
  // Not a literal when the brace is inside a quoted string.
  bool in_quote = false;
  for (std::size_t i = 0; i + 1 < digits_begin; ++i) {
    if (in_quote && line[i] == '\\') {
      ++i;
    } else if (line[i] == '"') {
      in_quote = !in_quote;
    }
  }
  if (in_quote) return marker;
  marker.found = true;
  for (std::size_t i = digits_begin; i < digits_end; ++i) {
    marker.size = marker.size * 10 + static_cast<std::uint64_t>(line[i] - '0');
    if (marker.size > kMaxNumber) {
      marker.too_large = true;
      break;
    }
  }
  return marker;
}

}  // namespace

bool SequenceSet::Contains(std::uint32_t number, std::uint32_t largest) const {
  for (const SequenceRange& range : ranges) {
    std::uint32_t a = range.first == kStar ? largest : range.first;
    std::uint32_t b = range.last == kStar ? largest : range.last;
    if (a > b) std::swap(a, b);
    if (number >= a && number <= b) return true;
  }
  return false;
}

std::int64_t DateTime::ToUnixSeconds() const {
  return DaysFromCivil(date.year, date.month, date.day) * 86400 + hour * 3600 + minute * 60 + second -
         static_cast<std::int64_t>(zone_minutes) * 60;
}

const char* CommandNameText(CommandName name) {
  for (const NameEntry& entry : kCommandNames)
    if (entry.name == name) return entry.text;
  return "?";
}

std::variant<Command, ParseError> ParseCommand(std::string_view text, const ReaderLimits& limits) {
  return Parser(text, limits).Run();
}

std::optional<SequenceSet> ParseSequenceSet(std::string_view text, std::string* error) {
  ReaderLimits limits;
  Parser parser(text, limits);
  SequenceSet set;
  if (!parser.SequenceSetOnly(&set)) {
    if (error) *error = parser.error();
    return std::nullopt;
  }
  return set;
}

bool ParseIdleDone(std::string_view line) { return EqualsIgnoreCase(line, "DONE"); }

std::optional<AuthenticateLine> ParseAuthenticateLine(std::string_view line, std::string* error) {
  AuthenticateLine result;
  if (line == "*") {
    result.cancelled = true;
    return result;
  }
  if (line.empty()) return result;
  Result<std::string> decoded = Base64DecodeFlat(line);
  if (!decoded.ok()) {
    if (error) *error = "AUTHENTICATE: the response is not valid base64";
    return std::nullopt;
  }
  result.data = std::move(decoded).value();
  return result;
}

CommandReader::CommandReader(ReaderLimits limits) : limits_(limits) {}

void CommandReader::Feed(std::string_view bytes) {
  if (broken_) return;
  // Drop the bytes of the commands already handed out before buffering more.
  if (start_ > 0) {
    buffer_.erase(0, start_);
    line_start_ -= start_;
    scan_ -= start_;
    start_ = 0;
  }
  buffer_.append(bytes);
}

std::string CommandReader::TagGuess() const {
  // Only the first bytes are looked at, so that the answer does not depend on how much
  // of an over-long line had arrived when it was refused.
  const std::size_t window = std::min<std::size_t>(kMaxTagGuess + 1, limits_.max_line_bytes);
  const std::size_t limit = std::min(buffer_.size(), start_ + window);
  std::size_t end = start_;
  while (end < limit && IsTagChar(static_cast<unsigned char>(buffer_[end]))) ++end;
  if (end == start_ || end >= limit || buffer_[end] != ' ') return {};
  return buffer_.substr(start_, end - start_);
}

Step CommandReader::Fail(std::string message, bool fatal) {
  Step step;
  step.kind = StepKind::kError;
  step.error.tag = TagGuess();
  step.error.message = std::move(message);
  step.error.fatal = fatal;
  if (fatal) {
    broken_ = true;
    broken_error_ = step.error;
    buffer_.clear();
    buffer_.shrink_to_fit();
    start_ = line_start_ = scan_ = 0;
  }
  return step;
}

Step CommandReader::Next() {
  if (broken_) {
    Step step;
    step.kind = StepKind::kError;
    step.error = broken_error_;
    return step;
  }
  auto reset = [&](std::size_t next) {
    start_ = line_start_ = scan_ = next;
    text_bytes_ = 0;
    literal_bytes_ = 0;
    literal_left_ = 0;
    in_literal_ = false;
  };
  for (;;) {
    if (in_literal_) {
      std::uint64_t available = buffer_.size() - scan_;
      if (available < literal_left_) {
        literal_left_ -= available;
        scan_ = buffer_.size();
        return {};
      }
      scan_ += static_cast<std::size_t>(literal_left_);
      literal_left_ = 0;
      in_literal_ = false;
      line_start_ = scan_;
      continue;
    }
    std::size_t lf = buffer_.find('\n', scan_);
    if (lf == std::string::npos) {
      scan_ = buffer_.size();
      // A CR at the end may be the first half of the line break: it does not count.
      std::size_t partial = buffer_.size() - line_start_;
      if (partial > 0 && buffer_.back() == '\r') --partial;
      if (text_bytes_ + partial > limits_.max_line_bytes)
        return Fail("command line too long (at most " + std::to_string(limits_.max_line_bytes) + " bytes)", true);
      return {};
    }
    std::size_t line_end = lf;
    if (line_end > line_start_ && buffer_[line_end - 1] == '\r') --line_end;
    std::string_view line(buffer_.data() + line_start_, line_end - line_start_);
    text_bytes_ += line.size();
    if (text_bytes_ > limits_.max_line_bytes)
      return Fail("command line too long (at most " + std::to_string(limits_.max_line_bytes) + " bytes)", true);
    scan_ = lf + 1;

    LiteralMarker marker = FindLiteralMarker(line);
    if (marker.found) {
      if (marker.too_large || marker.size > limits_.max_literal_bytes - literal_bytes_) {
        std::string message = "literal too large (" +
                              (marker.too_large ? std::string("over 4294967295") : std::to_string(marker.size)) +
                              " bytes; at most " + std::to_string(limits_.max_literal_bytes) + " in one command)";
        if (!marker.synchronising) return Fail(std::move(message), true);
        // The client waits for "+" before sending the literal: refuse the command and
        // read the next one from the following line.
        Step step = Fail(std::move(message), false);
        reset(scan_);
        return step;
      }
      literal_bytes_ += marker.size;
      literal_left_ = marker.size;
      in_literal_ = true;
      line_start_ = scan_;
      if (marker.synchronising) {
        Step step;
        step.kind = StepKind::kSendContinuation;
        return step;
      }
      continue;
    }
    if (line_end == start_) {  // an empty line between commands: ignored
      reset(scan_);
      continue;
    }
    std::variant<Command, ParseError> parsed =
        ParseCommand(std::string_view(buffer_.data() + start_, line_end - start_), limits_);
    reset(scan_);
    Step step;
    if (auto* command = std::get_if<Command>(&parsed)) {
      step.kind = StepKind::kCommand;
      step.command = std::move(*command);
    } else {
      step.kind = StepKind::kError;
      step.error = std::move(std::get<ParseError>(parsed));
    }
    return step;
  }
}

ParseError CommandReader::LineTooLong() {
  Step failed = Fail("line too long (at most " + std::to_string(limits_.max_line_bytes) + " bytes)", true);
  broken_error_.tag.clear();  // a continuation line has no tag
  return broken_error_;
}

LineStep CommandReader::NextLine() {
  LineStep step;
  if (broken_) {
    step.kind = StepKind::kError;
    step.error = broken_error_;
    return step;
  }
  std::size_t lf = buffer_.find('\n', std::max(scan_, start_));
  if (lf == std::string::npos) {
    scan_ = buffer_.size();
    std::size_t partial = buffer_.size() - start_;
    if (partial > 0 && buffer_.back() == '\r') --partial;
    if (partial > limits_.max_line_bytes) {
      step.kind = StepKind::kError;
      step.error = LineTooLong();
    }
    return step;
  }
  std::size_t line_end = lf;
  if (line_end > start_ && buffer_[line_end - 1] == '\r') --line_end;
  if (line_end - start_ > limits_.max_line_bytes) {
    step.kind = StepKind::kError;
    step.error = LineTooLong();
    return step;
  }
  step.kind = StepKind::kCommand;
  step.line = buffer_.substr(start_, line_end - start_);
  start_ = line_start_ = scan_ = lf + 1;
  return step;
}

}  // namespace notesd::imap
