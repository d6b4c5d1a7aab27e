#include "store/nsf_dump.h"

#include "base/display_text.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <variant>

namespace notesd {
namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";

// Length of the well-formed UTF-8 sequence at text[i] (1..4), or 0 if it is not one
// (stray continuation byte, overlong form, surrogate, beyond U+10FFFF, truncated).
std::size_t Utf8SequenceLength(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char min_second = 0x80;
  unsigned char max_second = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) min_second = 0xA0;  // overlong
    if (lead == 0xED) max_second = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) min_second = 0x90;  // overlong
    if (lead == 0xF4) max_second = 0x8F;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < min_second || byte(i + 1) > max_second) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

void AppendHexByte(std::string& out, unsigned char byte) {
  out += kHexDigits[byte >> 4];
  out += kHexDigits[byte & 0xF];
}

// For text dumps: one line, nothing a terminal would act on, readable back.
std::string EscapeForText(std::string_view text) { return EscapeForDisplay(text, DisplayStyle::kReversible); }

// For JSON: valid UTF-8, invalid bytes replaced by U+FFFD (JSON escapes the rest).
std::string ValidUtf8(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = Utf8SequenceLength(text, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

std::string FormatNumber(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

std::string HexPrefix(const Bytes& bytes, std::size_t limit) {
  std::string hex;
  for (std::size_t i = 0; i < bytes.size() && i < limit; ++i) AppendHexByte(hex, bytes[i]);
  return hex;
}

template <typename T, typename Format>
std::string JoinList(const std::vector<T>& values, Format format) {
  std::string out;
  for (const T& value : values) {
    if (!out.empty()) out += "; ";
    out += format(value);
  }
  return out;
}

std::string ValueToText(const ItemValue& value, const DumpOptions& options) {
  struct Formatter {
    const DumpOptions& options;
    std::string operator()(const std::string& v) const { return EscapeForText(v); }
    std::string operator()(const std::vector<std::string>& v) const {
      return JoinList(v, [](const std::string& s) { return EscapeForText(s); });
    }
    std::string operator()(double v) const { return FormatNumber(v); }
    std::string operator()(const std::vector<double>& v) const { return JoinList(v, FormatNumber); }
    std::string operator()(TimeMicros v) const { return FormatTimeMicros(v); }
    std::string operator()(const std::vector<TimeMicros>& v) const { return JoinList(v, FormatTimeMicros); }
    std::string operator()(const Bytes& v) const {
      std::string out = std::to_string(v.size()) + " bytes";
      if (!v.empty()) out += " " + HexPrefix(v, options.binary_prefix_bytes);
      if (v.size() > options.binary_prefix_bytes) out += "...";
      return out;
    }
  };
  return std::visit(Formatter{options}, value);
}

nlohmann::json ValueToJson(const ItemValue& value, const DumpOptions& options) {
  struct Formatter {
    const DumpOptions& options;
    nlohmann::json operator()(const std::string& v) const { return ValidUtf8(v); }
    nlohmann::json operator()(const std::vector<std::string>& v) const {
      nlohmann::json list = nlohmann::json::array();
      for (const std::string& s : v) list.push_back(ValidUtf8(s));
      return list;
    }
    nlohmann::json operator()(double v) const { return v; }
    nlohmann::json operator()(const std::vector<double>& v) const { return v; }
    nlohmann::json operator()(TimeMicros v) const { return FormatTimeMicros(v); }
    nlohmann::json operator()(const std::vector<TimeMicros>& v) const {
      nlohmann::json list = nlohmann::json::array();
      for (TimeMicros t : v) list.push_back(FormatTimeMicros(t));
      return list;
    }
    nlohmann::json operator()(const Bytes& v) const {
      return {{"length", v.size()},
              {"hex", HexPrefix(v, options.binary_prefix_bytes)},
              {"truncated", v.size() > options.binary_prefix_bytes}};
    }
  };
  return std::visit(Formatter{options}, value);
}

nlohmann::json FlagsToJson(ItemFlags flags) {
  nlohmann::json list = nlohmann::json::array();
  const std::string text = ItemFlagsText(flags);
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    list.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return list;
}

}  // namespace

std::string FormatTimeMicros(TimeMicros micros) {
  // Floor division, so times before 1970 keep a positive fraction.
  TimeMicros seconds = micros / 1'000'000;
  TimeMicros fraction = micros % 1'000'000;
  if (fraction < 0) {
    fraction += 1'000'000;
    --seconds;
  }
  const auto time = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&time, &tm) == nullptr) return "@" + std::to_string(micros) + "us";
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(fraction));
  return buffer;
}

std::string ItemTypeAndFlags(const Item& item) {
  std::string out(ItemTypeName(item.type()));
  const std::string flags = ItemFlagsText(item.flags);
  if (!flags.empty()) out += ", " + flags;
  return out;
}

std::string NoteToText(const Note& note, const DumpOptions& options) {
  std::string out;
  out += "NoteID: " + std::to_string(note.id()) + "\n";
  out += "UNID: " + EscapeForText(note.unid()) + "\n";
  out += "Form: " + EscapeForText(note.form()) + "\n";
  out += "Created: " + FormatTimeMicros(note.created()) + "\n";
  out += "Modified: " + FormatTimeMicros(note.modified()) + "\n";
  for (const Item& item : note.items()) {
    out += EscapeForText(item.name) + " (" + ItemTypeAndFlags(item) + "): " + ValueToText(item.value, options) + "\n";
  }
  return out;
}

nlohmann::json NoteToJson(const Note& note, const DumpOptions& options) {
  nlohmann::json items = nlohmann::json::array();
  for (const Item& item : note.items()) {
    items.push_back({{"name", ValidUtf8(item.name)},
                     {"type", std::string(ItemTypeName(item.type()))},
                     {"flags", FlagsToJson(item.flags)},
                     {"value", ValueToJson(item.value, options)}});
  }
  return {{"noteid", note.id()},
          {"unid", ValidUtf8(note.unid())},
          {"form", ValidUtf8(note.form())},
          {"created", FormatTimeMicros(note.created())},
          {"modified", FormatTimeMicros(note.modified())},
          {"created_us", note.created()},
          {"modified_us", note.modified()},
          {"items", std::move(items)}};
}

std::string NoteListLine(const Note& note) {
  return std::to_string(note.id()) + "  " + EscapeForText(note.unid()) + "  " + EscapeForText(note.form()) + "  " +
         FormatTimeMicros(note.modified());
}

std::string InfoToText(const NsfInfo& info) {
  std::string out;
  out += "Title: " + EscapeForText(info.title) + "\n";
  out += "Path: " + EscapeForText(info.path) + "\n";
  out += "Replica ID: " + EscapeForText(info.replica_id) + "\n";
  out += "Created: " + FormatTimeMicros(info.created) + "\n";
  out += "Notes: " + std::to_string(info.note_count) + "\n";
  out += "Next NoteID: " + std::to_string(info.next_note_id) + "\n";
  out += "File size: " + std::to_string(info.file_size) + " bytes\n";
  out += "Map size: " + std::to_string(info.map_size) + " bytes\n";
  out += "Views:" + std::string(info.views.empty() ? " none" : "") + "\n";
  for (const ViewInfo& view : info.views) {
    out += "  " + EscapeForText(view.name) + (view.case_insensitive ? " (case-insensitive)" : "") + ": " +
           std::to_string(view.entries) + " entries\n";
  }
  out += "Info:" + std::string(info.info.empty() ? " none" : "") + "\n";
  for (const auto& [key, value] : info.info) out += "  " + EscapeForText(key) + ": " + EscapeForText(value) + "\n";
  return out;
}

nlohmann::json InfoToJson(const NsfInfo& info) {
  nlohmann::json views = nlohmann::json::array();
  for (const ViewInfo& view : info.views) {
    views.push_back(
        {{"name", ValidUtf8(view.name)}, {"case_insensitive", view.case_insensitive}, {"entries", view.entries}});
  }
  nlohmann::json extra = nlohmann::json::object();
  for (const auto& [key, value] : info.info) extra[ValidUtf8(key)] = ValidUtf8(value);
  return {{"title", ValidUtf8(info.title)},
          {"path", ValidUtf8(info.path)},
          {"replica_id", ValidUtf8(info.replica_id)},
          {"created", FormatTimeMicros(info.created)},
          {"note_count", info.note_count},
          {"next_note_id", info.next_note_id},
          {"file_size", info.file_size},
          {"map_size", info.map_size},
          {"views", std::move(views)},
          {"info", std::move(extra)}};
}

}  // namespace notesd
