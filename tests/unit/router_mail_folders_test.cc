// Tests of a mail file's folders, IMAP UIDs and UIDVALIDITY, flags, copy, move, expunge
// and append (router/mail_folders.h, router/mail_service.h), and of the summary-only
// note reads they list with (store/note.h ParseNoteSummary).
#include <sys/stat.h>

#include <chrono>
#include <fstream>

#include <catch2/catch.hpp>

#include "router/mail_folders.h"
#include "router/mail_service.h"
#include "tests/unit/unit_test_support.h"

namespace notesd {
namespace {

using testing::Must;
using testing::Name;
using testing::TempDir;

constexpr TimeMicros kSecond = 1'000'000;

// A clock the test moves; UIDVALIDITY comes from its seconds.
class TestClock final : public Clock {
 public:
  int64_t NowMicros() const override { return now; }
  TimeMicros now = 1'800'000'000LL * kSecond;
};

struct FolderFixture {
  TempDir dir{"notesd-folders-"};
  TestClock clock;
  std::unique_ptr<MailStore> store;
  std::unique_ptr<MailService> service;
  Person jane;

  FolderFixture() {
    jane.name = Name("CN=Jane Doe/O=Acme");
    jane.internet_address = "jane@acme.example";
    jane.mail_file = "mail/jdoe.nsf";
    Reopen();
  }
  // Closes and opens the store again, as a server restart does.
  void Reopen() {
    service.reset();
    store.reset();
    MailStoreOptions options;
    options.clock = [this] { return clock.NowMicros(); };
    store = Must(MailStore::Open(dir.path, options));
    service = std::make_unique<MailService>(*store, clock);
  }
  std::shared_ptr<NsfDatabase> MailFile() { return Must(store->MailFile(jane.mail_file, true)); }
  static Note Message(const std::string& subject, TimeMicros delivered) {
    MailEnvelope envelope{"john@acme.example", {"jane@acme.example"}, "test", "", false};
    std::string text = "From: john@acme.example\r\nSubject: " + subject + "\r\n\r\nHello " + subject + "\r\n";
    return MailFileNote(QueuedFromNote(MailBoxNote(envelope, text, delivered), true), delivered);
  }
  // Delivers as the Router does: the UID is taken in the transaction that stores it.
  std::string Deliver(const std::string& subject) {
    std::string unid;
    clock.now += kSecond;
    REQUIRE(MailFile()
                ->Write([&](WriteTxn& txn) -> Status {
                  NOTESD_ASSIGN_OR_RETURN(Note stored, CreateInInbox(txn, Message(subject, clock.now), clock.now));
                  unid = stored.unid();
                  return Status::Ok();
                })
                .ok());
    return unid;
  }
  std::vector<std::uint32_t> Uids(const std::string& folder) {
    std::vector<std::uint32_t> uids;
    for (const StoredMail& m : Must(service->ListFolder(jane, folder)).messages) uids.push_back(m.uid);
    return uids;
  }
  std::vector<std::string> Subjects(const std::string& folder) {
    std::vector<std::string> subjects;
    for (const StoredMail& m : Must(service->ListFolder(jane, folder)).messages) subjects.push_back(m.subject);
    return subjects;
  }
  std::filesystem::path BodyPath(const std::string& unid) const { return dir.path / "mail" / "jdoe.nsf.bodies" / unid; }
};

using Uids = std::vector<std::uint32_t>;

TEST_CASE("note summary: only summary items are parsed, the body is skipped", "[mail]") {
  Note note("Memo");
  note.SetText("Subject", "hi", kItemSummary);
  note.SetBinary("$Message", Bytes(100000, 'x'));
  note.SetNumber("$UID", 7, kItemSummary);
  std::string bytes = Must(SerializeNote(note));
  Note summary = Must(ParseNoteSummary(bytes));
  CHECK(summary.GetText("Subject") == "hi");
  CHECK(summary.GetNumber("$UID") == 7);
  CHECK_FALSE(summary.HasItem("$Message"));
  CHECK(Must(ParseNote(bytes)).HasItem("$Message"));
  // A cut note is still refused, summary or not, wherever it is cut.
  for (std::size_t length = 0; length < bytes.size(); length += 997)
    CHECK(ParseNoteSummary(bytes.substr(0, length)).status().code() == StatusCode::kCorruption);
  CHECK(ParseNoteSummary(bytes.substr(0, bytes.size() - 1)).status().code() == StatusCode::kCorruption);
  CHECK(ParseNoteSummary(bytes + "x").status().code() == StatusCode::kCorruption);
}

TEST_CASE("mail folders: delivery gives ascending UIDs in INBOX, stable after a restart", "[mail]") {
  FolderFixture f;
  f.Deliver("one");
  f.Deliver("two");
  f.Deliver("three");
  auto inbox = Must(f.service->GetFolderStatus(f.jane, "inbox"));
  CHECK(inbox.name == "INBOX");
  CHECK(inbox.messages == 3);
  CHECK(inbox.unseen == 3);
  CHECK(inbox.uid_next == 4);
  CHECK(inbox.uid_validity != 0);
  CHECK(f.Uids("INBOX") == Uids{1, 2, 3});
  CHECK(f.Subjects("INBOX") == std::vector<std::string>{"one", "two", "three"});
  // Several deliveries in one transaction (a Router pass) get distinct UIDs too.
  REQUIRE(f.MailFile()
              ->Write([&](WriteTxn& txn) -> Status {
                for (const char* subject : {"four", "five"})
                  NOTESD_RETURN_IF_ERROR(
                      CreateInInbox(txn, FolderFixture::Message(subject, f.clock.now), f.clock.now).status());
                return Status::Ok();
              })
              .ok());
  CHECK(f.Uids("INBOX") == Uids{1, 2, 3, 4, 5});

  f.clock.now += 3600 * kSecond;
  f.Reopen();
  auto again = Must(f.service->GetFolderStatus(f.jane, "INBOX"));
  CHECK(again.uid_validity == inbox.uid_validity);
  CHECK(again.uid_next == 6);
  CHECK(f.Uids("INBOX") == Uids{1, 2, 3, 4, 5});
  // A deleted message's UID is never given again.
  auto listing = Must(f.service->ListFolder(f.jane, "INBOX"));
  REQUIRE(f.service->Delete(f.jane, listing.messages.back().unid).ok());
  f.Deliver("six");
  CHECK(f.Uids("INBOX") == Uids{1, 2, 3, 4, 6});
}

TEST_CASE("mail folders: listing is in UID order, by range, without bodies", "[mail]") {
  FolderFixture f;
  for (int i = 1; i <= 5; ++i) f.Deliver("m" + std::to_string(i));
  auto range = Must(f.service->ListFolder(f.jane, "INBOX", 2, 4));
  REQUIRE(range.messages.size() == 3);
  CHECK(range.messages[0].uid == 2);
  CHECK(range.messages[2].uid == 4);
  CHECK(range.status.messages == 5);
  for (const StoredMail& m : range.messages) {
    CHECK(m.message.empty());
    CHECK(m.folder == "INBOX");
    CHECK(m.size > 0);
    CHECK(m.delivered > 0);
  }
  CHECK(Must(f.service->ListFolder(f.jane, "INBOX", 6)).messages.empty());
  CHECK(Must(f.service->ListFolder(f.jane, "INBOX", 5, 1)).messages.empty());
  CHECK(f.service->ListFolder(f.jane, "Nowhere").status().code() == StatusCode::kNotFound);
  StoredMail third = Must(f.service->ReadByUid(f.jane, "INBOX", 3));
  CHECK(third.subject == "m3");
  CHECK(third.message.find("Hello m3") != std::string::npos);
  CHECK(f.service->ReadByUid(f.jane, "INBOX", 9).status().code() == StatusCode::kNotFound);
}

TEST_CASE("mail folders: 10,000 messages are listed from their summaries", "[mail]") {
  FolderFixture f;
  const std::string body(4096, 'b');
  REQUIRE(f.MailFile()
              ->Write([&](WriteTxn& txn) -> Status {
                for (int i = 0; i < 10000; ++i) {
                  Note note = FolderFixture::Message("bulk", f.clock.now + i);
                  note.SetBinary("$Message", Bytes(body.begin(), body.end()));
                  NOTESD_RETURN_IF_ERROR(CreateInInbox(txn, note, f.clock.now).status());
                }
                return Status::Ok();
              })
              .ok());
  const auto start = std::chrono::steady_clock::now();
  auto listing = Must(f.service->ListFolder(f.jane, "INBOX"));
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(listing.messages.size() == 10000);
  CHECK(listing.messages.front().uid == 1);
  CHECK(listing.messages.back().uid == 10000);
  CHECK(listing.messages[5000].message.empty());
  WARN("listing 10,000 messages took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  auto status = Must(f.service->GetFolderStatus(f.jane, "INBOX"));
  CHECK(status.messages == 10000);
}

TEST_CASE("mail folders: create, list, rename and delete; UIDVALIDITY differs on re-create", "[mail]") {
  FolderFixture f;
  auto work = Must(f.service->CreateFolder(f.jane, "Work"));
  CHECK(work.name == "Work");
  CHECK(work.messages == 0);
  CHECK(work.uid_next == 1);
  CHECK(f.service->CreateFolder(f.jane, "Work").status().code() == StatusCode::kAlreadyExists);
  CHECK(f.service->CreateFolder(f.jane, "INBOX").status().code() == StatusCode::kAlreadyExists);
  for (const char* bad : {"", "a//b", "/a", "a/", "a*", "50%", "tab\there"})
    CHECK(f.service->CreateFolder(f.jane, bad).status().code() == StatusCode::kInvalidArgument);
  REQUIRE(f.service->CreateFolder(f.jane, "Work/2026").ok());
  std::vector<std::string> names;
  for (const auto& folder : Must(f.service->ListFolders(f.jane))) names.push_back(folder.name);
  CHECK(names == std::vector<std::string>{"INBOX", "Work", "Work/2026"});

  // Same clock second: the UIDVALIDITY still changes when the folder comes back.
  f.Deliver("x");
  REQUIRE(f.service->MoveMessage(f.jane, Must(f.service->ListFolder(f.jane, "INBOX")).messages[0].unid, "Work").ok());
  REQUIRE(f.service->DeleteFolder(f.jane, "Work").ok());
  CHECK(f.service->GetFolderStatus(f.jane, "Work").status().code() == StatusCode::kNotFound);
  CHECK(Must(f.service->GetFolderStatus(f.jane, "Work/2026")).name == "Work/2026");  // inferiors stay
  auto recreated = Must(f.service->CreateFolder(f.jane, "Work"));
  CHECK(recreated.uid_validity != work.uid_validity);
  CHECK(recreated.messages == 0);  // the messages went with the deleted folder
  CHECK(f.service->DeleteFolder(f.jane, "inbox").code() == StatusCode::kInvalidArgument);
  // Within one clock second too.
  auto tmp = Must(f.service->CreateFolder(f.jane, "Tmp"));
  REQUIRE(f.service->DeleteFolder(f.jane, "Tmp").ok());
  CHECK(Must(f.service->CreateFolder(f.jane, "Tmp")).uid_validity > tmp.uid_validity);

  // Rename keeps UIDVALIDITY and UIDs, and renames the folders below.
  f.Deliver("y");
  auto moved_uid =
      Must(f.service->MoveMessage(f.jane, Must(f.service->ListFolder(f.jane, "INBOX")).messages[0].unid, "Work/2026"));
  auto below = Must(f.service->GetFolderStatus(f.jane, "Work/2026"));
  REQUIRE(f.service->RenameFolder(f.jane, "Work", "Jobs").ok());
  CHECK(f.service->GetFolderStatus(f.jane, "Work").status().code() == StatusCode::kNotFound);
  auto renamed_below = Must(f.service->GetFolderStatus(f.jane, "Jobs/2026"));
  CHECK(renamed_below.uid_validity == below.uid_validity);
  CHECK(f.Uids("Jobs/2026") == Uids{moved_uid});
  CHECK(f.service->RenameFolder(f.jane, "Jobs", "Jobs/2026").code() == StatusCode::kInvalidArgument);
  REQUIRE(f.service->CreateFolder(f.jane, "Other").ok());
  CHECK(f.service->RenameFolder(f.jane, "Jobs", "Other").code() == StatusCode::kAlreadyExists);
  CHECK(f.service->RenameFolder(f.jane, "Missing", "Else").code() == StatusCode::kNotFound);
}

TEST_CASE("mail folders: renaming INBOX moves its messages and leaves a new, empty INBOX", "[mail]") {
  FolderFixture f;
  f.Deliver("a");
  f.Deliver("b");
  auto before = Must(f.service->GetFolderStatus(f.jane, "INBOX"));
  REQUIRE(f.service->RenameFolder(f.jane, "INBOX", "Old mail").ok());
  auto old = Must(f.service->GetFolderStatus(f.jane, "Old mail"));
  CHECK(old.messages == 2);
  CHECK(old.uid_validity == before.uid_validity);
  CHECK(f.Uids("Old mail") == Uids{1, 2});
  auto inbox = Must(f.service->GetFolderStatus(f.jane, "INBOX"));
  CHECK(inbox.messages == 0);
  CHECK(inbox.uid_validity != before.uid_validity);
  f.Deliver("c");
  CHECK(f.Uids("INBOX") == Uids{1});
}

TEST_CASE("mail folders: flags are stored, added and removed by UID and counted", "[mail]") {
  FolderFixture f;
  f.Deliver("a");
  f.Deliver("b");
  f.Deliver("c");
  auto added = Must(f.service->AddFlags(f.jane, "INBOX", {1, 3, 99}, {"\\seen", "$Work"}));
  REQUIRE(added.size() == 2);  // UID 99 names no message: ignored
  CHECK(added[0].uid == 1);
  CHECK(added[0].flags == std::vector<std::string>{"\\Seen", "$Work"});
  CHECK(Must(f.service->GetFolderStatus(f.jane, "INBOX")).unseen == 1);
  auto removed = Must(f.service->RemoveFlags(f.jane, "INBOX", {3}, {"\\SEEN"}));
  CHECK(removed[0].flags == std::vector<std::string>{"$Work"});
  CHECK(Must(f.service->GetFolderStatus(f.jane, "INBOX")).unseen == 2);
  auto replaced =
      Must(f.service->StoreFlags(f.jane, "INBOX", {2}, MailService::FlagChange::kReplace, {"\\Flagged", "\\Answered"}));
  CHECK(replaced[0].flags == std::vector<std::string>{"\\Flagged", "\\Answered"});
  CHECK(Must(f.service->ListFolder(f.jane, "INBOX", 2, 2)).messages[0].flags == replaced[0].flags);
  for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{
           {"\\Recent"}, {"\\Unknown"}, {"two words"}, {"a(b"}, {""}, {std::string(kMaxFlagBytes + 1, 'k')}})
    CHECK(f.service->AddFlags(f.jane, "INBOX", {1}, bad).status().code() == StatusCode::kInvalidArgument);
  std::vector<std::string> many;
  for (std::size_t i = 0; i <= kMaxFlagsPerMessage; ++i) many.push_back("k" + std::to_string(i));
  CHECK(f.service->AddFlags(f.jane, "INBOX", {1}, many).status().code() == StatusCode::kInvalidArgument);
  // Flags survive a restart.
  f.Reopen();
  CHECK(Must(f.service->ListFolder(f.jane, "INBOX", 1, 1)).messages[0].flags ==
        std::vector<std::string>{"\\Seen", "$Work"});
}

TEST_CASE("mail folders: reading with mark_seen sets \\Seen and counts a change", "[mail]") {
  FolderFixture f;
  std::string unid = f.Deliver("a");
  const std::uint64_t before = f.service->ChangeCount(f.jane);
  CHECK(Must(f.service->Read(f.jane, unid)).flags.empty());
  StoredMail read = Must(f.service->Read(f.jane, unid, true));
  CHECK(read.flags == std::vector<std::string>{"\\Seen"});
  CHECK(read.folder == "INBOX");
  CHECK(read.uid == 1);
  CHECK(Must(f.service->GetFolderStatus(f.jane, "INBOX")).unseen == 0);
  CHECK(f.service->ChangeCount(f.jane) > before);
  // WaitForChange returns at once when the count already moved on.
  CHECK(f.service->WaitForChange(f.jane, before, std::chrono::milliseconds(5000)) == f.service->ChangeCount(f.jane));
}

TEST_CASE("mail folders: expunge removes the \\Deleted messages, or only those of a UID set", "[mail]") {
  FolderFixture f;
  for (const char* s : {"a", "b", "c", "d"}) f.Deliver(s);
  REQUIRE(f.service->AddFlags(f.jane, "INBOX", {1, 2, 4}, {"\\Deleted"}).ok());
  CHECK(Must(f.service->Expunge(f.jane, "INBOX", std::vector<std::uint32_t>{2, 3})) == Uids{2});
  CHECK(f.Uids("INBOX") == Uids{1, 3, 4});
  CHECK(Must(f.service->Expunge(f.jane, "INBOX")) == Uids{1, 4});
  CHECK(f.Uids("INBOX") == Uids{3});
  CHECK(Must(f.service->Expunge(f.jane, "INBOX")).empty());
  CHECK(Must(f.service->GetFolderStatus(f.jane, "INBOX")).messages == 1);
}

TEST_CASE("mail folders: move keeps the note, copy makes a new one sharing a hard-linked body file", "[mail]") {
  FolderFixture f;
  REQUIRE(f.service->CreateFolder(f.jane, "Archive").ok());
  f.Deliver("small");
  // A large message stored as a body file, as local delivery leaves it.
  const std::string body = "From: john@acme.example\r\nSubject: big\r\n\r\n" + std::string(300000, 'z') + "\r\n";
  std::string big_unid = Must(NewUnid());
  std::filesystem::create_directories(f.BodyPath("").parent_path());
  std::ofstream(f.BodyPath(big_unid), std::ios::binary) << body;
  REQUIRE(f.MailFile()
              ->Write([&](WriteTxn& txn) -> Status {
                Note note = FolderFixture::Message("big", f.clock.now);
                note.RemoveItem("$Message");
                note.SetNumber("$MessageFile", 1);
                note.SetNumber("Size", static_cast<double>(body.size()), kItemSummary);
                note.set_unid(big_unid);
                return CreateInInbox(txn, note, f.clock.now).status();
              })
              .ok());
  REQUIRE(f.service->AddFlags(f.jane, "INBOX", {2}, {"\\Flagged"}).ok());

  auto copied = Must(f.service->CopyToFolder(f.jane, "INBOX", {2, 1, 42}, "Archive"));
  CHECK(copied.uid_validity == Must(f.service->GetFolderStatus(f.jane, "Archive")).uid_validity);
  REQUIRE(copied.uids.size() == 2);
  CHECK(copied.uids[0] == std::pair<std::uint32_t, std::uint32_t>{1, 1});
  CHECK(copied.uids[1] == std::pair<std::uint32_t, std::uint32_t>{2, 2});
  CHECK(f.Uids("INBOX") == Uids{1, 2});  // the originals stay
  StoredMail copy = Must(f.service->ReadByUid(f.jane, "Archive", 2));
  CHECK(copy.unid != big_unid);
  CHECK(copy.message == body);
  CHECK(copy.flags == std::vector<std::string>{"\\Flagged"});
  struct stat original_stat {
  }, copy_stat{};
  REQUIRE(::stat(f.BodyPath(big_unid).c_str(), &original_stat) == 0);
  REQUIRE(::stat(f.BodyPath(copy.unid).c_str(), &copy_stat) == 0);
  CHECK(original_stat.st_ino == copy_stat.st_ino);  // a hard link, not a second copy
  CHECK(original_stat.st_nlink == 2);

  // Expunging the original leaves the copy's body.
  REQUIRE(f.service->AddFlags(f.jane, "INBOX", {2}, {"\\Deleted"}).ok());
  CHECK(Must(f.service->Expunge(f.jane, "INBOX")) == Uids{2});
  CHECK_FALSE(std::filesystem::exists(f.BodyPath(big_unid)));
  CHECK(Must(f.service->ReadByUid(f.jane, "Archive", 2)).message == body);

  // Move: the same note (UNID), a new UID in the target, gone from the source.
  std::string small_unid = Must(f.service->ReadByUid(f.jane, "INBOX", 1)).unid;
  auto moved = Must(f.service->MoveToFolder(f.jane, "INBOX", {1}, "Archive"));
  CHECK(moved.uids == std::vector<std::pair<std::uint32_t, std::uint32_t>>{{1, 3}});
  CHECK(f.Uids("INBOX").empty());
  CHECK(Must(f.service->ReadByUid(f.jane, "Archive", 3)).unid == small_unid);
  CHECK(Must(f.service->Read(f.jane, small_unid)).folder == "Archive");
  CHECK(f.service->MoveToFolder(f.jane, "INBOX", {1}, "Nowhere").status().code() == StatusCode::kNotFound);
}

TEST_CASE("mail folders: append stores CRLF-canonical bytes with flags and INTERNALDATE", "[mail]") {
  FolderFixture f;
  REQUIRE(f.service->CreateFolder(f.jane, "Sent").ok());
  const TimeMicros internal = 1'700'000'000LL * kSecond;
  auto appended = Must(
      f.service->Append(f.jane, "Sent", "From: jane@acme.example\nSubject: drafted\n\nText\n", {"\\Seen"}, internal));
  CHECK(appended.uid == 1);
  CHECK(appended.uid_validity == Must(f.service->GetFolderStatus(f.jane, "Sent")).uid_validity);
  StoredMail stored = Must(f.service->ReadByUid(f.jane, "Sent", 1));
  CHECK(stored.unid == appended.unid);
  CHECK(stored.message == "From: jane@acme.example\r\nSubject: drafted\r\n\r\nText\r\n");
  CHECK(stored.subject == "drafted");
  CHECK(stored.delivered == internal);
  CHECK(stored.flags == std::vector<std::string>{"\\Seen"});
  CHECK(stored.size == static_cast<std::int64_t>(stored.message.size()));
  CHECK(Must(f.service->Append(f.jane, "Sent", "From: x\r\n\r\nagain\r\n", {}, 0)).uid == 2);
  CHECK(f.service->Append(f.jane, "Sent", "", {}, 0).status().code() == StatusCode::kInvalidArgument);
  CHECK(f.service->Append(f.jane, "Nowhere", "From: x\r\n\r\n", {}, 0).status().code() == StatusCode::kNotFound);
  CHECK(f.service->Append(f.jane, "Sent", "From: x\r\n\r\n", {"\\Recent"}, 0).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("mail folders: a mail file from before folders gets UIDs in delivery order", "[mail]") {
  FolderFixture f;
  f.service.reset();
  f.store.reset();
  // The old layout: only ($Inbox), messages without $Folder or $UID, one with flags; the
  // NoteID order differs from the delivery order.
  std::filesystem::create_directories(f.dir.path / "mail");
  {
    NsfOptions options;
    options.views.push_back(InboxViewDefinition());
    auto old = Must(NsfDatabase::Open(f.dir.path / "mail" / "jdoe.nsf", options));
    Note second = FolderFixture::Message("second", 2000 * kSecond);
    second.SetTextList(kMailFlagsItem, {"\\Seen"});  // not a summary item then
    REQUIRE(old->Create(second).ok());
    REQUIRE(old->Create(FolderFixture::Message("first", 1000 * kSecond)).ok());
    REQUIRE(old->Create(FolderFixture::Message("third", 3000 * kSecond)).ok());
  }
  f.Reopen();
  CHECK(f.Subjects("INBOX") == std::vector<std::string>{"first", "second", "third"});
  CHECK(f.Uids("INBOX") == Uids{1, 2, 3});
  auto listing = Must(f.service->ListFolder(f.jane, "INBOX"));
  CHECK(listing.messages[1].flags == std::vector<std::string>{"\\Seen"});  // read from the summary
  CHECK(listing.status.unseen == 2);
  CHECK(Must(f.service->ReadByUid(f.jane, "INBOX", 3)).message.find("Hello third") != std::string::npos);
  // Once filed, later opens change nothing, and new mail continues the UIDs.
  const std::uint32_t validity = listing.status.uid_validity;
  f.Reopen();
  f.Deliver("fourth");
  CHECK(f.Uids("INBOX") == Uids{1, 2, 3, 4});
  CHECK(Must(f.service->GetFolderStatus(f.jane, "INBOX")).uid_validity == validity);
}

TEST_CASE("mail folders: messages stored without a UID while open are filed on next use", "[mail]") {
  FolderFixture f;
  f.Deliver("filed");
  REQUIRE(f.MailFile()->Create(FolderFixture::Message("unfiled", f.clock.now + kSecond)).ok());
  CHECK(f.Uids("INBOX") == Uids{1, 2});
  CHECK(Must(f.service->List(f.jane)).messages.size() == 2);
}

TEST_CASE("mail folders: only the caller's own mail file", "[mail]") {
  FolderFixture f;
  Person nobody;
  nobody.name = Name("CN=No Mail/O=Acme");
  CHECK(f.service->ListFolders(nobody).status().code() == StatusCode::kNotFound);
  Person outside = f.jane;
  outside.mail_file = "../names.nsf";
  CHECK(f.service->ListFolders(outside).status().code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace notesd
