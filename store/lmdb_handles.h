// store/lmdb_handles.h — RAII owners for LMDB handles and the LMDB error mapping.
//
// Owns: nothing but the lifetime of MDB_env, MDB_txn and MDB_cursor handles. Knows no
// schema; store/nsf_database.h is the only intended user.
//
// Rules these wrappers enforce or assume (lmdb.h "Caveats"):
//  - An MdbTxn aborts in its destructor unless Commit() was called. Commit() always
//    releases the handle, whether it succeeded or not (as mdb_txn_commit does).
//  - An MdbCursor opened in a write transaction must be destroyed before that
//    transaction commits or aborts; declare it in a narrower scope than the MdbTxn.
//  - None of these are thread-safe; a write transaction must begin and end on one thread.
#pragma once

#include <lmdb.h>

#include <cerrno>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace notesd {

struct MdbEnvCloser {
  void operator()(MDB_env* env) const { mdb_env_close(env); }
};
// Owns an MDB_env; mdb_env_close on destruction. Move-only.
using MdbEnvPtr = std::unique_ptr<MDB_env, MdbEnvCloser>;

// Owns one MDB_txn. Aborts unless committed. Move-only.
class MdbTxn {
 public:
  MdbTxn() = default;
  ~MdbTxn() { Abort(); }
  MdbTxn(const MdbTxn&) = delete;
  MdbTxn& operator=(const MdbTxn&) = delete;
  MdbTxn(MdbTxn&& other) noexcept : txn_(other.txn_) { other.txn_ = nullptr; }
  MdbTxn& operator=(MdbTxn&& other) noexcept {
    if (this != &other) {
      Abort();
      txn_ = other.txn_;
      other.txn_ = nullptr;
    }
    return *this;
  }

  // Begins a top-level transaction (flags 0 or MDB_RDONLY). Returns the LMDB code;
  // on failure this object holds nothing.
  int Begin(MDB_env* env, unsigned flags) {
    Abort();
    return mdb_txn_begin(env, nullptr, flags, &txn_);
  }
  // Commits and releases the handle. Returns the LMDB code (MDB_MAP_FULL is possible).
  int Commit() {
    MDB_txn* txn = txn_;
    txn_ = nullptr;
    return mdb_txn_commit(txn);
  }
  void Abort() {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    txn_ = nullptr;
  }
  MDB_txn* get() const { return txn_; }

 private:
  MDB_txn* txn_ = nullptr;
};

// Owns one MDB_cursor. See the scope rule at the top of this file.
class MdbCursor {
 public:
  MdbCursor() = default;
  ~MdbCursor() {
    if (cursor_ != nullptr) mdb_cursor_close(cursor_);
  }
  MdbCursor(const MdbCursor&) = delete;
  MdbCursor& operator=(const MdbCursor&) = delete;

  int Open(MDB_txn* txn, MDB_dbi dbi) { return mdb_cursor_open(txn, dbi, &cursor_); }
  MDB_cursor* get() const { return cursor_; }

 private:
  MDB_cursor* cursor_ = nullptr;
};

// A borrowed view of bytes as an MDB_val. LMDB never writes through mv_data on
// mdb_put/mdb_get keys, so the const_cast is safe.
inline MDB_val ToMdbVal(std::string_view bytes) { return MDB_val{bytes.size(), const_cast<char*>(bytes.data())}; }
// Borrowed: valid only until the transaction ends or the next write in it.
inline std::string_view FromMdbVal(const MDB_val& val) { return {static_cast<const char*>(val.mv_data), val.mv_size}; }

// Maps an LMDB or errno code to a Status whose message names the file and the call:
// "names.nsf: mdb_put: MDB_KEYEXIST: Key/data pair already exists".
inline Status MdbStatus(int rc, std::string_view label, std::string_view op) {
  std::string message = std::string(label) + ": " + std::string(op) + ": " + mdb_strerror(rc);
  switch (rc) {
    case MDB_SUCCESS: return Status::Ok();
    case MDB_NOTFOUND:
    case ENOENT: return Status::NotFound(std::move(message));
    case MDB_KEYEXIST: return Status::AlreadyExists(std::move(message));
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH: return Status::Corruption(std::move(message));
    case MDB_MAP_FULL:
    case MDB_MAP_RESIZED:
    case MDB_READERS_FULL:
    case MDB_TXN_FULL:
    case MDB_DBS_FULL:
    case MDB_CURSOR_FULL:
    case MDB_PAGE_FULL:
    case EAGAIN:
    case EBUSY: return Status::Unavailable(std::move(message));
    case EACCES:
    case EPERM:
    case EROFS: return Status::PermissionDenied(std::move(message));
    default: break;
  }
  if (rc > 0) return Status::IOError(std::move(message));  // an errno from the OS
  return Status::Internal(std::move(message));
}

}  // namespace notesd
