// base/notes_ini.h — reads and writes notes.ini in the Domino format.
//
// A notes.ini is a list of `Name=Value` lines. Names match case-insensitively; names that
// start with `$` are user variables and are kept like any other. Values are kept verbatim
// (only the spaces and tabs around them are trimmed). Lines that are not settings (blank
// lines, a `[Notes]` section header, `;` or `#` comments, malformed lines) are carried
// through untouched, so writing the file back changes only the lines that were Set or
// Removed and keeps every other byte. A malformed line is reported with its line number
// and skipped; it never stops the caller.
//
// Thread safety: a NotesIni is a plain value; guard shared instances externally.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace notesd {

// A problem found while parsing: the 1-based line number and what is wrong with it.
struct IniProblem {
  int line_number = 0;
  std::string message;  // "notes.ini line 7: missing '=' in 'ServerTasks Router'"
};

struct IniEntry {
  std::string name;     // as spelled in the file
  std::string value;    // trimmed of surrounding spaces and tabs
  int line_number = 0;  // 1-based, in the text as parsed (lines Set appends count on)
};

// A setting that appears more than once: the first line is the one Get reads (Domino:
// the first wins); `ignored_line` is a later copy that has no effect.
struct IniDuplicate {
  std::string name;  // as spelled on the first line
  int used_line = 0;
  int ignored_line = 0;
};

class NotesIni {
 public:
  NotesIni() = default;

  // Parses text; malformed lines are appended to *problems (when given) and kept verbatim.
  // `source` names the file in problem messages.
  static NotesIni Parse(std::string_view text, std::vector<IniProblem>* problems,
                        std::string_view source = "notes.ini");

  // Reads and parses a file. NotFound when it does not exist; IOError when unreadable.
  static Result<NotesIni> Load(const std::filesystem::path& path, std::vector<IniProblem>* problems);

  // The value of the first line whose name matches (case-insensitively), if any.
  std::optional<std::string> Get(std::string_view name) const;
  bool Contains(std::string_view name) const { return Get(name).has_value(); }

  // Sets a value. The first matching line is rewritten in place as `Name=value` keeping
  // the existing spelling of the name and the line ending; later duplicates are removed,
  // so one line is left. A new name is appended as a new line.
  void Set(std::string_view name, std::string_view value);

  // Removes every line with that name. Returns whether any was removed.
  bool Remove(std::string_view name);

  // Settings in file order (duplicates included).
  std::vector<IniEntry> Entries() const;

  // Every later copy of a setting, in file order, each naming the line that is used.
  std::vector<IniDuplicate> Duplicates() const;

  // The whole file: untouched lines byte for byte.
  std::string Serialize() const;

  // Writes the file atomically: a temporary file in the same directory, fsync, rename.
  // The file is owner-only (0600): notes.ini names the server and its people.
  Status SaveAtomic(const std::filesystem::path& path) const;

 private:
  struct Line {
    std::string raw;     // the text without its line ending
    std::string ending;  // "\n", "\r\n" or "" for a last line without one
    bool is_setting = false;
    std::string name;
    std::string value;
  };
  Line* FindLine(std::string_view name);
  const Line* FindLine(std::string_view name) const;
  std::string DefaultLineEnding() const;

  std::vector<Line> lines_;
};

// Glob match with `*` and `?`, case-insensitive (SHOW CONFIG, SHOW STAT).
bool WildcardMatch(std::string_view pattern, std::string_view text);

// Atomically replaces `path` with `contents` (temp file in the same directory, fsync,
// rename, fsync of the directory). `mode` is applied to the new file (owner-only unless
// the caller says otherwise: most files we write hold names, keys or mail).
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view contents, unsigned mode = 0600);
// Reads a whole file. NotFound or IOError naming the path.
Result<std::string> ReadWholeFile(const std::filesystem::path& path);

}  // namespace notesd
