// base/command_words.h — matching the words of a task's TELL command, Domino style:
// case-insensitive, and any unambiguous prefix of a keyword is that keyword
// (`t adminp p all`). Header-only, pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/notes_ini.h"
#include "base/status.h"
#include "base/ascii.h"

namespace notesd {

// Splits a command on spaces and tabs.
inline std::vector<std::string> CommandWords(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (c == ' ' || c == '\t') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

// The keyword of `choices` (spelled as in `choices`) that `word` names: an exact match
// or the only keyword it is a prefix of. InvalidArgument "unknown|ambiguous <what> 'x'
// (A, B or C)" otherwise.
inline Result<std::string> MatchKeyword(std::string_view word, const std::vector<std::string>& choices,
                                        std::string_view what) {
  std::vector<std::string> matches;
  for (const std::string& choice : choices) {
    if (EqualsIgnoreCase(word, choice)) return choice;
    if (!word.empty() && word.size() < choice.size() && EqualsIgnoreCase(word, std::string_view(choice).substr(0, word.size())))
      matches.push_back(choice);
  }
  if (matches.size() == 1) return matches.front();
  std::string list;
  for (std::size_t i = 0; i < choices.size(); ++i)
    list += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
  return Status::InvalidArgument(std::string(matches.empty() ? "unknown " : "ambiguous ") + std::string(what) + " '" +
                                 std::string(word) + "' (" + list + ")");
}

}  // namespace notesd
