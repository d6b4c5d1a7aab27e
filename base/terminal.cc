#include "base/terminal.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

namespace notesd {

bool StdinIsTerminal() { return ::isatty(STDIN_FILENO) == 1; }

Result<std::string> PromptSecret(std::string_view prompt) {
  if (!StdinIsTerminal()) return Status::Unavailable("no terminal to ask on");
  // Echo goes off before the prompt shows, so a secret typed the moment the prompt
  // appears is never echoed.
  termios saved{};
  tcgetattr(STDIN_FILENO, &saved);
  termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::fprintf(stderr, "%.*s", static_cast<int>(prompt.size()), prompt.data());
  std::fflush(stderr);
  std::string line;
  std::getline(std::cin, line);
  tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  std::fprintf(stderr, "\n");
  return line;
}

Result<std::string> PromptLine(std::string_view prompt) {
  if (!StdinIsTerminal()) return Status::Unavailable("no terminal to ask on");
  std::fprintf(stderr, "%.*s", static_cast<int>(prompt.size()), prompt.data());
  std::fflush(stderr);
  std::string line;
  std::getline(std::cin, line);
  return line;
}

Result<std::string> ReadSecretLine() {
  std::string line;
  if (!std::getline(std::cin, line)) return Status::Unavailable("no line on standard input");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string TakeSecretFromEnvironment(const char* name) {
  char* value = std::getenv(name);
  if (value == nullptr) return std::string();
  std::string secret(value);
  // getenv points into the environment block the kernel copied at exec (unless setenv
  // made the variable): /proc/<pid>/environ reads those bytes, which unsetenv leaves.
  std::memset(value, 0, secret.size());
  ::unsetenv(name);
  return secret;
}

void ForgetSecretEnvironment() {
  for (const char* name : kSecretEnvironmentVariables) (void)TakeSecretFromEnvironment(name);
}

Result<std::string> ObtainSecret(const std::string& given, const char* env_name, std::string_view prompt,
                                 std::string_view option_name) {
  if (!given.empty()) return given;
  if (std::string env = TakeSecretFromEnvironment(env_name); !env.empty()) return env;
  auto typed = PromptSecret(prompt);
  if (typed.ok()) return typed;
  return Status::InvalidArgument("no " + std::string(prompt.substr(0, prompt.find(':'))) + " given (use " +
                                 std::string(option_name) + ", " + env_name + " or a terminal)");
}

}  // namespace notesd
