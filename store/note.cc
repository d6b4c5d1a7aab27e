#include "store/note.h"
#include "base/ascii.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <optional>
#include <unordered_set>

namespace notesd {
namespace {

constexpr std::string_view kMagic = "NSFN";
constexpr std::uint8_t kFormatVersion = 1;
constexpr std::size_t kUnidBytes = 16;
constexpr std::uint8_t kMaxItemType = static_cast<std::uint8_t>(ItemType::kBinary);

// Item names and other untrusted text in error messages: printable ASCII kept, the
// rest as \xNN, cut at 64 bytes, so a log line cannot be forged or flooded.
std::string Printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < 64; ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7F && byte != '\\') {
      out += static_cast<char>(byte);
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  if (text.size() > 64) out += "...";
  return out;
}

std::string FoldName(std::string_view name) {
  std::string folded(name);
  std::transform(folded.begin(), folded.end(), folded.begin(), AsciiToLower);
  return folded;
}

// ---- Encoding -------------------------------------------------------------------

void PutU8(std::string& out, std::uint8_t v) { out += static_cast<char>(v); }
void PutU16(std::string& out, std::uint16_t v) {
  for (int i = 0; i < 2; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void PutU32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void PutU64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void PutI64(std::string& out, std::int64_t v) { PutU64(out, static_cast<std::uint64_t>(v)); }
void PutF64(std::string& out, double v) { PutU64(out, std::bit_cast<std::uint64_t>(v)); }
void PutBytes(std::string& out, std::string_view bytes) {
  PutU32(out, static_cast<std::uint32_t>(bytes.size()));
  out += bytes;
}

std::string EncodeValue(const ItemValue& value) {
  std::string out;
  struct Encoder {
    std::string& out;
    void operator()(const std::string& v) { out += v; }
    void operator()(const std::vector<std::string>& v) {
      PutU32(out, static_cast<std::uint32_t>(v.size()));
      for (const auto& s : v) PutBytes(out, s);
    }
    void operator()(double v) { PutF64(out, v); }
    void operator()(const std::vector<double>& v) {
      PutU32(out, static_cast<std::uint32_t>(v.size()));
      for (double d : v) PutF64(out, d);
    }
    void operator()(TimeMicros v) { PutI64(out, v); }
    void operator()(const std::vector<TimeMicros>& v) {
      PutU32(out, static_cast<std::uint32_t>(v.size()));
      for (TimeMicros t : v) PutI64(out, t);
    }
    void operator()(const Bytes& v) { out.append(v.begin(), v.end()); }
  };
  std::visit(Encoder{out}, value);
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void PutUnid(std::string& out, const std::string& unid) {
  if (unid.empty()) {
    out.append(kUnidBytes, '\0');
    return;
  }
  for (std::size_t i = 0; i < kUnidBytes; ++i) {
    out += static_cast<char>(HexDigit(unid[2 * i]) * 16 + HexDigit(unid[2 * i + 1]));
  }
}

std::string UnidFromBytes(std::string_view raw) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  if (std::all_of(raw.begin(), raw.end(), [](char c) { return c == '\0'; })) return "";
  std::string unid;
  for (char c : raw) {
    auto byte = static_cast<unsigned char>(c);
    unid += kHex[byte >> 4];
    unid += kHex[byte & 0xF];
  }
  return unid;
}

// Largest element count a value can hold, so encoded lengths fit u32.
bool FitsU32(std::size_t n) { return n <= std::numeric_limits<std::uint32_t>::max(); }

Status CheckItemFits(const Item& item) {
  bool fits = true;
  if (const auto* text = std::get_if<std::string>(&item.value)) fits = FitsU32(text->size());
  if (const auto* list = std::get_if<std::vector<std::string>>(&item.value)) {
    fits = FitsU32(list->size()) &&
           std::all_of(list->begin(), list->end(), [](const auto& s) { return FitsU32(s.size()); });
  }
  if (const auto* bytes = std::get_if<Bytes>(&item.value)) fits = FitsU32(bytes->size());
  if (!fits) return Status::InvalidArgument("item '" + Printable(item.name) + "': value too large");
  return Status::Ok();
}

// ---- Decoding -------------------------------------------------------------------

// Reads little-endian fields from untrusted bytes; every read is bounds-checked.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}

  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return data_.size() - offset_; }

  std::optional<std::string_view> Take(std::size_t n) {
    if (n > remaining()) return std::nullopt;
    std::string_view out = data_.substr(offset_, n);
    offset_ += n;
    return out;
  }
  template <typename T>
  std::optional<T> Unsigned() {
    auto raw = Take(sizeof(T));
    if (!raw) return std::nullopt;
    T v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      v |= static_cast<T>(static_cast<T>(static_cast<unsigned char>((*raw)[i])) << (8 * i));
    }
    return v;
  }

 private:
  std::string_view data_;
  std::size_t offset_ = 0;
};

Status Truncated(const ByteReader& reader, std::string_view what) {
  return Status::Corruption("note: truncated at byte " + std::to_string(reader.offset()) + " reading " +
                            std::string(what));
}

// Decodes one item value of `type` that occupies exactly `raw`.
class ValueDecoder {
 public:
  ValueDecoder(std::string_view raw, std::string context) : reader_(raw), context_(std::move(context)) {}

  Result<ItemValue> Decode(ItemType type) {
    Result<ItemValue> value = DecodeByType(type);
    if (!value.ok()) return value;
    if (reader_.remaining() != 0) {
      return Status::Corruption(context_ + ": " + std::to_string(reader_.remaining()) + " unused bytes in value");
    }
    return value;
  }

 private:
  Result<ItemValue> DecodeByType(ItemType type) {
    switch (type) {
      case ItemType::kText: return ItemValue(std::string(*reader_.Take(reader_.remaining())));
      case ItemType::kBinary: {
        std::string_view raw = *reader_.Take(reader_.remaining());
        return ItemValue(notesd::Bytes(raw.begin(), raw.end()));
      }
      case ItemType::kNumber: return Scalar<double>();
      case ItemType::kTime: return Scalar<TimeMicros>();
      case ItemType::kTextList: return TextList();
      case ItemType::kNumberList: return FixedList<double>();
      case ItemType::kTimeList: return FixedList<TimeMicros>();
    }
    return Status::Corruption(context_ + ": unknown type");
  }

  template <typename T>
  std::optional<T> Fixed() {
    auto bits = reader_.Unsigned<std::uint64_t>();
    if (!bits) return std::nullopt;
    return std::bit_cast<T>(*bits);
  }

  template <typename T>
  Result<ItemValue> Scalar() {
    auto v = Fixed<T>();
    if (!v) return Status::Corruption(context_ + ": value shorter than 8 bytes");
    return ItemValue(*v);
  }

  std::optional<std::uint32_t> Count() { return reader_.Unsigned<std::uint32_t>(); }

  template <typename T>
  Result<ItemValue> FixedList() {
    auto count = Count();
    if (!count) return Status::Corruption(context_ + ": list count missing");
    if (reader_.remaining() / 8 < *count) {
      return Status::Corruption(context_ + ": list of " + std::to_string(*count) + " needs more than the " +
                                std::to_string(reader_.remaining()) + " bytes present");
    }
    std::vector<T> values;
    values.reserve(*count);  // bounded by the bytes present, checked above
    for (std::uint32_t i = 0; i < *count; ++i) values.push_back(*Fixed<T>());
    return ItemValue(std::move(values));
  }

  Result<ItemValue> TextList() {
    auto count = Count();
    if (!count) return Status::Corruption(context_ + ": list count missing");
    std::vector<std::string> values;
    for (std::uint32_t i = 0; i < *count; ++i) {
      auto length = reader_.Unsigned<std::uint32_t>();
      auto text = length ? reader_.Take(*length) : std::nullopt;
      if (!text) {
        return Status::Corruption(context_ + ": text list element " + std::to_string(i) + " of " +
                                  std::to_string(*count) + " truncated");
      }
      values.emplace_back(*text);
    }
    return ItemValue(std::move(values));
  }

  ByteReader reader_;
  std::string context_;
};

Status ParseHeader(ByteReader& reader, Note& note) {
  auto magic = reader.Take(kMagic.size());
  if (!magic) return Truncated(reader, "magic");
  if (*magic != kMagic) return Status::Corruption("note: bad magic (not a note)");
  auto version = reader.Unsigned<std::uint8_t>();
  if (!version) return Truncated(reader, "format version");
  if (*version != kFormatVersion) {
    return Status::Corruption("note: unsupported format version " + std::to_string(*version));
  }
  auto id = reader.Unsigned<std::uint32_t>();
  if (!id) return Truncated(reader, "NoteID");
  auto unid = reader.Take(kUnidBytes);
  if (!unid) return Truncated(reader, "UNID");
  auto created = reader.Unsigned<std::uint64_t>();
  if (!created) return Truncated(reader, "created time");
  auto modified = reader.Unsigned<std::uint64_t>();
  if (!modified) return Truncated(reader, "modified time");
  note.set_id(*id);
  note.set_unid(UnidFromBytes(*unid));
  note.set_created(static_cast<TimeMicros>(*created));
  note.set_modified(static_cast<TimeMicros>(*modified));
  return Status::Ok();
}

// Reads one item; when `summary_only` and the item is not a summary item, its value is
// skipped undecoded and `*skipped` is set.
Result<Item> ParseItem(ByteReader& reader, std::uint32_t index, bool summary_only = false, bool* skipped = nullptr) {
  const std::string what = "item " + std::to_string(index);
  auto name_length = reader.Unsigned<std::uint16_t>();
  if (!name_length) return Truncated(reader, what + " name length");
  auto name = reader.Take(*name_length);
  if (!name) return Truncated(reader, what + " name");
  if (name->empty() || name->size() > kMaxItemNameBytes) {
    return Status::Corruption("note: " + what + ": name length " + std::to_string(name->size()) + " outside 1.." +
                              std::to_string(kMaxItemNameBytes));
  }
  const std::string context = "note: " + what + " '" + Printable(*name) + "'";
  auto type = reader.Unsigned<std::uint8_t>();
  auto flags = type ? reader.Unsigned<std::uint8_t>() : std::nullopt;
  if (!flags) return Truncated(reader, what + " type and flags");
  if (*type == 0 || *type > kMaxItemType) {
    return Status::Corruption(context + ": unknown type " + std::to_string(*type));
  }
  if ((*flags & ~kAllItemFlags) != 0) {
    return Status::Corruption(context + ": unknown flags " + std::to_string(*flags));
  }
  auto value_length = reader.Unsigned<std::uint32_t>();
  if (!value_length) return Truncated(reader, what + " value length");
  auto raw = reader.Take(*value_length);
  if (!raw) return Truncated(reader, what + " value");
  if (summary_only && (*flags & kItemSummary) == 0) {
    *skipped = true;
    return Item{std::string(*name), *flags, std::string()};
  }
  NOTESD_ASSIGN_OR_RETURN(ItemValue value, ValueDecoder(*raw, context).Decode(static_cast<ItemType>(*type)));
  return Item{std::string(*name), *flags, std::move(value)};
}

}  // namespace

// ---- Names, types, flags --------------------------------------------------------

std::string_view ItemTypeName(ItemType type) {
  switch (type) {
    case ItemType::kText: return "text";
    case ItemType::kTextList: return "text list";
    case ItemType::kNumber: return "number";
    case ItemType::kNumberList: return "number list";
    case ItemType::kTime: return "time";
    case ItemType::kTimeList: return "time list";
    case ItemType::kBinary: return "binary";
  }
  return "unknown";
}

std::string ItemFlagsText(ItemFlags flags) {
  static constexpr std::pair<ItemFlags, std::string_view> kNames[] = {{kItemSummary, "summary"},
                                                                      {kItemNames, "names"},
                                                                      {kItemReaders, "readers"},
                                                                      {kItemAuthors, "authors"}};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if ((flags & bit) == 0) continue;
    if (!out.empty()) out += ' ';
    out += name;
  }
  return out;
}

bool ItemNamesEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return AsciiToLower(x) == AsciiToLower(y); });
}

bool IsValidUnid(std::string_view unid) {
  return unid.size() == 2 * kUnidBytes &&
         std::all_of(unid.begin(), unid.end(), [](char c) { return HexDigit(c) >= 0; });
}

// ---- Note -----------------------------------------------------------------------

Note::Note(std::string_view form) { set_form(form); }

const Item* Note::FindItem(std::string_view name) const {
  auto it =
      std::find_if(items_.begin(), items_.end(), [&](const Item& item) { return ItemNamesEqual(item.name, name); });
  return it == items_.end() ? nullptr : &*it;
}

Item* Note::FindMutableItem(std::string_view name) { return const_cast<Item*>(std::as_const(*this).FindItem(name)); }

ItemFlags Note::GetFlags(std::string_view name) const {
  const Item* item = FindItem(name);
  return item == nullptr ? 0 : item->flags;
}

std::string Note::GetText(std::string_view name) const {
  const Item* item = FindItem(name);
  if (item == nullptr) return "";
  if (const auto* text = std::get_if<std::string>(&item->value)) return *text;
  const auto* list = std::get_if<std::vector<std::string>>(&item->value);
  return (list == nullptr || list->empty()) ? "" : list->front();
}

std::vector<std::string> Note::GetTextList(std::string_view name) const {
  const Item* item = FindItem(name);
  if (item == nullptr) return {};
  if (const auto* text = std::get_if<std::string>(&item->value)) return {*text};
  const auto* list = std::get_if<std::vector<std::string>>(&item->value);
  return list == nullptr ? std::vector<std::string>{} : *list;
}

double Note::GetNumber(std::string_view name, double fallback) const {
  const Item* item = FindItem(name);
  if (item == nullptr) return fallback;
  if (const auto* number = std::get_if<double>(&item->value)) return *number;
  const auto* list = std::get_if<std::vector<double>>(&item->value);
  return (list == nullptr || list->empty()) ? fallback : list->front();
}

std::vector<double> Note::GetNumberList(std::string_view name) const {
  const Item* item = FindItem(name);
  if (item == nullptr) return {};
  if (const auto* number = std::get_if<double>(&item->value)) return {*number};
  const auto* list = std::get_if<std::vector<double>>(&item->value);
  return list == nullptr ? std::vector<double>{} : *list;
}

TimeMicros Note::GetTime(std::string_view name, TimeMicros fallback) const {
  const Item* item = FindItem(name);
  if (item == nullptr) return fallback;
  if (const auto* time = std::get_if<TimeMicros>(&item->value)) return *time;
  const auto* list = std::get_if<std::vector<TimeMicros>>(&item->value);
  return (list == nullptr || list->empty()) ? fallback : list->front();
}

std::vector<TimeMicros> Note::GetTimeList(std::string_view name) const {
  const Item* item = FindItem(name);
  if (item == nullptr) return {};
  if (const auto* time = std::get_if<TimeMicros>(&item->value)) return {*time};
  const auto* list = std::get_if<std::vector<TimeMicros>>(&item->value);
  return list == nullptr ? std::vector<TimeMicros>{} : *list;
}

Bytes Note::GetBinary(std::string_view name) const {
  const Item* item = FindItem(name);
  if (item == nullptr) return {};
  const auto* bytes = std::get_if<Bytes>(&item->value);
  return bytes == nullptr ? Bytes{} : *bytes;
}

void Note::SetItem(Item item) {
  if (Item* existing = FindMutableItem(item.name)) {
    *existing = std::move(item);
  } else {
    items_.push_back(std::move(item));
  }
}

void Note::SetText(std::string_view name, std::string value, ItemFlags flags) {
  SetItem(Item{std::string(name), flags, std::move(value)});
}
void Note::SetTextList(std::string_view name, std::vector<std::string> values, ItemFlags flags) {
  SetItem(Item{std::string(name), flags, std::move(values)});
}
void Note::SetNumber(std::string_view name, double value, ItemFlags flags) {
  SetItem(Item{std::string(name), flags, value});
}
void Note::SetNumberList(std::string_view name, std::vector<double> values, ItemFlags flags) {
  SetItem(Item{std::string(name), flags, std::move(values)});
}
void Note::SetTime(std::string_view name, TimeMicros value, ItemFlags flags) {
  SetItem(Item{std::string(name), flags, value});
}
void Note::SetTimeList(std::string_view name, std::vector<TimeMicros> values, ItemFlags flags) {
  SetItem(Item{std::string(name), flags, std::move(values)});
}
void Note::SetBinary(std::string_view name, Bytes value, ItemFlags flags) {
  SetItem(Item{std::string(name), flags, std::move(value)});
}

bool Note::SetFlags(std::string_view name, ItemFlags flags) {
  Item* item = FindMutableItem(name);
  if (item == nullptr) return false;
  item->flags = flags;
  return true;
}

bool Note::RemoveItem(std::string_view name) {
  auto it =
      std::find_if(items_.begin(), items_.end(), [&](const Item& item) { return ItemNamesEqual(item.name, name); });
  if (it == items_.end()) return false;
  items_.erase(it);
  return true;
}

Status Note::Validate() const {
  if (!unid_.empty() && !IsValidUnid(unid_)) {
    return Status::InvalidArgument("note: UNID '" + Printable(unid_) + "' is not 32 uppercase hex digits");
  }
  if (!FitsU32(items_.size())) return Status::InvalidArgument("note: too many items");
  for (std::size_t i = 0; i < items_.size(); ++i) {
    const Item& item = items_[i];
    if (item.name.empty() || item.name.size() > kMaxItemNameBytes) {
      return Status::InvalidArgument("note: item " + std::to_string(i) + " '" + Printable(item.name) +
                                     "': name must be 1.." + std::to_string(kMaxItemNameBytes) + " bytes");
    }
    if ((item.flags & ~kAllItemFlags) != 0) {
      return Status::InvalidArgument("note: item '" + Printable(item.name) + "': unknown flag bits");
    }
    // Names are unique by construction: every setter replaces a same-named item.
    NOTESD_RETURN_IF_ERROR(CheckItemFits(item));
  }
  return Status::Ok();
}

// ---- Serialisation --------------------------------------------------------------

Result<std::string> SerializeNote(const Note& note) {
  NOTESD_RETURN_IF_ERROR(note.Validate());
  std::string out(kMagic);
  PutU8(out, kFormatVersion);
  PutU32(out, note.id());
  PutUnid(out, note.unid());
  PutI64(out, note.created());
  PutI64(out, note.modified());
  PutU32(out, static_cast<std::uint32_t>(note.items().size()));
  for (const Item& item : note.items()) {
    PutU16(out, static_cast<std::uint16_t>(item.name.size()));
    out += item.name;
    PutU8(out, static_cast<std::uint8_t>(item.type()));
    PutU8(out, item.flags);
    std::string value = EncodeValue(item.value);
    if (!FitsU32(value.size())) {
      return Status::InvalidArgument("note: item '" + Printable(item.name) + "': value too large");
    }
    PutBytes(out, value);
  }
  return out;
}

// Declared as Note's friend; the parser of both ParseNote and ParseNoteSummary.
Result<Note> ParseNoteItems(std::string_view bytes, bool summary_only);
Result<Note> ParseNoteItems(std::string_view bytes, bool summary_only) {
  ByteReader reader(bytes);
  Note note;
  NOTESD_RETURN_IF_ERROR(ParseHeader(reader, note));
  auto count = reader.Unsigned<std::uint32_t>();
  if (!count) return Truncated(reader, "item count");
  // A set of folded names keeps the duplicate check linear: a hostile note may carry
  // hundreds of thousands of tiny items.
  std::unordered_set<std::string> folded_names;
  for (std::uint32_t i = 0; i < *count; ++i) {
    bool skipped = false;
    NOTESD_ASSIGN_OR_RETURN(Item item, ParseItem(reader, i, summary_only, &skipped));
    if (!folded_names.insert(FoldName(item.name)).second) {
      return Status::Corruption("note: item " + std::to_string(i) + ": duplicate name '" + Printable(item.name) + "'");
    }
    if (!skipped) note.items_.push_back(std::move(item));
  }
  if (reader.remaining() != 0) {
    return Status::Corruption("note: " + std::to_string(reader.remaining()) + " trailing bytes after the last item");
  }
  return note;
}

Result<Note> ParseNote(std::string_view bytes) { return ParseNoteItems(bytes, false); }

Result<Note> ParseNoteSummary(std::string_view bytes) { return ParseNoteItems(bytes, true); }

}  // namespace notesd
