// Tests of the pure IMAP4rev1 command reader (imap/imap_parser.h): client bytes in,
// commands, continuation requests and errors out. No sockets.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "imap/imap_parser.h"

namespace notesd::imap {
namespace {

using namespace std::string_literals;

// Every step the reader gives for `input` fed in one piece, until it needs more.
std::vector<Step> StepsOf(std::string_view input, ReaderLimits limits = {}) {
  CommandReader reader(limits);
  reader.Feed(input);
  std::vector<Step> steps;
  for (;;) {
    Step step = reader.Next();
    if (step.kind == StepKind::kNeedMore) break;
    bool fatal = step.kind == StepKind::kError && step.error.fatal;
    steps.push_back(std::move(step));
    if (fatal) break;
  }
  return steps;
}

// The one command of `line` (CRLF added); fails the test when it does not parse.
Command Parse(const std::string& line) {
  std::vector<Step> steps = StepsOf(line + "\r\n");
  REQUIRE(steps.size() == 1);
  INFO(line << " -> " << steps[0].error.message);
  REQUIRE(steps[0].kind == StepKind::kCommand);
  return steps[0].command;
}

// The error for `line` (CRLF added).
ParseError Error(const std::string& line) {
  std::vector<Step> steps = StepsOf(line + "\r\n");
  REQUIRE(steps.size() == 1);
  INFO(line);
  REQUIRE(steps[0].kind == StepKind::kError);
  return steps[0].error;
}

template <typename T>
const T& Args(const Command& command) {
  REQUIRE(std::holds_alternative<T>(command.args));
  return std::get<T>(command.args);
}

SequenceSet Set(std::initializer_list<SequenceRange> ranges) {
  SequenceSet set;
  set.ranges = ranges;
  return set;
}

}  // namespace

TEST_CASE("Thunderbird's first connect and folder open parse", "[imap]") {
  Command c = Parse("1 capability");
  CHECK(c.tag == "1");
  CHECK(c.name == CommandName::kCapability);
  CHECK(std::holds_alternative<std::monostate>(c.args));

  c = Parse(R"(2 ID ("name" "Thunderbird" "version" "115.0"))");
  CHECK(c.name == CommandName::kId);
  const IdArgs& id = Args<IdArgs>(c);
  CHECK_FALSE(id.nil);
  REQUIRE(id.fields.size() == 2);
  CHECK(id.fields[0].first == "name");
  CHECK(id.fields[0].second == "Thunderbird");
  CHECK(id.fields[1].first == "version");
  CHECK(id.fields[1].second == "115.0");

  c = Parse("3 authenticate PLAIN");
  CHECK(c.name == CommandName::kAuthenticate);
  CHECK(Args<AuthenticateArgs>(c).mechanism == "PLAIN");
  CHECK_FALSE(Args<AuthenticateArgs>(c).initial_response.has_value());

  c = Parse(R"(4 LIST (SUBSCRIBED) "" "*" RETURN (CHILDREN SPECIAL-USE))");
  const ListArgs& list = Args<ListArgs>(c);
  CHECK(list.selection_options == std::vector<std::string>{"SUBSCRIBED"});
  CHECK(list.reference.empty());
  CHECK(list.patterns == std::vector<std::string>{"*"});
  CHECK(list.return_options == std::vector<std::string>{"CHILDREN", "SPECIAL-USE"});

  c = Parse(R"(5 select "INBOX")");
  CHECK(c.name == CommandName::kSelect);
  CHECK(Args<MailboxArgs>(c).mailbox == "INBOX");

  c = Parse("6 UID fetch 1:* (FLAGS)");
  CHECK(c.uid);
  CHECK(c.name == CommandName::kFetch);
  CHECK(Args<FetchArgs>(c).set == Set({{1, kStar}}));
  REQUIRE(Args<FetchArgs>(c).attributes.size() == 1);
  CHECK(Args<FetchArgs>(c).attributes[0].item == FetchItem::kFlags);

  c = Parse(
      "7 UID fetch 1:10 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID "
      "Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])");
  const FetchArgs& fetch = Args<FetchArgs>(c);
  CHECK(fetch.set == Set({{1, 10}}));
  REQUIRE(fetch.attributes.size() == 4);
  CHECK(fetch.attributes[0].item == FetchItem::kUid);
  CHECK(fetch.attributes[1].item == FetchItem::kRfc822Size);
  CHECK(fetch.attributes[2].item == FetchItem::kFlags);
  const FetchAttribute& headers = fetch.attributes[3];
  CHECK(headers.item == FetchItem::kBodySection);
  CHECK(headers.peek);
  CHECK(headers.section.part.empty());
  CHECK(headers.section.text == SectionText::kHeaderFields);
  CHECK(headers.section.fields == std::vector<std::string>{"From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID",
                                                           "Priority", "X-Priority", "References", "Newsgroups",
                                                           "In-Reply-To", "Content-Type", "Reply-To"});
  CHECK_FALSE(headers.partial.has_value());

  // IDLE, then the DONE line through its own entry point.
  CommandReader reader;
  reader.Feed("8 IDLE\r\nDO");
  Step step = reader.Next();
  REQUIRE(step.kind == StepKind::kCommand);
  CHECK(step.command.name == CommandName::kIdle);
  CHECK(reader.NextLine().kind == StepKind::kNeedMore);
  reader.Feed("NE\r\n9 NOOP\r\n");
  LineStep line = reader.NextLine();
  REQUIRE(line.kind == StepKind::kCommand);
  CHECK(line.line == "DONE");
  CHECK(ParseIdleDone(line.line));
  CHECK(ParseIdleDone("done"));
  CHECK_FALSE(ParseIdleDone("9 NOOP"));
  step = reader.Next();
  REQUIRE(step.kind == StepKind::kCommand);
  CHECK(step.command.name == CommandName::kNoop);
  CHECK(step.command.tag == "9");
}

TEST_CASE("AUTHENTICATE: initial response and the continuation line", "[imap]") {
  // "\0jane\0secret" in base64
  Command c = Parse("a AUTHENTICATE plain AGphbmUAc2VjcmV0");
  CHECK(Args<AuthenticateArgs>(c).mechanism == "PLAIN");
  CHECK(Args<AuthenticateArgs>(c).initial_response == "\0jane\0secret"s);
  c = Parse("a AUTHENTICATE PLAIN =");
  CHECK(Args<AuthenticateArgs>(c).initial_response == "");
  CHECK(Error("a AUTHENTICATE PLAIN !!!!").message == "AUTHENTICATE: initial response is not valid base64");
  CHECK(Error("a AUTHENTICATE").message == "AUTHENTICATE: missing SASL mechanism");

  std::string error;
  std::optional<AuthenticateLine> line = ParseAuthenticateLine("AGphbmUAc2VjcmV0", &error);
  REQUIRE(line);
  CHECK_FALSE(line->cancelled);
  CHECK(line->data == "\0jane\0secret"s);
  line = ParseAuthenticateLine("*", &error);
  REQUIRE(line);
  CHECK(line->cancelled);
  line = ParseAuthenticateLine("", &error);
  REQUIRE(line);
  CHECK(line->data.empty());
  CHECK_FALSE(ParseAuthenticateLine("not base64!", &error));
  CHECK(error == "AUTHENTICATE: the response is not valid base64");
}

TEST_CASE("commands without arguments, any case", "[imap]") {
  auto [text, name] = GENERATE(table<std::string, CommandName>({
      {"CAPABILITY", CommandName::kCapability},
      {"noop", CommandName::kNoop},
      {"Logout", CommandName::kLogout},
      {"STARTTLS", CommandName::kStartTls},
      {"check", CommandName::kCheck},
      {"CLOSE", CommandName::kClose},
      {"unselect", CommandName::kUnselect},
      {"EXPUNGE", CommandName::kExpunge},
      {"idle", CommandName::kIdle},
      {"NAMESPACE", CommandName::kNamespace},
  }));
  Command c = Parse("t1 " + text);
  CHECK(c.tag == "t1");
  CHECK(c.name == name);
  CHECK_FALSE(c.uid);
  CHECK(Error("t1 " + text + " extra").message ==
        std::string(CommandNameText(name)) + ": unexpected text after the arguments: \"extra\"");
}

TEST_CASE("LOGIN with atoms, quoted strings and literals", "[imap]") {
  Command c = Parse("a1 LOGIN jane secret");
  CHECK(Args<LoginArgs>(c).user == "jane");
  CHECK(Args<LoginArgs>(c).password == "secret");
  c = Parse(R"(a1 login "Jane Doe" "p\"w\\d")");
  CHECK(Args<LoginArgs>(c).user == "Jane Doe");
  CHECK(Args<LoginArgs>(c).password == R"(p"w\d)");

  std::vector<Step> steps = StepsOf("a1 LOGIN {4}\r\njane {6+}\r\nsec\r\nt\r\n");
  REQUIRE(steps.size() == 2);
  CHECK(steps[0].kind == StepKind::kSendContinuation);  // {4}; {6+} needs none
  REQUIRE(steps[1].kind == StepKind::kCommand);
  CHECK(Args<LoginArgs>(steps[1].command).user == "jane");
  CHECK(Args<LoginArgs>(steps[1].command).password == "sec\r\nt");
}

TEST_CASE("mailbox commands", "[imap]") {
  auto [text, name] = GENERATE(table<std::string, CommandName>({
      {"SELECT", CommandName::kSelect},
      {"EXAMINE", CommandName::kExamine},
      {"CREATE", CommandName::kCreate},
      {"DELETE", CommandName::kDelete},
      {"SUBSCRIBE", CommandName::kSubscribe},
      {"UNSUBSCRIBE", CommandName::kUnsubscribe},
  }));
  Command c = Parse("x " + text + " Archive/2026");
  CHECK(c.name == name);
  CHECK(Args<MailboxArgs>(c).mailbox == "Archive/2026");
  CHECK(Args<MailboxArgs>(Parse("x " + text + " inbox")).mailbox == "INBOX");
  CHECK(Args<MailboxArgs>(Parse("x " + text + " \"Sent Items\"")).mailbox == "Sent Items");
  CHECK(Args<MailboxArgs>(Parse("x " + text + " {5+}\r\nDraft")).mailbox == "Draft");
  CHECK(Error("x " + text).message == text + ": missing mailbox name");
  CHECK(Error("x " + text + " (bad)").message == text + ": invalid mailbox name at \"(bad)\"");
}

TEST_CASE("RENAME, COPY, MOVE and UID EXPUNGE", "[imap]") {
  Command c = Parse(R"(r RENAME "Old Name" New)");
  CHECK(Args<RenameArgs>(c).from == "Old Name");
  CHECK(Args<RenameArgs>(c).to == "New");
  CHECK(Error("r RENAME old").message == "RENAME: missing new mailbox name");

  c = Parse("c COPY 2,4:7 Trash");
  CHECK(c.name == CommandName::kCopy);
  CHECK(Args<CopyArgs>(c).set == Set({{2, 2}, {4, 7}}));
  CHECK(Args<CopyArgs>(c).mailbox == "Trash");
  c = Parse("c UID MOVE 10:* \"Junk\"");
  CHECK(c.uid);
  CHECK(c.name == CommandName::kMove);
  CHECK(Args<CopyArgs>(c).set == Set({{10, kStar}}));
  CHECK(Args<CopyArgs>(c).mailbox == "Junk");
  CHECK(Error("c MOVE 1").message == "MOVE: missing mailbox name");

  c = Parse("e UID EXPUNGE 3:5,9");
  CHECK(c.name == CommandName::kExpunge);
  REQUIRE(Args<ExpungeArgs>(c).uids.has_value());
  CHECK(*Args<ExpungeArgs>(c).uids == Set({{3, 5}, {9, 9}}));
  CHECK_FALSE(Args<ExpungeArgs>(Parse("e EXPUNGE")).uids.has_value());
  CHECK(Error("e UID EXPUNGE").message == "UID EXPUNGE: missing UID set");
  CHECK(Error("e UID FROB 1").message == "UID: unknown command \"FROB\"");
  CHECK(Error("e UID").message == "UID: missing command (FETCH, STORE, COPY, MOVE, SEARCH or EXPUNGE)");
}

TEST_CASE("LIST and LSUB forms", "[imap]") {
  Command c = Parse(R"(l LIST "" "")");
  CHECK(Args<ListArgs>(c).patterns == std::vector<std::string>{""});
  c = Parse("l LIST \"\" %");
  CHECK(Args<ListArgs>(c).patterns == std::vector<std::string>{"%"});
  c = Parse(R"(l list "Archive/" INBOX*)");
  CHECK(Args<ListArgs>(c).reference == "Archive/");
  CHECK(Args<ListArgs>(c).patterns == std::vector<std::string>{"INBOX*"});
  c = Parse(R"(l LIST (subscribed recursivematch) "" ("INBOX" "Sent*") RETURN (STATUS (MESSAGES UNSEEN) CHILDREN))");
  const ListArgs& list = Args<ListArgs>(c);
  CHECK(list.selection_options == std::vector<std::string>{"SUBSCRIBED", "RECURSIVEMATCH"});
  CHECK(list.patterns == std::vector<std::string>{"INBOX", "Sent*"});
  CHECK(list.return_options == std::vector<std::string>{"STATUS", "CHILDREN"});
  CHECK(list.return_status == std::vector<std::string>{"MESSAGES", "UNSEEN"});
  c = Parse(R"(l LIST "" "*" RETURN (SPECIAL-USE))");
  CHECK(Args<ListArgs>(c).return_options == std::vector<std::string>{"SPECIAL-USE"});

  c = Parse(R"(s LSUB "" *)");
  CHECK(c.name == CommandName::kLsub);
  CHECK(Args<ListArgs>(c).patterns == std::vector<std::string>{"*"});
  CHECK(Error("l LIST \"\"").message == "LIST: missing mailbox pattern");
  CHECK(Error("l LIST").message == "LIST: missing mailbox reference");
  CHECK(Error("l LIST \"\" * FOO (X)").message == "LIST: expected RETURN after the patterns");
}

TEST_CASE("STATUS items", "[imap]") {
  Command c = Parse("s STATUS inbox (MESSAGES RECENT UIDNEXT UIDVALIDITY unseen)");
  CHECK(Args<StatusArgs>(c).mailbox == "INBOX");
  CHECK(Args<StatusArgs>(c).items == std::vector<StatusItem>{StatusItem::kMessages, StatusItem::kRecent,
                                                             StatusItem::kUidNext, StatusItem::kUidValidity,
                                                             StatusItem::kUnseen});
  CHECK(Error("s STATUS INBOX (SIZE)").message == "STATUS: unknown status item \"SIZE\"");
  CHECK(Error("s STATUS INBOX").message == "STATUS: missing status items");
  CHECK(Error("s STATUS INBOX (MESSAGES").message == "STATUS: missing ')' of the status items");
}

TEST_CASE("APPEND with flags, date-time and literal", "[imap]") {
  std::vector<Step> steps =
      StepsOf("a APPEND Drafts (\\Seen \\Draft $Label1) \" 2-Dec-2026 18:00:00 +0100\" {14}\r\nSubject: x\r\n\r\n\r\n");
  REQUIRE(steps.size() == 2);
  CHECK(steps[0].kind == StepKind::kSendContinuation);
  REQUIRE(steps[1].kind == StepKind::kCommand);
  const AppendArgs& append = Args<AppendArgs>(steps[1].command);
  CHECK(append.mailbox == "Drafts");
  CHECK(append.flags == std::vector<std::string>{"\\Seen", "\\Draft", "$Label1"});
  REQUIRE(append.date_time.has_value());
  CHECK(append.date_time->date == Date{2026, 12, 2});
  CHECK(append.date_time->hour == 18);
  CHECK(append.date_time->zone_minutes == 60);
  CHECK(append.date_time->ToUnixSeconds() == 1796234400 - 3600);
  CHECK(append.message == "Subject: x\r\n\r\n");

  steps = StepsOf("a APPEND INBOX {3+}\r\nabc\r\n");
  REQUIRE(steps.size() == 1);
  CHECK(Args<AppendArgs>(steps[0].command).message == "abc");
  CHECK(Args<AppendArgs>(steps[0].command).flags.empty());
  CHECK_FALSE(Args<AppendArgs>(steps[0].command).date_time.has_value());

  CHECK(Error("a APPEND INBOX").message == "APPEND: missing message literal");
  CHECK(Error("a APPEND INBOX \"abc\"").message == "APPEND: invalid day of the date-time at \"abc\"\"");
  CHECK(Error("a APPEND INBOX (\\Seen) \"02-Dec-2026 25:00:00 +0000\" {0+}\r\n").message ==
        "APPEND: date-time out of range");
}

TEST_CASE("sequence sets", "[imap]") {
  auto [text, ranges] = GENERATE(table<std::string, std::vector<SequenceRange>>({
      {"1", {{1, 1}}},
      {"1:*", {{1, kStar}}},
      {"2,4:7,9", {{2, 2}, {4, 7}, {9, 9}}},
      {"*:3", {{kStar, 3}}},
      {"*", {{kStar, kStar}}},
      {"4294967295", {{4294967295u, 4294967295u}}},
  }));
  std::string error;
  std::optional<SequenceSet> set = ParseSequenceSet(text, &error);
  INFO(text << ": " << error);
  REQUIRE(set);
  CHECK(set->ranges == ranges);
  CHECK_FALSE(set->saved);

  std::optional<SequenceSet> saved = ParseSequenceSet("$", &error);
  REQUIRE(saved);
  CHECK(saved->saved);
  CHECK(saved->ranges.empty());

  auto [bad, message] = GENERATE(table<std::string, std::string>({
      {"0", "sequence set must not be 0"},
      {"1:0", "sequence set must not be 0"},
      {"4294967296", "sequence set is too large"},
      {"1,", "missing sequence set"},
      {"1:", "missing sequence set"},
      {"a", "invalid sequence set at \"a\""},
      {"1;2", "unexpected text after the arguments: \";2\""},
  }));
  CHECK_FALSE(ParseSequenceSet(bad, &error));
  CHECK(error == message);
}

TEST_CASE("SequenceSet::Contains resolves * and either order", "[imap]") {
  std::string error;
  std::optional<SequenceSet> set = ParseSequenceSet("2,4:7,*:9", &error);
  REQUIRE(set);
  CHECK(set->Contains(2, 20));
  CHECK_FALSE(set->Contains(3, 20));
  CHECK(set->Contains(5, 20));
  CHECK(set->Contains(9, 20));
  CHECK(set->Contains(20, 20));
  CHECK_FALSE(set->Contains(8, 20));
  CHECK(set->Contains(8, 8));  // *:9 with 8 the largest is 8:9
}

TEST_CASE("FETCH attributes, sections and macros", "[imap]") {
  Command c = Parse(
      "f FETCH 1 (FLAGS UID INTERNALDATE RFC822.SIZE RFC822 RFC822.HEADER RFC822.TEXT ENVELOPE BODY BODYSTRUCTURE)");
  std::vector<FetchItem> items;
  for (const FetchAttribute& a : Args<FetchArgs>(c).attributes) items.push_back(a.item);
  CHECK(items == std::vector<FetchItem>{FetchItem::kFlags, FetchItem::kUid, FetchItem::kInternalDate,
                                        FetchItem::kRfc822Size, FetchItem::kRfc822, FetchItem::kRfc822Header,
                                        FetchItem::kRfc822Text, FetchItem::kEnvelope, FetchItem::kBody,
                                        FetchItem::kBodyStructure});

  auto macro = [](const std::string& name) {
    std::vector<FetchItem> expanded;
    Command command = Parse("f FETCH 1:* " + name);
    for (const FetchAttribute& a : std::get<FetchArgs>(command.args).attributes) expanded.push_back(a.item);
    return expanded;
  };
  CHECK(macro("ALL") == std::vector<FetchItem>{FetchItem::kFlags, FetchItem::kInternalDate, FetchItem::kRfc822Size,
                                               FetchItem::kEnvelope});
  CHECK(macro("fast") == std::vector<FetchItem>{FetchItem::kFlags, FetchItem::kInternalDate, FetchItem::kRfc822Size});
  CHECK(macro("FULL") == std::vector<FetchItem>{FetchItem::kFlags, FetchItem::kInternalDate, FetchItem::kRfc822Size,
                                                FetchItem::kEnvelope, FetchItem::kBody});

  struct SectionCase {
    std::string text;
    Section section;
    bool peek;
    std::optional<Partial> partial;
  };
  auto [text, section, peek, partial] = GENERATE(values<SectionCase>({
      {"BODY[]", {}, false, std::nullopt},
      {"body.peek[]<0.1024>", {}, true, Partial{0, 1024}},
      {"BODY[HEADER]", {{}, SectionText::kHeader, {}}, false, std::nullopt},
      {"BODY.PEEK[TEXT]<100.50>", {{}, SectionText::kText, {}}, true, Partial{100, 50}},
      {"BODY[1]", {{1}, SectionText::kNone, {}}, false, std::nullopt},
      {"BODY[1.2.3]", {{1, 2, 3}, SectionText::kNone, {}}, false, std::nullopt},
      {"BODY[1.2.MIME]", {{1, 2}, SectionText::kMime, {}}, false, std::nullopt},
      {"BODY[2.HEADER]", {{2}, SectionText::kHeader, {}}, false, std::nullopt},
      {"BODY[3.TEXT]", {{3}, SectionText::kText, {}}, false, std::nullopt},
      {"BODY[HEADER.FIELDS (Subject \"X-Y\")]",
       {{}, SectionText::kHeaderFields, {"Subject", "X-Y"}},
       false,
       std::nullopt},
      {"BODY.PEEK[1.HEADER.FIELDS.NOT (Received)]",
       {{1}, SectionText::kHeaderFieldsNot, {"Received"}},
       true,
       std::nullopt},
  }));
  CAPTURE(text);
  c = Parse("f UID FETCH 5 " + text);
  REQUIRE(Args<FetchArgs>(c).attributes.size() == 1);
  const FetchAttribute& a = Args<FetchArgs>(c).attributes[0];
  CHECK(a.item == FetchItem::kBodySection);
  CHECK(a.section == section);
  CHECK(a.peek == peek);
  CHECK(a.partial == partial);
}

TEST_CASE("FETCH errors name the problem", "[imap]") {
  auto [line, message] = GENERATE(table<std::string, std::string>({
      {"f FETCH", "FETCH: missing sequence set"},
      {"f FETCH 1", "FETCH: missing FETCH attributes"},
      {"f UID FETCH", "UID FETCH: missing sequence set"},
      {"f FETCH 1 (FLAGS", "FETCH: missing ')' of the FETCH attributes"},
      {"f FETCH 1 (FLAGS BOGUS)", "FETCH: unknown FETCH attribute \"BOGUS\""},
      {"f FETCH 1 BODY.PEEK", "FETCH: missing '[' of the section"},
      {"f FETCH 1 BODY[MIME]", "FETCH: invalid section at \"MIME]\""},
      {"f FETCH 1 BODY[1.FOO]", "FETCH: invalid section at \"FOO]\""},
      {"f FETCH 1 BODY[HEADER.FIELDS]", "FETCH: invalid header field list at \"]\""},
      {"f FETCH 1 BODY[HEADER.FIELDS (From]", "FETCH: missing ')' of the header field list"},
      {"f FETCH 1 BODY[0]", "FETCH: section part number must not be 0"},
      {"f FETCH 1 BODY[]<5>", "FETCH: invalid '.' of the partial range at \">\""},
      {"f FETCH 1 BODY[1", "FETCH: missing ']' of the section"},
      {"f FETCH x FLAGS", "FETCH: invalid sequence set at \"x FLAGS\""},
  }));
  CHECK(Error(line).message == message);
  CHECK(Error(line).tag == "f");
  CHECK_FALSE(Error(line).fatal);
}

TEST_CASE("STORE forms", "[imap]") {
  auto [text, mode, silent, flags] = GENERATE(table<std::string, StoreMode, bool, std::vector<std::string>>({
      {"FLAGS (\\Seen)", StoreMode::kReplace, false, {"\\Seen"}},
      {"+FLAGS (\\Deleted \\Seen)", StoreMode::kAdd, false, {"\\Deleted", "\\Seen"}},
      {"-flags.silent ($Junk)", StoreMode::kRemove, true, {"$Junk"}},
      {"+FLAGS.SILENT \\Answered $Forwarded", StoreMode::kAdd, true, {"\\Answered", "$Forwarded"}},
      {"FLAGS ()", StoreMode::kReplace, false, {}},
  }));
  Command c = Parse("s UID STORE 1:3 " + text);
  CHECK(c.uid);
  const StoreArgs& store = Args<StoreArgs>(c);
  CHECK(store.set == Set({{1, 3}}));
  CHECK(store.mode == mode);
  CHECK(store.silent == silent);
  CHECK(store.flags == flags);
  CHECK(Error("s STORE 1 LABELS (x)").message == "STORE: invalid FLAGS, +FLAGS or -FLAGS at \"LABELS (x)\"");
  CHECK(Error("s STORE 1 +FLAGS").message == "STORE: missing flags");
  CHECK(Error("s STORE 1").message == "STORE: missing FLAGS, +FLAGS or -FLAGS");
}

TEST_CASE("SEARCH keys", "[imap]") {
  Command c = Parse(
      "s UID SEARCH CHARSET utf-8 ALL ANSWERED DELETED FLAGGED SEEN UNSEEN UNDELETED NEW OLD RECENT KEYWORD $Junk "
      "FROM jane TO \"Joe Q\" CC {3+}\r\nabc BCC x SUBJECT hi BODY b TEXT t HEADER X-Priority 1 BEFORE 1-Feb-2026 ON "
      "\"02-Dec-2026\" SINCE 3-Mar-2025 SENTBEFORE 4-Apr-2024 SENTON 5-May-2023 SENTSINCE 6-Jun-2022 LARGER 100 "
      "SMALLER 2000 UID 1:5 2,4:* NOT SEEN OR FROM a (TO b SUBJECT c)");
  CHECK(c.uid);
  const SearchArgs& search = Args<SearchArgs>(c);
  CHECK(search.charset == "UTF-8");
  CHECK(search.key.kind == SearchKeyKind::kAnd);
  const std::vector<SearchKey>& k = search.key.children;
  REQUIRE(k.size() == 31);
  std::vector<SearchKeyKind> kinds;
  kinds.reserve(k.size());
  for (const SearchKey& key : k) kinds.push_back(key.kind);
  CHECK(kinds ==
        std::vector<SearchKeyKind>{
            SearchKeyKind::kAll,       SearchKeyKind::kAnswered, SearchKeyKind::kDeleted,    SearchKeyKind::kFlagged,
            SearchKeyKind::kSeen,      SearchKeyKind::kUnseen,   SearchKeyKind::kUndeleted,  SearchKeyKind::kNew,
            SearchKeyKind::kOld,       SearchKeyKind::kRecent,   SearchKeyKind::kKeyword,    SearchKeyKind::kFrom,
            SearchKeyKind::kTo,        SearchKeyKind::kCc,       SearchKeyKind::kBcc,        SearchKeyKind::kSubject,
            SearchKeyKind::kBody,      SearchKeyKind::kText,     SearchKeyKind::kHeader,     SearchKeyKind::kBefore,
            SearchKeyKind::kOn,        SearchKeyKind::kSince,    SearchKeyKind::kSentBefore, SearchKeyKind::kSentOn,
            SearchKeyKind::kSentSince, SearchKeyKind::kLarger,   SearchKeyKind::kSmaller,    SearchKeyKind::kUid,
            SearchKeyKind::kSequence,  SearchKeyKind::kNot,      SearchKeyKind::kOr});
  CHECK(k[10].text == "$Junk");
  CHECK(k[11].text == "jane");
  CHECK(k[12].text == "Joe Q");
  CHECK(k[13].text == "abc");
  CHECK(k[18].field == "X-Priority");
  CHECK(k[18].text == "1");
  CHECK(k[19].date == Date{2026, 2, 1});
  CHECK(k[20].date == Date{2026, 12, 2});
  CHECK(k[25].number == 100);
  CHECK(k[27].set == Set({{1, 5}}));
  CHECK(k[28].set == Set({{2, 2}, {4, kStar}}));
  REQUIRE(k[29].children.size() == 1);
  CHECK(k[29].children[0].kind == SearchKeyKind::kSeen);
  REQUIRE(k[30].children.size() == 2);
  CHECK(k[30].children[0].kind == SearchKeyKind::kFrom);
  CHECK(k[30].children[1].kind == SearchKeyKind::kAnd);
  CHECK(k[30].children[1].children.size() == 2);
}

TEST_CASE("SEARCH errors name the problem", "[imap]") {
  auto [line, message] = GENERATE(table<std::string, std::string>({
      {"s SEARCH", "SEARCH: missing search key"},
      {"s SEARCH FROM", "SEARCH: missing argument of FROM"},
      {"s SEARCH HEADER Subject", "SEARCH: missing argument of HEADER"},
      {"s SEARCH BEFORE 32-Jan-2026", "SEARCH: day of the date out of range"},
      {"s SEARCH SINCE 1-Foo-2026", "SEARCH: invalid month of the date at \"Foo-2026\""},
      {"s SEARCH LARGER x", "SEARCH: invalid argument of LARGER at \"x\""},
      {"s SEARCH OR SEEN", "SEARCH: missing argument of OR"},
      {"s SEARCH FUZZY x", "SEARCH: unknown search key \"FUZZY\""},
      {"s SEARCH (SEEN", "SEARCH: missing ')' of the search key group"},
      {"s SEARCH CHARSET", "SEARCH: missing charset"},
  }));
  CHECK(Error(line).message == message);
}

TEST_CASE("ID, ENABLE", "[imap]") {
  Command c = Parse("i ID NIL");
  CHECK(Args<IdArgs>(c).nil);
  CHECK(Args<IdArgs>(c).fields.empty());
  c = Parse(R"(i ID ("name" "x" "os" NIL))");
  REQUIRE(Args<IdArgs>(c).fields.size() == 2);
  CHECK_FALSE(Args<IdArgs>(c).fields[1].second.has_value());
  CHECK(Args<IdArgs>(Parse("i ID ()")).fields.empty());
  CHECK(Error("i ID").message == "ID: missing ID parameter list or NIL");
  CHECK(Error("i ID (\"name\")").message == "ID: invalid ID field value at \")\"");
  std::string many = "i ID (";
  for (int n = 0; n < 31; ++n) many += "\"f" + std::to_string(n) + "\" \"v\" ";
  many.back() = ')';
  CHECK(Error(many).message == "ID: more than 30 ID fields");

  c = Parse("e ENABLE utf8=accept CONDSTORE");
  CHECK(Args<EnableArgs>(c).capabilities == std::vector<std::string>{"UTF8=ACCEPT", "CONDSTORE"});
  CHECK(Error("e ENABLE").message == "ENABLE: missing capability");
}

TEST_CASE("unknown commands, bad tags and bad quoting", "[imap]") {
  ParseError e = Error("a1 FROBNICATE x");
  CHECK(e.tag == "a1");
  CHECK(e.message == "unknown command \"FROBNICATE\"");
  CHECK_FALSE(e.fatal);
  e = Error("+ NOOP");
  CHECK(e.tag.empty());
  CHECK(e.message == "missing or invalid tag");
  CHECK(Error("a1").message == "missing command name");
  CHECK(Error("a1 ").message == "missing command name");

  e = Error(R"(a1 LOGIN "ja\ne" pw)");
  CHECK(e.tag == "a1");
  CHECK(e.message == "LOGIN: bad quoting in user name: '\\' before 'n'");
  CHECK(Error(R"(a1 SELECT "INBOX)").message == "SELECT: bad quoting in mailbox name: no closing '\"'");
  CHECK(Error("a1 LOGIN jane \"pw").message == "LOGIN: bad quoting in password: no closing '\"'");
  CHECK(Error("a1 LOGIN jane").message == "LOGIN: missing password");
  CHECK(Error("a1 LOGIN").message == "LOGIN: missing user name");

  // A "{n}" inside a quoted string is no literal.
  Command c = Parse(R"(a1 LOGIN jane "{5}")");
  CHECK(Args<LoginArgs>(c).password == "{5}");
}

TEST_CASE("pipelined commands and blank lines", "[imap]") {
  std::vector<Step> steps = StepsOf("a NOOP\r\n\r\nb FROB\nc LOGOUT\r\n");
  REQUIRE(steps.size() == 3);
  CHECK(steps[0].command.tag == "a");
  CHECK(steps[1].kind == StepKind::kError);
  CHECK(steps[1].error.tag == "b");
  CHECK(steps[2].command.name == CommandName::kLogout);
}

TEST_CASE("literals split across feeds at every byte boundary", "[imap]") {
  const std::string input =
      "a1 LOGIN {4}\r\njane {6}\r\nsecret\r\n"
      "a2 APPEND INBOX (\\Seen) \"02-Dec-2026 18:00:00 +0000\" {12+}\r\nSubject: x\r\n\r\n"
      "a3 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS ({7}\r\nSubject)])\r\n";
  auto run = [&](const std::vector<std::string>& pieces) {
    CommandReader reader;
    std::vector<std::string> events;
    for (const std::string& piece : pieces) {
      reader.Feed(piece);
      for (;;) {
        Step step = reader.Next();
        if (step.kind == StepKind::kNeedMore) break;
        if (step.kind == StepKind::kSendContinuation) events.push_back("+");
        if (step.kind == StepKind::kError) events.push_back("error " + step.error.message);
        if (step.kind == StepKind::kCommand) {
          std::string event = step.command.tag;
          if (auto* login = std::get_if<LoginArgs>(&step.command.args))
            event += " " + login->user + "/" + login->password;
          if (auto* append = std::get_if<AppendArgs>(&step.command.args)) event += " " + append->message;
          if (auto* fetch = std::get_if<FetchArgs>(&step.command.args))
            event += " " + fetch->attributes.at(1).section.fields.at(0);
          events.push_back(event);
        }
      }
    }
    return events;
  };
  const std::vector<std::string> expected = {"+", "+", "a1 jane/secret", "a2 Subject: x\r\n", "+", "a3 Subject"};
  CHECK(run({input}) == expected);
  for (std::size_t split = 0; split <= input.size(); ++split) {
    CAPTURE(split);
    CHECK(run({input.substr(0, split), input.substr(split)}) == expected);
  }
  std::vector<std::string> bytes;
  for (char c : input) bytes.emplace_back(1, c);
  CHECK(run(bytes) == expected);
}

TEST_CASE("a literal of {4294967295} is refused without allocating", "[imap]") {
  CommandReader reader;
  reader.Feed("a1 APPEND INBOX {4294967295}\r\na2 NOOP\r\n");
  Step step = reader.Next();
  REQUIRE(step.kind == StepKind::kError);
  CHECK(step.error.tag == "a1");
  CHECK(step.error.message == "literal too large (4294967295 bytes; at most 67108864 in one command)");
  CHECK_FALSE(step.error.fatal);  // the client waits for "+" and never sends it
  step = reader.Next();
  REQUIRE(step.kind == StepKind::kCommand);  // the next command is read normally
  CHECK(step.command.tag == "a2");

  // Larger than any number, and over a configured limit.
  std::vector<Step> steps = StepsOf("a1 LOGIN {99999999999999999999}\r\n");
  REQUIRE(steps.size() == 1);
  CHECK(steps[0].error.message == "literal too large (over 4294967295 bytes; at most 67108864 in one command)");
  ReaderLimits small;
  small.max_literal_bytes = 10;
  steps = StepsOf("a1 LOGIN {6}\r\nabcdef {5}\r\n", small);
  REQUIRE(steps.size() == 2);
  CHECK(steps[0].kind == StepKind::kSendContinuation);
  CHECK(steps[1].error.message == "literal too large (5 bytes; at most 10 in one command)");

  // A non-synchronising literal's bytes are on their way: the connection must close.
  steps = StepsOf("a1 APPEND INBOX {4294967295+}\r\nxxxx");
  REQUIRE(steps.size() == 1);
  CHECK(steps[0].error.tag == "a1");
  CHECK(steps[0].error.fatal);
  CHECK(steps[0].error.message == "literal too large (4294967295 bytes; at most 67108864 in one command)");
}

TEST_CASE("10,000 nested parentheses give a clean BAD", "[imap]") {
  std::string open(10000, '('), close(10000, ')');
  ParseError e = Error("a1 SEARCH " + open + "SEEN" + close);
  CHECK(e.tag == "a1");
  CHECK(e.message == "SEARCH: search keys nested too deeply (at most 64 levels)");
  CHECK_FALSE(e.fatal);
  std::string nots;
  for (int i = 0; i < 10000; ++i) nots += "NOT ";
  CHECK(Error("a1 SEARCH " + nots + "SEEN").message == "SEARCH: search keys nested too deeply (at most 64 levels)");
  using Catch::Matchers::StartsWith;
  CHECK_THAT(Error("a1 FETCH 1 " + open + "FLAGS" + close).message,
             StartsWith("FETCH: invalid FETCH attribute at \"((((((((((((((((...\""));
  CHECK_THAT(Error("a1 LIST " + open).message, StartsWith("LIST: invalid selection option at \"(((("));
  CHECK_THAT(Error("a1 STORE 1 FLAGS " + open).message, StartsWith("STORE: invalid flag at \"(((("));
  // 63 levels are fine.
  Command c = Parse("a1 SEARCH " + std::string(63, '(') + "SEEN" + std::string(63, ')'));
  CHECK(Args<SearchArgs>(c).key.children.size() == 1);
}

TEST_CASE("a 1 MB command line is refused and the reader stays bounded", "[imap]") {
  CommandReader reader;
  reader.Feed("a1 LOGIN ");
  Step step;
  std::string chunk(4096, 'x');
  int fed = 0;
  for (; fed < 256; ++fed) {
    reader.Feed(chunk);
    step = reader.Next();
    if (step.kind != StepKind::kNeedMore) break;
  }
  REQUIRE(step.kind == StepKind::kError);
  CHECK(fed < 17);  // refused as soon as 64 KB were buffered, not at 1 MB
  CHECK(step.error.tag == "a1");
  CHECK(step.error.fatal);
  CHECK(step.error.message == "command line too long (at most 65536 bytes)");
  CHECK(reader.buffered() == 0);
  reader.Feed(chunk + "\r\na2 NOOP\r\n");
  CHECK(reader.Next().kind == StepKind::kError);  // stays broken: the session closes
  CHECK(reader.buffered() == 0);

  // The same with the whole megabyte and its line break at once.
  std::vector<Step> steps = StepsOf("a1 SELECT " + std::string(1 << 20, 'x') + "\r\n");
  REQUIRE(steps.size() == 1);
  CHECK(steps[0].error.fatal);
  CHECK(steps[0].error.message == "command line too long (at most 65536 bytes)");
  // Text around literals counts; the literals do not.
  ReaderLimits limits;
  limits.max_line_bytes = 40;
  steps = StepsOf("a1 LOGIN {50+}\r\n" + std::string(50, 'y') + " pw\r\n", limits);
  REQUIRE(steps.size() == 1);
  CHECK(steps[0].kind == StepKind::kCommand);
  steps = StepsOf("a1 LOGIN {3+}\r\nabc " + std::string(40, 'p') + "\r\n", limits);
  REQUIRE(steps.size() == 1);
  CHECK(steps[0].error.fatal);

  // NextLine (DONE, AUTHENTICATE) is bounded too.
  CommandReader idle;
  idle.Feed(std::string(70000, 'D'));
  LineStep line = idle.NextLine();
  CHECK(line.kind == StepKind::kError);
  CHECK(line.error.fatal);
  CHECK(line.error.tag.empty());
}

}  // namespace notesd::imap
