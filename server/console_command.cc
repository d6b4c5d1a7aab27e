#include "server/console_command.h"

#include <algorithm>
#include <optional>

#include "base/command_grammar.h"
#include "base/notes_ini.h"
#include "base/ascii.h"

namespace notesd {

namespace {

// The console's grammar (base/command_grammar.h): the verb is the form's id.
std::vector<CommandForm> MakeCommands() {
  auto form = [](std::vector<const char*> words, ConsoleVerb verb, bool takes_argument, bool argument_required,
                 const char* help) {
    CommandArgument argument = !takes_argument     ? CommandArgument::kNone
                               : argument_required ? CommandArgument::kRequired
                                                   : CommandArgument::kOptional;
    return CommandForm{std::move(words), static_cast<int>(verb), argument, help};
  };
  return {
      form({"SHOW", "TASKS"}, ConsoleVerb::kShowTasks, false, false, "List the running tasks and what each is doing"),
      form({"SHOW", "SERVER"}, ConsoleVerb::kShowServer, false, false,
           "Server name, domain, directory, elapsed time, counts"),
      form({"SHOW", "CONFIGURATION"}, ConsoleVerb::kShowConfig, true, true,
           "Show notes.ini settings: SHOW CONFIG name or wildcard (*, ?)"),
      form({"SHOW", "STATISTICS"}, ConsoleVerb::kShowStat, true, false,
           "Show statistics: SHOW STAT [name or wildcard]"),
      form({"SET", "CONFIGURATION"}, ConsoleVerb::kSetConfig, true, true,
           "Write a notes.ini setting now: SET CONFIG name=value"),
      form({"SHOW", "DIRECTORY"}, ConsoleVerb::kShowDirectory, false, false,
           "The databases in the data directory and their sizes"),
      form({"SHOW", "USERS"}, ConsoleVerb::kShowUsers, false, false,
           "Who is connected: user, door, client address, databases open, minutes since last used"),
      form({"DROP"}, ConsoleVerb::kDrop, true, true, "Close a user's sessions: DROP name, or DROP ALL"),
      form({"BROADCAST"}, ConsoleVerb::kBroadcast, true, false,
           "Show a message to connected users at their next command: BROADCAST \"text\" (no text: withdraw it)"),
      form({"SHOW", "CLOCK"}, ConsoleVerb::kShowClock, false, false,
           "The server's clock and how far SET CLOCK has moved it"),
      form({"SET", "CLOCK"}, ConsoleVerb::kSetClock, true, true,
           "Tests only (Test_ClockAdvance=1): move the clock forward: SET CLOCK +n[s|m|h|d]"),
      form({"LOAD"}, ConsoleVerb::kLoad, true, true, "Start a task: LOAD task [arguments]"),
      form({"TELL"}, ConsoleVerb::kTell, true, true,
           "Send a command to a task: TELL task command (TELL task QUIT stops it)"),
      form({"RESTART", "TASK"}, ConsoleVerb::kRestartTask, true, true,
           "Stop and start a task again: RESTART TASK task"),
      form({"RESTART", "SERVER"}, ConsoleVerb::kRestartServer, false, false, "Shut down in order and start again"),
      form({"HELP"}, ConsoleVerb::kHelp, false, false, "This list"),
      form({"EXIT"}, ConsoleVerb::kExit, false, false, "Shut the server down in order"),
      form({"QUIT"}, ConsoleVerb::kExit, false, false, "Same as EXIT"),
  };
}

const std::vector<CommandForm>& Commands() {
  static const std::vector<CommandForm> commands = MakeCommands();
  return commands;
}

const CommandGrammar& ConsoleGrammar() {
  static const CommandGrammar grammar{Commands(), "", "Type HELP for the list of commands."};
  return grammar;
}

// Where the declared secret of `line` starts (the index of its first word), when `line`
// is TELL <task> with a form of that task's grammar that declares one
// (CommandForm::secret_word). Matched as the parser and the task match the words.
std::optional<std::size_t> SecretWord(std::string_view line, const TellGrammarLookup& tell_grammar) {
  Result<MatchedCommand> console = MatchCommand(line, ConsoleGrammar());
  if (!console.ok() || console->form->id != static_cast<int>(ConsoleVerb::kTell)) return std::nullopt;
  std::vector<std::string> tell = SplitWords(console->rest);
  const CommandGrammar* grammar = tell.empty() || !tell_grammar ? nullptr : tell_grammar(tell.front());
  if (grammar == nullptr) return std::nullopt;
  std::string_view task_command = std::string_view(console->rest).substr(OffsetAfterWords(console->rest, 1));
  Result<MatchedCommand> told = MatchCommand(task_command, *grammar);
  if (!told.ok() || told->form->secret_word < 0) return std::nullopt;
  return console->keywords + 1 + told->keywords + static_cast<std::size_t>(told->form->secret_word);
}

}  // namespace

std::string MaskConsoleSecrets(std::string_view line, const TellGrammarLookup& tell_grammar) {
  std::optional<std::size_t> secret_word = SecretWord(line, tell_grammar);
  if (!secret_word || SplitWords(line).size() <= *secret_word) return std::string(line);
  size_t start = line.find_first_not_of(" \t", OffsetAfterWords(line, *secret_word));
  return std::string(line.substr(0, start)) + std::string(kMaskedSecret);
}

bool ConsoleSecretLeftOut(std::string_view line, const TellGrammarLookup& tell_grammar) {
  std::optional<std::size_t> secret_word = SecretWord(line, tell_grammar);
  return secret_word && SplitWords(line).size() == *secret_word;
}

Result<ConsoleCommand> ParseConsoleCommand(std::string_view line) {
  // A console command is one line. A line break or other control character (possible
  // from the client API's remote console) would otherwise reach SET CONFIG's value and
  // add lines to notes.ini, unchecked by the key table, or break the one-line answer.
  for (char c : line) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f)
      return Status::InvalidArgument(
          "A console command is one line of text: control characters (such as line breaks) are not allowed.");
  }
  NOTESD_ASSIGN_OR_RETURN(MatchedCommand matched, MatchCommand(line, ConsoleGrammar()));
  ConsoleCommand command;
  command.verb = static_cast<ConsoleVerb>(matched.form->id);
  command.argument = matched.rest;
  const std::string& rest = matched.rest;
  if (command.verb == ConsoleVerb::kTell) {
    std::vector<std::string> parts = SplitWords(rest);
    command.task = parts.front();
    command.task_command = TrimSpaces(std::string_view(rest).substr(OffsetAfterWords(rest, 1)));
    if (command.task_command.empty())
      return Status::InvalidArgument("Missing command for TELL " + command.task + ". Usage: TELL task command.");
  }
  return command;
}

Result<int64_t> ParseClockAdvance(std::string_view text) {
  std::string trimmed = TrimSpaces(text);
  std::string_view rest = trimmed;
  auto bad = [&trimmed] {
    return Status::InvalidArgument("SET CLOCK takes a forward step such as +90s, +2h or +1d (s, m, h, d), not '" +
                                   trimmed + "'");
  };
  if (rest.starts_with('+')) rest.remove_prefix(1);
  int64_t unit = 1;
  if (!rest.empty()) {
    switch (rest.back() | 0x20) {  // ASCII lower case
      case 's':
        unit = 1;
        rest.remove_suffix(1);
        break;
      case 'm':
        unit = 60;
        rest.remove_suffix(1);
        break;
      case 'h':
        unit = 3600;
        rest.remove_suffix(1);
        break;
      case 'd':
        unit = 86400;
        rest.remove_suffix(1);
        break;
      default: break;
    }
  }
  if (rest.empty() || rest.size() > 12 || rest.find_first_not_of("0123456789") != std::string_view::npos) return bad();
  int64_t amount = std::stoll(std::string(rest));
  if (amount == 0) return bad();
  if (amount > kMaxClockAdvanceSeconds / unit)
    return Status::InvalidArgument("SET CLOCK moves the clock at most " +
                                   std::to_string(kMaxClockAdvanceSeconds / 86400) + " days in one step");
  return amount * unit;
}

std::string ConsoleHelpText() {
  std::string text = "Console commands (words may be abbreviated, e.g. 'sh ta'):\n";
  for (const CommandForm& form : Commands()) {
    std::string words = FormWords(form);
    text += "  " + words + std::string(words.size() < 24 ? 24 - words.size() : 1, ' ') + form.help + "\n";
  }
  text.pop_back();
  return text;
}

}  // namespace notesd
