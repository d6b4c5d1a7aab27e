// The pure POP3 command parser (pop3/pop3_protocol.h): lines, bounds, every verb's
// arguments, dot-stuffing and TOP's cut. No sockets.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "pop3/pop3_protocol.h"

namespace notesd::pop3 {
namespace {

using namespace std::string_literals;

TEST_CASE("POP3 lines: CRLF or LF, across reads, bounded", "[pop3]") {
  LineReader reader;
  std::string line;
  reader.Feed("US");
  CHECK(reader.Next(&line) == LineReader::Result::kNeedMore);
  CHECK(reader.partial());
  reader.Feed("ER jane\r\nSTAT\nNO");
  REQUIRE(reader.Next(&line) == LineReader::Result::kLine);
  CHECK(line == "USER jane");
  REQUIRE(reader.Next(&line) == LineReader::Result::kLine);
  CHECK(line == "STAT");
  CHECK(reader.Next(&line) == LineReader::Result::kNeedMore);
  reader.Clear();
  CHECK_FALSE(reader.partial());

  // A line over the bound, whole or still arriving, is refused without keeping it.
  reader.Feed(std::string(kMaxLineBytes, 'x'));
  CHECK(reader.Next(&line) == LineReader::Result::kLineTooLong);
  CHECK_FALSE(reader.partial());
  reader.Feed(std::string(kMaxLineBytes + 10, 'y') + "\r\nNOOP\r\n");
  CHECK(reader.Next(&line) == LineReader::Result::kLineTooLong);
  REQUIRE(reader.Next(&line) == LineReader::Result::kLine);
  CHECK(line == "NOOP");
  // The longest line taken: kMaxLineBytes with its CRLF.
  reader.Feed(std::string(kMaxLineBytes - 2, 'z') + "\r\n");
  REQUIRE(reader.Next(&line) == LineReader::Result::kLine);
  CHECK(line.size() == kMaxLineBytes - 2);

  reader.Feed("US\0ER\r\nQUIT\r\n"s);
  CHECK(reader.Next(&line) == LineReader::Result::kBadLine);
  REQUIRE(reader.Next(&line) == LineReader::Result::kLine);
  CHECK(line == "QUIT");
}

TEST_CASE("POP3 commands: verbs, arguments and numbers", "[pop3]") {
  struct Case {
    std::string line;
    bool ok;
    Verb verb;
    std::vector<std::uint32_t> numbers;
  };
  auto c = GENERATE(values<Case>({
      {"USER jane", true, Verb::kUser, {}},
      {"user jane", true, Verb::kUser, {}},
      {"USER", false, Verb::kUser, {}},
      {"USER a b", false, Verb::kUser, {}},
      {"STAT", true, Verb::kStat, {}},
      {"STAT 1", false, Verb::kStat, {}},
      {"LIST", true, Verb::kList, {}},
      {"LIST 3", true, Verb::kList, {3}},
      {"LIST 0", false, Verb::kList, {}},
      {"LIST -1", false, Verb::kList, {}},
      {"LIST 2147483647", true, Verb::kList, {2147483647u}},
      {"LIST 2147483648", false, Verb::kList, {}},
      {"LIST 99999999999999999999", false, Verb::kList, {}},
      {"RETR 1", true, Verb::kRetr, {1}},
      {"RETR", false, Verb::kRetr, {}},
      {"RETR x", false, Verb::kRetr, {}},
      {"DELE 2", true, Verb::kDele, {2}},
      {"TOP 1 0", true, Verb::kTop, {1, 0}},
      {"TOP 1 10", true, Verb::kTop, {1, 10}},
      {"TOP 1", false, Verb::kTop, {}},
      {"TOP 0 1", false, Verb::kTop, {}},
      {"UIDL", true, Verb::kUidl, {}},
      {"UIDL 7", true, Verb::kUidl, {7}},
      {"NOOP", true, Verb::kNoop, {}},
      {"RSET", true, Verb::kRset, {}},
      {"QUIT", true, Verb::kQuit, {}},
      {"CAPA", true, Verb::kCapa, {}},
      {"STLS", true, Verb::kStls, {}},
      {"AUTH", true, Verb::kAuth, {}},
      {"AUTH PLAIN", true, Verb::kAuth, {}},
      {"AUTH PLAIN AGpvAHB3", true, Verb::kAuth, {}},
      {"APOP jane 0123", false, Verb::kNoop, {}},
      {"XYZZY", false, Verb::kNoop, {}},
      {"", false, Verb::kNoop, {}},
  }));
  INFO(c.line);
  ParseResult parsed = ParseCommand(c.line);
  REQUIRE(parsed.command.has_value() == c.ok);
  if (c.ok) {
    CHECK(parsed.command->verb == c.verb);
    CHECK(parsed.command->numbers == c.numbers);
  } else {
    CHECK_FALSE(parsed.error.empty());
  }
}

TEST_CASE("POP3 PASS keeps the rest of the line, spaces and all", "[pop3]") {
  ParseResult parsed = ParseCommand("PASS  two words ");
  REQUIRE(parsed.command);
  CHECK(parsed.command->verb == Verb::kPass);
  CHECK(parsed.command->rest == " two words ");
  CHECK_FALSE(ParseCommand("PASS").command);
  CHECK(ParseCommand("XYZZY").error == "unknown command");
}

TEST_CASE("POP3 dot-stuffing is byte-exact otherwise", "[pop3]") {
  std::string out;
  AppendDotStuffed("A: b\r\n\r\n.hidden\r\n..two\r\nend.\r\n", &out);
  CHECK(out == "A: b\r\n\r\n..hidden\r\n...two\r\nend.\r\n.\r\n");
  out.clear();
  AppendDotStuffed("A: b\r\n\r\nno final line end", &out);
  CHECK(out == "A: b\r\n\r\nno final line end\r\n.\r\n");
  out.clear();
  AppendDotStuffed(".", &out);
  CHECK(out == "..\r\n.\r\n");
  out.clear();
  AppendDotStuffed("", &out);
  CHECK(out == ".\r\n");
}

TEST_CASE("POP3 TOP: the header, the empty line and n body lines", "[pop3]") {
  std::string message = "From: a\r\nSubject: s\r\n\r\nline 1\r\nline 2\r\nline 3\r\n";
  CHECK(TopOf(message, 0) == "From: a\r\nSubject: s\r\n\r\n");
  CHECK(TopOf(message, 2) == "From: a\r\nSubject: s\r\n\r\nline 1\r\nline 2\r\n");
  CHECK(TopOf(message, 100) == message);
  CHECK(TopOf("From: a\r\nno body\r\n", 1) == "From: a\r\nno body\r\n");
  CHECK(TopOf("\r\nbody\r\n", 0) == "\r\n");
}

}  // namespace
}  // namespace notesd::pop3
