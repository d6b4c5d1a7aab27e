// server/console_input.h — the interactive server console: reads command lines from
// stdin on its own thread. On a terminal it offers line editing and a history kept in
// the data directory (libedit); from a pipe it reads plain lines. Stop() wakes the
// reader through a pipe, so shutdown never waits for a keystroke.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

namespace notesd {

class ConsoleInput {
 public:
  using LineHandler = std::function<void(const std::string& line)>;
  // What the history keeps of a line (the line with its passwords masked).
  using HistoryMasker = std::function<std::string(std::string_view line)>;
  ConsoleInput(LineHandler on_line, HistoryMasker mask, std::filesystem::path history_file, int history_size);
  ConsoleInput(const ConsoleInput&) = delete;
  ConsoleInput& operator=(const ConsoleInput&) = delete;
  ~ConsoleInput();

  void Start();
  // Stops reading and joins the thread. Must not be called from the line handler.
  void Stop();
  bool IsTerminal() const { return is_terminal_; }

 private:
  void ReadPipeLoop();
  void ReadTerminalLoop();
  // Waits until stdin is readable (true) or Stop() was called (false).
  bool WaitForInput();

  LineHandler on_line_;
  HistoryMasker mask_;
  std::filesystem::path history_file_;
  int history_size_;
  bool is_terminal_ = false;
  int wake_pipe_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace notesd
