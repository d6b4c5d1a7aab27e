// client_cli/cmd_db.cc — `notes db info|list|show`: look inside a local .nsf database,
// read-only (no views are defined, so nothing is rebuilt and nothing is written).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <iostream>
#include <memory>

#include "base/time_text.h"
#include "client_cli/cli_output.h"
#include "client_cli/notes_cli.h"
#include "base/notes_ini.h"
#include "store/nsf_database.h"
#include "store/nsf_dump.h"
#include "base/ascii.h"

namespace notesd::client {

namespace {

namespace fs = std::filesystem;

struct DbOptions {
  std::string file;
  std::string form;  // list: only notes of this form ("" = all)
  std::string note;  // show: NoteID or UNID
  bool json = false;
};

Result<std::unique_ptr<NsfDatabase>> OpenForReading(const std::string& file) {
  std::error_code error;
  if (!fs::exists(file, error)) return Status::NotFound("no such database: " + file);
  if (!fs::is_regular_file(file, error)) return Status::InvalidArgument(file + " is not a database file");
  NsfOptions options;
  options.read_only = true;
  options.create_if_missing = false;
  return NsfDatabase::Open(file, options);
}

// A NoteID (decimal, or hex with 0x) or a UNID (32 hex digits).
struct NoteRef {
  NoteId id = 0;
  std::string unid;
};

Result<NoteRef> ParseNoteRef(const std::string& text) {
  auto is_hex = [](unsigned char c) { return std::isxdigit(c) != 0; };
  if (text.size() == 32 && std::all_of(text.begin(), text.end(), is_hex)) return NoteRef{0, text};
  std::string_view digits = text;
  int base = 10;
  if (digits.starts_with("0x") || digits.starts_with("0X")) {
    digits.remove_prefix(2);
    base = 16;
  }
  NoteId id = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), id, base);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || id == 0)
    return Status::InvalidArgument("'" + text + "' is neither a NoteID (a number from 1) nor a UNID (32 hex digits)");
  return NoteRef{id, ""};
}

int RunInfo(const DbOptions& options) {
  Result<std::unique_ptr<NsfDatabase>> db = OpenForReading(options.file);
  if (!db.ok()) return ReportFailure(db.status());
  Result<NsfInfo> info = (*db)->Info();
  if (!info.ok()) return ReportFailure(info.status());
  if (options.json) {
    PrintJson(std::cout, InfoToJson(*info));
  } else {
    std::cout << InfoToText(*info);
  }
  return kExitOk;
}

Result<std::vector<Note>> ReadNotes(const NsfDatabase& db, const std::string& form) {
  std::vector<Note> notes;
  Status status = db.Read([&](const ReadTxn& txn) -> Status {
    notes.clear();
    NOTESD_ASSIGN_OR_RETURN(std::vector<NoteId> ids, txn.ListNoteIds());
    for (NoteId id : ids) {
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(id));
      if (form.empty() || EqualsIgnoreCase(note.form(), form)) notes.push_back(std::move(note));
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return notes;
}

nlohmann::json NoteSummaryJson(const Note& note) {
  return {{"noteid", note.id()},
          {"unid", note.unid()},
          {"form", note.form()},
          {"modified", Rfc3339FromMicros(note.modified())},
          {"modified_us", note.modified()}};
}

int RunList(const DbOptions& options) {
  Result<std::unique_ptr<NsfDatabase>> db = OpenForReading(options.file);
  if (!db.ok()) return ReportFailure(db.status());
  Result<std::vector<Note>> notes = ReadNotes(**db, options.form);
  if (!notes.ok()) return ReportFailure(notes.status());
  if (options.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const Note& note : *notes) list.push_back(NoteSummaryJson(note));
    PrintJson(std::cout, list);
  } else {
    for (const Note& note : *notes) std::cout << NoteListLine(note) << '\n';
  }
  return kExitOk;
}

int RunShow(const DbOptions& options) {
  Result<NoteRef> ref = ParseNoteRef(options.note);
  if (!ref.ok()) return ReportUsage(ref.status().message());
  Result<std::unique_ptr<NsfDatabase>> db = OpenForReading(options.file);
  if (!db.ok()) return ReportFailure(db.status());
  Result<Note> note = ref->unid.empty() ? (*db)->Get(ref->id) : (*db)->GetByUnid(ref->unid);
  if (!note.ok()) return ReportFailure(note.status());
  if (options.json) {
    PrintJson(std::cout, NoteToJson(*note));
  } else {
    std::cout << NoteToText(*note);
  }
  return kExitOk;
}

CLI::App* AddDbSubcommand(CLI::App* db, const char* name, const char* description, std::shared_ptr<DbOptions> options) {
  CLI::App* sub = db->add_subcommand(name, description);
  sub->add_option("FILE", options->file, "The .nsf database file")->required();
  sub->add_flag("--json", options->json, "Print JSON");
  return sub;
}

}  // namespace

void AddDbCommands(CLI::App& app, CommandLine& line) {
  CLI::App* db = app.add_subcommand("db", "Look inside a local .nsf database (read-only)");
  db->require_subcommand(1);
  auto options = std::make_shared<DbOptions>();

  CLI::App* info = AddDbSubcommand(db, "info", "Title, replica ID, counts, sizes and views of a database", options);
  OnRun(info, line, [options] { return RunInfo(*options); });

  CLI::App* list = AddDbSubcommand(db, "list", "One line per note: NoteID, UNID, form, modified time", options);
  list->add_option("--form", options->form, "Only notes of this form (case-insensitive)");
  OnRun(list, line, [options] { return RunList(*options); });

  CLI::App* show = AddDbSubcommand(db, "show", "Every item of one note", options);
  show->add_option("NOTE", options->note, "NoteID (decimal, or hex with 0x) or UNID (32 hex digits)")->required();
  OnRun(show, line, [options] { return RunShow(*options); });
}

}  // namespace notesd::client
