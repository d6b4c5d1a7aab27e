#include "base/command_grammar.h"

#include <algorithm>

#include "base/ascii.h"
#include "base/notes_ini.h"

namespace notesd {

namespace {

bool SameKeyword(std::string_view typed, std::string_view keyword) { return EqualsIgnoreCase(typed, keyword); }

// The forms of `candidates` longer than `depth` whose keyword there `typed` names: the
// ones it spells exactly if any, otherwise the ones it is a prefix of.
std::vector<const CommandForm*> Narrow(const std::vector<const CommandForm*>& candidates, std::size_t depth,
                                       std::string_view typed) {
  std::vector<const CommandForm*> exact, prefixed;
  for (const CommandForm* form : candidates) {
    if (form->words.size() <= depth) continue;
    if (SameKeyword(typed, form->words[depth]))
      exact.push_back(form);
    else if (IsKeywordPrefix(typed, form->words[depth]))
      prefixed.push_back(form);
  }
  return exact.empty() ? prefixed : exact;
}

// The distinct keywords at `depth` of `forms`, in table order.
std::vector<std::string> KeywordsAt(const std::vector<const CommandForm*>& forms, std::size_t depth) {
  std::vector<std::string> keywords;
  for (const CommandForm* form : forms)
    if (form->words.size() > depth && std::find(keywords.begin(), keywords.end(), form->words[depth]) == keywords.end())
      keywords.emplace_back(form->words[depth]);
  return keywords;
}

bool AllOneId(const std::vector<const CommandForm*>& forms) {
  return std::all_of(forms.begin(), forms.end(), [&](const CommandForm* f) { return f->id == forms.front()->id; });
}

std::string WithHint(std::string message, std::string_view hint) {
  return hint.empty() ? message : message + " " + std::string(hint);
}

}  // namespace

bool IsKeywordPrefix(std::string_view typed, std::string_view keyword) {
  return !typed.empty() && typed.size() <= keyword.size() && EqualsIgnoreCase(typed, keyword.substr(0, typed.size()));
}

std::vector<std::string> SplitWords(std::string_view text) {
  std::vector<std::string> words;
  std::size_t pos = 0;
  while (true) {
    std::size_t start = text.find_first_not_of(" \t", pos);
    if (start == std::string_view::npos) break;
    std::size_t end = text.find_first_of(" \t", start);
    if (end == std::string_view::npos) end = text.size();
    words.emplace_back(text.substr(start, end - start));
    pos = end;
  }
  return words;
}

std::size_t OffsetAfterWords(std::string_view line, std::size_t count) {
  std::size_t pos = 0;
  for (std::size_t i = 0; i < count; ++i) {
    pos = line.find_first_not_of(" \t", pos);
    if (pos == std::string_view::npos) return line.size();
    pos = line.find_first_of(" \t", pos);
    if (pos == std::string_view::npos) return line.size();
  }
  return pos;
}

std::string JoinKeywords(const std::vector<std::string>& keywords) {
  std::string out;
  for (std::size_t i = 0; i < keywords.size(); ++i) out += (i ? ", " : "") + keywords[i];
  return out;
}

std::string FormWords(const CommandForm& form) {
  std::string words;
  for (const char* word : form.words) words += std::string(words.empty() ? "" : " ") + word;
  return words;
}

Result<MatchedCommand> MatchCommand(std::string_view line, const CommandGrammar& grammar) {
  const std::vector<std::string> words = SplitWords(line);
  const std::string who = grammar.subject.empty() ? std::string() : " for " + std::string(grammar.subject);
  if (words.empty()) return Status::InvalidArgument(WithHint("Empty command" + who + ".", grammar.hint));

  // Narrow the candidates word by word while some form has a keyword at that position.
  std::vector<const CommandForm*> candidates;
  for (const CommandForm& form : grammar.forms) candidates.push_back(&form);
  std::size_t depth = 0;
  for (; depth < words.size(); ++depth) {
    bool any_longer = std::any_of(candidates.begin(), candidates.end(),
                                  [&](const CommandForm* f) { return f->words.size() > depth; });
    if (!any_longer) break;
    std::vector<const CommandForm*> matched = Narrow(candidates, depth, words[depth]);
    if (matched.empty()) {
      // A complete form that takes an argument: the word starts the argument.
      bool argument_here = std::any_of(candidates.begin(), candidates.end(), [&](const CommandForm* f) {
        return f->words.size() == depth && f->argument != CommandArgument::kNone;
      });
      if (argument_here) break;
      std::string message = depth == 0
                                ? "Unknown command" + (who.empty() ? "" : who + ":") + " '" + words[0] + "'."
                                : "Unknown word '" + words[depth] + "' after " + ToUpperAscii(words[depth - 1]) + ".";
      return Status::InvalidArgument(WithHint(message, grammar.hint));
    }
    std::vector<std::string> keywords = KeywordsAt(matched, depth);
    if (keywords.size() > 1 && !AllOneId(matched))
      return Status::InvalidArgument("Ambiguous word '" + words[depth] + "'" + who + ": could be " +
                                     JoinKeywords(keywords) + ".");
    candidates = std::move(matched);
  }

  const CommandForm* form = nullptr;
  for (const CommandForm* candidate : candidates)
    if (candidate->words.size() == depth) {
      form = candidate;
      break;
    }
  if (!form)
    return Status::InvalidArgument("Incomplete command '" + TrimSpaces(line) + "': expected one of " +
                                   JoinKeywords(KeywordsAt(candidates, depth)) + ".");
  MatchedCommand matched;
  matched.form = form;
  matched.keywords = depth;
  matched.rest = TrimSpaces(line.substr(OffsetAfterWords(line, depth)));
  if (form->argument == CommandArgument::kNone && !matched.rest.empty())
    return Status::InvalidArgument("Unexpected '" + matched.rest + "' after " +
                                   ToUpperAscii(TrimSpaces(line.substr(0, OffsetAfterWords(line, depth)))) + ".");
  if (form->argument == CommandArgument::kRequired && matched.rest.empty())
    return Status::InvalidArgument("Missing argument. " + std::string(form->help) + ".");
  return matched;
}

Result<std::string> MatchKeyword(std::string_view word, const std::vector<std::string>& choices,
                                 std::string_view what) {
  std::vector<std::string> matches;
  for (const std::string& choice : choices) {
    if (SameKeyword(word, choice)) return choice;
    if (IsKeywordPrefix(word, choice)) matches.push_back(choice);
  }
  if (matches.size() == 1) return matches.front();
  std::string list;
  for (std::size_t i = 0; i < choices.size(); ++i)
    list += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
  return Status::InvalidArgument(std::string(matches.empty() ? "unknown " : "ambiguous ") + std::string(what) + " '" +
                                 std::string(word) + "' (" + list + ")");
}

std::vector<CommandForm> WithTaskQuitForms(std::vector<CommandForm> own) {
  own.push_back({{"QUIT"}, kQuitCommandId, CommandArgument::kNone, "Stop the task"});
  own.push_back({{"EXIT"}, kQuitCommandId, CommandArgument::kNone, "Stop the task"});
  return own;
}

bool IsTaskQuitCommand(std::string_view command) {
  std::vector<std::string> words = SplitWords(command);
  return words.size() == 1 && (IsKeywordPrefix(words[0], "QUIT") || IsKeywordPrefix(words[0], "EXIT"));
}

}  // namespace notesd
