// server/console_command.h — parsing of Domino console command lines.
//
// Pure: text in, a ConsoleCommand or a clear error out; no server state. Words are
// case-insensitive and may be abbreviated to any unambiguous prefix, as Domino allows
// (`sh ta` = SHOW TASKS, `sh conf` = SHOW CONFIGURATION, `t adminp p all`: the task
// command after TELL <task> is the task's own business and is passed on verbatim).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/command_grammar.h"  // SplitWords, for the console's callers
#include "base/status.h"

namespace notesd {

enum class ConsoleVerb {
  kShowTasks,
  kShowServer,
  kShowConfig,
  kShowStat,
  kSetConfig,
  kShowClock,
  kShowDirectory,
  kShowUsers,
  kDrop,
  kBroadcast,
  kSetClock,
  kLoad,
  kTell,
  kRestartTask,
  kRestartServer,
  kHelp,
  kExit,
};

struct ConsoleCommand {
  ConsoleVerb verb = ConsoleVerb::kHelp;
  // The rest of the line after the command words, trimmed, case kept:
  //   SHOW CONFIG <pattern>, SHOW STAT <pattern>, SET CONFIG <name=value>,
  //   LOAD <task args>, RESTART TASK <task>, SET CLOCK <+n[s|m|h|d]>, DROP <name|ALL>,
  //   BROADCAST "<text>".
  std::string argument;
  std::string task;          // TELL: the task name
  std::string task_command;  // TELL: what follows the task name, verbatim
};

// Parses one console line. InvalidArgument with a one-line explanation for an empty
// line, a control character other than tab (a line break, NUL, ...), an unknown or
// ambiguous word, or a missing argument.
Result<ConsoleCommand> ParseConsoleCommand(std::string_view line);

// The argument of SET CLOCK: "+<n>[s|m|h|d]" (no unit: seconds; the '+' may be left
// out), as seconds. Only forward: InvalidArgument for a negative, zero or malformed
// amount, or more than kMaxClockAdvanceSeconds in one step.
inline constexpr int64_t kMaxClockAdvanceSeconds = 10LL * 366 * 86400;
Result<int64_t> ParseClockAdvance(std::string_view text);

// The HELP text: every command with a one-line description.
std::string ConsoleHelpText();

// Password arguments. A task's TELL grammar declares which words of a command are a
// secret (CommandForm::secret_word; the task's TaskSpec::tell_grammar, found by `tell_grammar`): MaskConsoleSecrets is
// what every sink shows of a console line (console.log, log.nsf, the console history, the remote console's log line,
// the argv of `nserver -c`), and ConsoleSecretLeftOut tells `nserver -c` to ask for the secret instead of taking it
// from its command line.
inline constexpr std::string_view kMaskedSecret = "********";

// The TELL grammar of the task a TELL line names (TaskRegistry::TellGrammar), or nullptr.
using TellGrammarLookup = std::function<const CommandGrammar*(std::string_view task_name)>;

// `line` with every declared secret (from its first word to the end of the line) shown as
// kMaskedSecret; any other line is returned unchanged. Keywords match as the parser and
// the tasks match them: case-insensitive prefixes.
std::string MaskConsoleSecrets(std::string_view line, const TellGrammarLookup& tell_grammar);

// True when `line` is a command that declares a secret and the line ends before it
// (`tell ca activate 1`): the caller may ask for the secret and append it.
bool ConsoleSecretLeftOut(std::string_view line, const TellGrammarLookup& tell_grammar);

}  // namespace notesd
