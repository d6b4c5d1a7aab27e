// router/message_spool.h — a message being received, kept in memory while it is small
// and spooled to a file of its own once it is not, so that memory does not grow with
// the size of a message (issue 13: four 100 MB messages took the server to 1.6 GB).
//
// Owns: the bytes of one message in progress (line ends made CRLF-canonical as they
// arrive, router/mail_message.h) and, past kSpoolThreshold bytes, its spool file
// `<data>/mail.box.spool/<random>.tmp` (0600, created with O_EXCL, in a 0700 directory),
// removed when the spool is destroyed unless the file was handed on (TakeFile).
//
// Why a file and not LMDB: LMDB needs a whole value at put time, and without MDB_WRITEMAP
// a write transaction keeps its dirty pages in heap, so a 20 MB $Message costs 20 MB of
// RSS per message in flight however it is produced (MDB_RESERVE too); with MDB_WRITEMAP
// the pages are in the mapping and count in VmRSS all the same. A body written with
// write(2) costs only page cache, which is not the process's memory. So a large message
// is stored as a file referenced from its note, as Domino keeps attachments in DAOS
// (router/mail_store.h says how mail.box and the mail files refer to it).
//
// Thread safety: none; one spool per session.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/status.h"
#include "router/mail_message.h"

namespace notesd {

// Messages up to this size stay in memory (and inline in their note): most mail, and
// the cost of a file per message would show in bench/smtp_inbound.sh.
inline constexpr std::uint64_t kSpoolThreshold = std::uint64_t{256} << 10;

class MessageSpool {
 public:
  // `spool_dir` is created (0700) when the first file is needed.
  explicit MessageSpool(std::filesystem::path spool_dir);
  ~MessageSpool();  // removes a spool file not taken
  MessageSpool(const MessageSpool&) = delete;
  MessageSpool& operator=(const MessageSpool&) = delete;

  // Appends message bytes (canonicalised). IOError naming the file when it cannot be
  // written (the disk is full): the spool is then failed and keeps failing.
  Status Append(std::string_view bytes);
  // The message is complete: the last line end is added and (in a file) everything is
  // written and the file closed; whoever takes the file makes it durable. IOError as above.
  Status Finish();

  std::uint64_t size() const { return size_; }
  bool in_file() const { return fd_ >= 0 || !file_.empty(); }
  // The whole message while !in_file(), emptied.
  std::string TakeBytes();
  // The spool file, handed to the caller, who removes it when done (in_file() only).
  std::filesystem::path TakeFile();

 private:
  Status Flush();  // writes memory_ to the file
  Status SpillToFile();
  void CloseFile();

  std::filesystem::path spool_dir_;
  CrlfCanonicalizer canonicalizer_;
  std::string memory_;  // canonical bytes not yet written (all of them while small)
  std::uint64_t size_ = 0;
  std::filesystem::path file_;
  int fd_ = -1;
  Status failed_ = Status::Ok();
};

// Creates `dir` (and its parents) with mode 0700 when missing. IOError naming it.
Status EnsurePrivateDirectory(const std::filesystem::path& dir);
// fsyncs a directory, so a rename or link in it is durable. IOError naming it.
Status SyncDirectory(const std::filesystem::path& dir);
// fsyncs a file's data. IOError naming it.
Status SyncFile(const std::filesystem::path& file);
// Up to `max_bytes` from the start of `file`; the whole file when max_bytes is 0.
// NotFound / IOError naming the file.
Result<std::string> ReadFileBytes(const std::filesystem::path& file, std::uint64_t max_bytes = 0);

}  // namespace notesd
