// base/config_keys.h — the notes.ini keys notesd reads, each declared once.
//
// Every part that reads notes.ini declares its keys in one table of ConfigKey (name,
// type, default, range, one-line description), in the spirit of Postfix's
// CONFIG_INT_TABLE. The server gathers all tables into one catalogue: SET CONFIG refuses a
// bad value naming the key, values are range-checked when read, and the README and
// notes.ini.sample tables are printed from the same catalogue (`nserver --config-keys`).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/notes_ini.h"
#include "base/status.h"

namespace notesd {

enum class ConfigType { kText, kInt, kBool, kList };

struct ConfigKey {
  const char* name;
  ConfigType type;
  const char* default_value;  // as it would be written in notes.ini ("" = none)
  int64_t min = 0;            // kInt only
  int64_t max = 0;            // kInt only
  const char* description = "";
  const char* owner = "Server";  // the task or part that reads it
  bool needs_restart = false;    // true: takes effect at RESTART TASK / RESTART SERVER
};

// Checks `value` against the key's type and range. InvalidArgument naming the key:
// "ADMINPINTERVAL=abc: not a whole number (allowed 1..1440)".
Status ValidateConfigValue(const ConfigKey& key, std::string_view value);

// A set of key tables with case-insensitive lookup. Not thread-safe for Add; built once
// at start-up, then read-only.
class ConfigCatalogue {
 public:
  void Add(std::span<const ConfigKey> keys);
  const ConfigKey* Find(std::string_view name) const;
  const std::vector<const ConfigKey*>& All() const { return keys_; }

  // Checks a name=value pair: a declared key's value must be valid; other names pass
  // (Domino allows settings it does not know about).
  Status Validate(std::string_view name, std::string_view value) const;

  // The declared key whose name is nearest to `name` (case-insensitive edit distance;
  // the first declared wins a tie), or nullptr when the catalogue is empty. For the
  // "did you mean" of an unknown setting.
  const ConfigKey* Nearest(std::string_view name) const;

  // Markdown table of all keys (README) and a commented notes.ini block (sample).
  std::string MarkdownTable() const;

 private:
  std::vector<const ConfigKey*> keys_;
};

// Typed reads of a declared key from an ini. A missing or invalid value yields the key's
// default; `problem`, when given, receives the reason an invalid value was ignored.
int64_t ConfigInt(const NotesIni& ini, const ConfigKey& key, std::string* problem = nullptr);
bool ConfigBool(const NotesIni& ini, const ConfigKey& key, std::string* problem = nullptr);
std::string ConfigText(const NotesIni& ini, const ConfigKey& key);
// A comma-separated list, each entry trimmed, empty entries dropped.
std::vector<std::string> ConfigList(const NotesIni& ini, const ConfigKey& key);
std::vector<std::string> SplitList(std::string_view text, char separator = ',');
// Levenshtein distance between two names, ignoring ASCII case.
size_t EditDistanceIgnoreCase(std::string_view a, std::string_view b);

}  // namespace notesd
