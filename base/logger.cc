#include "base/logger.h"

#include <ctime>

#include "base/display_text.h"
#include "base/time_text.h"

namespace notesd {

std::string DominoTimestamp(int64_t time_micros) {
  return FormatMicros(time_micros, "%m/%d/%Y %I:%M:%S %p", TimeZoneOf::kLocal);
}

std::string LogRecord::Formatted() const {
  std::string line = DominoTimestamp(time_micros) + "  ";
  if (!source.empty()) line += source + ": ";
  return line + message;
}

int Logger::AddSink(Sink sink) {
  std::lock_guard lock(mutex_);
  sinks_.emplace_back(next_id_, std::move(sink));
  return next_id_++;
}

void Logger::RemoveSink(int id) {
  std::lock_guard lock(mutex_);
  std::erase_if(sinks_, [id](const auto& entry) { return entry.first == id; });
}

void Logger::Log(std::string_view source, std::string_view message, LogLevel level) {
  int64_t now = clock_->NowMicros();
  std::lock_guard lock(mutex_);
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string_view::npos) end = message.size();
    LogRecord record{now, EscapeForDisplay(source), EscapeForDisplay(message.substr(start, end - start)), level};
    for (auto& [id, sink] : sinks_) sink(record);
    if (end == message.size()) break;
    start = end + 1;
  }
}

}  // namespace notesd
