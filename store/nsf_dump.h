// store/nsf_dump.h — readable renderings of notes and .nsf database info, as text and
// JSON. They back `notes db info|list|show`; nothing here touches LMDB.
//
// SECURITY: note contents are untrusted. Text output escapes control characters
// (C0, DEL, C1) and invalid UTF-8 bytes (as \n, \t, \xNN, \u0085), so a note cannot
// forge lines or send terminal escape sequences. JSON output is always valid UTF-8
// (invalid bytes become U+FFFD), so nlohmann::json::dump() never throws on it.
//
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "store/note.h"
#include "store/nsf_database.h"

namespace notesd {

struct DumpOptions {
  // Binary items show their length and this many leading bytes in hex.
  std::size_t binary_prefix_bytes = 32;
};

// "2024-05-01T12:34:56.123456Z" (UTC, microseconds).
std::string FormatTimeMicros(TimeMicros micros);

// One item's type and flags as in dumps: "text list, summary names".
std::string ItemTypeAndFlags(const Item& item);

// Multi-line text, ending in '\n':
//   NoteID: 12
//   UNID: 8F2C...
//   Form: Person
//   Created: 2024-05-01T12:34:56.123456Z
//   Modified: ...
//   FullName (text list, summary names): CN=Jane Doe/O=Acme; Jane Doe
//   Photo (binary): 1234 bytes 89504E470D0A1A0A...
// Lists are joined with "; ", numbers in shortest round-trip form, times as above.
std::string NoteToText(const Note& note, const DumpOptions& options = {});

// {"noteid":12,"unid":"...","form":"Person","created":"<time>","modified":"<time>",
//  "created_us":N,"modified_us":N,"items":[{"name":..,"type":"text list",
//  "flags":["summary","names"],"value":...}]}. Time values are strings as above;
// binary values are {"length":N,"hex":"<prefix>","truncated":bool}.
nlohmann::json NoteToJson(const Note& note, const DumpOptions& options = {});

// One line for listings, no newline: "12  8F2C...  Person  2024-05-01T12:34:56.123456Z"
// (NoteID, UNID, form, modified time).
std::string NoteListLine(const Note& note);

// Multi-line text: title, path, replica ID, created, notes, next NoteID, sizes, views
// with entry counts, then the info map.
std::string InfoToText(const NsfInfo& info);
// The same fields as an object; times as strings, sizes as numbers.
nlohmann::json InfoToJson(const NsfInfo& info);

}  // namespace notesd
