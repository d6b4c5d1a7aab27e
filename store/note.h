// store/note.h — a note (document) of a .nsf database, and its binary serialisation.
//
// Owns: the in-memory Note (identity, times, typed items) and the one on-disk encoding
// of a note. Knows nothing of LMDB; store/nsf_database.h stores these bytes.
//
// SECURITY: ParseNote() reads bytes from disk (and later, from replication peers). It
// checks every length against the bytes present, never trusts a count for allocation,
// and returns Corruption naming what is wrong; it never crashes on any input. Text is
// kept as raw bytes (UTF-8 by convention, not verified).
//
// Thread safety: a Note is a plain value; const use from several threads is safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/status.h"

namespace notesd {

// NoteIDs are assigned by the database, increasing from 1; 0 means "not stored yet".
using NoteId = std::uint32_t;
// Microseconds since the Unix epoch, UTC.
using TimeMicros = std::int64_t;
using Bytes = std::vector<std::uint8_t>;

// The item types. The numeric values are part of the on-disk format.
enum class ItemType : std::uint8_t {
  kText = 1,
  kTextList = 2,
  kNumber = 3,
  kNumberList = 4,
  kTime = 5,
  kTimeList = 6,
  kBinary = 7,
};
// "text", "text list", "number", ... (used by dumps and error messages).
std::string_view ItemTypeName(ItemType type);

// Item flag bits (as in Notes). The values are part of the on-disk format.
using ItemFlags = std::uint8_t;
inline constexpr ItemFlags kItemSummary = 0x01;  // shown in views / summary buffers
inline constexpr ItemFlags kItemNames = 0x02;    // holds hierarchical names
inline constexpr ItemFlags kItemReaders = 0x04;  // restricts who may read the note
inline constexpr ItemFlags kItemAuthors = 0x08;  // grants edit rights to the names in it
inline constexpr ItemFlags kAllItemFlags = 0x0F;
// "summary names" etc., in bit order; "" for none.
std::string ItemFlagsText(ItemFlags flags);

// The variant alternative order matches ItemType: index + 1 == ItemType value.
using ItemValue = std::variant<std::string,               // kText
                               std::vector<std::string>,  // kTextList
                               double,                    // kNumber
                               std::vector<double>,       // kNumberList
                               TimeMicros,                // kTime
                               std::vector<TimeMicros>,   // kTimeList
                               Bytes>;                    // kBinary

struct Item {
  std::string name;  // spelling as set; compared case-insensitively (ASCII)
  ItemFlags flags = 0;
  ItemValue value;

  ItemType type() const { return static_cast<ItemType>(value.index() + 1); }
  friend bool operator==(const Item&, const Item&) = default;
};

// Item names are 1..255 bytes and unique within a note, ignoring ASCII case.
inline constexpr std::size_t kMaxItemNameBytes = 255;
// ASCII case-insensitive equality, as Notes compares item names.
bool ItemNamesEqual(std::string_view a, std::string_view b);

// A UNID is 32 uppercase hex characters (16 random bytes).
bool IsValidUnid(std::string_view unid);

class Note {
 public:
  Note() = default;
  // A new note with its "Form" item set (summary flag), as Notes does.
  explicit Note(std::string_view form);

  // Identity and times are set by NsfDatabase on Create/Update; callers normally read
  // them only. A UNID or created time set before Create is kept (replication, import).
  NoteId id() const { return id_; }
  void set_id(NoteId id) { id_ = id; }
  const std::string& unid() const { return unid_; }
  void set_unid(std::string unid) { unid_ = std::move(unid); }
  TimeMicros created() const { return created_; }
  void set_created(TimeMicros t) { created_ = t; }
  TimeMicros modified() const { return modified_; }
  void set_modified(TimeMicros t) { modified_ = t; }

  // The form is the text item "Form" (as in Notes); "" if absent.
  std::string form() const { return GetText("Form"); }
  void set_form(std::string_view form) { SetText("Form", std::string(form), kItemSummary); }

  // Items in the order first set. FindItem's pointer is borrowed: valid until the next
  // change to this note. Lookups ignore ASCII case.
  const std::vector<Item>& items() const { return items_; }
  const Item* FindItem(std::string_view name) const;
  bool HasItem(std::string_view name) const { return FindItem(name) != nullptr; }
  ItemFlags GetFlags(std::string_view name) const;

  // Typed getters. A getter of a scalar returns the first value of the matching list
  // type too; any getter returns the empty value / `fallback` if the item is absent or
  // of another type. They never fail.
  std::string GetText(std::string_view name) const;
  std::vector<std::string> GetTextList(std::string_view name) const;
  double GetNumber(std::string_view name, double fallback = 0) const;
  std::vector<double> GetNumberList(std::string_view name) const;
  TimeMicros GetTime(std::string_view name, TimeMicros fallback = 0) const;
  std::vector<TimeMicros> GetTimeList(std::string_view name) const;
  Bytes GetBinary(std::string_view name) const;

  // Setters replace an item of the same name (any case, any type) in place, taking the
  // new spelling, or append a new one. Names are checked by Validate(), not here.
  void SetItem(Item item);
  void SetText(std::string_view name, std::string value, ItemFlags flags = 0);
  void SetTextList(std::string_view name, std::vector<std::string> values, ItemFlags flags = 0);
  void SetNumber(std::string_view name, double value, ItemFlags flags = 0);
  void SetNumberList(std::string_view name, std::vector<double> values, ItemFlags flags = 0);
  void SetTime(std::string_view name, TimeMicros value, ItemFlags flags = 0);
  void SetTimeList(std::string_view name, std::vector<TimeMicros> values, ItemFlags flags = 0);
  void SetBinary(std::string_view name, Bytes value, ItemFlags flags = 0);
  // Returns false if there was no such item.
  bool SetFlags(std::string_view name, ItemFlags flags);
  bool RemoveItem(std::string_view name);

  // Ok if the note can be stored: item names 1..255 bytes and unique, known flag bits,
  // UNID empty or valid, every length fits the format. Otherwise InvalidArgument
  // naming the item.
  Status Validate() const;

  friend bool operator==(const Note&, const Note&) = default;

 private:
  // ParseNote and ParseNoteSummary (store/note.cc): appends items without lookups.
  friend Result<Note> ParseNoteItems(std::string_view bytes, bool summary_only);

  Item* FindMutableItem(std::string_view name);

  NoteId id_ = 0;
  std::string unid_;
  TimeMicros created_ = 0;
  TimeMicros modified_ = 0;
  std::vector<Item> items_;
};

// Encodes a note (format version 1, below). Fails with InvalidArgument if
// note.Validate() fails.
//
//   "NSFN"            4 bytes magic
//   u8  version       1
//   u32 note id
//   16  UNID bytes    all zero = no UNID yet
//   i64 created, i64 modified
//   u32 item count, then per item:
//     u16 name length, name bytes, u8 type, u8 flags, u32 value length, value bytes
//   values: text/binary = the bytes; number = f64 (IEEE 754 bits); time = i64;
//           lists = u32 count, then the elements (text elements as u32 length + bytes).
// All integers little-endian.
Result<std::string> SerializeNote(const Note& note);

// Decodes SerializeNote's output. Any malformed input (truncation, bad magic, unknown
// version/type/flags, inconsistent lengths, duplicate or empty item names, trailing
// bytes) yields Corruption with the byte offset or item named. Never crashes.
Result<Note> ParseNote(std::string_view bytes);
// As ParseNote, but keeps only the items flagged kItemSummary (Notes' summary buffer):
// the values of the others (a message body) are skipped unread, so a listing costs the
// size of the summary, not of the note. Checks the structure as ParseNote does.
Result<Note> ParseNoteSummary(std::string_view bytes);

}  // namespace notesd
