// Unit tests for base/command_grammar: the one matcher of console and TELL words.
#include <catch2/catch.hpp>

#include "base/command_grammar.h"

using namespace notesd;

namespace {

enum { kShowQueues = 1, kDeliveryStats, kStat, kShowReq, kProcess };

const CommandGrammar& Grammar() {
  static const std::vector<CommandForm> forms = WithTaskQuitForms({
      {{"SHOW", "QUEUES"}, kShowQueues},
      {{"SHOW", "REQUESTS"}, kShowReq, CommandArgument::kOptional},
      {{"DELIVERY", "STATS"}, kDeliveryStats},
      {{"STAT"}, kStat},
      {{"STATUS"}, kStat},  // an alias: same id
      {{"PROCESS"}, kProcess, CommandArgument::kRequired, "PROCESS needs ALL or NEW"},
  });
  static const CommandGrammar grammar{forms, "Test", "(try HELP)"};
  return grammar;
}

}  // namespace

TEST_CASE("TELL words may be abbreviated to any unambiguous prefix", "[command_grammar]") {
  struct Row {
    const char* line;
    int id;
    const char* rest;
  };
  auto row = GENERATE(values<Row>({
      {"show queues", kShowQueues, ""},
      {"SH Q", kShowQueues, ""},
      {"sh   queue", kShowQueues, ""},
      {"d s", kDeliveryStats, ""},
      {"sh r failed", kShowReq, "failed"},
      {"sh r", kShowReq, ""},
      {"stat", kStat, ""},  // exact beats STATUS
      {"sta", kStat, ""},   // STAT and STATUS are one command
      {"statu", kStat, ""},
      {"p  All  now", kProcess, "All  now"},
      {"q", kQuitCommandId, ""},
      {"EX", kQuitCommandId, ""},
  }));
  CAPTURE(row.line);
  Result<MatchedCommand> matched = MatchCommand(row.line, Grammar());
  REQUIRE(matched.ok());
  CHECK(matched->form->id == row.id);
  CHECK(matched->rest == row.rest);
}

TEST_CASE("TELL words that name no command or several are refused naming them", "[command_grammar]") {
  struct Row {
    const char* line;
    const char* expected;
  };
  auto row = GENERATE(values<Row>({
      {"s", "Ambiguous word 's' for Test: could be SHOW, STAT, STATUS."},
      {"frob", "Unknown command for Test: 'frob'. (try HELP)"},
      {"sh nothing", "Unknown word 'nothing' after SH. (try HELP)"},
      {"show", "Incomplete command 'show': expected one of QUEUES, REQUESTS."},
      {"sh q now", "Unexpected 'now' after SH Q."},
      {"process", "Missing argument. PROCESS needs ALL or NEW."},
      {"  ", "Empty command for Test. (try HELP)"},
  }));
  CAPTURE(row.line);
  Result<MatchedCommand> matched = MatchCommand(row.line, Grammar());
  REQUIRE_FALSE(matched.ok());
  CHECK(matched.status().code() == StatusCode::kInvalidArgument);
  CHECK(matched.status().message() == row.expected);
}

TEST_CASE("QUIT and EXIT, abbreviated, are the server's TELL commands", "[command_grammar]") {
  for (const char* line : {"quit", "Q", " qu ", "exit", "e", "EXI"}) CHECK(IsTaskQuitCommand(line));
  for (const char* line : {"", "quit now", "queues", "sh q", "exits"}) CHECK_FALSE(IsTaskQuitCommand(line));
}

TEST_CASE("one argument word matches a keyword by prefix", "[command_grammar]") {
  CHECK(*MatchKeyword("fa", {"PENDING", "FAILED", "DONE", "ALL"}, "option") == "FAILED");
  Result<std::string> ambiguous = MatchKeyword("d", {"DAILY", "DELAYED"}, "PROCESS option");
  REQUIRE_FALSE(ambiguous.ok());
  CHECK(ambiguous.status().message() == "ambiguous PROCESS option 'd' (DAILY or DELAYED)");
}
