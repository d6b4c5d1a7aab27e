// store/nsf_database.h — a .nsf database: notes, their UNID index and views, in LMDB.
//
// Owns: one LMDB environment per .nsf file (opened with MDB_NOSUBDIR, so names.nsf is
// the data file and names.nsf-lock LMDB's lock file), every sub-database in it, NoteID
// and UNID assignment, view maintenance, and the map size (growth on MDB_MAP_FULL,
// adoption on MDB_MAP_RESIZED, both in NsfDatabase::RunTxn). Delegates the note
// encoding to store/note.h.
//
// Once per process: Open() keeps a process-wide registry keyed by the canonical path
// and REFUSES a second open of a file that is already open (AlreadyExists). Whoever
// opened it (the server core) shares the one instance, e.g. as a shared_ptr. The path
// is free again when that instance is destroyed.
//
// Sub-databases (all integers in values little-endian unless said otherwise):
//   "notes"        key: NoteID, u32 big-endian (so keys sort numerically)
//                  value: the note, SerializeNote() format (store/note.h)
//   "unids"        key: UNID, 32 uppercase hex chars      value: NoteID, u32 big-endian
//   "meta"         key: ASCII name                         value:
//                    "format_version"  u32, currently 1; newer files are refused
//                    "title"           UTF-8 text
//                    "created"         i64 microseconds since the epoch
//                    "next_note_id"    u32, the NoteID the next Create takes
//                    "replica_id"      16 uppercase hex chars, random at creation
//                    "view/<name>"     u32 view version + u8 case-insensitive (0/1):
//                                      the definition the view's entries were built with
//   "info"         key: caller's name (UTF-8)              value: caller's bytes
//   "view:<name>"  MDB_DUPSORT|MDB_DUPFIXED, one per view
//                  key: a view key (lower-cased if the view is case-insensitive, cut
//                       to LMDB's 511-byte key limit; empty keys are not indexed)
//                  value: NoteID, u32 big-endian (duplicates sort numerically)
//
// Views: defined at open by name + key function. At open a view whose "view/<name>"
// marker differs from its definition (new view, version bumped, case flag changed) is
// cleared and rebuilt from all notes in the open transaction; a marker of a view no
// longer defined is removed and its sub-database dropped. So every read-write opener of
// a file must define the same views; tools that only look use `read_only`.
//
// Transactions: every change is one LMDB write transaction (one writer at a time,
// many concurrent readers, MDB_NOTLS so any thread may read). Bodies passed to Read()
// and Write() run on the calling thread, must be short, must not do I/O or wait, and
// must not call this NsfDatabase (use the txn they are given): the map can only grow
// when no transaction of this process is active. A Write body can run more than once
// (it is retried after the map grows), so it must only have effects that are safe to
// repeat outside the transaction.
//
// Crash safety is LMDB's: a commit is durable when Write returns Ok, unless no_sync.
// Known limits: no deletion stubs, no replication history, no access control here
// (readers/authors items are only flagged; enforcing them is the caller's job).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/lmdb_handles.h"
#include "store/note.h"
#include "base/status.h"

namespace notesd {

// Returns the view keys of a note (0..n; duplicates and empty keys are ignored). Runs
// inside write transactions: it must be fast, deterministic and free of I/O. If it
// throws, the write is aborted and the exception propagates out of the write call.
using ViewKeysFn = std::function<std::vector<std::string>(const Note&)>;

struct ViewDefinition {
  std::string name;  // 1..64 bytes, unique in a database; looked up by exact name
  ViewKeysFn keys;
  bool case_insensitive = false;  // fold keys and lookups with ASCII tolower
  std::uint32_t version = 1;      // bump when `keys` changes: the view is rebuilt at open
};

struct NsfOptions {
  std::string title;  // stored when the file is created; later ignored
  bool create_if_missing = true;
  bool read_only = false;                                // MDB_RDONLY: writes fail, views are not rebuilt
  std::size_t initial_map_size = std::size_t{16} << 20;  // rounded up to the OS page size
  std::size_t max_map_size = std::size_t{64} << 30;      // growth stops here: Unavailable
  unsigned max_readers = 126;                            // concurrent read transactions (LMDB reader slots)
  bool no_sync = false;                                  // MDB_NOSYNC, benchmarks only: loses durability
  std::vector<ViewDefinition> views;
  std::function<TimeMicros()> clock;  // created/modified times; default: system clock
  std::string label;                  // name used in messages; default: the file name
};

// One view entry: the stored (normalised) key and the note it points to.
struct ViewEntry {
  std::string key;
  NoteId id = 0;
  friend bool operator==(const ViewEntry&, const ViewEntry&) = default;
};

// An ordered scan of a view. Keys are normalised like the view's keys (folded when the
// view is case-insensitive). Entries come in key order, then NoteID order.
struct ScanOptions {
  std::string start;      // first key to return (inclusive); "" = from the beginning
  std::string prefix;     // only keys that start with this; "" = all
  std::size_t limit = 0;  // at most this many entries; 0 = no limit
  // Not 0: begin just after the entry (start, after_id) instead of at `start`: resumes a
  // scan where its last page ended, also among entries that share one key.
  NoteId after_id = 0;

  static ScanOptions After(const ViewEntry& last, std::size_t limit) {
    return ScanOptions{last.key, "", limit, last.id};
  }
  static ScanOptions StartingAt(std::string start, std::size_t limit = 0) {
    return ScanOptions{std::move(start), "", limit};
  }
  static ScanOptions WithPrefix(std::string prefix, std::size_t limit = 0) {
    return ScanOptions{"", std::move(prefix), limit};
  }
};

struct ViewInfo {
  std::string name;
  bool case_insensitive = false;
  std::uint64_t entries = 0;
};

struct NsfInfo {
  std::string title;
  std::string path;
  std::string replica_id;
  TimeMicros created = 0;
  NoteId next_note_id = 0;
  std::uint64_t note_count = 0;
  std::uint64_t file_size = 0;
  std::uint64_t map_size = 0;
  std::map<std::string, std::string> info;
  std::vector<ViewInfo> views;
};

class NsfDatabase;

// A fresh random UNID (32 uppercase hex digits), for a note whose UNID must be known
// before the transaction that creates it (e.g. to name a file beside it).
Result<std::string> NewUnid();

// Reads inside one LMDB read (or write) transaction; a consistent snapshot. Only valid
// inside the Read/Write body that received it. Values returned are copies.
class ReadTxn {
 public:
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;

  // NotFound "names.nsf: NoteID 7 not found"; Corruption if the stored bytes are bad.
  Result<Note> Get(NoteId id) const;
  // The note with only its summary items (ParseNoteSummary, store/note.h): what a view
  // listing needs, without decoding (or copying) a body. Errors as Get.
  Result<Note> GetSummary(NoteId id) const;
  // Accepts lower-case hex. InvalidArgument if not 32 hex digits; NotFound if absent.
  Result<Note> GetByUnid(std::string_view unid) const;
  // All NoteIDs under exactly `key` (normalised as the view's keys), in NoteID order;
  // empty if none. NotFound if there is no such view.
  Result<std::vector<NoteId>> LookupIds(std::string_view view, std::string_view key) const;
  // The notes of LookupIds.
  Result<std::vector<Note>> Lookup(std::string_view view, std::string_view key) const;
  // How many notes are under exactly `key`, without reading them: LMDB keeps the count
  // of a key's duplicates, so this costs one key lookup however many there are.
  Result<std::size_t> CountKey(std::string_view view, std::string_view key) const;
  Result<std::vector<ViewEntry>> Scan(std::string_view view, const ScanOptions& options = {}) const;
  // NoteIDs greater than `after`, increasing; at most `limit` (0 = all).
  Result<std::vector<NoteId>> ListNoteIds(NoteId after = 0, std::size_t limit = 0) const;
  Result<std::uint64_t> CountNotes() const;
  // A value of the free-form info map; NotFound if absent.
  Result<std::string> GetInfo(std::string_view key) const;

 protected:
  friend class NsfDatabase;
  ReadTxn(const NsfDatabase& db, MDB_txn* txn) : db_(db), txn_(txn) {}

  Result<Note> GetNote(NoteId id, bool summary_only) const;
  // The value under `key`, or nullopt if absent. Borrowed from the map: valid until
  // the transaction ends or writes to `dbi`.
  Result<std::optional<std::string_view>> Fetch(MDB_dbi dbi, std::string_view key) const;
  // True if the file carries metadata of a supported format, false if it is new;
  // InvalidArgument if it is of a newer format.
  Result<bool> HasSupportedFormat() const;
  // Unavailable if a view's stored marker does not match its definition.
  Status CheckViewsBuilt() const;
  Status FillInfo(NsfInfo& info) const;
  Result<std::uint64_t> CountEntries(MDB_dbi dbi) const;

  const NsfDatabase& db_;
  MDB_txn* txn_;
};

// Reads and writes inside one LMDB write transaction. Only valid inside the Write
// body that received it. On any error the caller should return it from the body; the
// whole transaction is then aborted (a failed LMDB call poisons the transaction anyway).
class WriteTxn : public ReadTxn {
 public:
  // Stores a new note and indexes it in every view. Assigns the next NoteID (the
  // note's id is ignored), a random UNID unless the note carries a valid one, the
  // created time unless set, and the modified time. Returns the stored note.
  // InvalidArgument if note.Validate() fails; AlreadyExists if its UNID is taken.
  Result<Note> Create(const Note& note);
  // Replaces the note with note.id(), keeping its UNID and created time, setting the
  // modified time, and moving its view entries. Returns the stored note. NotFound if no
  // such note; InvalidArgument if note.unid() is set and differs from the stored one.
  Result<Note> Update(const Note& note);
  // Removes the note, its UNID entry and its view entries. NotFound if absent.
  Status Delete(NoteId id);
  Status SetTitle(std::string_view title);
  // Sets / removes a value of the free-form info map (removing an absent key is Ok).
  Status SetInfo(std::string_view key, std::string_view value);
  Status RemoveInfo(std::string_view key);

 private:
  friend class NsfDatabase;
  WriteTxn(const NsfDatabase& db, MDB_txn* txn) : ReadTxn(db, txn) {}

  // Records MDB_MAP_FULL so RunTxn grows the map and reruns the body, whatever the
  // body does with the Status returned here.
  Status Check(int rc, std::string_view op);
  Status Put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags = 0);
  Result<NoteId> TakeNextNoteId();
  Status ClaimUnid(Note& note);
  Status PutNote(const Note& note);
  // Moves the note's entries in every view from the keys of `before` to those of
  // `after` (either may be null: create / delete).
  Status UpdateViewKeys(NoteId id, const Note* before, const Note* after);
  Status MoveViewEntries(std::size_t view_index, NoteId id, const Note* before, const Note* after);
  Status InitMeta();
  Status ReconcileViews();
  Status RebuildViews(const std::vector<std::size_t>& view_indexes);
  Status DropStaleViews();

  bool map_full_ = false;
};

// A .nsf database. Thread-safe: any number of threads may call any method at once
// (writers are serialised by LMDB, readers run in parallel).
class NsfDatabase {
 public:
  // Opens (or creates with mode 0600, unless !create_if_missing) the .nsf file at
  // `path` (and LMDB's `<path>-lock` beside it), opens every
  // sub-database in one write transaction, initialises metadata on a new file and
  // rebuilds views whose definition changed. Errors: AlreadyExists if this process
  // already has the file open; NotFound if it is missing and may not be created;
  // InvalidArgument for bad options or a file of a newer format; Corruption if it is
  // not an LMDB file; IOError / PermissionDenied from the file system.
  static Result<std::unique_ptr<NsfDatabase>> Open(const std::filesystem::path& path, NsfOptions options);
  // Closes the environment. No transaction may be running on any thread.
  ~NsfDatabase();
  NsfDatabase(const NsfDatabase&) = delete;
  NsfDatabase& operator=(const NsfDatabase&) = delete;

  // One-transaction conveniences; contracts as in ReadTxn / WriteTxn.
  Result<Note> Create(const Note& note);
  Result<Note> Update(const Note& note);
  Status Delete(NoteId id);
  Result<Note> Get(NoteId id) const;
  Result<Note> GetByUnid(std::string_view unid) const;
  Result<std::vector<NoteId>> LookupIds(std::string_view view, std::string_view key) const;
  Result<std::vector<Note>> Lookup(std::string_view view, std::string_view key) const;
  Result<std::size_t> CountKey(std::string_view view, std::string_view key) const;
  Result<std::vector<ViewEntry>> Scan(std::string_view view, const ScanOptions& options = {}) const;

  // Runs `body` in one write transaction and commits if it returns Ok. If it returns
  // an error or throws, nothing it did is kept and that error / exception comes back.
  // The body may be run again after the map grew (see the top of this file).
  Status Write(const std::function<Status(WriteTxn&)>& body);
  // Runs `body` in one read transaction (a snapshot) and returns its Status.
  Status Read(const std::function<Status(const ReadTxn&)>& body) const;

  // Title, path, counts, sizes and views, read in one snapshot.
  Result<NsfInfo> Info() const;

  const std::filesystem::path& path() const { return path_; }  // canonical
  const std::string& label() const { return label_; }
  // The current LMDB map size in bytes.
  std::size_t map_size() const;

 private:
  friend class ReadTxn;
  friend class WriteTxn;

  struct View {
    ViewDefinition definition;
    MDB_dbi dbi = 0;
  };

  // Counts active transactions of this process so the map is resized only when there
  // are none (mdb_env_set_mapsize's precondition). A pending resize holds back new
  // transactions, so a stream of readers cannot starve it.
  class TxnGate {
   public:
    void Enter();
    void Leave();
    // Waits until no transaction is active, runs `fn`, then lets transactions in again.
    Status Exclusive(const std::function<Status()>& fn);

    // Holds the gate open for one transaction.
    class Pass {
     public:
      explicit Pass(TxnGate& gate) : gate_(gate) { gate_.Enter(); }
      ~Pass() { gate_.Leave(); }
      Pass(const Pass&) = delete;
      Pass& operator=(const Pass&) = delete;

     private:
      TxnGate& gate_;
    };

   private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::size_t active_ = 0;
    bool exclusive_ = false;
  };

  // The body gets the raw txn and sets `map_full` when an LMDB call reported
  // MDB_MAP_FULL.
  using TxnBody = std::function<Status(MDB_txn* txn, bool& map_full)>;

  // Maps an LMDB code to a Status, as WriteTxn::Check or plain MdbStatus.
  using RcCheck = std::function<Status(int rc, std::string_view op)>;

  NsfDatabase(std::filesystem::path path, NsfOptions options, MdbEnvPtr env);
  Status OpenSubDatabases(MDB_txn* txn, const RcCheck& check);
  Status InitSchema();
  // The one place that handles the map size: runs `body` in a transaction (flags 0 or
  // MDB_RDONLY); on MDB_MAP_RESIZED at begin adopts the new size and retries; for a
  // write, on MDB_MAP_FULL in the body or at commit aborts, grows the map and reruns.
  Status RunTxn(unsigned flags, const TxnBody& body) const;
  Status GrowMap(std::size_t observed_size) const;
  Status AdoptMapSize() const;
  std::size_t MapSizeLocked() const;  // caller holds a gate pass or is exclusive
  TimeMicros Now() const;
  const View* FindView(std::string_view name) const;
  Result<const View*> ViewOrError(std::string_view name) const;
  std::string NormaliseKey(const View& view, std::string_view key) const;
  std::vector<std::string> KeysOf(const View& view, const Note& note) const;

  std::filesystem::path path_;
  NsfOptions options_;
  std::string label_;
  MdbEnvPtr env_;
  std::size_t max_key_size_ = 0;
  MDB_dbi notes_dbi_ = 0;
  MDB_dbi unids_dbi_ = 0;
  MDB_dbi meta_dbi_ = 0;
  MDB_dbi info_dbi_ = 0;
  std::vector<View> views_;
  mutable TxnGate gate_;
};

}  // namespace notesd
