// core/terminal.h — asking a person for a secret on the terminal (echo off).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace notesd {

// True when stdin is a terminal a person could answer on.
bool StdinIsTerminal();

// Prints `prompt` on stderr and reads one line from the terminal with echo off.
// Unavailable when stdin is not a terminal.
Result<std::string> PromptSecret(std::string_view prompt);

// Prints `prompt` on stderr and reads one line from the terminal (echo on).
// Unavailable when stdin is not a terminal.
Result<std::string> PromptLine(std::string_view prompt);

// A secret from, in order: `given` (a command-line option), the environment variable
// `env_name`, a prompt on the terminal. InvalidArgument naming all three when none works.
Result<std::string> ObtainSecret(const std::string& given, const char* env_name, std::string_view prompt,
                                 std::string_view option_name);

}  // namespace notesd
