#include "server/console_log_file.h"

namespace notesd {

void ConsoleLogFile::Open(const std::filesystem::path& path) {
  std::lock_guard lock(mutex_);
  path_ = path;
  OpenLocked();
}

void ConsoleLogFile::SetMaxBytes(int64_t max_bytes) {
  std::lock_guard lock(mutex_);
  max_bytes_ = max_bytes;
}

void ConsoleLogFile::Reopen() {
  std::lock_guard lock(mutex_);
  OpenLocked();
}

void ConsoleLogFile::Write(std::string_view line) {
  std::lock_guard lock(mutex_);
  const auto bytes = static_cast<int64_t>(line.size()) + 1;
  if (max_bytes_ > 0 && size_ > 0 && size_ + bytes > max_bytes_) RotateLocked();
  if (!file_) return;
  file_ << line << '\n' << std::flush;
  size_ += bytes;
}

void ConsoleLogFile::OpenLocked() {
  if (file_.is_open()) file_.close();
  file_.clear();
  file_.open(path_, std::ios::app);
  // Owner-only, also when an older server made it with a wider mode (the umask set at
  // start-up covers a new file).
  std::error_code ignored;
  std::filesystem::permissions(path_, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace, ignored);
  auto size = std::filesystem::file_size(path_, ignored);
  size_ = ignored ? 0 : static_cast<int64_t>(size);
}

void ConsoleLogFile::RotateLocked() {
  file_.close();
  std::filesystem::path old = path_;
  old += ".1";
  std::error_code ignored;
  std::filesystem::rename(path_, old, ignored);
  OpenLocked();
}

}  // namespace notesd
