// base/command_grammar.h — the one matcher of command words, Domino style, for the
// server console (server/console_command.*) and every task's TELL commands.
//
// A grammar is a table of forms, each a sequence of keywords. Words are matched
// case-insensitively and any unambiguous prefix of a keyword is that keyword (`sh ta`,
// `t router sh q`, `t adminp p all`); an exact keyword wins over longer ones it is a
// prefix of. At each position the typed word must name one keyword among the forms
// still possible; forms that share an id are aliases (`STAT` and `STATUS`), so a prefix
// of both is not ambiguous. What follows the keywords is the form's argument.
// Pure: text in, a match or an InvalidArgument one-line answer out. Thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace notesd {

enum class CommandArgument {
  kNone,      // nothing may follow the keywords
  kOptional,  // the rest of the line, possibly empty
  kRequired,  // the rest of the line, not empty
};

struct CommandForm {
  std::vector<const char*> words;  // the keywords, upper case
  int id = 0;                      // what the caller dispatches on; aliases share one
  CommandArgument argument = CommandArgument::kNone;
  const char* help = "";  // one line; the usage in a "Missing argument" answer
  // A password argument: from this word of the argument (0: the first word after the
  // keywords) to the end of the line is a secret, masked wherever the line is shown
  // (server/console_command.h MaskConsoleSecrets). -1: the form takes no secret.
  int secret_word = -1;
};

struct CommandGrammar {
  std::span<const CommandForm> forms;
  // Who answers, for messages: "" for the console; "Router" gives "Unknown command for
  // Router: 'x'".
  std::string_view subject;
  // Appended to an unknown-word answer: "Type HELP for the list of commands.".
  std::string_view hint;
};

struct MatchedCommand {
  const CommandForm* form = nullptr;  // into the grammar's table
  std::string rest;                   // the text after the keywords, trimmed, case kept
  std::size_t keywords = 0;           // how many words were keywords
};

// Matches `line` against `grammar`. InvalidArgument naming the problem: an unknown or
// ambiguous word (the answer names the candidates), a command cut short (naming what may
// come next), an argument where none is taken, or a missing required one.
Result<MatchedCommand> MatchCommand(std::string_view line, const CommandGrammar& grammar);

// The keyword of `choices` that one argument word names (an exact match, or the only
// keyword it is a prefix of), spelled as in `choices`. InvalidArgument "unknown|ambiguous
// <what> 'x' (A, B or C)" otherwise.
Result<std::string> MatchKeyword(std::string_view word, const std::vector<std::string>& choices, std::string_view what);

// True when `typed` is a non-empty prefix of `keyword` (ASCII case-insensitive).
bool IsKeywordPrefix(std::string_view typed, std::string_view keyword);

// Splits on spaces and tabs.
std::vector<std::string> SplitWords(std::string_view text);

// The position just after the first `count` words of `line` (line.size() if fewer).
std::size_t OffsetAfterWords(std::string_view line, std::size_t count);

// "A, B, C": keywords for an answer.
std::string JoinKeywords(const std::vector<std::string>& keywords);

// The keywords of a form, space-separated ("SHOW QUEUES").
std::string FormWords(const CommandForm& form);

// The TELL commands every task takes, handled by the server core (server/task_manager):
// `TELL <task> QUIT` or `EXIT`, abbreviated like any other keyword. A task lists them in
// its own grammar (WithTaskQuitForms) so that its answers name them and a prefix shared with
// them is found ambiguous.
inline constexpr int kQuitCommandId = -1;
// `own` followed by the QUIT and EXIT forms (id kQuitCommandId).
std::vector<CommandForm> WithTaskQuitForms(std::vector<CommandForm> own);
// True when `command` is `QUIT` or `EXIT`, or an abbreviation of one (`q`, `ex`).
bool IsTaskQuitCommand(std::string_view command);

}  // namespace notesd
