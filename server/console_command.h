// server/console_command.h — parsing of Domino console command lines.
//
// Pure: text in, a ConsoleCommand or a clear error out; no server state. Words are
// case-insensitive and may be abbreviated to any unambiguous prefix, as Domino allows
// (`sh ta` = SHOW TASKS, `sh conf` = SHOW CONFIGURATION, `t adminp p all`: the task
// command after TELL <task> is the task's own business and is passed on verbatim).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace notesd {

enum class ConsoleVerb {
  kShowTasks,
  kShowServer,
  kShowConfig,
  kShowStat,
  kSetConfig,
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
  //   LOAD <task args>, RESTART TASK <task>.
  std::string argument;
  std::string task;          // TELL: the task name
  std::string task_command;  // TELL: what follows the task name, verbatim
};

// Parses one console line. InvalidArgument with a one-line explanation for an empty
// line, a control character other than tab (a line break, NUL, ...), an unknown or
// ambiguous word, or a missing argument.
Result<ConsoleCommand> ParseConsoleCommand(std::string_view line);

// The HELP text: every command with a one-line description.
std::string ConsoleHelpText();

// Splits on spaces and tabs.
std::vector<std::string> SplitWords(std::string_view text);

}  // namespace notesd
