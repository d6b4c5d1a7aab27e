// imap/imap_parser.h — the pure IMAP4rev1 command reader (RFC 3501 section 9 grammar).
//
// Owns: framing the client's byte stream into commands (lines, synchronising literals
// "{n}" that need a "+ Ready for literal data" continuation, non-synchronising literals
// "{n+}" of LITERAL+, RFC 7888), and parsing each command into a typed Command: tag,
// command name (any case), atoms, quoted strings, literals, NIL, nested lists, sequence
// sets, FETCH attributes and sections, SEARCH keys, STORE, LIST (RFC 5258 selection and
// return options), STATUS, APPEND, AUTHENTICATE with an initial response (RFC 4959).
// The IDLE "DONE" line and the AUTHENTICATE continuation line have entry points of
// their own (NextLine, ParseIdleDone, ParseAuthenticateLine).
//
// Delegates: everything about state and meaning (which commands are allowed before
// LOGIN, what a UID or a "*" means, mailbox names in modified UTF-7) to the session and
// handler; base64 decoding to pki/base64.h.
//
// SECURITY: every byte here comes from an unauthenticated client. Nothing throws; no
// recursion is deeper than ReaderLimits::max_depth; a command's text (its literals
// excluded) is at most ReaderLimits::max_line_bytes, its literals together at most
// ReaderLimits::max_literal_bytes, and a literal's announced size is checked before a
// byte of it is buffered ("{4294967295}" is refused at once, nothing allocated).
//
// Thread safety: a CommandReader belongs to one session; the free functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace notesd::imap {

// ---------------------------------------------------------------------------------------
// Values found in commands.

// A sequence set ("1:*", "2,4:7,9", "*:3", "$"). Numbers are message sequence numbers
// or UIDs as the command says (Command::uid); the parser does not care which.
struct SequenceRange {
  // 0 stands for "*" (the largest number in use); the parser never gives 0 otherwise.
  std::uint32_t first = 0;
  std::uint32_t last = 0;
  bool operator==(const SequenceRange&) const = default;
};
inline constexpr std::uint32_t kStar = 0;

struct SequenceSet {
  std::vector<SequenceRange> ranges;  // as written: not sorted, not merged; "*:3" kept so
  bool saved = false;                 // "$", the saved search result (RFC 5182); no ranges
  bool operator==(const SequenceSet&) const = default;

  // True when `number` is in the set, "*" standing for `largest` (the highest message
  // number or UID in the mailbox). A range is taken in either order ("*:3" = "3:*").
  // Always false for "$" (the caller substitutes the saved result).
  bool Contains(std::uint32_t number, std::uint32_t largest) const;
};

// A calendar date of SEARCH (BEFORE, ON, SINCE, SENT*).
struct Date {
  int year = 0;
  int month = 0;  // 1..12
  int day = 0;    // 1..31
  bool operator==(const Date&) const = default;
};

// An APPEND date-time ("02-Dec-2026 18:00:00 +0100").
struct DateTime {
  Date date;
  int hour = 0, minute = 0, second = 0;
  int zone_minutes = 0;  // east of UTC: +0100 is 60
  // Seconds since 1970-01-01 UTC.
  std::int64_t ToUnixSeconds() const;
};

// ---------------------------------------------------------------------------------------
// FETCH.

// The section of BODY[section] (RFC 3501 6.4.5): part numbers, then an optional text
// part. BODY[] is an empty section; BODY[1.2] has part {1,2} and kNone.
enum class SectionText { kNone, kHeader, kHeaderFields, kHeaderFieldsNot, kText, kMime };

struct Section {
  std::vector<std::uint32_t> part;  // "1.2.3" -> {1,2,3}; empty for the whole message
  SectionText text = SectionText::kNone;
  std::vector<std::string> fields;  // for HEADER.FIELDS[.NOT], as written
  bool operator==(const Section&) const = default;
};

// <origin.count> of BODY[...]<0.1024>.
struct Partial {
  std::uint32_t origin = 0;
  std::uint32_t count = 0;
  bool operator==(const Partial&) const = default;
};

enum class FetchItem {
  kFlags,
  kUid,
  kInternalDate,
  kRfc822Size,
  kRfc822,        // = BODY[] (sets \Seen)
  kRfc822Header,  // = BODY.PEEK[HEADER]
  kRfc822Text,    // = BODY[TEXT]
  kEnvelope,
  kBody,           // BODY without a section: the non-extensible BODYSTRUCTURE
  kBodyStructure,  //
  kBodySection,    // BODY[section]<partial> or BODY.PEEK[...]
};

struct FetchAttribute {
  FetchItem item = FetchItem::kFlags;
  bool peek = false;  // BODY.PEEK[...]: do not set \Seen
  Section section;    // kBodySection only
  std::optional<Partial> partial;
  bool operator==(const FetchAttribute&) const = default;
};

// ---------------------------------------------------------------------------------------
// SEARCH.

enum class SearchKeyKind {
  kAnd,  // children, all must match (the top level and "( ... )")
  kOr,   // two children
  kNot,  // one child
  kAll,
  kAnswered,
  kDeleted,
  kDraft,
  kFlagged,
  kNew,
  kOld,
  kRecent,
  kSeen,
  kUnanswered,
  kUndeleted,
  kUndraft,
  kUnflagged,
  kUnseen,
  kKeyword,    // text = the keyword
  kUnkeyword,  // text = the keyword
  kBcc,        // text
  kBody,
  kCc,
  kFrom,
  kSubject,
  kText,
  kTo,
  kHeader,  // field and text
  kBefore,  // date (internal date)
  kOn,
  kSince,
  kSentBefore,  // date (Date: header)
  kSentOn,
  kSentSince,
  kLarger,    // number (RFC822.SIZE)
  kSmaller,   // number
  kUid,       // set of UIDs
  kSequence,  // set of message numbers
};

struct SearchKey {
  SearchKeyKind kind = SearchKeyKind::kAll;
  std::string text;
  std::string field;
  Date date;
  std::uint32_t number = 0;
  SequenceSet set;
  std::vector<SearchKey> children;
};

// ---------------------------------------------------------------------------------------
// Commands.

enum class CommandName {
  kCapability,
  kNoop,
  kLogout,
  kId,
  kStartTls,
  kLogin,
  kAuthenticate,
  kSelect,
  kExamine,
  kCreate,
  kDelete,
  kRename,
  kSubscribe,
  kUnsubscribe,
  kList,
  kLsub,
  kStatus,
  kAppend,
  kCheck,
  kClose,
  kUnselect,
  kExpunge,  // with Command::uid: UID EXPUNGE <set> (UIDPLUS)
  kFetch,
  kStore,
  kCopy,
  kMove,
  kSearch,
  kIdle,
  kEnable,
  kNamespace,
};

// "FETCH", "UID FETCH" is written by the caller from Command::uid.
const char* CommandNameText(CommandName name);

struct LoginArgs {
  std::string user;
  std::string password;  // SECURITY: never log it
};

struct AuthenticateArgs {
  std::string mechanism;  // upper case, "PLAIN"
  // The SASL initial response (RFC 4959), base64-decoded; "=" gives an empty one.
  // nullopt when none was sent: the session sends "+ " and reads the response with
  // NextLine / ParseAuthenticateLine.
  std::optional<std::string> initial_response;  // SECURITY: holds the password for PLAIN
};

// SELECT, EXAMINE, CREATE, DELETE, SUBSCRIBE, UNSUBSCRIBE. "INBOX" in any case is given
// as "INBOX"; other names as written (modified UTF-7, RFC 3501 5.1.3).
struct MailboxArgs {
  std::string mailbox;
};

struct RenameArgs {
  std::string from;
  std::string to;
};

// LIST and LSUB. LIST [(selection options)] reference pattern-or-(patterns)
// [RETURN (return options)] (RFC 5258); LSUB reference pattern.
struct ListArgs {
  std::vector<std::string> selection_options;  // upper case: "SUBSCRIBED", "REMOTE", ...
  std::string reference;
  std::vector<std::string> patterns;        // at least one; may be "" (the hierarchy delimiter query)
  std::vector<std::string> return_options;  // upper case: "CHILDREN", "SPECIAL-USE", "STATUS", ...
  std::vector<std::string> return_status;   // STATUS (...) items of RETURN (RFC 5819), upper case
};

enum class StatusItem { kMessages, kRecent, kUidNext, kUidValidity, kUnseen };

struct StatusArgs {
  std::string mailbox;
  std::vector<StatusItem> items;  // at least one, as written
};

struct AppendArgs {
  std::string mailbox;
  std::vector<std::string> flags;  // as written ("\Seen", "$Forwarded")
  std::optional<DateTime> date_time;
  std::string message;  // the literal's bytes, exactly
};

// FETCH / UID FETCH. The macros ALL, FAST and FULL are expanded.
struct FetchArgs {
  SequenceSet set;
  std::vector<FetchAttribute> attributes;
};

enum class StoreMode { kReplace, kAdd, kRemove };  // FLAGS, +FLAGS, -FLAGS

struct StoreArgs {
  SequenceSet set;
  StoreMode mode = StoreMode::kReplace;
  bool silent = false;  // .SILENT
  std::vector<std::string> flags;
};

// COPY, MOVE (and their UID forms).
struct CopyArgs {
  SequenceSet set;
  std::string mailbox;
};

struct SearchArgs {
  std::string charset;  // upper case; "" when no CHARSET was given
  SearchKey key;        // kind kAnd, one child per key written
};

// ID: NIL (empty, nil true) or a list of field/value pairs (RFC 2971).
struct IdArgs {
  bool nil = false;
  std::vector<std::pair<std::string, std::optional<std::string>>> fields;
};

struct EnableArgs {
  std::vector<std::string> capabilities;  // upper case
};

// UID EXPUNGE <set>.
struct ExpungeArgs {
  std::optional<SequenceSet> uids;  // nullopt for plain EXPUNGE
};

using CommandArgs =
    std::variant<std::monostate, LoginArgs, AuthenticateArgs, MailboxArgs, RenameArgs, ListArgs, StatusArgs, AppendArgs,
                 FetchArgs, StoreArgs, CopyArgs, SearchArgs, IdArgs, EnableArgs, ExpungeArgs>;

// One parsed command. `args` holds the struct that belongs to `name`: LoginArgs for
// kLogin, MailboxArgs for kSelect/kExamine/kCreate/kDelete/kSubscribe/kUnsubscribe,
// ListArgs for kList/kLsub, CopyArgs for kCopy/kMove, ExpungeArgs for kExpunge, and so
// on; std::monostate for the commands without arguments (CAPABILITY, NOOP, LOGOUT,
// STARTTLS, CHECK, CLOSE, UNSELECT, IDLE, NAMESPACE).
struct Command {
  std::string tag;
  CommandName name = CommandName::kNoop;
  bool uid = false;  // UID FETCH / STORE / COPY / MOVE / SEARCH / EXPUNGE
  CommandArgs args;
};

// ---------------------------------------------------------------------------------------
// The reader.

struct ReaderLimits {
  // Bytes of command text (line breaks and literal contents excluded) in one command.
  std::size_t max_line_bytes = 64 * 1024;
  // Bytes of all literals of one command together (an APPEND's message).
  std::uint64_t max_literal_bytes = 64ULL * 1024 * 1024;
  // Nesting of parentheses (lists, SEARCH groups, NOT/OR chains).
  int max_depth = 64;
};

// Why a command was refused. The session answers "<tag> BAD <message>" when `tag` is
// not empty, "* BAD <message>" otherwise, and closes the connection when `fatal`.
struct ParseError {
  std::string tag;
  std::string message;  // names the problem: "SELECT: missing mailbox name"
  bool fatal = false;   // the stream cannot be resynchronised (line too long, a refused
                        // non-synchronising literal whose bytes are on their way)
};

enum class StepKind {
  kNeedMore,          // feed more bytes
  kSendContinuation,  // send "+ Ready for literal data\r\n", then feed more
  kCommand,           // `command` holds the next command
  kError,             // `error` says why; unless fatal, the next command follows
};

struct Step {
  StepKind kind = StepKind::kNeedMore;
  Command command;
  ParseError error;
};

// What NextLine gives: a plain line for the IDLE and AUTHENTICATE continuations.
struct LineStep {
  StepKind kind = StepKind::kNeedMore;  // kNeedMore, kCommand (line holds it) or kError
  std::string line;                     // without its line break
  ParseError error;                     // a line over max_line_bytes (fatal)
};

// Reads commands from a client's byte stream. Feed() appends what the socket gave;
// Next() is called until it returns kNeedMore (a client may pipeline). Line ends may be
// CRLF or a bare LF. After a fatal error every call gives the same error.
class CommandReader {
 public:
  explicit CommandReader(ReaderLimits limits = {});
  CommandReader(const CommandReader&) = delete;
  CommandReader& operator=(const CommandReader&) = delete;

  void Feed(std::string_view bytes);
  // The next step for the buffered bytes. kSendContinuation is given once per
  // synchronising literal, as soon as its "{n}" line is complete and accepted.
  Step Next();
  // The next plain line (no literal processing), for the DONE line after IDLE and the
  // client's answer to an AUTHENTICATE continuation. Bytes already fed are used first.
  LineStep NextLine();

  // Bytes fed but not yet consumed (bounded by the limits).
  std::size_t buffered() const { return buffer_.size() - start_; }
  // Raises the limits for what follows (a session allows big literals only after login).
  // Lowering them while a command is half read is not supported.
  void RaiseLimits(const ReaderLimits& limits) { limits_ = limits; }

 private:
  Step Fail(std::string message, bool fatal);
  std::string TagGuess() const;
  ParseError LineTooLong();

  ReaderLimits limits_;
  std::string buffer_;
  std::size_t start_ = 0;       // first byte of the current command
  std::size_t line_start_ = 0;  // first byte of the current line (after the last literal)
  std::size_t scan_ = 0;        // bytes before this were looked at for a line break
  std::size_t text_bytes_ = 0;  // command text so far (lines already complete)
  std::uint64_t literal_bytes_ = 0;
  std::uint64_t literal_left_ = 0;  // bytes of the current literal still to come
  bool in_literal_ = false;
  bool broken_ = false;
  ParseError broken_error_;
};

// Parses one complete command: its lines with their literals in between exactly as they
// came ("a LOGIN {5}\r\nalice pw"), without the final line break. The error carries the
// tag once it is known. Used by CommandReader; public for tests and the fuzzer.
std::variant<Command, ParseError> ParseCommand(std::string_view text, const ReaderLimits& limits = {});

// The line after IDLE: true for "DONE" (any case). Anything else is a protocol error
// (RFC 2177): the session answers "<idle tag> BAD expected DONE" and ends the IDLE.
bool ParseIdleDone(std::string_view line);

// The client's answer to an AUTHENTICATE continuation: "*" cancels (RFC 3501 6.2.2),
// else base64 (empty for an empty response).
struct AuthenticateLine {
  bool cancelled = false;
  std::string data;  // decoded; SECURITY: holds a password for PLAIN
};
// nullopt with *error set (naming the problem) when the line is not valid base64.
std::optional<AuthenticateLine> ParseAuthenticateLine(std::string_view line, std::string* error);

// ATOM-CHAR and ASTRING-CHAR of RFC 3501's grammar (the reader and the writer agree).
bool IsAtomChar(unsigned char c);
bool IsAstringChar(unsigned char c);

// Parses a sequence set on its own ("1:*,5"); nullopt with *error set when invalid.
std::optional<SequenceSet> ParseSequenceSet(std::string_view text, std::string* error);

}  // namespace notesd::imap
