#include "base/config_keys.h"
#include "base/ascii.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace notesd {

namespace {

const char* TypeName(ConfigType type) {
  switch (type) {
    case ConfigType::kText: return "text";
    case ConfigType::kInt: return "number";
    case ConfigType::kBool: return "0/1";
    case ConfigType::kList: return "list";
  }
  return "?";
}

bool ParseInt(std::string_view text, int64_t* out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

bool ParseBool(std::string_view text, bool* out) {
  if (text == "1" || EqualsIgnoreCase(text, "yes") || EqualsIgnoreCase(text, "true")) {
    *out = true;
    return true;
  }
  if (text == "0" || EqualsIgnoreCase(text, "no") || EqualsIgnoreCase(text, "false")) {
    *out = false;
    return true;
  }
  return false;
}

}  // namespace

Status ValidateConfigValue(const ConfigKey& key, std::string_view value) {
  std::string prefix = std::string(key.name) + "=" + std::string(value) + ": ";
  switch (key.type) {
    case ConfigType::kInt: {
      int64_t number = 0;
      std::string range = " (allowed " + std::to_string(key.min) + ".." + std::to_string(key.max) + ")";
      if (!ParseInt(value, &number)) return Status::InvalidArgument(prefix + "not a whole number" + range);
      if (number < key.min || number > key.max) return Status::InvalidArgument(prefix + "out of range" + range);
      return Status::Ok();
    }
    case ConfigType::kBool: {
      bool flag = false;
      if (!ParseBool(value, &flag)) return Status::InvalidArgument(prefix + "expected 1 or 0");
      return Status::Ok();
    }
    case ConfigType::kText:
    case ConfigType::kList: return Status::Ok();
  }
  return Status::Ok();
}

void ConfigCatalogue::Add(std::span<const ConfigKey> keys) {
  for (const ConfigKey& key : keys)
    if (!Find(key.name)) keys_.push_back(&key);
}

const ConfigKey* ConfigCatalogue::Find(std::string_view name) const {
  for (const ConfigKey* key : keys_)
    if (EqualsIgnoreCase(key->name, name)) return key;
  return nullptr;
}

const ConfigKey* ConfigCatalogue::Nearest(std::string_view name) const {
  const ConfigKey* nearest = nullptr;
  size_t best = 0;
  for (const ConfigKey* key : keys_) {
    size_t distance = EditDistanceIgnoreCase(name, key->name);
    if (!nearest || distance < best) {
      nearest = key;
      best = distance;
    }
  }
  return nearest;
}

size_t EditDistanceIgnoreCase(std::string_view a, std::string_view b) {
  // One row of the dynamic-programming table at a time.
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      bool same = AsciiToLower(a[i - 1]) == AsciiToLower(b[j - 1]);
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

Status ConfigCatalogue::Validate(std::string_view name, std::string_view value) const {
  const ConfigKey* key = Find(name);
  if (!key) return Status::Ok();
  return ValidateConfigValue(*key, value);
}

std::string ConfigCatalogue::MarkdownTable() const {
  std::string out = "| Key | Read by | Type | Default | Range | Restart | Meaning |\n";
  out += "|---|---|---|---|---|---|---|\n";
  for (const ConfigKey* key : keys_) {
    std::string range = key->type == ConfigType::kInt ? std::to_string(key->min) + ".." + std::to_string(key->max) : "";
    out += "| `" + std::string(key->name) + "` | " + key->owner + " | " + TypeName(key->type) + " | " +
           (std::string(key->default_value).empty() ? "" : "`" + std::string(key->default_value) + "`") + " | " +
           range + " | " + (key->needs_restart ? "yes" : "no") + " | " + key->description + " |\n";
  }
  return out;
}

int64_t ConfigInt(const NotesIni& ini, const ConfigKey& key, std::string* problem) {
  int64_t fallback = 0;
  ParseInt(key.default_value, &fallback);
  auto value = ini.Get(key.name);
  if (!value) return fallback;
  Status status = ValidateConfigValue(key, *value);
  if (!status.ok()) {
    if (problem) *problem = status.message() + "; using " + key.default_value;
    return fallback;
  }
  int64_t number = fallback;
  ParseInt(*value, &number);
  return number;
}

bool ConfigBool(const NotesIni& ini, const ConfigKey& key, std::string* problem) {
  bool fallback = false;
  ParseBool(key.default_value, &fallback);
  auto value = ini.Get(key.name);
  if (!value) return fallback;
  bool flag = fallback;
  if (!ParseBool(*value, &flag)) {
    if (problem) *problem = std::string(key.name) + "=" + *value + ": expected 1 or 0; using " + key.default_value;
    return fallback;
  }
  return flag;
}

std::string ConfigText(const NotesIni& ini, const ConfigKey& key) {
  return ini.Get(key.name).value_or(key.default_value);
}

std::vector<std::string> SplitList(std::string_view text, char separator) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    std::string item = TrimSpaces(text.substr(start, end - start));
    if (!item.empty()) items.push_back(std::move(item));
    start = end + 1;
  }
  return items;
}

std::vector<std::string> ConfigList(const NotesIni& ini, const ConfigKey& key) {
  return SplitList(ConfigText(ini, key));
}

}  // namespace notesd
