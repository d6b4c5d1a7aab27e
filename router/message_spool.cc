#include "router/message_spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "pki/crypto.h"
#include "base/scoped_fd.h"

namespace notesd {

namespace {

Status Errno(const std::string& what, const std::filesystem::path& path) {
  return Status::IOError(what + " " + path.string() + ": " + std::strerror(errno));
}

// Writes all of `bytes` to `fd`, retrying on EINTR and short writes.
bool WriteFully(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Buffered writes: flushed to the file in pieces of this size.
constexpr std::size_t kWriteChunk = 64 * 1024;

// fsyncs a file or directory opened with `flags`.
Status SyncPath(const std::filesystem::path& path, int flags, const char* what) {
  ScopedFd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (fd.get() < 0) return Errno(std::string("cannot open ") + what, path);
  if (::fsync(fd.get()) != 0) return Errno(std::string("cannot fsync ") + what, path);
  return Status::Ok();
}

}  // namespace

Status EnsurePrivateDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return Status::Ok();
  std::filesystem::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Errno("cannot create directory", dir);
  return Status::Ok();
}

Status SyncDirectory(const std::filesystem::path& dir) { return SyncPath(dir, O_RDONLY | O_DIRECTORY, "directory"); }

Status SyncFile(const std::filesystem::path& file) { return SyncPath(file, O_RDONLY, "file"); }

Result<std::string> ReadFileBytes(const std::filesystem::path& file, std::uint64_t max_bytes) {
  ScopedFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return Status::NotFound("message body " + file.string() + " is missing");
    return Errno("cannot open", file);
  }
  struct stat st {};
  std::string out;
  if (::fstat(fd.get(), &st) == 0) {
    std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
    out.reserve(max_bytes > 0 && max_bytes < size ? max_bytes : size);
  }
  char buffer[kWriteChunk];
  while (max_bytes == 0 || out.size() < max_bytes) {
    std::size_t want = sizeof buffer;
    if (max_bytes > 0) want = std::min<std::uint64_t>(want, max_bytes - out.size());
    ssize_t n = ::read(fd.get(), buffer, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot read", file);
    if (n == 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

MessageSpool::MessageSpool(std::filesystem::path spool_dir) : spool_dir_(std::move(spool_dir)) {}

MessageSpool::~MessageSpool() {
  CloseFile();
  if (!file_.empty()) ::unlink(file_.c_str());
}

void MessageSpool::CloseFile() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status MessageSpool::Append(std::string_view bytes) {
  if (!failed_.ok()) return failed_;
  std::size_t before = memory_.size();
  canonicalizer_.Feed(bytes, &memory_);
  size_ += memory_.size() - before;
  if (fd_ < 0 && size_ > kSpoolThreshold) return SpillToFile();
  if (fd_ >= 0 && memory_.size() >= kWriteChunk) return Flush();
  return Status::Ok();
}

Status MessageSpool::Finish() {
  if (!failed_.ok()) return failed_;
  std::size_t before = memory_.size();
  canonicalizer_.Finish(&memory_);
  size_ += memory_.size() - before;
  if (fd_ < 0) return Status::Ok();
  NOTESD_RETURN_IF_ERROR(Flush());
  CloseFile();  // no fsync here (an io thread): mail.box's committer syncs it (mail_store.h)
  return Status::Ok();
}

Status MessageSpool::SpillToFile() {
  if (Status made = EnsurePrivateDirectory(spool_dir_); !made.ok()) return failed_ = made;
  for (int attempt = 0; attempt < 8 && fd_ < 0; ++attempt) {
    auto random = RandomBytes(12);
    if (!random.ok()) return failed_ = random.status();
    file_ = spool_dir_ / (HexEncode(*random) + ".tmp");
    fd_ = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0 && errno != EEXIST) {
      Status error = Errno("cannot create spool file", file_);
      file_.clear();
      return failed_ = error;
    }
  }
  if (fd_ < 0) {
    file_.clear();
    return failed_ = Status::IOError("cannot create a spool file in " + spool_dir_.string());
  }
  return Flush();
}

Status MessageSpool::Flush() {
  if (!WriteFully(fd_, memory_)) return failed_ = Errno("cannot write spool file", file_);
  memory_.clear();
  if (memory_.capacity() > 2 * kWriteChunk) memory_.shrink_to_fit();
  return Status::Ok();
}

std::string MessageSpool::TakeBytes() {
  std::string out;
  out.swap(memory_);
  return out;
}

std::filesystem::path MessageSpool::TakeFile() {
  CloseFile();
  std::filesystem::path out;
  out.swap(file_);
  return out;
}

}  // namespace notesd
