#include "server/console_input.h"

#include <editline/readline.h>
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace notesd {

namespace {
// libedit's callback interface takes a plain function; one console per process.
ConsoleInput::LineHandler* g_terminal_handler = nullptr;
ConsoleInput::HistoryMasker* g_terminal_mask = nullptr;

void OnTerminalLine(char* raw) {
  if (!raw) {
    std::printf("\nType EXIT or QUIT to shut the server down.\n");
    return;
  }
  std::string line(raw);
  std::free(raw);
  if (line.find_first_not_of(" \t") == std::string::npos) return;
  // The history file must never hold a password: it keeps the masked line.
  if (g_terminal_mask) add_history((*g_terminal_mask)(line).c_str());
  if (g_terminal_handler) (*g_terminal_handler)(line);
}
}  // namespace

ConsoleInput::ConsoleInput(LineHandler on_line, HistoryMasker mask, std::filesystem::path history_file,
                           int history_size)
    : on_line_(std::move(on_line)),
      mask_(std::move(mask)),
      history_file_(std::move(history_file)),
      history_size_(history_size) {
  is_terminal_ = ::isatty(STDIN_FILENO) == 1;
}

ConsoleInput::~ConsoleInput() { Stop(); }

void ConsoleInput::Start() {
  if (::pipe(wake_pipe_) != 0) return;
  thread_ = std::thread([this] { is_terminal_ ? ReadTerminalLoop() : ReadPipeLoop(); });
}

void ConsoleInput::Stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  char byte = 'x';
  (void)!::write(wake_pipe_[1], &byte, 1);
  thread_.join();
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
}

bool ConsoleInput::WaitForInput() {
  pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
  while (!stopping_) {
    int ready = ::poll(fds, 2, -1);
    if (ready < 0) continue;  // EINTR
    if (fds[1].revents) return false;
    if (fds[0].revents) return true;
  }
  return false;
}

void ConsoleInput::ReadPipeLoop() {
  std::string pending;
  char chunk[4096];
  while (WaitForInput()) {
    ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
    if (n <= 0) return;  // end of input: the server keeps running without a console
    pending.append(chunk, static_cast<size_t>(n));
    size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") != std::string::npos) on_line_(line);
      if (stopping_) return;
    }
  }
}

void ConsoleInput::ReadTerminalLoop() {
  using_history();
  stifle_history(history_size_);
  read_history(history_file_.c_str());
  g_terminal_handler = &on_line_;
  g_terminal_mask = &mask_;
  rl_callback_handler_install("> ", OnTerminalLine);
  while (WaitForInput()) rl_callback_read_char();
  rl_callback_handler_remove();
  g_terminal_handler = nullptr;
  g_terminal_mask = nullptr;
  write_history(history_file_.c_str());
}

}  // namespace notesd
