// Tests of the .nsf layer: notes, their serialisation, NsfDatabase (views, atomic
// writes, map growth, concurrency, the once-per-process rule) and the dumps.
// Hermetic: every database lives in its own temporary directory, removed afterwards.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "store/note.h"
#include "store/nsf_database.h"
#include "store/nsf_dump.h"
#include "tests/unit/unit_test_support.h"

namespace notesd {
namespace {

namespace fs = std::filesystem;

using testing::Must;

// The Status of a Result: Ok when it holds a value (not relying on what status()
// reports for a success, which has changed in base/status.h).
template <typename T>
Status StatusOf(const Result<T>& result) {
  return result.ok() ? Status::Ok() : result.status();
}

void MustOk(const Status& status) {
  INFO(status.ToString());
  REQUIRE(status.ok());
}

class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ =
        fs::temp_directory_path() / ("notesd_nsf_test_" + std::to_string(random()) + "_" + std::to_string(random()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A clock the test moves by hand.
struct FakeClock {
  std::shared_ptr<std::atomic<TimeMicros>> now = std::make_shared<std::atomic<TimeMicros>>(1'700'000'000'000'000);
  std::function<TimeMicros()> Fn() const {
    auto shared = now;
    return [shared] { return shared->load(); };
  }
};

ViewDefinition NameView(bool case_insensitive = false) {
  return ViewDefinition{case_insensitive ? "ByNameCI" : "ByName",
                        [](const Note& note) { return note.GetTextList("Name"); }, case_insensitive};
}

NsfOptions TestOptions(std::vector<ViewDefinition> views = {}) {
  NsfOptions options;
  options.title = "Test Directory";
  options.initial_map_size = std::size_t{1} << 20;
  options.views = std::move(views);
  return options;
}

std::unique_ptr<NsfDatabase> OpenDb(const fs::path& path, NsfOptions options) {
  return Must(NsfDatabase::Open(path, std::move(options)));
}

Note RichNote() {
  Note note("Person");
  note.SetText("FullName", "Jane Doe", kItemSummary | kItemNames);
  note.SetTextList("Aliases", {"Jane", "JD", ""}, kItemSummary);
  note.SetNumber("Age", 42.5);
  note.SetNumberList("Scores", {1, -2.25, 1e300, 0});
  note.SetTime("Born", -86'400'000'001);  // before the epoch
  note.SetTimeList("Logins", {1, 2, 1'700'000'000'123'456});
  note.SetBinary("Photo", Bytes{0, 1, 2, 0x7F, 0x80, 0xFF});
  note.SetTextList("Readers", {"CN=Admin/O=Acme", "[Admins]"}, kItemReaders | kItemNames);
  note.SetTextList("Authors", {"CN=Jane Doe/O=Acme"}, kItemAuthors | kItemNames);
  note.SetText("Empty", "");
  note.SetTextList("EmptyList", {});
  note.SetBinary("EmptyBinary", {});
  return note;
}

Note NamedNote(std::vector<std::string> names) {
  Note note("Person");
  note.SetTextList("Name", std::move(names), kItemSummary);
  return note;
}

std::vector<NoteId> Ids(std::initializer_list<NoteId> ids) { return ids; }

// ---- Note -------------------------------------------------------------------------

TEST_CASE("note accessors read every item type and fall back sensibly", "[nsf]") {
  const Note note = RichNote();
  CHECK(note.form() == "Person");
  CHECK(note.GetText("FullName") == "Jane Doe");
  CHECK(note.GetText("Aliases") == "Jane");  // first value of a text list
  CHECK(note.GetTextList("FullName") == std::vector<std::string>{"Jane Doe"});
  CHECK(note.GetTextList("Aliases") == std::vector<std::string>{"Jane", "JD", ""});
  CHECK(note.GetNumber("Age") == 42.5);
  CHECK(note.GetNumber("Scores") == 1);
  CHECK(note.GetNumberList("Age") == std::vector<double>{42.5});
  CHECK(note.GetTime("Born") == -86'400'000'001);
  CHECK(note.GetTime("Logins") == 1);
  CHECK(note.GetTimeList("Logins").size() == 3);
  CHECK(note.GetBinary("Photo") == Bytes{0, 1, 2, 0x7F, 0x80, 0xFF});
  CHECK(note.GetFlags("Readers") == (kItemReaders | kItemNames));
  // Absent items and items of another type.
  CHECK(note.GetText("Missing").empty());
  CHECK(note.GetText("Age").empty());
  CHECK(note.GetNumber("FullName", -1) == -1);
  CHECK(note.GetTime("Missing", 7) == 7);
  CHECK(note.GetBinary("FullName").empty());
  CHECK(note.GetTextList("EmptyList").empty());
  CHECK(note.GetText("EmptyList").empty());
  CHECK(note.FindItem("Photo")->type() == ItemType::kBinary);
  MustOk(note.Validate());
}

TEST_CASE("item names are case-insensitive for lookup and keep their spelling", "[nsf]") {
  Note note;
  note.SetText("FullName", "Jane");
  CHECK(note.HasItem("fullname"));
  CHECK(note.GetText("FULLNAME") == "Jane");
  note.SetNumber("fullNAME", 3, kItemSummary);  // replaces, in place, with the new spelling
  REQUIRE(note.items().size() == 1);
  CHECK(note.items()[0].name == "fullNAME");
  CHECK(note.items()[0].type() == ItemType::kNumber);
  CHECK(note.GetFlags("FullName") == kItemSummary);
  CHECK(note.SetFlags("FULLname", kItemAuthors));
  CHECK(note.GetFlags("fullname") == kItemAuthors);
  CHECK_FALSE(note.SetFlags("Other", kItemAuthors));
  CHECK(note.RemoveItem("FULLNAME"));
  CHECK_FALSE(note.HasItem("FullName"));
  CHECK_FALSE(note.RemoveItem("FullName"));
  CHECK(ItemNamesEqual("Form", "fORM"));
  CHECK_FALSE(ItemNamesEqual("Form", "Forms"));
}

TEST_CASE("every item type round-trips through the serialisation", "[nsf]") {
  Note note = RichNote();
  note.set_id(77);
  note.set_unid("0123456789ABCDEF0123456789ABCDEF");
  note.set_created(-5);
  note.set_modified(1'700'000'000'000'001);
  const std::string bytes = Must(SerializeNote(note));
  const Note parsed = Must(ParseNote(bytes));
  CHECK(parsed == note);
  CHECK(parsed.items()[0].name == "Form");
  CHECK(Must(SerializeNote(parsed)) == bytes);
}

TEST_CASE("Validate refuses notes that cannot be stored", "[nsf]") {
  auto [label, note] = GENERATE(table<std::string, Note>({
      {"empty item name",
       [] {
         Note n;
         n.SetText("", "x");
         return n;
       }()},
      {"item name over 255 bytes",
       [] {
         Note n;
         n.SetText(std::string(256, 'a'), "x");
         return n;
       }()},
      {"unknown flag bits",
       [] {
         Note n;
         n.SetText("A", "x", 0x40);
         return n;
       }()},
      {"lower-case UNID",
       [] {
         Note n;
         n.set_unid("0123456789abcdef0123456789abcdef");
         return n;
       }()},
      {"short UNID",
       [] {
         Note n;
         n.set_unid("0123");
         return n;
       }()},
  }));
  INFO(label);
  const Status status = note.Validate();
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK(SerializeNote(note).status().code() == StatusCode::kInvalidArgument);
}

// ---- Parser robustness --------------------------------------------------------------

Note ParserSample() {
  Note note = RichNote();
  note.set_id(5);
  note.set_unid("FFEEDDCCBBAA99887766554433221100");
  note.set_created(11);
  note.set_modified(12);
  return note;
}

void CheckParseIsSafe(const std::string& bytes) {
  Result<Note> parsed = ParseNote(bytes);
  if (parsed.ok()) {
    // Whatever parses is a valid note whose encoding is exactly these bytes.
    Result<std::string> again = SerializeNote(parsed.value());
    REQUIRE(again.ok());
    CHECK(again.value() == bytes);
  } else {
    CHECK(parsed.status().code() == StatusCode::kCorruption);
  }
}

TEST_CASE("ParseNote refuses every truncation of a valid note with Corruption", "[nsf]") {
  const std::string bytes = Must(SerializeNote(ParserSample()));
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    Result<Note> parsed = ParseNote(std::string_view(bytes).substr(0, length));
    INFO("prefix length " << length << ": " << parsed.status().ToString());
    CHECK(parsed.status().code() == StatusCode::kCorruption);
  }
}

TEST_CASE("ParseNote never crashes on random or mutated bytes", "[nsf]") {
  std::uint64_t seed = std::random_device{}();
  if (const char* fixed = std::getenv("NOTESD_TEST_SEED")) seed = std::strtoull(fixed, nullptr, 10);
  INFO("seed " << seed << " (rerun with NOTESD_TEST_SEED=" << seed << ")");
  std::mt19937_64 random(seed);
  const std::string valid = Must(SerializeNote(ParserSample()));
  auto byte = [&] { return static_cast<char>(random() & 0xFF); };

  for (int round = 0; round < 2000; ++round) {  // random bytes, half behind a valid header
    std::string bytes = (round % 2 == 0) ? valid.substr(0, 45) : std::string();
    const std::size_t length = random() % 300;
    for (std::size_t i = 0; i < length; ++i) bytes += byte();
    CheckParseIsSafe(bytes);
  }
  for (int round = 0; round < 3000; ++round) {  // a valid note with 1..4 bytes changed
    std::string bytes = valid;
    const int changes = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < changes; ++i) bytes[random() % bytes.size()] = byte();
    CheckParseIsSafe(bytes);
  }
}

// A note with one text item "A" = "xy": header 41 bytes, item count at 41, then the
// item: name length at 45, name at 47, type at 48, flags at 49, value length at 50,
// value at 54.
std::string OneTextItemNote() {
  Note note;
  note.SetText("A", "xy");
  return Must(SerializeNote(note));
}

TEST_CASE("ParseNote names what is wrong", "[nsf]") {
  using Mutation = std::function<void(std::string&)>;
  auto [mutation, expected] = GENERATE(table<Mutation, std::string>({
      {[](std::string& b) { b[0] = 'X'; }, "bad magic"},
      {[](std::string& b) { b[4] = 2; }, "unsupported format version 2"},
      {[](std::string& b) { b[45] = 0; }, "name length 0"},
      {[](std::string& b) { b[48] = 9; }, "unknown type 9"},
      {[](std::string& b) { b[48] = 0; }, "unknown type 0"},
      {[](std::string& b) { b[49] = static_cast<char>(0x80); }, "unknown flags 128"},
      {[](std::string& b) { b += 'z'; }, "1 trailing bytes"},
      {[](std::string& b) { b[50] = 100; }, "truncated at byte 54 reading item 0 value"},
      {[](std::string& b) { b[48] = static_cast<char>(ItemType::kNumber); }, "value shorter than 8 bytes"},
      {[](std::string& b) { b[48] = static_cast<char>(ItemType::kTextList); }, "list count missing"},
      {[](std::string& b) { b[41] = 2; }, "truncated at byte 56 reading item 1 name length"},
  }));
  std::string bytes = OneTextItemNote();
  REQUIRE(bytes.size() == 56);
  mutation(bytes);
  Result<Note> parsed = ParseNote(bytes);
  REQUIRE(parsed.status().code() == StatusCode::kCorruption);
  INFO(parsed.status().message());
  CHECK(parsed.status().message().find(expected) != std::string::npos);
}

TEST_CASE("ParseNote refuses duplicate names and lists longer than their bytes", "[nsf]") {
  Note twins;
  twins.SetText("A", "x");
  twins.SetText("B", "x");
  std::string bytes = Must(SerializeNote(twins));
  bytes[bytes.find('B')] = 'a';
  CHECK(ParseNote(bytes).status().message().find("duplicate name 'a'") != std::string::npos);

  Note numbers;
  numbers.SetNumberList("N", {1.0});
  bytes = Must(SerializeNote(numbers));
  bytes.replace(54, 4, "\xFF\xFF\xFF\xFF");  // the list count
  Result<Note> parsed = ParseNote(bytes);
  CHECK(parsed.status().code() == StatusCode::kCorruption);
  CHECK(parsed.status().message().find("list of 4294967295") != std::string::npos);
}

// ---- NsfDatabase ------------------------------------------------------------------

TEST_CASE("notes round-trip through the database and a reopen of the file", "[nsf]") {
  TempDir dir;
  const fs::path path = dir.path() / "names.nsf";
  FakeClock clock;
  NsfOptions options = TestOptions();
  options.clock = clock.Fn();
  Note first_stored;
  Note second_stored;
  {
    auto db = OpenDb(path, options);
    first_stored = Must(db->Create(RichNote()));
    CHECK(first_stored.id() == 1);
    CHECK(IsValidUnid(first_stored.unid()));
    CHECK(first_stored.created() == clock.now->load());
    CHECK(first_stored.modified() == clock.now->load());
    clock.now->fetch_add(1'000'000);
    second_stored = Must(db->Create(NamedNote({"Bob"})));
    CHECK(second_stored.id() == 2);
    CHECK(second_stored.unid() != first_stored.unid());
    CHECK(Must(db->Get(1)) == first_stored);
    CHECK(Must(db->GetByUnid(second_stored.unid())) == second_stored);

    Note expected = RichNote();
    expected.set_id(1);
    expected.set_unid(first_stored.unid());
    expected.set_created(first_stored.created());
    expected.set_modified(first_stored.modified());
    CHECK(first_stored == expected);
  }
  CHECK(fs::is_regular_file(path));  // MDB_NOSUBDIR: the .nsf is the data file
  CHECK(fs::exists(dir.path() / "names.nsf-lock"));
  {
    options.title = "ignored after creation";
    auto db = OpenDb(path, options);
    CHECK(Must(db->Get(1)) == first_stored);
    CHECK(Must(db->Get(2)) == second_stored);
    const NsfInfo info = Must(db->Info());
    CHECK(info.title == "Test Directory");
    CHECK(info.note_count == 2);
    CHECK(info.next_note_id == 3);
    CHECK(info.created == 1'700'000'000'000'000);
    CHECK(info.replica_id.size() == 16);
    CHECK(info.path == fs::weakly_canonical(path).string());
    CHECK(info.file_size > 0);
    CHECK(Must(db->Create(Note("Group"))).id() == 3);  // the counter survived the reopen
  }
}

TEST_CASE("Update keeps identity, moves the modified time and checks the UNID", "[nsf]") {
  TempDir dir;
  FakeClock clock;
  NsfOptions options = TestOptions();
  options.clock = clock.Fn();
  auto db = OpenDb(dir.path() / "names.nsf", options);
  Note stored = Must(db->Create(NamedNote({"Ann"})));
  clock.now->fetch_add(5);
  Note changed = stored;
  changed.SetText("Phone", "123");
  changed.set_created(1);  // ignored: the stored created time stays
  const Note updated = Must(db->Update(changed));
  CHECK(updated.unid() == stored.unid());
  CHECK(updated.created() == stored.created());
  CHECK(updated.modified() == stored.modified() + 5);
  CHECK(Must(db->Get(stored.id())).GetText("phone") == "123");

  Note other_unid = updated;
  other_unid.set_unid("00000000000000000000000000000001");
  CHECK(db->Update(other_unid).status().code() == StatusCode::kInvalidArgument);
  CHECK(db->Update(Note("Person")).status().code() == StatusCode::kInvalidArgument);  // NoteID 0
}

TEST_CASE("missing notes are NotFound naming the NoteID or UNID and the file", "[nsf]") {
  TempDir dir;
  auto db = OpenDb(dir.path() / "names.nsf", TestOptions());
  const Status get = db->Get(999).status();
  CHECK(get.code() == StatusCode::kNotFound);
  CHECK(get.message() == "names.nsf: NoteID 999 not found");
  const Status by_unid = db->GetByUnid("0123456789abcdef0123456789abcdef").status();
  CHECK(by_unid.code() == StatusCode::kNotFound);
  CHECK(by_unid.message() == "names.nsf: UNID 0123456789ABCDEF0123456789ABCDEF not found");
  Note ghost("Person");
  ghost.set_id(42);
  CHECK(db->Update(ghost).status().code() == StatusCode::kNotFound);
  CHECK(db->Delete(42).code() == StatusCode::kNotFound);
  CHECK(db->GetByUnid("not-a-unid").status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("UNID lookup, caller-supplied UNIDs and duplicates", "[nsf]") {
  TempDir dir;
  auto db = OpenDb(dir.path() / "names.nsf", TestOptions());
  const Note stored = Must(db->Create(NamedNote({"Ann"})));
  std::string lower = stored.unid();
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  CHECK(Must(db->GetByUnid(lower)).id() == stored.id());

  Note imported = NamedNote({"Imported"});
  imported.set_unid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  imported.set_created(123);
  const Note kept = Must(db->Create(imported));
  CHECK(kept.unid() == "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  CHECK(kept.created() == 123);
  CHECK(Must(db->GetByUnid(kept.unid())).id() == kept.id());

  const Result<Note> duplicate = db->Create(imported);
  CHECK(duplicate.status().code() == StatusCode::kAlreadyExists);
  CHECK(duplicate.status().message() == "names.nsf: UNID AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA already exists");
  CHECK(Must(db->Info()).note_count == 2);

  MustOk(db->Delete(kept.id()));
  CHECK(db->GetByUnid(kept.unid()).status().code() == StatusCode::kNotFound);
  CHECK(Must(db->Create(imported)).unid() == imported.unid());  // free again after delete
}

TEST_CASE("views stay consistent with notes across create, update and delete", "[nsf]") {
  TempDir dir;
  auto db = OpenDb(dir.path() / "names.nsf", TestOptions({NameView()}));
  const NoteId n1 = Must(db->Create(NamedNote({"Alice", "Bob"}))).id();
  const NoteId n2 = Must(db->Create(NamedNote({"alice"}))).id();
  const NoteId n3 = Must(db->Create(NamedNote({"Carol"}))).id();
  const NoteId n4 = Must(db->Create(NamedNote({"Bob", "Bob", ""}))).id();  // duplicates, empty
  const NoteId n5 = Must(db->Create(Note("Group"))).id();                  // no keys at all
  (void)n5;

  CHECK(Must(db->LookupIds("ByName", "Bob")) == Ids({n1, n4}));
  CHECK(Must(db->LookupIds("ByName", "alice")) == Ids({n2}));
  CHECK(Must(db->LookupIds("ByName", "ALICE")).empty());  // case-sensitive view
  CHECK(Must(db->LookupIds("ByName", "")).empty());
  // A key's count without reading its notes: a note with a key twice counts once.
  CHECK(Must(db->CountKey("ByName", "Bob")) == 2);
  CHECK(Must(db->CountKey("ByName", "alice")) == 1);
  CHECK(Must(db->CountKey("ByName", "Nobody")) == 0);
  CHECK(Must(db->CountKey("ByName", "")) == 0);
  CHECK(db->CountKey("NoSuchView", "Bob").status().code() == StatusCode::kNotFound);
  const std::vector<Note> bobs = Must(db->Lookup("ByName", "Bob"));
  REQUIRE(bobs.size() == 2);
  CHECK(bobs[1].GetTextList("Name").size() == 3);

  const std::vector<ViewEntry> all = Must(db->Scan("ByName"));
  CHECK(all == std::vector<ViewEntry>{{"Alice", n1}, {"Bob", n1}, {"Bob", n4}, {"Carol", n3}, {"alice", n2}});
  CHECK(Must(db->Scan("ByName", ScanOptions::WithPrefix("B"))) == std::vector<ViewEntry>{{"Bob", n1}, {"Bob", n4}});
  CHECK(Must(db->Scan("ByName", ScanOptions::StartingAt("Bob", 3))) ==
        std::vector<ViewEntry>{{"Bob", n1}, {"Bob", n4}, {"Carol", n3}});
  CHECK(Must(db->Scan("ByName", ScanOptions::StartingAt("Bz"))) ==
        std::vector<ViewEntry>{{"Carol", n3}, {"alice", n2}});
  CHECK(Must(db->Scan("ByName", ScanOptions::WithPrefix("Zed"))).empty());
  // Resuming after an entry, also inside the duplicates of one key, in pages of one.
  CHECK(Must(db->Scan("ByName", ScanOptions::After({"Bob", n1}, 2))) ==
        std::vector<ViewEntry>{{"Bob", n4}, {"Carol", n3}});
  CHECK(Must(db->Scan("ByName", ScanOptions::After({"Bob", n4}, 0))) ==
        std::vector<ViewEntry>{{"Carol", n3}, {"alice", n2}});
  CHECK(Must(db->Scan("ByName", ScanOptions::After({"alice", n2}, 5))).empty());
  std::vector<ViewEntry> paged;
  std::vector<ViewEntry> page = Must(db->Scan("ByName", ScanOptions::StartingAt("", 1)));
  while (!page.empty()) {
    paged.push_back(page.front());
    page = Must(db->Scan("ByName", ScanOptions::After(page.back(), 1)));
  }
  CHECK(paged == all);

  Note moved = Must(db->Get(n1));
  moved.SetTextList("Name", {"Carol"});
  MustOk(StatusOf(db->Update(moved)));
  CHECK(Must(db->LookupIds("ByName", "Alice")).empty());
  CHECK(Must(db->LookupIds("ByName", "Bob")) == Ids({n4}));
  CHECK(Must(db->LookupIds("ByName", "Carol")) == Ids({n1, n3}));
  CHECK(Must(db->CountKey("ByName", "Carol")) == 2);
  CHECK(Must(db->CountKey("ByName", "Bob")) == 1);

  MustOk(db->Delete(n3));
  CHECK(Must(db->LookupIds("ByName", "Carol")) == Ids({n1}));
  CHECK(Must(db->Scan("ByName")) == std::vector<ViewEntry>{{"Bob", n4}, {"Carol", n1}, {"alice", n2}});
  const NsfInfo info = Must(db->Info());
  REQUIRE(info.views.size() == 1);
  CHECK(info.views[0].name == "ByName");
  CHECK(info.views[0].entries == 3);
  CHECK(db->LookupIds("NoSuchView", "x").status().code() == StatusCode::kNotFound);
}

TEST_CASE("a case-insensitive view folds keys, lookups and scans", "[nsf]") {
  TempDir dir;
  auto db = OpenDb(dir.path() / "names.nsf", TestOptions({NameView(true)}));
  const NoteId n1 = Must(db->Create(NamedNote({"Alice", "ALICE", "Bob"}))).id();
  const NoteId n2 = Must(db->Create(NamedNote({"alice"}))).id();
  CHECK(Must(db->LookupIds("ByNameCI", "aLiCe")) == Ids({n1, n2}));
  CHECK(Must(db->Scan("ByNameCI")) == std::vector<ViewEntry>{{"alice", n1}, {"alice", n2}, {"bob", n1}});
  CHECK(Must(db->Scan("ByNameCI", ScanOptions::WithPrefix("AL"))).size() == 2);
  CHECK(Must(db->Scan("ByNameCI", ScanOptions::StartingAt("B"))) == std::vector<ViewEntry>{{"bob", n1}});
}

TEST_CASE("a Write body that fails midway leaves nothing behind", "[nsf]") {
  TempDir dir;
  auto db = OpenDb(dir.path() / "names.nsf", TestOptions({NameView()}));
  const NoteId before = Must(db->Create(NamedNote({"Keep"}))).id();
  const NsfInfo info_before = Must(db->Info());

  const Status failed = db->Write([&](WriteTxn& txn) -> Status {
    NOTESD_RETURN_IF_ERROR(StatusOf(txn.Create(NamedNote({"Ghost1"}))));
    NOTESD_RETURN_IF_ERROR(StatusOf(txn.Create(NamedNote({"Ghost2"}))));
    NOTESD_RETURN_IF_ERROR(txn.Delete(before));
    NOTESD_RETURN_IF_ERROR(txn.SetInfo("k", "v"));
    // Inside the transaction its own changes are visible.
    NOTESD_ASSIGN_OR_RETURN(std::vector<NoteId> ghosts, txn.LookupIds("ByName", "Ghost1"));
    if (ghosts.size() != 1) return Status::Internal("own write not visible");
    return Status::InvalidArgument("step 3 failed");
  });
  CHECK(failed.code() == StatusCode::kInvalidArgument);
  CHECK(failed.message() == "step 3 failed");

  CHECK_THROWS_AS(db->Write([&](WriteTxn& txn) -> Status {
    NOTESD_RETURN_IF_ERROR(StatusOf(txn.Create(NamedNote({"Ghost3"}))));
    throw std::runtime_error("boom");
  }),
                  std::runtime_error);

  const NsfInfo info_after = Must(db->Info());
  CHECK(info_after.note_count == info_before.note_count);
  CHECK(info_after.next_note_id == info_before.next_note_id);
  CHECK(info_after.views[0].entries == 1);
  CHECK(info_after.info.empty());
  CHECK(Must(db->LookupIds("ByName", "Ghost1")).empty());
  CHECK(Must(db->LookupIds("ByName", "Keep")) == Ids({before}));
  CHECK(Must(db->Create(NamedNote({"Next"}))).id() == before + 1);  // the counter did not move
}

TEST_CASE("a multi-note Write is atomic and returns what each step stored", "[nsf]") {
  TempDir dir;
  auto db = OpenDb(dir.path() / "names.nsf", TestOptions({NameView()}));
  std::vector<NoteId> created;
  MustOk(db->Write([&](WriteTxn& txn) -> Status {
    created.clear();  // the body may run again after the map grows
    for (const char* name : {"A", "B", "C"}) {
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.Create(NamedNote({name})));
      created.push_back(note.id());
    }
    NOTESD_RETURN_IF_ERROR(txn.SetTitle("Renamed"));
    return txn.SetInfo("owner", "CN=Admin/O=Acme");
  }));
  CHECK(created == Ids({1, 2, 3}));
  const NsfInfo info = Must(db->Info());
  CHECK(info.title == "Renamed");
  CHECK(info.info == std::map<std::string, std::string>{{"owner", "CN=Admin/O=Acme"}});
  MustOk(db->Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::vector<NoteId> ids, txn.ListNoteIds(1, 5));
    if (ids != Ids({2, 3})) return Status::Internal("ListNoteIds");
    NOTESD_ASSIGN_OR_RETURN(std::string owner, txn.GetInfo("owner"));
    if (owner != "CN=Admin/O=Acme") return Status::Internal("GetInfo");
    return txn.GetInfo("absent").status().code() == StatusCode::kNotFound ? Status::Ok() : Status::Internal("absent");
  }));
  MustOk(db->Write([](WriteTxn& txn) { return txn.RemoveInfo("owner"); }));
  CHECK(Must(db->Info()).info.empty());
}

TEST_CASE("the map grows when full and all data survives", "[nsf]") {
  TempDir dir;
  const fs::path path = dir.path() / "big.nsf";
  NsfOptions options = TestOptions({NameView()});
  options.initial_map_size = 64 * 1024;
  auto payload = [](int i) { return Bytes(32 * 1024, static_cast<std::uint8_t>(i)); };
  auto note_for = [&](int i) {
    Note note = NamedNote({"note" + std::to_string(i)});
    note.SetBinary("Blob", payload(i));
    return note;
  };
  constexpr int kInOneWrite = 16;
  constexpr int kTotal = 64;  // 64 x 32 KiB = 2 MiB
  {
    auto db = OpenDb(path, options);
    const std::size_t initial = db->map_size();
    CHECK(initial <= 128 * 1024);
    int body_runs = 0;
    MustOk(db->Write([&](WriteTxn& txn) -> Status {
      ++body_runs;
      for (int i = 0; i < kInOneWrite; ++i) NOTESD_RETURN_IF_ERROR(StatusOf(txn.Create(note_for(i))));
      return Status::Ok();
    }));
    CHECK(body_runs > 1);  // retried after growing
    for (int i = kInOneWrite; i < kTotal; ++i) MustOk(StatusOf(db->Create(note_for(i))));
    CHECK(db->map_size() >= std::size_t{2} << 20);
    CHECK(Must(db->Info()).note_count == kTotal);
  }
  auto db = OpenDb(path, options);
  for (int i = 0; i < kTotal; ++i) {
    const std::vector<Note> found = Must(db->Lookup("ByName", "note" + std::to_string(i)));
    REQUIRE(found.size() == 1);
    CHECK(found[0].id() == static_cast<NoteId>(i + 1));
    CHECK(found[0].GetBinary("Blob") == payload(i));
  }
  MustOk(StatusOf(db->Create(note_for(kTotal))));  // and it can still grow after a reopen
}

TEST_CASE("the map stops growing at max_map_size with Unavailable", "[nsf]") {
  TempDir dir;
  NsfOptions options = TestOptions();
  options.initial_map_size = 64 * 1024;
  options.max_map_size = 256 * 1024;
  auto db = OpenDb(dir.path() / "capped.nsf", options);
  Note big("Blob");
  big.SetBinary("Data", Bytes(512 * 1024, 1));
  const Status status = db->Create(big).status();
  CHECK(status.code() == StatusCode::kUnavailable);
  CHECK(status.message().find("database full") != std::string::npos);
  CHECK(Must(db->Info()).note_count == 0);
}

TEST_CASE("readers running during writes always see consistent notes and views", "[nsf]") {
  TempDir dir;
  NsfOptions options = TestOptions(
      {ViewDefinition{"ByBucket", [](const Note& note) { return std::vector<std::string>{note.GetText("Bucket")}; }}});
  options.initial_map_size = 64 * 1024;  // so the map also grows while readers run
  auto db = OpenDb(dir.path() / "busy.nsf", options);
  constexpr int kNotes = 16;
  constexpr double kTotal = kNotes * 100;
  std::vector<NoteId> ids;
  for (int i = 0; i < kNotes; ++i) {
    Note note("Account");
    note.SetNumber("Value", 100);
    note.SetText("Bucket", "b" + std::to_string(i % 4));
    note.SetBinary("Padding", Bytes(2048, 7));
    ids.push_back(Must(db->Create(note)).id());
  }

  std::atomic<bool> writer_done{false};
  std::atomic<int> reads{0};
  std::mutex failure_mutex;
  std::vector<std::string> failures;
  auto record = [&](const Status& status) {
    std::lock_guard lock(failure_mutex);
    failures.push_back(status.ToString());
  };

  // Each write moves 1 from one note to another and re-buckets the first: the sum is
  // constant and each note sits under exactly its own bucket, in every snapshot.
  std::thread writer([&] {
    for (int step = 0; step < 300; ++step) {
      const NoteId from = ids[step % kNotes];
      const NoteId to = ids[(step * 7 + 3) % kNotes];
      if (from == to) continue;
      Status status = db->Write([&](WriteTxn& txn) -> Status {
        NOTESD_ASSIGN_OR_RETURN(Note a, txn.Get(from));
        NOTESD_ASSIGN_OR_RETURN(Note b, txn.Get(to));
        a.SetNumber("Value", a.GetNumber("Value") - 1);
        b.SetNumber("Value", b.GetNumber("Value") + 1);
        a.SetText("Bucket", "b" + std::to_string(step % 5));
        NOTESD_RETURN_IF_ERROR(StatusOf(txn.Update(a)));
        return StatusOf(txn.Update(b));
      });
      if (!status.ok()) record(status);
    }
    writer_done = true;
  });

  auto check_snapshot = [&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::vector<NoteId> all, txn.ListNoteIds());
    if (all.size() != kNotes) return Status::Internal("note count " + std::to_string(all.size()));
    double sum = 0;
    for (NoteId id : all) {
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(id));
      sum += note.GetNumber("Value");
      NOTESD_ASSIGN_OR_RETURN(std::vector<NoteId> in_bucket, txn.LookupIds("ByBucket", note.GetText("Bucket")));
      if (std::find(in_bucket.begin(), in_bucket.end(), id) == in_bucket.end()) {
        return Status::Internal("NoteID " + std::to_string(id) + " missing from its bucket");
      }
    }
    NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries, txn.Scan("ByBucket"));
    if (entries.size() != kNotes) return Status::Internal("view entries " + std::to_string(entries.size()));
    if (sum != kTotal) return Status::Internal("sum " + std::to_string(sum));
    return Status::Ok();
  };
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!writer_done || reads < 30) {
        Status status = db->Read(check_snapshot);
        if (!status.ok()) record(status);
        ++reads;
      }
    });
  }
  writer.join();
  for (std::thread& reader : readers) reader.join();
  INFO((failures.empty() ? std::string() : failures.front()));
  CHECK(failures.empty());
  CHECK(reads >= 30);
  CHECK(db->map_size() > 64 * 1024);  // it grew while readers were running
  MustOk(db->Read(check_snapshot));
}

TEST_CASE("a second Open of an open file in this process is refused", "[nsf]") {
  TempDir dir;
  const fs::path path = dir.path() / "names.nsf";
  auto first = OpenDb(path, TestOptions());
  const Result<std::unique_ptr<NsfDatabase>> again = NsfDatabase::Open(dir.path() / "." / "names.nsf", TestOptions());
  CHECK(again.status().code() == StatusCode::kAlreadyExists);
  CHECK(again.status().message().find("already open in this process") != std::string::npos);
  NsfOptions read_only = TestOptions();
  read_only.read_only = true;
  CHECK(NsfDatabase::Open(path, read_only).status().code() == StatusCode::kAlreadyExists);
  MustOk(StatusOf(first->Create(Note("Person"))));
  first.reset();
  auto second = OpenDb(path, TestOptions());  // free again once the first is gone
  CHECK(Must(second->Info()).note_count == 1);
}

TEST_CASE("Open reports missing files, bad options and non-LMDB files", "[nsf]") {
  TempDir dir;
  NsfOptions no_create = TestOptions();
  no_create.create_if_missing = false;
  CHECK(NsfDatabase::Open(dir.path() / "absent.nsf", no_create).status().code() == StatusCode::kNotFound);
  CHECK_FALSE(fs::exists(dir.path() / "absent.nsf"));

  NsfOptions twice = TestOptions({NameView(), NameView()});
  CHECK(NsfDatabase::Open(dir.path() / "a.nsf", twice).status().code() == StatusCode::kInvalidArgument);
  NsfOptions no_keys = TestOptions({ViewDefinition{"V", nullptr}});
  CHECK(NsfDatabase::Open(dir.path() / "a.nsf", no_keys).status().code() == StatusCode::kInvalidArgument);

  const fs::path junk = dir.path() / "junk.nsf";
  {
    std::FILE* file = std::fopen(junk.c_str(), "wb");
    REQUIRE(file != nullptr);
    const std::string garbage(8192, 'x');
    std::fwrite(garbage.data(), 1, garbage.size(), file);
    std::fclose(file);
  }
  const Status status = NsfDatabase::Open(junk, TestOptions()).status();
  CHECK(status.code() == StatusCode::kCorruption);
  CHECK(status.message().find("junk.nsf: mdb_env_open") == 0);
  MustOk(StatusOf(NsfDatabase::Open(dir.path() / "a.nsf", TestOptions())));  // paths were released
}

TEST_CASE("views are rebuilt at open when their definition changes", "[nsf]") {
  TempDir dir;
  const fs::path path = dir.path() / "names.nsf";
  {
    auto db = OpenDb(path, TestOptions({NameView()}));
    MustOk(StatusOf(db->Create(NamedNote({"Ann"}))));
    MustOk(StatusOf(db->Create(NamedNote({"Bob"}))));
  }
  ViewDefinition by_form{"ByForm", [](const Note& note) { return std::vector<std::string>{note.form()}; }};
  {  // a new view is built from the notes already there; ByName is not defined now
    auto db = OpenDb(path, TestOptions({by_form}));
    CHECK(Must(db->LookupIds("ByForm", "Person")) == Ids({1, 2}));
    MustOk(StatusOf(db->Create(NamedNote({"Cid"}))));  // ByName is not maintained meanwhile
  }
  {  // ByName comes back: its marker was removed, so it is rebuilt and includes Cid
    auto db = OpenDb(path, TestOptions({NameView(), by_form}));
    CHECK(Must(db->LookupIds("ByName", "Cid")) == Ids({3}));
    CHECK(Must(db->Scan("ByName")).size() == 3);
  }
  {  // a bumped version means new keys
    ViewDefinition upper = NameView();
    upper.version = 2;
    upper.keys = [](const Note& note) { return std::vector<std::string>{"x" + note.GetText("Name")}; };
    auto db = OpenDb(path, TestOptions({upper}));
    CHECK(Must(db->LookupIds("ByName", "xAnn")) == Ids({1}));
    CHECK(Must(db->LookupIds("ByName", "Ann")).empty());
  }
}

TEST_CASE("a read-only open reads, refuses writes and needs built views", "[nsf]") {
  TempDir dir;
  const fs::path path = dir.path() / "names.nsf";
  {
    auto db = OpenDb(path, TestOptions({NameView()}));
    MustOk(StatusOf(db->Create(NamedNote({"Ann"}))));
  }
  NsfOptions read_only = TestOptions({NameView()});
  read_only.read_only = true;
  {
    auto db = OpenDb(path, read_only);
    CHECK(Must(db->LookupIds("ByName", "Ann")) == Ids({1}));
    CHECK(db->Create(Note("Person")).status().code() == StatusCode::kPermissionDenied);
  }
  read_only.views.push_back(NameView(true));
  CHECK(NsfDatabase::Open(path, read_only).status().code() == StatusCode::kUnavailable);
  read_only.views.clear();
  CHECK(NsfDatabase::Open(dir.path() / "absent.nsf", read_only).status().code() == StatusCode::kNotFound);
}

// Issue 9 (bad-input sweep): a names.nsf cut short used to kill `notes contacts list`
// with SIGBUS (LMDB read a page past the end of the file through its map).
TEST_CASE("a truncated database is refused as Corruption naming the file, never read", "[nsf]") {
  const double fraction = GENERATE(0.5, 0.75, 0.9);
  TempDir dir;
  const fs::path path = dir.path() / "names.nsf";
  {
    auto db = OpenDb(path, TestOptions({NameView()}));
    for (int i = 0; i < 200; ++i) MustOk(StatusOf(db->Create(NamedNote({"Person " + std::to_string(i)}))));
  }
  const auto size = fs::file_size(path);
  fs::resize_file(path, static_cast<std::uintmax_t>(static_cast<double>(size) * fraction) / 4096 * 4096);
  for (bool read_only : {true, false}) {
    NsfOptions options = TestOptions({NameView()});
    options.read_only = read_only;
    const Result<std::unique_ptr<NsfDatabase>> opened = NsfDatabase::Open(path, options);
    INFO("fraction " << fraction << " read_only " << read_only);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.status().code() == StatusCode::kCorruption);
    CHECK(opened.status().message().find(path.string()) != std::string::npos);
    CHECK(opened.status().message().find("truncated") != std::string::npos);
  }
}

TEST_CASE("view keys over LMDB's key limit are cut consistently", "[nsf]") {
  TempDir dir;
  auto db = OpenDb(dir.path() / "names.nsf", TestOptions({NameView()}));
  const std::string long_key(2000, 'k');
  const NoteId id = Must(db->Create(NamedNote({long_key}))).id();
  CHECK(Must(db->LookupIds("ByName", long_key)) == Ids({id}));
  CHECK(Must(db->Scan("ByName"))[0].key.size() < long_key.size());
}

// ---- Dumps ------------------------------------------------------------------------

TEST_CASE("a note dumps as readable text and JSON", "[nsf]") {
  Note note = RichNote();
  note.set_id(12);
  note.set_unid("0123456789ABCDEF0123456789ABCDEF");
  note.set_created(0);
  note.set_modified(1'700'000'000'123'456);
  note.SetText("Evil", "line1\nline2\x1b[31m\xC2\x9B\xFF");
  note.SetBinary("Big", Bytes(40, 0xAB));

  const std::string text = NoteToText(note, DumpOptions{.binary_prefix_bytes = 4});
  INFO(text);
  CHECK(text.find("NoteID: 12\n") != std::string::npos);
  CHECK(text.find("UNID: 0123456789ABCDEF0123456789ABCDEF\n") != std::string::npos);
  CHECK(text.find("Form: Person\n") != std::string::npos);
  CHECK(text.find("Created: 1970-01-01T00:00:00.000000Z\n") != std::string::npos);
  CHECK(text.find("Modified: 2023-11-14T22:13:20.123456Z\n") != std::string::npos);
  CHECK(text.find("FullName (text, summary names): Jane Doe\n") != std::string::npos);
  CHECK(text.find("Aliases (text list, summary): Jane; JD; \n") != std::string::npos);
  CHECK(text.find("Age (number): 42.5\n") != std::string::npos);
  CHECK(text.find("Scores (number list): 1; -2.25; 1e+300; 0\n") != std::string::npos);
  CHECK(text.find("Born (time): 1969-12-30T23:59:59.999999Z\n") != std::string::npos);
  CHECK(text.find("Photo (binary): 6 bytes 0001027F...\n") != std::string::npos);
  CHECK(text.find("Big (binary): 40 bytes ABABABAB...\n") != std::string::npos);
  CHECK(text.find("EmptyBinary (binary): 0 bytes\n") != std::string::npos);
  CHECK(text.find("Readers (text list, names readers): CN=Admin/O=Acme; [Admins]\n") != std::string::npos);
  CHECK(text.find("Evil (text): line1\\nline2\\x1B[31m\\u009B\\xFF\n") != std::string::npos);
  CHECK(NoteListLine(note) == "12  0123456789ABCDEF0123456789ABCDEF  Person  2023-11-14T22:13:20.123456Z");

  const nlohmann::json json = NoteToJson(note, DumpOptions{.binary_prefix_bytes = 4});
  CHECK(json["noteid"] == 12);
  CHECK(json["form"] == "Person");
  CHECK(json["modified_us"] == 1'700'000'000'123'456);
  const nlohmann::json& items = json["items"];
  CHECK(items[1]["name"] == "FullName");
  CHECK(items[1]["flags"] == nlohmann::json::array({"summary", "names"}));
  CHECK(items[2]["value"] == nlohmann::json::array({"Jane", "JD", ""}));
  CHECK(items[4]["type"] == "number list");
  CHECK(items[5]["value"] == "1969-12-30T23:59:59.999999Z");
  CHECK(items[7]["value"]["length"] == 6);
  CHECK(items[7]["value"]["hex"] == "0001027F");
  CHECK(items[7]["value"]["truncated"] == true);
  std::string dumped;
  CHECK_NOTHROW(dumped = json.dump());  // invalid UTF-8 was replaced
  CHECK(dumped.find("\\u001b[31m") != std::string::npos);
}

TEST_CASE("database info dumps as text and JSON", "[nsf]") {
  TempDir dir;
  FakeClock clock;
  NsfOptions options = TestOptions({NameView(true)});
  options.clock = clock.Fn();
  auto db = OpenDb(dir.path() / "names.nsf", options);
  MustOk(StatusOf(db->Create(NamedNote({"Ann", "Annie"}))));
  MustOk(db->Write([](WriteTxn& txn) { return txn.SetInfo("design", "pubnames"); }));
  const NsfInfo info = Must(db->Info());
  CHECK(info.map_size == db->map_size());

  const std::string text = InfoToText(info);
  INFO(text);
  CHECK(text.find("Title: Test Directory\n") != std::string::npos);
  CHECK(text.find("Path: " + info.path + "\n") != std::string::npos);
  CHECK(text.find("Created: 2023-11-14T22:13:20.000000Z\n") != std::string::npos);
  CHECK(text.find("Notes: 1\n") != std::string::npos);
  CHECK(text.find("Next NoteID: 2\n") != std::string::npos);
  CHECK(text.find("  ByNameCI (case-insensitive): 2 entries\n") != std::string::npos);
  CHECK(text.find("  design: pubnames\n") != std::string::npos);

  const nlohmann::json json = InfoToJson(info);
  CHECK(json["title"] == "Test Directory");
  CHECK(json["note_count"] == 1);
  CHECK(json["views"][0]["entries"] == 2);
  CHECK(json["views"][0]["case_insensitive"] == true);
  CHECK(json["info"]["design"] == "pubnames");
  CHECK(json["map_size"] == info.map_size);
}

}  // namespace
}  // namespace notesd
