#include "server/console_command.h"

#include <algorithm>

#include "base/notes_ini.h"
#include "base/ascii.h"

namespace notesd {

namespace {

// One entry of the grammar: a sequence of keywords and the verb it makes.
struct Grammar {
  std::vector<const char*> words;
  ConsoleVerb verb;
  bool takes_argument;  // true: the rest of the line is the argument (may be required)
  bool argument_required;
  const char* help;
};

const std::vector<Grammar>& Commands() {
  static const std::vector<Grammar> commands = {
      {{"SHOW", "TASKS"}, ConsoleVerb::kShowTasks, false, false, "List the running tasks and what each is doing"},
      {{"SHOW", "SERVER"}, ConsoleVerb::kShowServer, false, false, "Server name, domain, directory, elapsed time, counts"},
      {{"SHOW", "CONFIGURATION"}, ConsoleVerb::kShowConfig, true, true, "Show notes.ini settings: SHOW CONFIG name or wildcard (*, ?)"},
      {{"SHOW", "STATISTICS"}, ConsoleVerb::kShowStat, true, false, "Show statistics: SHOW STAT [name or wildcard]"},
      {{"SET", "CONFIGURATION"}, ConsoleVerb::kSetConfig, true, true, "Write a notes.ini setting now: SET CONFIG name=value"},
      {{"SHOW", "CLOCK"}, ConsoleVerb::kShowClock, false, false, "The server's clock and how far SET CLOCK has moved it"},
      {{"SET", "CLOCK"}, ConsoleVerb::kSetClock, true, true, "Tests only (Test_ClockAdvance=1): move the clock forward: SET CLOCK +n[s|m|h|d]"},
      {{"LOAD"}, ConsoleVerb::kLoad, true, true, "Start a task: LOAD task [arguments]"},
      {{"TELL"}, ConsoleVerb::kTell, true, true, "Send a command to a task: TELL task command (TELL task QUIT stops it)"},
      {{"RESTART", "TASK"}, ConsoleVerb::kRestartTask, true, true, "Stop and start a task again: RESTART TASK task"},
      {{"RESTART", "SERVER"}, ConsoleVerb::kRestartServer, false, false, "Shut down in order and start again"},
      {{"HELP"}, ConsoleVerb::kHelp, false, false, "This list"},
      {{"EXIT"}, ConsoleVerb::kExit, false, false, "Shut the server down in order"},
      {{"QUIT"}, ConsoleVerb::kExit, false, false, "Same as EXIT"},
  };
  return commands;
}

// A password argument: after the keyword path `words` (the console's keywords, then for
// TELL the task name and the task's own keywords), the words from `first_secret` on (0:
// the first word after the path) to the end of the line are the secret.
struct SecretArgument {
  std::vector<const char*> words;
  size_t first_secret;
};

const std::vector<SecretArgument>& SecretArguments() {
  static const std::vector<SecretArgument> secrets = {
      {{"TELL", "CA", "ACTIVATE"}, 1},  // TELL CA ACTIVATE <n> <password>
      {{"TELL", "CA", "UNLOCK"}, 1},    // TELL CA UNLOCK IDFILE <password>
      // The CA task's other name (Domino's program name, ca_task.cc's registration).
      {{"TELL", "NCA", "ACTIVATE"}, 1},
      {{"TELL", "NCA", "UNLOCK"}, 1},
  };
  return secrets;
}

bool IsPrefixOf(std::string_view typed, std::string_view keyword);

// The declared secret argument `line` is an instance of, and where its secret starts
// (the index of the word), or nullptr.
const SecretArgument* FindSecretArgument(const std::vector<std::string>& typed, size_t* secret_word) {
  for (const SecretArgument& secret : SecretArguments()) {
    if (typed.size() < secret.words.size()) continue;
    bool matches = true;
    for (size_t i = 0; i < secret.words.size() && matches; ++i) matches = IsPrefixOf(typed[i], secret.words[i]);
    if (!matches) continue;
    *secret_word = secret.words.size() + secret.first_secret;
    return &secret;
  }
  return nullptr;
}

bool IsPrefixOf(std::string_view typed, std::string_view keyword) {
  return !typed.empty() && typed.size() <= keyword.size() &&
         EqualsIgnoreCase(typed, keyword.substr(0, typed.size()));
}

std::string JoinAlternatives(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

// Position of the first character after `count` words of `line`.
size_t OffsetAfterWords(std::string_view line, size_t count) {
  size_t pos = 0;
  for (size_t i = 0; i < count; ++i) {
    pos = line.find_first_not_of(" \t", pos);
    pos = line.find_first_of(" \t", pos);
    if (pos == std::string_view::npos) return line.size();
  }
  return pos;
}

}  // namespace

std::string MaskConsoleSecrets(std::string_view line) {
  size_t secret_word = 0;
  if (!FindSecretArgument(SplitWords(line), &secret_word) || SplitWords(line).size() <= secret_word)
    return std::string(line);
  size_t start = line.find_first_not_of(" \t", OffsetAfterWords(line, secret_word));
  return std::string(line.substr(0, start)) + std::string(kMaskedSecret);
}

bool ConsoleSecretLeftOut(std::string_view line) {
  std::vector<std::string> typed = SplitWords(line);
  size_t secret_word = 0;
  return FindSecretArgument(typed, &secret_word) && typed.size() == secret_word;
}

std::vector<std::string> SplitWords(std::string_view text) {
  std::vector<std::string> words;
  size_t pos = 0;
  while (true) {
    size_t start = text.find_first_not_of(" \t", pos);
    if (start == std::string_view::npos) break;
    size_t end = text.find_first_of(" \t", start);
    if (end == std::string_view::npos) end = text.size();
    words.emplace_back(text.substr(start, end - start));
    pos = end;
  }
  return words;
}

Result<ConsoleCommand> ParseConsoleCommand(std::string_view line) {
  // A console command is one line. A line break or other control character (possible
  // from the client API's remote console) would otherwise reach SET CONFIG's value and
  // add lines to notes.ini, unchecked by the key table, or break the one-line answer.
  for (char c : line) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f)
      return Status::InvalidArgument("A console command is one line of text: control characters (such as line breaks) are not allowed.");
  }
  std::vector<std::string> words = SplitWords(line);
  if (words.empty()) return Status::InvalidArgument("Empty command. Type HELP for the list of commands.");

  // Narrow the candidates word by word; at each position the typed word must be a prefix
  // of exactly one distinct keyword among the remaining candidates (an exact match wins).
  std::vector<const Grammar*> candidates;
  for (const Grammar& g : Commands()) candidates.push_back(&g);
  size_t depth = 0;
  while (true) {
    std::vector<const Grammar*> still_open;
    bool any_longer = false;
    for (const Grammar* g : candidates) any_longer |= g->words.size() > depth;
    if (!any_longer) break;
    if (depth >= words.size()) {
      std::vector<std::string> expected;
      for (const Grammar* g : candidates)
        if (g->words.size() > depth) expected.push_back(g->words[depth]);
      return Status::InvalidArgument("Incomplete command '" + TrimSpaces(line) + "': expected one of " +
                                     JoinAlternatives(expected) + ".");
    }
    const std::string& typed = words[depth];
    std::vector<std::string> matched_keywords;
    for (const Grammar* g : candidates) {
      if (g->words.size() <= depth) continue;
      if (EqualsIgnoreCase(typed, g->words[depth])) {
        matched_keywords = {g->words[depth]};
        break;
      }
      if (IsPrefixOf(typed, g->words[depth]) &&
          std::find(matched_keywords.begin(), matched_keywords.end(), g->words[depth]) == matched_keywords.end())
        matched_keywords.push_back(g->words[depth]);
    }
    if (matched_keywords.empty()) {
      std::string where = depth == 0 ? "Unknown command '" + typed + "'"
                                     : "Unknown word '" + typed + "' after " + ToUpperAscii(words[depth - 1]);
      return Status::InvalidArgument(where + ". Type HELP for the list of commands.");
    }
    if (matched_keywords.size() > 1)
      return Status::InvalidArgument("Ambiguous word '" + typed + "': could be " + JoinAlternatives(matched_keywords) + ".");
    for (const Grammar* g : candidates)
      if (g->words.size() > depth && g->words[depth] == matched_keywords.front()) still_open.push_back(g);
    candidates = std::move(still_open);
    ++depth;
  }

  const Grammar& grammar = *candidates.front();
  ConsoleCommand command;
  command.verb = grammar.verb;
  std::string rest = TrimSpaces(line.substr(OffsetAfterWords(line, depth)));
  if (!grammar.takes_argument && !rest.empty())
    return Status::InvalidArgument("Unexpected '" + rest + "' after " + ToUpperAscii(TrimSpaces(line.substr(0, OffsetAfterWords(line, depth)))) + ".");
  if (grammar.argument_required && rest.empty()) {
    std::string usage = grammar.help;
    return Status::InvalidArgument("Missing argument. " + usage + ".");
  }
  command.argument = rest;
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
      case 's': unit = 1; rest.remove_suffix(1); break;
      case 'm': unit = 60; rest.remove_suffix(1); break;
      case 'h': unit = 3600; rest.remove_suffix(1); break;
      case 'd': unit = 86400; rest.remove_suffix(1); break;
      default: break;
    }
  }
  if (rest.empty() || rest.size() > 12 || rest.find_first_not_of("0123456789") != std::string_view::npos) return bad();
  int64_t amount = std::stoll(std::string(rest));
  if (amount == 0) return bad();
  if (amount > kMaxClockAdvanceSeconds / unit)
    return Status::InvalidArgument("SET CLOCK moves the clock at most " + std::to_string(kMaxClockAdvanceSeconds / 86400) +
                                   " days in one step");
  return amount * unit;
}

std::string ConsoleHelpText() {
  std::string text = "Console commands (words may be abbreviated, e.g. 'sh ta'):\n";
  for (const Grammar& g : Commands()) {
    std::string words;
    for (const char* w : g.words) words += std::string(words.empty() ? "" : " ") + w;
    text += "  " + words + std::string(words.size() < 24 ? 24 - words.size() : 1, ' ') + g.help + "\n";
  }
  text.pop_back();
  return text;
}

}  // namespace notesd
