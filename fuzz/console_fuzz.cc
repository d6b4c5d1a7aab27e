// fuzz_console — feeds the Domino console grammar (server/console_command.h).
//
// Input: console lines, one per line (as typed at the console, sent by nserver -c or by
// the client API's remote console), and the whole input as one line (the remote
// console's "command" may hold anything). Contract checked: an error is one line; a
// parsed command's argument and task command hold no control character but tab (they
// reach notes.ini through SET CONFIG) and are no longer than the line. Seeds:
// fuzz/corpus/console/ (the lines of tests/unit/server_console_command_test.cc).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/console_command.h"

namespace {

bool HasControl(std::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return true;
  }
  return false;
}

void CheckLine(std::string_view line) {
  auto command = notesd::ParseConsoleCommand(line);
  if (!command.ok()) {
    if (command.status().message().find('\n') != std::string::npos) std::abort();
  } else {
    if (command->argument.size() > line.size()) std::abort();
    if (HasControl(command->argument) || HasControl(command->task) || HasControl(command->task_command)) std::abort();
  }
  (void)notesd::SplitWords(line);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    CheckLine(text.substr(start, end - start));
    start = end + 1;
  }
  CheckLine(text);
  return 0;
}
