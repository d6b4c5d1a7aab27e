#include "base/notes_ini.h"
#include "base/ascii.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace notesd {

bool WildcardMatch(std::string_view pattern, std::string_view text) {
  // Iterative glob with backtracking to the last '*'.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  auto same = [](char a, char b) { return AsciiToLower(a) == AsciiToLower(b); };
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || same(pattern[p], text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {

bool IsPassThroughLine(std::string_view trimmed) {
  return trimmed.empty() || trimmed.front() == ';' || trimmed.front() == '#' ||
         (trimmed.front() == '[' && trimmed.back() == ']');
}

std::string Shorten(std::string_view text) {
  constexpr size_t kMax = 60;
  if (text.size() <= kMax) return std::string(text);
  return std::string(text.substr(0, kMax)) + "...";
}

bool HasControlCharacters(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

}  // namespace

NotesIni NotesIni::Parse(std::string_view text, std::vector<IniProblem>* problems, std::string_view source) {
  NotesIni ini;
  size_t pos = 0;
  int line_number = 0;
  while (pos < text.size()) {
    ++line_number;
    size_t newline = text.find('\n', pos);
    Line line;
    std::string_view body;
    if (newline == std::string_view::npos) {
      body = text.substr(pos);
      pos = text.size();
    } else {
      body = text.substr(pos, newline - pos);
      pos = newline + 1;
      line.ending = "\n";
    }
    if (!body.empty() && body.back() == '\r') {
      body.remove_suffix(1);
      line.ending = "\r" + line.ending;
    }
    line.raw = std::string(body);
    std::string trimmed = TrimSpaces(body);
    auto report = [&](const std::string& what) {
      if (problems)
        problems->push_back({line_number, std::string(source) + " line " + std::to_string(line_number) + ": " + what +
                                              " in '" + Shorten(trimmed) + "'"});
    };
    if (!IsPassThroughLine(trimmed)) {
      size_t equals = trimmed.find('=');
      if (equals == std::string::npos) {
        report("missing '='");
      } else if (TrimSpaces(std::string_view(trimmed).substr(0, equals)).empty()) {
        report("empty setting name");
      } else if (HasControlCharacters(trimmed)) {
        report("control character");
      } else {
        line.is_setting = true;
        line.name = TrimSpaces(std::string_view(trimmed).substr(0, equals));
        line.value = TrimSpaces(std::string_view(trimmed).substr(equals + 1));
      }
    }
    ini.lines_.push_back(std::move(line));
  }
  return ini;
}

Result<NotesIni> NotesIni::Load(const std::filesystem::path& path, std::vector<IniProblem>* problems) {
  NOTESD_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  return Parse(text, problems, path.filename().string());
}

NotesIni::Line* NotesIni::FindLine(std::string_view name) {
  for (Line& line : lines_)
    if (line.is_setting && EqualsIgnoreCase(line.name, name)) return &line;
  return nullptr;
}

const NotesIni::Line* NotesIni::FindLine(std::string_view name) const {
  return const_cast<NotesIni*>(this)->FindLine(name);
}

std::optional<std::string> NotesIni::Get(std::string_view name) const {
  const Line* line = FindLine(name);
  if (!line) return std::nullopt;
  return line->value;
}

std::string NotesIni::DefaultLineEnding() const {
  for (const Line& line : lines_)
    if (!line.ending.empty()) return line.ending;
  return "\n";
}

void NotesIni::Set(std::string_view name, std::string_view value) {
  if (Line* line = FindLine(name)) {
    line->value = std::string(value);
    line->raw = line->name + "=" + line->value;
    if (line->ending.empty()) line->ending = DefaultLineEnding();
    // Later copies would only mislead whoever reads the file: one line is left.
    auto later = lines_.begin() + (line - lines_.data()) + 1;
    lines_.erase(std::remove_if(later, lines_.end(),
                                [&](const Line& l) { return l.is_setting && EqualsIgnoreCase(l.name, name); }),
                 lines_.end());
    return;
  }
  if (!lines_.empty() && lines_.back().ending.empty()) lines_.back().ending = DefaultLineEnding();
  Line line;
  line.is_setting = true;
  line.name = std::string(name);
  line.value = std::string(value);
  line.raw = line.name + "=" + line.value;
  line.ending = DefaultLineEnding();
  lines_.push_back(std::move(line));
}

bool NotesIni::Remove(std::string_view name) {
  size_t before = lines_.size();
  std::erase_if(lines_, [&](const Line& l) { return l.is_setting && EqualsIgnoreCase(l.name, name); });
  return lines_.size() != before;
}

std::vector<IniEntry> NotesIni::Entries() const {
  std::vector<IniEntry> entries;
  for (size_t i = 0; i < lines_.size(); ++i)
    if (lines_[i].is_setting) entries.push_back({lines_[i].name, lines_[i].value, static_cast<int>(i + 1)});
  return entries;
}

std::vector<IniDuplicate> NotesIni::Duplicates() const {
  std::vector<IniDuplicate> duplicates;
  std::vector<IniEntry> first_copies;
  for (const IniEntry& entry : Entries()) {
    auto first = std::find_if(first_copies.begin(), first_copies.end(),
                              [&](const IniEntry& seen) { return EqualsIgnoreCase(seen.name, entry.name); });
    if (first == first_copies.end())
      first_copies.push_back(entry);
    else
      duplicates.push_back({first->name, first->line_number, entry.line_number});
  }
  return duplicates;
}

std::string NotesIni::Serialize() const {
  std::string out;
  for (const Line& line : lines_) out += line.raw + line.ending;
  return out;
}

Status NotesIni::SaveAtomic(const std::filesystem::path& path) const {
  return WriteFileAtomic(path, Serialize(), 0600);
}

namespace {

Status ErrnoStatus(const std::string& what, const std::filesystem::path& path) {
  return Status::IOError(what + " " + path.string() + ": " + std::strerror(errno));
}

Status WriteAll(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace

Status WriteFileAtomic(const std::filesystem::path& path, std::string_view contents, unsigned mode) {
  std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::string temp_template = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
  int fd = ::mkstemp(temp_template.data());
  if (fd < 0) return ErrnoStatus("cannot create temporary file for", path);
  std::filesystem::path temp_path = temp_template;
  Status status = WriteAll(fd, contents, temp_path);
  if (status.ok() && ::fchmod(fd, mode) != 0) status = ErrnoStatus("cannot chmod", temp_path);
  if (status.ok() && ::fsync(fd) != 0) status = ErrnoStatus("cannot fsync", temp_path);
  if (::close(fd) != 0 && status.ok()) status = ErrnoStatus("cannot close", temp_path);
  if (status.ok() && ::rename(temp_path.c_str(), path.c_str()) != 0)
    status = ErrnoStatus("cannot rename temporary file onto", path);
  if (!status.ok()) {
    ::unlink(temp_path.c_str());
    return status;
  }
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);  // best effort: makes the rename durable
    ::close(dir_fd);
  }
  return Status::Ok();
}

Result<std::string> ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return Status::NotFound("file not found: " + path.string());
    return ErrnoStatus("cannot open", path);
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return ErrnoStatus("cannot read", path);
  return buffer.str();
}

}  // namespace notesd
