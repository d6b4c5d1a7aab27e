// base/terminal.h — asking a person for a secret on the terminal (echo off), and taking
// secrets out of the environment so they do not stay in /proc/<pid>/environ.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace notesd {

// True when stdin is a terminal a person could answer on.
bool StdinIsTerminal();

// Prints `prompt` on stderr and reads one line from the terminal with echo off.
// Unavailable when stdin is not a terminal.
Result<std::string> PromptSecret(std::string_view prompt);

// Prints `prompt` on stderr and reads one line from the terminal (echo on).
// Unavailable when stdin is not a terminal.
Result<std::string> PromptLine(std::string_view prompt);

// Reads one line from stdin when it is not a terminal (a secret piped in by a script),
// without its line end. Unavailable at end of input.
Result<std::string> ReadSecretLine();

// The environment variables of notesd that may hold a password.
inline constexpr const char* kSecretEnvironmentVariables[] = {"NOTESD_CERTIFIER_PASSWORD", "NOTESD_ADMIN_PASSWORD",
                                                              "NOTESD_PASSWORD"};

// The value of `name` (empty when unset), then the variable is gone: its bytes in the
// process's original environment block (what /proc/<pid>/environ shows) are overwritten
// and it is unset, so neither that file nor a child or re-exec'd process sees it.
std::string TakeSecretFromEnvironment(const char* name);

// TakeSecretFromEnvironment for every kSecretEnvironmentVariables entry, values dropped.
void ForgetSecretEnvironment();

// A secret from, in order: `given` (a command-line option), the environment variable
// `env_name` (taken out of the environment, see TakeSecretFromEnvironment), a prompt on
// the terminal. InvalidArgument naming all three when none works.
Result<std::string> ObtainSecret(const std::string& given, const char* env_name, std::string_view prompt,
                                 std::string_view option_name);

}  // namespace notesd
