// store/database_set.h — the server's open databases: each opened once per path and
// kind, shared by every task that asks, and kept open until the set is destroyed.
//
// Why: LMDB wants each environment opened once per process (lmdb.h Caveats; NsfDatabase
// refuses a second open), and names.nsf, admin4.nsf, mail.box and the ICLs are used by
// several tasks at once. The server core owns one DatabaseSet and hands it to tasks
// through TaskContext::Databases(); a task takes the databases it needs at Start (and
// the ones it learns about later, such as a new certifier's ICL, when it first needs
// them). The client and tools open their files directly and need no set.
//
// Each kind of database has a typed accessor beside its type that names its file and
// how it is opened: OpenDirectory (directory/directory.h), OpenAdminRequests
// (adminp/admin_requests.h), OpenIcl (ca_task/icl_database.h), OpenMailStore
// (router/mail_store.h). They all come through Get below.
//
// Thread safety: Get may be called from any thread. Opens are serialised by one mutex
// (they are rare: once per path), so an opener must not call back into the set.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <typeindex>
#include <typeinfo>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace notesd {

class DatabaseSet {
 public:
  // `clock` (which must outlive the set; none: the system clock) stamps the created and
  // modified times of the notes of every database opened through the set.
  explicit DatabaseSet(const Clock* clock = nullptr) : clock_(clock) {}
  // Closes every database, newest first. No task may still use one (the core destroys
  // the set after it stopped them all); a holder of a shared_ptr keeps its database
  // alive past the set, which is a bug the core avoids.
  ~DatabaseSet();
  DatabaseSet(const DatabaseSet&) = delete;
  DatabaseSet& operator=(const DatabaseSet&) = delete;

  // The database of kind T at `path` (made canonical, so "a/../names.nsf" and
  // "names.nsf" are one database). The first call for a path and kind runs
  // `open(canonical_path)`, which returns Result<std::unique_ptr<T>>, and keeps what it
  // opened; later calls return the same object without opening anything. A failed open
  // keeps nothing (the next call tries again) and returns the opener's error, with the
  // path in front when the message does not name it already.
  template <typename T, typename Opener>
  Result<std::shared_ptr<T>> Get(const std::filesystem::path& path, Opener&& open) {
    Result<std::shared_ptr<void>> found =
        GetErased(path, typeid(T), [&](const std::filesystem::path& canonical) -> Result<std::shared_ptr<void>> {
          Result<std::unique_ptr<T>> opened = open(canonical);
          if (!opened.ok()) return opened.status();
          return std::shared_ptr<void>(std::shared_ptr<T>(std::move(opened).value()));
        });
    if (!found.ok()) return found.status();
    return std::static_pointer_cast<T>(std::move(found).value());
  }

  // How many databases are open.
  std::size_t size() const;

  // What an opener passes as NsfOptions::clock: the set's clock (empty for the system clock).
  std::function<int64_t()> NoteClock() const;

 private:
  struct Entry {
    std::filesystem::path path;
    std::type_index type;
    std::shared_ptr<void> database;
  };
  using ErasedOpener = std::function<Result<std::shared_ptr<void>>(const std::filesystem::path&)>;
  Result<std::shared_ptr<void>> GetErased(const std::filesystem::path& path, std::type_index type,
                                          const ErasedOpener& open);

  const Clock* clock_;
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;  // in the order opened
};

}  // namespace notesd
