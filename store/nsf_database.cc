#include "store/nsf_database.h"
#include "base/ascii.h"

#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <set>
#include <system_error>

namespace notesd {
namespace fs = std::filesystem;
namespace {

constexpr std::uint32_t kFormatVersion = 1;
constexpr unsigned kFixedSubDatabases = 4;  // notes, unids, meta, info
// Room to open views that are no longer defined, so they can be dropped.
constexpr unsigned kSpareSubDatabases = 32;
constexpr std::size_t kMaxViewNameBytes = 64;
constexpr int kMaxTxnAttempts = 100;
constexpr int kMaxUnidDraws = 4;
constexpr std::string_view kViewMarkerPrefix = "view/";
constexpr std::string_view kViewDbPrefix = "view:";
constexpr unsigned kViewDbFlags = MDB_DUPSORT | MDB_DUPFIXED;

// ---- Process-wide registry of open files (once per process, lmdb.h Caveats) ------

std::mutex& RegistryMutex() {
  static std::mutex mutex;
  return mutex;
}
std::set<std::string>& OpenPaths() {
  static std::set<std::string> paths;
  return paths;
}
bool ClaimPath(const std::string& path) {
  std::lock_guard lock(RegistryMutex());
  return OpenPaths().insert(path).second;
}
void ReleasePath(const std::string& path) {
  std::lock_guard lock(RegistryMutex());
  OpenPaths().erase(path);
}

// Releases a claimed path if Open fails before an NsfDatabase owns the claim.
class PathClaimGuard {
 public:
  explicit PathClaimGuard(std::string path) : path_(std::move(path)) {}
  ~PathClaimGuard() {
    if (!dismissed_) ReleasePath(path_);
  }
  PathClaimGuard(const PathClaimGuard&) = delete;
  PathClaimGuard& operator=(const PathClaimGuard&) = delete;
  void Dismiss() { dismissed_ = true; }

 private:
  std::string path_;
  bool dismissed_ = false;
};

// ---- Encodings -------------------------------------------------------------------

std::string NoteIdKey(NoteId id) {
  std::string key(4, '\0');
  for (int i = 0; i < 4; ++i) key[i] = static_cast<char>((id >> (8 * (3 - i))) & 0xFF);
  return key;
}
std::optional<NoteId> DecodeNoteIdKey(std::string_view raw) {
  if (raw.size() != 4) return std::nullopt;
  NoteId id = 0;
  for (char c : raw) id = (id << 8) | static_cast<unsigned char>(c);
  return id;
}

std::string EncodeLe(std::uint64_t value, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
  return out;
}
std::optional<std::uint64_t> DecodeLe(std::string_view raw, std::size_t bytes) {
  if (raw.size() != bytes) return std::nullopt;
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i) {
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(raw[i])) << (8 * i);
  }
  return value;
}
std::string EncodeU32(std::uint32_t value) { return EncodeLe(value, 4); }
std::string EncodeI64(std::int64_t value) { return EncodeLe(static_cast<std::uint64_t>(value), 8); }

std::string ViewMarker(const ViewDefinition& view) {
  return EncodeU32(view.version) + (view.case_insensitive ? '\1' : '\0');
}

std::string FoldAscii(std::string_view text) {
  std::string folded(text);
  for (char& c : folded) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return folded;
}

Result<std::string> RandomHex(std::size_t bytes, const std::string& label) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    return Status::Internal(label + ": RAND_bytes failed");
  }
  std::string hex;
  for (unsigned char byte : raw) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 0xF];
  }
  return hex;
}

TimeMicros SystemMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::size_t RoundUpToPage(std::size_t size) {
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return (size + page - 1) / page * page;
}

Status ViewNotBuilt(const std::string& label, const std::string& view) {
  return Status::Unavailable(label + ": view '" + view +
                             "' is not built for this definition; open the database read-write "
                             "once to rebuild it");
}

// ---- Open-time checks ------------------------------------------------------------

Status ValidateViews(const std::vector<ViewDefinition>& views, const std::string& label) {
  std::set<std::string> folded_names;
  for (const ViewDefinition& view : views) {
    const std::string what = label + ": view '" + view.name + "'";
    if (view.name.empty() || view.name.size() > kMaxViewNameBytes || view.name.find('\0') != std::string::npos) {
      return Status::InvalidArgument(label + ": view names must be 1.." + std::to_string(kMaxViewNameBytes) +
                                     " bytes without NUL");
    }
    if (!view.keys) return Status::InvalidArgument(what + " has no key function");
    if (!folded_names.insert(FoldAscii(view.name)).second) {
      return Status::InvalidArgument(what + " is defined twice");
    }
  }
  return Status::Ok();
}

Status ValidateOptions(const NsfOptions& options, const std::string& label) {
  if (options.initial_map_size == 0) return Status::InvalidArgument(label + ": initial_map_size is 0");
  if (options.max_map_size < options.initial_map_size) {
    return Status::InvalidArgument(label + ": max_map_size is below initial_map_size");
  }
  if (options.max_readers == 0) return Status::InvalidArgument(label + ": max_readers is 0");
  return ValidateViews(options.views, label);
}

Status CheckFile(const fs::path& path, const NsfOptions& options, const std::string& label) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (fs::is_directory(status)) {
    return Status::InvalidArgument(label + ": " + path.string() + " is a directory");
  }
  if (!fs::exists(status) && (options.read_only || !options.create_if_missing)) {
    return Status::NotFound(label + ": no database file " + path.string());
  }
  return Status::Ok();
}

// LMDB reads pages through its memory map without checking them against the file's
// size: a file shorter than its meta page says (a truncated copy, a disk that filled
// during a copy) would kill the process with SIGBUS at the first read past the end.
// The meta pages themselves are read with pread by mdb_env_open, so this is safe.
Status CheckNotTruncated(MDB_env* env, const fs::path& path, const std::string& label) {
  MDB_envinfo info{};
  MDB_stat stat{};
  NOTESD_RETURN_IF_ERROR(MdbStatus(mdb_env_info(env, &info), label, "mdb_env_info"));
  NOTESD_RETURN_IF_ERROR(MdbStatus(mdb_env_stat(env, &stat), label, "mdb_env_stat"));
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) return Status::IOError(label + ": cannot read the size of " + path.string() + ": " + ec.message());
  const std::uintmax_t needed = (static_cast<std::uintmax_t>(info.me_last_pgno) + 1) * stat.ms_psize;
  if (size < needed) {
    return Status::Corruption(label + ": " + path.string() + " is truncated (" + std::to_string(size) +
                              " bytes, its pages need " + std::to_string(needed) + "); restore it from a backup");
  }
  return Status::Ok();
}

Result<MdbEnvPtr> OpenEnvironment(const fs::path& path, const NsfOptions& options, const std::string& label) {
  MDB_env* raw = nullptr;
  NOTESD_RETURN_IF_ERROR(MdbStatus(mdb_env_create(&raw), label, "mdb_env_create"));
  MdbEnvPtr env(raw);
  const auto max_dbs = static_cast<MDB_dbi>(kFixedSubDatabases + options.views.size() + kSpareSubDatabases);
  NOTESD_RETURN_IF_ERROR(MdbStatus(mdb_env_set_maxdbs(raw, max_dbs), label, "mdb_env_set_maxdbs"));
  NOTESD_RETURN_IF_ERROR(
      MdbStatus(mdb_env_set_mapsize(raw, RoundUpToPage(options.initial_map_size)), label, "mdb_env_set_mapsize"));
  NOTESD_RETURN_IF_ERROR(MdbStatus(mdb_env_set_maxreaders(raw, options.max_readers), label, "mdb_env_set_maxreaders"));
  // MDB_NOTLS: read transactions belong to the NsfDatabase, not to a thread.
  unsigned flags = MDB_NOSUBDIR | MDB_NOTLS;
  if (options.no_sync) flags |= MDB_NOSYNC;
  if (options.read_only) flags |= MDB_RDONLY;
  NOTESD_RETURN_IF_ERROR(MdbStatus(mdb_env_open(raw, path.c_str(), flags, 0600), label, "mdb_env_open"));
  NOTESD_RETURN_IF_ERROR(CheckNotTruncated(raw, path, label));
  // Frees reader slots left by processes that died, as slapd does at start-up.
  int dead_readers = 0;
  NOTESD_RETURN_IF_ERROR(MdbStatus(mdb_reader_check(raw, &dead_readers), label, "mdb_reader_check"));
  return env;
}

// Runs `fn` (returning Result<T>) in one transaction of `db` and returns its value.
template <typename T, typename Run, typename Fn>
Result<T> ValueFromTxn(Run&& run, Fn&& fn) {
  std::optional<T> value;
  Status status = run([&](auto& txn) -> Status {
    Result<T> result = fn(txn);
    if (!result.ok()) return result.status();
    value = std::move(result).value();
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return std::move(*value);
}

template <typename T, typename Fn>
Result<T> ReadValue(const NsfDatabase& db, Fn&& fn) {
  auto run = [&](auto&& body) { return db.Read([&](const ReadTxn& txn) { return body(txn); }); };
  return ValueFromTxn<T>(run, std::forward<Fn>(fn));
}

template <typename T, typename Fn>
Result<T> WriteValue(NsfDatabase& db, Fn&& fn) {
  auto run = [&](auto&& body) { return db.Write([&](WriteTxn& txn) { return body(txn); }); };
  return ValueFromTxn<T>(run, std::forward<Fn>(fn));
}

}  // namespace

Result<std::string> NewUnid() { return RandomHex(16, "UNID"); }

// ---- ReadTxn ---------------------------------------------------------------------

Result<std::optional<std::string_view>> ReadTxn::Fetch(MDB_dbi dbi, std::string_view key) const {
  MDB_val k = ToMdbVal(key);
  MDB_val v{};
  const int rc = mdb_get(txn_, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string_view>();
  if (rc != MDB_SUCCESS) return MdbStatus(rc, db_.label_, "mdb_get");
  return std::optional<std::string_view>(FromMdbVal(v));
}

Result<Note> ReadTxn::Get(NoteId id) const { return GetNote(id, false); }

Result<Note> ReadTxn::GetSummary(NoteId id) const { return GetNote(id, true); }

Result<Note> ReadTxn::GetNote(NoteId id, bool summary_only) const {
  const std::string what = db_.label_ + ": NoteID " + std::to_string(id);
  NOTESD_ASSIGN_OR_RETURN(std::optional<std::string_view> raw, Fetch(db_.notes_dbi_, NoteIdKey(id)));
  if (!raw) return Status::NotFound(what + " not found");
  Result<Note> note = summary_only ? ParseNoteSummary(*raw) : ParseNote(*raw);
  if (!note.ok()) return note.status().WithContext(what);
  if (note->id() != id) {
    return Status::Corruption(what + ": stored note says NoteID " + std::to_string(note->id()));
  }
  return note;
}

Result<Note> ReadTxn::GetByUnid(std::string_view unid) const {
  const std::string upper = ToUpperAscii(unid);
  if (!IsValidUnid(upper)) {
    return Status::InvalidArgument(db_.label_ + ": '" + std::string(unid.substr(0, 64)) +
                                   "' is not a UNID (32 hex digits)");
  }
  const std::string what = db_.label_ + ": UNID " + upper;
  NOTESD_ASSIGN_OR_RETURN(std::optional<std::string_view> raw, Fetch(db_.unids_dbi_, upper));
  if (!raw) return Status::NotFound(what + " not found");
  const std::optional<NoteId> id = DecodeNoteIdKey(*raw);
  if (!id) return Status::Corruption(what + ": index entry is not a NoteID");
  NOTESD_ASSIGN_OR_RETURN(Note note, Get(*id));
  if (note.unid() != upper) return Status::Corruption(what + ": index points to a note with another UNID");
  return note;
}

Result<std::vector<NoteId>> ReadTxn::LookupIds(std::string_view view_name, std::string_view key) const {
  NOTESD_ASSIGN_OR_RETURN(const NsfDatabase::View* view, db_.ViewOrError(view_name));
  const std::string normalised = db_.NormaliseKey(*view, key);
  std::vector<NoteId> ids;
  if (normalised.empty()) return ids;
  MdbCursor cursor;
  NOTESD_RETURN_IF_ERROR(MdbStatus(cursor.Open(txn_, view->dbi), db_.label_, "mdb_cursor_open"));
  MDB_val k = ToMdbVal(normalised);
  MDB_val v{};
  int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_KEY);
  for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT_DUP)) {
    const std::optional<NoteId> id = DecodeNoteIdKey(FromMdbVal(v));
    if (!id) return Status::Corruption(db_.label_ + ": view '" + view->definition.name + "': bad entry");
    ids.push_back(*id);
  }
  if (rc != MDB_NOTFOUND) return MdbStatus(rc, db_.label_, "mdb_cursor_get");
  return ids;
}

Result<std::size_t> ReadTxn::CountKey(std::string_view view_name, std::string_view key) const {
  NOTESD_ASSIGN_OR_RETURN(const NsfDatabase::View* view, db_.ViewOrError(view_name));
  const std::string normalised = db_.NormaliseKey(*view, key);
  if (normalised.empty()) return std::size_t{0};
  MdbCursor cursor;
  NOTESD_RETURN_IF_ERROR(MdbStatus(cursor.Open(txn_, view->dbi), db_.label_, "mdb_cursor_open"));
  MDB_val k = ToMdbVal(normalised);
  MDB_val v{};
  int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_KEY);
  if (rc == MDB_NOTFOUND) return std::size_t{0};
  if (rc != MDB_SUCCESS) return MdbStatus(rc, db_.label_, "mdb_cursor_get");
  std::size_t count = 0;
  NOTESD_RETURN_IF_ERROR(MdbStatus(mdb_cursor_count(cursor.get(), &count), db_.label_, "mdb_cursor_count"));
  return static_cast<std::size_t>(count);
}

Result<std::vector<Note>> ReadTxn::Lookup(std::string_view view, std::string_view key) const {
  NOTESD_ASSIGN_OR_RETURN(std::vector<NoteId> ids, LookupIds(view, key));
  std::vector<Note> notes;
  notes.reserve(ids.size());
  for (NoteId id : ids) {
    NOTESD_ASSIGN_OR_RETURN(Note note, Get(id));
    notes.push_back(std::move(note));
  }
  return notes;
}

Result<std::vector<ViewEntry>> ReadTxn::Scan(std::string_view view_name, const ScanOptions& options) const {
  NOTESD_ASSIGN_OR_RETURN(const NsfDatabase::View* view, db_.ViewOrError(view_name));
  const std::string prefix = db_.NormaliseKey(*view, options.prefix);
  const std::string start = std::max(db_.NormaliseKey(*view, options.start), prefix);
  MdbCursor cursor;
  NOTESD_RETURN_IF_ERROR(MdbStatus(cursor.Open(txn_, view->dbi), db_.label_, "mdb_cursor_open"));
  MDB_val k = ToMdbVal(start);
  MDB_val v{};
  int rc = MDB_SUCCESS;
  if (options.after_id != 0) {
    // The entry after (start, after_id): a later note id under the same key, else the
    // first entry of the next key.
    const std::string next_id = NoteIdKey(options.after_id + 1);
    v = ToMdbVal(next_id);
    rc = options.after_id == UINT32_MAX ? MDB_NOTFOUND : mdb_cursor_get(cursor.get(), &k, &v, MDB_GET_BOTH_RANGE);
    if (rc == MDB_NOTFOUND) {
      k = ToMdbVal(start);
      rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_RANGE);
      if (rc == MDB_SUCCESS && FromMdbVal(k) == start) rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT_NODUP);
    }
  } else {
    rc = mdb_cursor_get(cursor.get(), &k, &v, start.empty() ? MDB_FIRST : MDB_SET_RANGE);
  }
  std::vector<ViewEntry> entries;
  for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT)) {
    const std::string_view key = FromMdbVal(k);
    if (!key.starts_with(prefix)) return entries;
    const std::optional<NoteId> id = DecodeNoteIdKey(FromMdbVal(v));
    if (!id) return Status::Corruption(db_.label_ + ": view '" + view->definition.name + "': bad entry");
    entries.push_back(ViewEntry{std::string(key), *id});
    if (options.limit != 0 && entries.size() >= options.limit) return entries;
  }
  if (rc != MDB_NOTFOUND) return MdbStatus(rc, db_.label_, "mdb_cursor_get");
  return entries;
}

Result<std::vector<NoteId>> ReadTxn::ListNoteIds(NoteId after, std::size_t limit) const {
  std::vector<NoteId> ids;
  if (after == UINT32_MAX) return ids;
  MdbCursor cursor;
  NOTESD_RETURN_IF_ERROR(MdbStatus(cursor.Open(txn_, db_.notes_dbi_), db_.label_, "mdb_cursor_open"));
  const std::string start = NoteIdKey(after + 1);
  MDB_val k = ToMdbVal(start);
  MDB_val v{};
  int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_RANGE);
  for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT)) {
    const std::optional<NoteId> id = DecodeNoteIdKey(FromMdbVal(k));
    if (!id) return Status::Corruption(db_.label_ + ": notes: key is not a NoteID");
    ids.push_back(*id);
    if (limit != 0 && ids.size() >= limit) return ids;
  }
  if (rc != MDB_NOTFOUND) return MdbStatus(rc, db_.label_, "mdb_cursor_get");
  return ids;
}

Result<std::uint64_t> ReadTxn::CountEntries(MDB_dbi dbi) const {
  MDB_stat stat{};
  NOTESD_RETURN_IF_ERROR(MdbStatus(mdb_stat(txn_, dbi, &stat), db_.label_, "mdb_stat"));
  return static_cast<std::uint64_t>(stat.ms_entries);
}

Result<std::uint64_t> ReadTxn::CountNotes() const { return CountEntries(db_.notes_dbi_); }

Result<std::string> ReadTxn::GetInfo(std::string_view key) const {
  NOTESD_ASSIGN_OR_RETURN(std::optional<std::string_view> raw, Fetch(db_.info_dbi_, key));
  if (!raw) return Status::NotFound(db_.label_ + ": info '" + std::string(key) + "' is not set");
  return std::string(*raw);
}

Result<bool> ReadTxn::HasSupportedFormat() const {
  NOTESD_ASSIGN_OR_RETURN(std::optional<std::string_view> raw, Fetch(db_.meta_dbi_, "format_version"));
  if (!raw) return false;
  const std::optional<std::uint64_t> version = DecodeLe(*raw, 4);
  if (!version) return Status::Corruption(db_.label_ + ": meta format_version is not a u32");
  if (*version > kFormatVersion) {
    return Status::InvalidArgument(db_.label_ + ": format version " + std::to_string(*version) +
                                   " is newer than this build supports (" + std::to_string(kFormatVersion) + ")");
  }
  return true;
}

Status ReadTxn::CheckViewsBuilt() const {
  for (const NsfDatabase::View& view : db_.views_) {
    const std::string marker_key = std::string(kViewMarkerPrefix) + view.definition.name;
    NOTESD_ASSIGN_OR_RETURN(std::optional<std::string_view> marker, Fetch(db_.meta_dbi_, marker_key));
    if (!marker || *marker != ViewMarker(view.definition)) return ViewNotBuilt(db_.label_, view.definition.name);
  }
  return Status::Ok();
}

Status ReadTxn::FillInfo(NsfInfo& info) const {
  auto text = [&](std::string_view key) -> Result<std::string> {
    NOTESD_ASSIGN_OR_RETURN(std::optional<std::string_view> raw, Fetch(db_.meta_dbi_, key));
    return raw ? std::string(*raw) : std::string();
  };
  NOTESD_ASSIGN_OR_RETURN(info.title, text("title"));
  NOTESD_ASSIGN_OR_RETURN(info.replica_id, text("replica_id"));
  NOTESD_ASSIGN_OR_RETURN(const std::string created, text("created"));
  info.created = static_cast<TimeMicros>(DecodeLe(created, 8).value_or(0));
  NOTESD_ASSIGN_OR_RETURN(const std::string next, text("next_note_id"));
  info.next_note_id = static_cast<NoteId>(DecodeLe(next, 4).value_or(0));
  NOTESD_ASSIGN_OR_RETURN(info.note_count, CountNotes());

  info.info.clear();
  MdbCursor cursor;
  NOTESD_RETURN_IF_ERROR(MdbStatus(cursor.Open(txn_, db_.info_dbi_), db_.label_, "mdb_cursor_open"));
  MDB_val k{};
  MDB_val v{};
  int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_FIRST);
  for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT)) {
    info.info.emplace(std::string(FromMdbVal(k)), std::string(FromMdbVal(v)));
  }
  if (rc != MDB_NOTFOUND) return MdbStatus(rc, db_.label_, "mdb_cursor_get");

  info.views.clear();
  for (const NsfDatabase::View& view : db_.views_) {
    NOTESD_ASSIGN_OR_RETURN(std::uint64_t entries, CountEntries(view.dbi));
    info.views.push_back(ViewInfo{view.definition.name, view.definition.case_insensitive, entries});
  }
  return Status::Ok();
}

// ---- WriteTxn --------------------------------------------------------------------

Status WriteTxn::Check(int rc, std::string_view op) {
  if (rc == MDB_MAP_FULL) map_full_ = true;
  return MdbStatus(rc, db_.label_, op);
}

Status WriteTxn::Put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags) {
  MDB_val k = ToMdbVal(key);
  MDB_val v = ToMdbVal(value);
  return Check(mdb_put(txn_, dbi, &k, &v, flags), "mdb_put");
}

Result<NoteId> WriteTxn::TakeNextNoteId() {
  NOTESD_ASSIGN_OR_RETURN(std::optional<std::string_view> raw, Fetch(db_.meta_dbi_, "next_note_id"));
  const std::optional<std::uint64_t> next = raw ? DecodeLe(*raw, 4) : std::nullopt;
  if (!next) return Status::Corruption(db_.label_ + ": meta next_note_id is missing or bad");
  if (*next == 0) return Status::Unavailable(db_.label_ + ": all NoteIDs are used");
  const auto id = static_cast<NoteId>(*next);
  // After UINT32_MAX this stores 0, which the next Create reports as exhausted.
  NOTESD_RETURN_IF_ERROR(Put(db_.meta_dbi_, "next_note_id", EncodeU32(id + 1)));
  return id;
}

Status WriteTxn::ClaimUnid(Note& note) {
  const std::string id_value = NoteIdKey(note.id());
  if (!note.unid().empty()) {
    Status status = Put(db_.unids_dbi_, note.unid(), id_value, MDB_NOOVERWRITE);
    if (status.code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists(db_.label_ + ": UNID " + note.unid() + " already exists");
    }
    return status;
  }
  for (int draw = 0; draw < kMaxUnidDraws; ++draw) {
    NOTESD_ASSIGN_OR_RETURN(std::string unid, RandomHex(16, db_.label_));
    Status status = Put(db_.unids_dbi_, unid, id_value, MDB_NOOVERWRITE);
    if (status.code() == StatusCode::kAlreadyExists) continue;  // astronomically rare
    NOTESD_RETURN_IF_ERROR(status);
    note.set_unid(std::move(unid));
    return Status::Ok();
  }
  return Status::Internal(db_.label_ + ": could not draw an unused UNID");
}

Status WriteTxn::PutNote(const Note& note) {
  NOTESD_ASSIGN_OR_RETURN(std::string bytes, SerializeNote(note));
  return Put(db_.notes_dbi_, NoteIdKey(note.id()), bytes);
}

Status WriteTxn::MoveViewEntries(std::size_t view_index, NoteId id, const Note* before, const Note* after) {
  const NsfDatabase::View& view = db_.views_[view_index];
  const std::vector<std::string> old_keys = before ? db_.KeysOf(view, *before) : std::vector<std::string>{};
  const std::vector<std::string> new_keys = after ? db_.KeysOf(view, *after) : std::vector<std::string>{};
  std::vector<std::string> removed;
  std::vector<std::string> added;
  std::set_difference(old_keys.begin(), old_keys.end(), new_keys.begin(), new_keys.end(), std::back_inserter(removed));
  std::set_difference(new_keys.begin(), new_keys.end(), old_keys.begin(), old_keys.end(), std::back_inserter(added));
  const std::string id_value = NoteIdKey(id);
  for (const std::string& key : removed) {
    MDB_val k = ToMdbVal(key);
    MDB_val v = ToMdbVal(id_value);
    const int rc = mdb_del(txn_, view.dbi, &k, &v);
    if (rc != MDB_NOTFOUND) NOTESD_RETURN_IF_ERROR(Check(rc, "mdb_del " + view.definition.name));
  }
  for (const std::string& key : added) {
    Status status = Put(view.dbi, key, id_value, MDB_NODUPDATA);
    if (status.code() != StatusCode::kAlreadyExists) NOTESD_RETURN_IF_ERROR(status);
  }
  return Status::Ok();
}

Status WriteTxn::UpdateViewKeys(NoteId id, const Note* before, const Note* after) {
  for (std::size_t i = 0; i < db_.views_.size(); ++i) {
    NOTESD_RETURN_IF_ERROR(MoveViewEntries(i, id, before, after));
  }
  return Status::Ok();
}

Result<Note> WriteTxn::Create(const Note& note) {
  NOTESD_RETURN_IF_ERROR(note.Validate().WithContext(db_.label_));
  Note stored = note;
  NOTESD_ASSIGN_OR_RETURN(NoteId id, TakeNextNoteId());
  stored.set_id(id);
  const TimeMicros now = db_.Now();
  if (stored.created() == 0) stored.set_created(now);
  stored.set_modified(now);
  NOTESD_RETURN_IF_ERROR(ClaimUnid(stored));
  NOTESD_RETURN_IF_ERROR(PutNote(stored));
  NOTESD_RETURN_IF_ERROR(UpdateViewKeys(id, nullptr, &stored));
  return stored;
}

Result<Note> WriteTxn::Update(const Note& note) {
  NOTESD_RETURN_IF_ERROR(note.Validate().WithContext(db_.label_));
  if (note.id() == 0) return Status::InvalidArgument(db_.label_ + ": Update of a note never created (NoteID 0)");
  NOTESD_ASSIGN_OR_RETURN(Note old, Get(note.id()));
  if (!note.unid().empty() && note.unid() != old.unid()) {
    return Status::InvalidArgument(db_.label_ + ": NoteID " + std::to_string(note.id()) + " has UNID " + old.unid() +
                                   ", not " + note.unid());
  }
  Note stored = note;
  stored.set_unid(old.unid());
  stored.set_created(old.created());
  stored.set_modified(db_.Now());
  NOTESD_RETURN_IF_ERROR(PutNote(stored));
  NOTESD_RETURN_IF_ERROR(UpdateViewKeys(stored.id(), &old, &stored));
  return stored;
}

Status WriteTxn::Delete(NoteId id) {
  NOTESD_ASSIGN_OR_RETURN(Note old, Get(id));
  const std::string key = NoteIdKey(id);
  MDB_val note_key = ToMdbVal(key);
  NOTESD_RETURN_IF_ERROR(Check(mdb_del(txn_, db_.notes_dbi_, &note_key, nullptr), "mdb_del notes"));
  MDB_val unid_key = ToMdbVal(old.unid());
  NOTESD_RETURN_IF_ERROR(Check(mdb_del(txn_, db_.unids_dbi_, &unid_key, nullptr), "mdb_del unids"));
  return UpdateViewKeys(id, &old, nullptr);
}

Status WriteTxn::SetTitle(std::string_view title) { return Put(db_.meta_dbi_, "title", title); }

Status WriteTxn::SetInfo(std::string_view key, std::string_view value) {
  if (key.empty() || key.size() > db_.max_key_size_) {
    return Status::InvalidArgument(db_.label_ + ": info keys must be 1.." + std::to_string(db_.max_key_size_) +
                                   " bytes");
  }
  return Put(db_.info_dbi_, key, value);
}

Status WriteTxn::RemoveInfo(std::string_view key) {
  if (key.empty() || key.size() > db_.max_key_size_) return Status::Ok();  // cannot exist
  MDB_val k = ToMdbVal(key);
  const int rc = mdb_del(txn_, db_.info_dbi_, &k, nullptr);
  return rc == MDB_NOTFOUND ? Status::Ok() : Check(rc, "mdb_del info");
}

Status WriteTxn::InitMeta() {
  NOTESD_ASSIGN_OR_RETURN(bool initialised, HasSupportedFormat());
  if (initialised) return Status::Ok();
  NOTESD_ASSIGN_OR_RETURN(std::string replica_id, RandomHex(8, db_.label_));
  NOTESD_RETURN_IF_ERROR(Put(db_.meta_dbi_, "format_version", EncodeU32(kFormatVersion)));
  NOTESD_RETURN_IF_ERROR(Put(db_.meta_dbi_, "title", db_.options_.title));
  NOTESD_RETURN_IF_ERROR(Put(db_.meta_dbi_, "created", EncodeI64(db_.Now())));
  NOTESD_RETURN_IF_ERROR(Put(db_.meta_dbi_, "next_note_id", EncodeU32(1)));
  return Put(db_.meta_dbi_, "replica_id", replica_id);
}

Status WriteTxn::ReconcileViews() {
  std::vector<std::size_t> outdated;
  for (std::size_t i = 0; i < db_.views_.size(); ++i) {
    const NsfDatabase::View& view = db_.views_[i];
    const std::string marker_key = std::string(kViewMarkerPrefix) + view.definition.name;
    const std::string marker = ViewMarker(view.definition);
    NOTESD_ASSIGN_OR_RETURN(std::optional<std::string_view> stored, Fetch(db_.meta_dbi_, marker_key));
    if (stored && *stored == marker) continue;
    outdated.push_back(i);
    NOTESD_RETURN_IF_ERROR(Check(mdb_drop(txn_, view.dbi, 0), "mdb_drop " + view.definition.name));
    NOTESD_RETURN_IF_ERROR(Put(db_.meta_dbi_, marker_key, marker));
  }
  NOTESD_RETURN_IF_ERROR(RebuildViews(outdated));
  return DropStaleViews();
}

Status WriteTxn::RebuildViews(const std::vector<std::size_t>& view_indexes) {
  if (view_indexes.empty()) return Status::Ok();
  MdbCursor cursor;
  NOTESD_RETURN_IF_ERROR(MdbStatus(cursor.Open(txn_, db_.notes_dbi_), db_.label_, "mdb_cursor_open"));
  MDB_val k{};
  MDB_val v{};
  int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_FIRST);
  for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT)) {
    Result<Note> note = ParseNote(FromMdbVal(v));
    if (!note.ok()) return note.status().WithContext(db_.label_ + ": rebuilding views");
    for (std::size_t index : view_indexes) {
      NOTESD_RETURN_IF_ERROR(MoveViewEntries(index, note->id(), nullptr, &*note));
    }
  }
  if (rc != MDB_NOTFOUND) return MdbStatus(rc, db_.label_, "mdb_cursor_get");
  return Status::Ok();
}

Status WriteTxn::DropStaleViews() {
  std::vector<std::string> stale;  // views with a marker but no definition at this open
  {
    MdbCursor cursor;
    NOTESD_RETURN_IF_ERROR(MdbStatus(cursor.Open(txn_, db_.meta_dbi_), db_.label_, "mdb_cursor_open"));
    MDB_val k = ToMdbVal(kViewMarkerPrefix);
    MDB_val v{};
    int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_RANGE);
    for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT)) {
      const std::string_view key = FromMdbVal(k);
      if (!key.starts_with(kViewMarkerPrefix)) break;
      const std::string_view name = key.substr(kViewMarkerPrefix.size());
      if (db_.FindView(name) == nullptr) stale.emplace_back(name);
    }
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return MdbStatus(rc, db_.label_, "mdb_cursor_get");
  }
  for (const std::string& name : stale) {
    const std::string marker_key = std::string(kViewMarkerPrefix) + name;
    MDB_val k = ToMdbVal(marker_key);
    NOTESD_RETURN_IF_ERROR(Check(mdb_del(txn_, db_.meta_dbi_, &k, nullptr), "mdb_del meta"));
    MDB_dbi dbi = 0;
    const std::string db_name = std::string(kViewDbPrefix) + name;
    const int rc = mdb_dbi_open(txn_, db_name.c_str(), kViewDbFlags, &dbi);
    // Without a free handle the pages stay; a later definition clears them anyway.
    if (rc == MDB_NOTFOUND || rc == MDB_DBS_FULL) continue;
    NOTESD_RETURN_IF_ERROR(Check(rc, "mdb_dbi_open " + db_name));
    NOTESD_RETURN_IF_ERROR(Check(mdb_drop(txn_, dbi, 1), "mdb_drop " + db_name));
  }
  return Status::Ok();
}

// ---- NsfDatabase: transactions and the map size ----------------------------------

void NsfDatabase::TxnGate::Enter() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !exclusive_; });
  ++active_;
}

void NsfDatabase::TxnGate::Leave() {
  std::lock_guard lock(mutex_);
  if (--active_ == 0) changed_.notify_all();
}

Status NsfDatabase::TxnGate::Exclusive(const std::function<Status()>& fn) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !exclusive_; });
  exclusive_ = true;
  changed_.wait(lock, [&] { return active_ == 0; });
  Status status = fn();
  exclusive_ = false;
  changed_.notify_all();
  return status;
}

std::size_t NsfDatabase::MapSizeLocked() const {
  MDB_envinfo info{};
  mdb_env_info(env_.get(), &info);
  return info.me_mapsize;
}

std::size_t NsfDatabase::map_size() const {
  TxnGate::Pass pass(gate_);
  return MapSizeLocked();
}

Status NsfDatabase::GrowMap(std::size_t observed_size) const {
  return gate_.Exclusive([&]() -> Status {
    const std::size_t current = MapSizeLocked();
    if (current > observed_size) return Status::Ok();  // another writer grew it meanwhile
    const std::size_t max = options_.max_map_size;
    if (current >= max) {
      return Status::Unavailable(label_ + ": database full: map size " + std::to_string(current) +
                                 " bytes is max_map_size");
    }
    const std::size_t next = current > max / 2 ? max : current * 2;
    return MdbStatus(mdb_env_set_mapsize(env_.get(), next), label_, "mdb_env_set_mapsize");
  });
}

Status NsfDatabase::AdoptMapSize() const {
  // Another process grew the map; 0 means "take the size now recorded in the file".
  return gate_.Exclusive([&] { return MdbStatus(mdb_env_set_mapsize(env_.get(), 0), label_, "mdb_env_set_mapsize"); });
}

Status NsfDatabase::RunTxn(unsigned flags, const TxnBody& body) const {
  for (int attempt = 0; attempt < kMaxTxnAttempts; ++attempt) {
    bool resized_elsewhere = false;
    std::size_t observed_size = 0;
    {
      TxnGate::Pass pass(gate_);
      MdbTxn txn;
      int rc = txn.Begin(env_.get(), flags);
      if (rc == MDB_MAP_RESIZED) {
        resized_elsewhere = true;
      } else if (rc != MDB_SUCCESS) {
        return MdbStatus(rc, label_, "mdb_txn_begin");
      } else {
        bool map_full = false;
        Status status = body(txn.get(), map_full);
        if (!map_full) {
          if (!status.ok()) return status;  // ~MdbTxn aborts
          // A read-only commit just ends the txn but keeps sub-database handles it opened.
          rc = txn.Commit();
          if (rc != MDB_MAP_FULL) return MdbStatus(rc, label_, "mdb_txn_commit");
        }
        observed_size = MapSizeLocked();
      }
    }
    // No transaction of ours is active past this point, so the map may change.
    NOTESD_RETURN_IF_ERROR(resized_elsewhere ? AdoptMapSize() : GrowMap(observed_size));
  }
  return Status::Unavailable(label_ + ": transaction retried too often after map size changes");
}

Status NsfDatabase::Write(const std::function<Status(WriteTxn&)>& body) {
  return RunTxn(0, [&](MDB_txn* txn, bool& map_full) {
    WriteTxn write_txn(*this, txn);
    Status status = body(write_txn);
    map_full = write_txn.map_full_;
    return status;
  });
}

Status NsfDatabase::Read(const std::function<Status(const ReadTxn&)>& body) const {
  return RunTxn(MDB_RDONLY, [&](MDB_txn* txn, bool&) { return body(ReadTxn(*this, txn)); });
}

// ---- NsfDatabase: open, views, conveniences --------------------------------------

Result<std::unique_ptr<NsfDatabase>> NsfDatabase::Open(const fs::path& path, NsfOptions options) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(path, ec);
  if (ec) return Status::IOError(path.string() + ": " + ec.message());
  if (options.label.empty()) options.label = canonical.filename().string();
  const std::string label = options.label;
  NOTESD_RETURN_IF_ERROR(ValidateOptions(options, label));
  NOTESD_RETURN_IF_ERROR(CheckFile(canonical, options, label));
  if (!ClaimPath(canonical.string())) {
    return Status::AlreadyExists(label + ": " + canonical.string() +
                                 " is already open in this process; share that NsfDatabase");
  }
  PathClaimGuard claim(canonical.string());
  NOTESD_ASSIGN_OR_RETURN(MdbEnvPtr env, OpenEnvironment(canonical, options, label));
  std::unique_ptr<NsfDatabase> db(new NsfDatabase(canonical, std::move(options), std::move(env)));
  claim.Dismiss();  // ~NsfDatabase releases the path from here on
  NOTESD_RETURN_IF_ERROR(db->InitSchema());
  return db;
}

NsfDatabase::NsfDatabase(fs::path path, NsfOptions options, MdbEnvPtr env)
    : path_(std::move(path)), options_(std::move(options)), label_(options_.label), env_(std::move(env)) {
  options_.max_map_size = RoundUpToPage(options_.max_map_size);
  max_key_size_ = static_cast<std::size_t>(mdb_env_get_maxkeysize(env_.get()));
  for (ViewDefinition& definition : options_.views) views_.push_back(View{std::move(definition), 0});
  options_.views.clear();
}

NsfDatabase::~NsfDatabase() {
  env_.reset();  // close before another Open of this path may start
  ReleasePath(path_.string());
}

Status NsfDatabase::OpenSubDatabases(MDB_txn* txn, const RcCheck& check) {
  const unsigned create = options_.read_only ? 0 : MDB_CREATE;
  auto open = [&](const std::string& name, unsigned flags, MDB_dbi& dbi) {
    return check(mdb_dbi_open(txn, name.c_str(), flags | create, &dbi), "mdb_dbi_open " + name);
  };
  NOTESD_RETURN_IF_ERROR(open("notes", 0, notes_dbi_));
  NOTESD_RETURN_IF_ERROR(open("unids", 0, unids_dbi_));
  NOTESD_RETURN_IF_ERROR(open("meta", 0, meta_dbi_));
  NOTESD_RETURN_IF_ERROR(open("info", 0, info_dbi_));
  for (View& view : views_) {
    const std::string name = std::string(kViewDbPrefix) + view.definition.name;
    const int rc = mdb_dbi_open(txn, name.c_str(), kViewDbFlags | create, &view.dbi);
    if (rc == MDB_NOTFOUND) return ViewNotBuilt(label_, view.definition.name);  // read-only
    NOTESD_RETURN_IF_ERROR(check(rc, "mdb_dbi_open " + name));
  }
  return Status::Ok();
}

Status NsfDatabase::InitSchema() {
  if (options_.read_only) {
    return RunTxn(MDB_RDONLY, [&](MDB_txn* txn, bool&) -> Status {
      NOTESD_RETURN_IF_ERROR(
          OpenSubDatabases(txn, [&](int rc, std::string_view op) { return MdbStatus(rc, label_, op); }));
      const ReadTxn read_txn(*this, txn);
      NOTESD_ASSIGN_OR_RETURN(bool initialised, read_txn.HasSupportedFormat());
      if (!initialised) return Status::Corruption(label_ + ": not a notesd database (no metadata)");
      return read_txn.CheckViewsBuilt();
    });
  }
  return Write([&](WriteTxn& txn) -> Status {
    NOTESD_RETURN_IF_ERROR(OpenSubDatabases(txn.txn_, [&](int rc, std::string_view op) { return txn.Check(rc, op); }));
    NOTESD_RETURN_IF_ERROR(txn.InitMeta());
    return txn.ReconcileViews();
  });
}

TimeMicros NsfDatabase::Now() const { return options_.clock ? options_.clock() : SystemMicros(); }

const NsfDatabase::View* NsfDatabase::FindView(std::string_view name) const {
  auto it = std::find_if(views_.begin(), views_.end(), [&](const View& view) { return view.definition.name == name; });
  return it == views_.end() ? nullptr : &*it;
}

Result<const NsfDatabase::View*> NsfDatabase::ViewOrError(std::string_view name) const {
  const View* view = FindView(name);
  if (view == nullptr) return Status::NotFound(label_ + ": no view named '" + std::string(name) + "'");
  return view;
}

std::string NsfDatabase::NormaliseKey(const View& view, std::string_view key) const {
  std::string normalised = view.definition.case_insensitive ? FoldAscii(key) : std::string(key);
  if (normalised.size() > max_key_size_) normalised.resize(max_key_size_);
  return normalised;
}

std::vector<std::string> NsfDatabase::KeysOf(const View& view, const Note& note) const {
  std::vector<std::string> keys;
  for (const std::string& key : view.definition.keys(note)) {
    std::string normalised = NormaliseKey(view, key);
    if (!normalised.empty()) keys.push_back(std::move(normalised));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

Result<Note> NsfDatabase::Create(const Note& note) {
  return WriteValue<Note>(*this, [&](WriteTxn& txn) { return txn.Create(note); });
}

Result<Note> NsfDatabase::Update(const Note& note) {
  return WriteValue<Note>(*this, [&](WriteTxn& txn) { return txn.Update(note); });
}

Status NsfDatabase::Delete(NoteId id) {
  return Write([&](WriteTxn& txn) { return txn.Delete(id); });
}

Result<Note> NsfDatabase::Get(NoteId id) const {
  return ReadValue<Note>(*this, [&](const ReadTxn& txn) { return txn.Get(id); });
}

Result<Note> NsfDatabase::GetByUnid(std::string_view unid) const {
  return ReadValue<Note>(*this, [&](const ReadTxn& txn) { return txn.GetByUnid(unid); });
}

Result<std::vector<NoteId>> NsfDatabase::LookupIds(std::string_view view, std::string_view key) const {
  return ReadValue<std::vector<NoteId>>(*this, [&](const ReadTxn& txn) { return txn.LookupIds(view, key); });
}

Result<std::size_t> NsfDatabase::CountKey(std::string_view view, std::string_view key) const {
  return ReadValue<std::size_t>(*this, [&](const ReadTxn& txn) { return txn.CountKey(view, key); });
}

Result<std::vector<Note>> NsfDatabase::Lookup(std::string_view view, std::string_view key) const {
  return ReadValue<std::vector<Note>>(*this, [&](const ReadTxn& txn) { return txn.Lookup(view, key); });
}

Result<std::vector<ViewEntry>> NsfDatabase::Scan(std::string_view view, const ScanOptions& options) const {
  return ReadValue<std::vector<ViewEntry>>(*this, [&](const ReadTxn& txn) { return txn.Scan(view, options); });
}

Result<NsfInfo> NsfDatabase::Info() const {
  NsfInfo info;
  NOTESD_RETURN_IF_ERROR(Read([&](const ReadTxn& txn) { return txn.FillInfo(info); }));
  // File-system and environment queries happen after the snapshot has ended.
  info.path = path_.string();
  std::error_code ec;
  const std::uintmax_t file_size = fs::file_size(path_, ec);
  if (ec) return Status::IOError(label_ + ": " + path_.string() + ": " + ec.message());
  info.file_size = file_size;
  info.map_size = map_size();
  return info;
}

}  // namespace notesd
