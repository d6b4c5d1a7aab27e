#include <charconv>
#include "directory/directory.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>

#include "base/notes_ini.h"
#include "base/ascii.h"

namespace notesd {

namespace {

constexpr char kUsersView[] = "($Users)";
constexpr char kAddressView[] = "($InternetAddresses)";
constexpr char kGroupsView[] = "($Groups)";
constexpr char kServersView[] = "($Servers)";
constexpr char kCertifiersView[] = "($Certifiers)";
constexpr char kPeopleView[] = "($People)";
constexpr char kMailFilesView[] = "($MailFiles)";

bool IsForm(const Note& note, std::string_view form) { return EqualsIgnoreCase(note.form(), form); }

std::vector<std::string> NameKeys(const std::string& canonical_text) {
  auto parsed = HierName::Parse(canonical_text);
  if (!parsed.ok()) return {canonical_text};
  std::vector<std::string> keys = {parsed->Canonical(), parsed->Abbreviated()};
  if (!parsed->CommonName().empty()) keys.push_back(parsed->CommonName());
  return keys;
}

std::vector<ViewDefinition> DirectoryViews() {
  return {
      {kUsersView,
       [](const Note& note) {
         std::vector<std::string> keys;
         if (!IsForm(note, "Person")) return keys;
         keys = note.GetTextList("FullName");
         for (const char* item : {"ShortName", "InternetAddress"})
           if (!note.GetText(item).empty()) keys.push_back(note.GetText(item));
         return keys;
       },
       true, 1},
      {kAddressView,
       [](const Note& note) {
         if (!IsForm(note, "Person") || note.GetText("InternetAddress").empty()) return std::vector<std::string>{};
         return std::vector<std::string>{note.GetText("InternetAddress")};
       },
       true, 1},
      {kGroupsView,
       [](const Note& note) {
         return IsForm(note, "Group") ? std::vector<std::string>{note.GetText("ListName")} : std::vector<std::string>{};
       },
       true, 1},
      {kServersView,
       [](const Note& note) {
         return IsForm(note, "Server") ? NameKeys(note.GetText("ServerName")) : std::vector<std::string>{};
       },
       true, 1},
      {kCertifiersView,
       [](const Note& note) {
         return IsForm(note, "Certifier") ? NameKeys(note.GetText("CertifierName")) : std::vector<std::string>{};
       },
       true, 1},
      {kPeopleView,
       [](const Note& note) {
         if (!IsForm(note, "Person")) return std::vector<std::string>{};
         return std::vector<std::string>{note.GetText("LastName") + ", " + note.GetText("FirstName")};
       },
       true, 1},
      {kMailFilesView,
       [](const Note& note) {
         if (!IsForm(note, "Person") || note.GetText("MailFile").empty()) return std::vector<std::string>{};
         auto normal = NormalizeMailFilePath(note.GetText("MailFile"));
         return std::vector<std::string>{normal.ok() ? *normal : note.GetText("MailFile")};
       },
       true, 1},
  };
}

Result<HierName> ParseStoredName(const Note& note, const char* item) {
  std::string text = note.GetText(item);  // the first value of a list (FullName)
  auto name = HierName::Parse(text);
  if (!name.ok())
    return Status::Corruption("names.nsf NoteID " + std::to_string(note.id()) + ": bad " + item + ": " +
                              name.status().message());
  return name;
}

Note GroupToNote(const Group& group) {
  Note note("Group");
  note.set_id(group.note_id);
  note.SetText("Type", "Group");
  note.SetText("ListName", group.name, kItemSummary);
  note.SetTextList("Members", group.members, kItemNames | kItemSummary);
  note.SetText("GroupType", group.type);
  return note;
}

Group GroupFromNote(const Note& note) {
  return {note.id(), note.GetText("ListName"), note.GetTextList("Members"), note.GetText("GroupType")};
}

Note ServerToNote(const ServerDocument& server) {
  Note note("Server");
  note.set_id(server.note_id);
  note.SetText("Type", "Server");
  note.SetText("ServerName", server.name.Canonical(), kItemNames | kItemSummary);
  note.SetText("Domain", server.domain, kItemSummary);
  note.SetTextList("FullAdmin", server.administrators, kItemNames);
  note.SetText("Certificate", server.certificate_pem);
  note.SetText("NetAddresses", server.net_address);
  return note;
}

Result<ServerDocument> ServerFromNote(const Note& note) {
  NOTESD_ASSIGN_OR_RETURN(HierName name, ParseStoredName(note, "ServerName"));
  return ServerDocument{note.id(),
                        name,
                        note.GetText("Domain"),
                        note.GetTextList("FullAdmin"),
                        note.GetText("Certificate"),
                        note.GetText("NetAddresses")};
}

Note CertifierToNote(const CertifierDocument& certifier) {
  Note note("Certifier");
  note.set_id(certifier.note_id);
  note.SetText("CertifierName", certifier.name.Canonical(), kItemNames | kItemSummary);
  note.SetText("CertificateType", certifier.type, kItemSummary);
  note.SetText("Certificate", certifier.certificate_pem);
  note.SetText("IssuedBy", certifier.issued_by, kItemNames);
  note.SetText("ICLFile", certifier.icl_file);
  return note;
}

Result<CertifierDocument> CertifierFromNote(const Note& note) {
  NOTESD_ASSIGN_OR_RETURN(HierName name, ParseStoredName(note, "CertifierName"));
  return CertifierDocument{note.id(),
                           name,
                           note.GetText("CertificateType"),
                           note.GetText("Certificate"),
                           note.GetText("IssuedBy"),
                           note.GetText("ICLFile")};
}

// Finds the single note of `form` under `key` in `view`.
Result<Note> LookupOne(const ReadTxn& txn, const char* view, std::string_view key, std::string_view what) {
  NOTESD_ASSIGN_OR_RETURN(std::vector<Note> notes, txn.Lookup(view, key));
  if (notes.empty()) return Status::NotFound(std::string(what) + " '" + std::string(key) + "' not found in names.nsf");
  if (notes.size() > 1)
    return Status::InvalidArgument("'" + std::string(key) + "' matches " + std::to_string(notes.size()) + " " +
                                   std::string(what) + " documents; give the full hierarchical name");
  return notes.front();
}

// Creates the note, or replaces the one already under `key` in `view`, in one transaction.
Result<Note> Upsert(NsfDatabase& db, const char* view, const std::string& key, Note note) {
  Note stored;
  Status written = db.Write([&](WriteTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::vector<Note> existing, txn.Lookup(view, key));
    if (!existing.empty()) {
      note.set_id(existing.front().id());
      NOTESD_ASSIGN_OR_RETURN(stored, txn.Update(note));
    } else {
      NOTESD_ASSIGN_OR_RETURN(stored, txn.Create(note));
    }
    return Status::Ok();
  });
  if (!written.ok()) return written;
  return stored;
}

// The single note under `key` in `view`, read in one snapshot.
Result<Note> FindOne(const NsfDatabase& db, const char* view, const std::string& key, std::string_view what) {
  Result<Note> note = Status::Internal("unset");
  Status read = db.Read([&](const ReadTxn& txn) -> Status {
    note = LookupOne(txn, view, key, what);
    return note.status();
  });
  if (!read.ok()) return read;
  return note;
}

// What a mail file must not be named: the server's own databases and ID files.
std::string SystemFileKind(std::string_view file_name) {
  std::string lower = ToLowerAscii(file_name);
  if (lower.ends_with(".id")) return "an ID file";
  for (const char* system : {"names.nsf", "admin4.nsf", "log.nsf", "mail.box"})
    if (lower == system) return "a system database (" + lower + ")";
  if (lower.starts_with("icl_") && lower.ends_with(".nsf")) return "a system database (an issued certificate list)";
  return "";
}

}  // namespace

Result<std::string> NormalizeMailFilePath(std::string_view path) {
  const std::string quoted = "mail file '" + std::string(path) + "'";
  if (path.empty()) return Status::InvalidArgument("the mail file is empty");
  for (char c : path)
    if (static_cast<unsigned char>(c) < 0x20 || c == '\\' || c == 0x7f)
      return Status::InvalidArgument(quoted + " has characters a mail file path cannot have");
  std::vector<std::string> parts;
  std::size_t begin = 0;
  while (begin <= path.size()) {
    std::size_t slash = path.find('/', begin);
    if (slash == std::string_view::npos) slash = path.size();
    std::string part(path.substr(begin, slash - begin));
    if (!part.empty() && part != ".") parts.push_back(part);
    begin = slash + 1;
  }
  if (parts.empty()) return Status::InvalidArgument(quoted + " names no file");
  if (std::string kind = SystemFileKind(parts.back()); !kind.empty())
    return Status::InvalidArgument(quoted + " is " + kind + ", not a mail file");
  if (path.front() == '/' || (path.size() > 1 && path[1] == ':'))
    return Status::InvalidArgument(quoted + " is an absolute path; give a path under mail/, e.g. mail/jdoe.nsf");
  if (std::find(parts.begin(), parts.end(), "..") != parts.end())
    return Status::InvalidArgument(quoted + " leaves the mail directory ('..'); give a path under mail/");
  if (parts.size() < 2 || parts.front() != "mail")
    return Status::InvalidArgument(quoted + " lies outside mail/; mail files live there, e.g. mail/jdoe.nsf");
  if (!parts.back().ends_with(".nsf") || parts.back().size() == 4)
    return Status::InvalidArgument(quoted + " does not end in .nsf");
  std::string normal;
  for (const std::string& part : parts) normal += (normal.empty() ? "" : "/") + part;
  return normal;
}

std::vector<std::string> Person::FullNames() const {
  std::vector<std::string> names = {name.Canonical(), name.Abbreviated()};
  if (!name.CommonName().empty() && name.CommonName() != name.Abbreviated()) names.push_back(name.CommonName());
  return names;
}

Note PersonToNote(const Person& person) {
  Note note("Person");
  note.set_id(person.note_id);
  note.SetText("Type", "Person");
  note.SetTextList("FullName", person.FullNames(), kItemNames | kItemSummary);
  note.SetText("FirstName", person.first_name, kItemSummary);
  note.SetText("LastName", person.last_name, kItemSummary);
  note.SetText("ShortName", person.short_name, kItemSummary);
  note.SetText("InternetAddress", person.internet_address, kItemSummary);
  note.SetText("MailServer", person.mail_server, kItemNames);
  note.SetText("MailFile", person.mail_file);
  note.SetText("MailDomain", person.mail_domain);
  note.SetText("Certificate", person.notes_certificate_pem);
  note.SetText("PublicKey", person.public_key_pem);
  note.SetTextList("UserCertificate", person.internet_certificates_pem);
  // Only a person who has an Internet password carries the items (as in Domino).
  if (!person.http_password.empty()) note.SetText("HTTPPassword", person.http_password);
  if (person.http_password_change_date != 0) note.SetTime("HTTPPasswordChangeDate", person.http_password_change_date);
  return note;
}

Result<Person> PersonFromNote(const Note& note) {
  if (!IsForm(note, "Person"))
    return Status::InvalidArgument("NoteID " + std::to_string(note.id()) + " is not a Person document");
  Person person;
  person.note_id = note.id();
  person.unid = note.unid();
  NOTESD_ASSIGN_OR_RETURN(person.name, ParseStoredName(note, "FullName"));
  person.first_name = note.GetText("FirstName");
  person.last_name = note.GetText("LastName");
  person.short_name = note.GetText("ShortName");
  person.internet_address = note.GetText("InternetAddress");
  person.mail_server = note.GetText("MailServer");
  person.mail_file = note.GetText("MailFile");
  person.mail_domain = note.GetText("MailDomain");
  person.notes_certificate_pem = note.GetText("Certificate");
  person.public_key_pem = note.GetText("PublicKey");
  person.internet_certificates_pem = note.GetTextList("UserCertificate");
  person.http_password = note.GetText("HTTPPassword");
  person.http_password_change_date = note.GetTime("HTTPPasswordChangeDate");
  return person;
}

Result<std::unique_ptr<Directory>> Directory::Open(const std::filesystem::path& path, bool read_only,
                                                   std::function<int64_t()> clock) {
  NsfOptions options;
  options.clock = std::move(clock);
  options.title = "Domino Directory";
  options.read_only = read_only;
  options.create_if_missing = !read_only;
  options.views = DirectoryViews();
  NOTESD_ASSIGN_OR_RETURN(auto db, NsfDatabase::Open(path, std::move(options)));
  return std::unique_ptr<Directory>(new Directory(std::move(db)));
}

Status Directory::CheckPersonUnique(const ReadTxn& txn, const Person& person) const {
  auto clash = [&](std::string_view key, const std::string& what) -> Status {
    if (key.empty()) return Status::Ok();
    NOTESD_ASSIGN_OR_RETURN(std::vector<Note> found, txn.Lookup(kUsersView, key));
    for (const Note& other : found) {
      if (other.id() == person.note_id) continue;
      std::string owner = other.GetText("FullName");
      auto owner_name = HierName::Parse(owner);
      return Status::AlreadyExists(what + " '" + std::string(key) + "' is already used by " +
                                   (owner_name.ok() ? owner_name->Abbreviated() : owner));
    }
    return Status::Ok();
  };
  NOTESD_RETURN_IF_ERROR(clash(person.name.Canonical(), "the name"));
  NOTESD_RETURN_IF_ERROR(clash(person.name.Abbreviated(), "the name"));
  NOTESD_RETURN_IF_ERROR(clash(person.short_name, "the short name"));
  NOTESD_RETURN_IF_ERROR(clash(person.internet_address, "the Internet address"));
  return Status::Ok();
}

Result<Person> Directory::WithCheckedMailFile(const ReadTxn& txn, Person person) const {
  if (person.mail_file.empty()) return person;
  NOTESD_ASSIGN_OR_RETURN(person.mail_file, NormalizeMailFilePath(person.mail_file));
  NOTESD_ASSIGN_OR_RETURN(std::vector<Note> found, txn.Lookup(kMailFilesView, person.mail_file));
  for (const Note& other : found) {
    if (other.id() == person.note_id) continue;
    auto owner = HierName::Parse(other.GetText("FullName"));
    return Status::AlreadyExists("the mail file '" + person.mail_file + "' already belongs to " +
                                 (owner.ok() ? owner->Abbreviated() : other.GetText("FullName")));
  }
  return person;
}

Result<Person> Directory::RegisterPerson(const Person& person) {
  if (person.name.empty() || person.name.CommonName().empty())
    return Status::InvalidArgument("a person needs a hierarchical name with a common name");
  Person stored;
  Status written = db_->Write([&](WriteTxn& txn) -> Status {
    Person fresh = person;
    fresh.note_id = 0;
    NOTESD_RETURN_IF_ERROR(CheckPersonUnique(txn, fresh));
    NOTESD_ASSIGN_OR_RETURN(fresh, WithCheckedMailFile(txn, std::move(fresh)));
    NOTESD_ASSIGN_OR_RETURN(Note note, txn.Create(PersonToNote(fresh)));
    NOTESD_ASSIGN_OR_RETURN(stored, PersonFromNote(note));
    return Status::Ok();
  });
  if (!written.ok()) return written;
  return stored;
}

Result<Person> Directory::UpdatePersonIn(WriteTxn& txn, const Person& person) const {
  NOTESD_RETURN_IF_ERROR(CheckPersonUnique(txn, person));
  // A mail file stored before these rules existed does not block other changes.
  NOTESD_ASSIGN_OR_RETURN(Note before, txn.Get(person.note_id));
  Person checked = person;
  if (before.GetText("MailFile") != person.mail_file) {
    NOTESD_ASSIGN_OR_RETURN(checked, WithCheckedMailFile(txn, person));
  }
  NOTESD_ASSIGN_OR_RETURN(Note note, txn.Update(PersonToNote(checked)));
  return PersonFromNote(note);
}

Result<Person> Directory::UpdatePerson(const Person& person) {
  NOTESD_ASSIGN_OR_RETURN(std::vector<Person> stored, UpdatePeople({person}));
  return std::move(stored.front());
}

Result<std::vector<Person>> Directory::UpdatePeople(const std::vector<Person>& people) {
  std::vector<Person> stored;
  Status written = db_->Write([&](WriteTxn& txn) -> Status {
    stored.clear();  // the body may run again after the map grew
    for (const Person& person : people) {
      NOTESD_ASSIGN_OR_RETURN(Person one, UpdatePersonIn(txn, person));
      stored.push_back(std::move(one));
    }
    return Status::Ok();
  });
  if (!written.ok()) return written;
  return stored;
}

namespace {

// The ($Users) key FindPerson looks up: a hierarchical name in canonical form.
std::string PersonKey(std::string_view any_name) {
  std::string key = TrimSpaces(any_name);
  // A canonical name typed in abbreviated form and vice versa both index under ($Users).
  auto parsed = HierName::Parse(key);
  if (parsed.ok() && !parsed->IsFlat()) key = parsed->Canonical();
  return key;
}

}  // namespace

Result<Person> Directory::FindPerson(std::string_view any_name) const {
  NOTESD_ASSIGN_OR_RETURN(Note note, FindOne(*db_, kUsersView, PersonKey(any_name), "Person"));
  return PersonFromNote(note);
}

Result<Person> Directory::SetHttpPassword(std::string_view any_name, std::string encoded_hash, int64_t changed) {
  NOTESD_ASSIGN_OR_RETURN(Person found, FindPerson(any_name));
  Person stored;
  Status written = db_->Write([&](WriteTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(found.note_id));
    NOTESD_ASSIGN_OR_RETURN(Person person, PersonFromNote(note));
    person.http_password = encoded_hash;
    person.http_password_change_date = changed;
    NOTESD_ASSIGN_OR_RETURN(Note updated, txn.Update(PersonToNote(person)));
    NOTESD_ASSIGN_OR_RETURN(stored, PersonFromNote(updated));
    return Status::Ok();
  });
  if (!written.ok()) return written;
  return stored;
}

Result<std::vector<Result<Person>>> Directory::FindPeople(const std::vector<std::string>& any_names) const {
  std::vector<Result<Person>> found;
  Status read = db_->Read([&](const ReadTxn& txn) -> Status {
    for (const std::string& name : any_names) {
      Result<Note> note = LookupOne(txn, kUsersView, PersonKey(name), "Person");
      if (note.ok()) {
        found.push_back(PersonFromNote(*note));
      } else {
        found.emplace_back(note.status());
      }
    }
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return found;
}

Result<Person> Directory::FindPersonByAddress(std::string_view internet_address) const {
  NOTESD_ASSIGN_OR_RETURN(Note note, FindOne(*db_, kAddressView, TrimSpaces(internet_address), "Internet address"));
  return PersonFromNote(note);
}

Result<std::vector<Person>> Directory::ListPeople() const {
  std::vector<Person> people;
  NOTESD_RETURN_IF_ERROR(ForEachPerson([&](const Person& person) {
    people.push_back(person);
    return Status::Ok();
  }));
  return people;
}

// Reads up to `limit` people after `last` (none: from the start) in one read
// transaction, with their view entries; `last` becomes the last entry read.
Status Directory::ReadPeopleAfter(std::optional<ViewEntry>& last, std::size_t limit, std::vector<Person>& page,
                                  std::vector<ViewEntry>* entries_read) const {
  return db_->Read([&](const ReadTxn& txn) -> Status {
    ScanOptions options = last ? ScanOptions::After(*last, limit) : ScanOptions::StartingAt("", limit);
    NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries, txn.Scan(kPeopleView, options));
    if (entries_read) *entries_read = entries;
    for (const ViewEntry& entry : entries) {
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(entry.id));
      NOTESD_ASSIGN_OR_RETURN(Person person, PersonFromNote(note));
      page.push_back(std::move(person));
    }
    if (!entries.empty()) last = entries.back();
    return Status::Ok();
  });
}

Status Directory::ForEachPerson(const std::function<Status(const Person&)>& visit) const {
  constexpr std::size_t kPage = 512;
  std::vector<Person> page;
  std::optional<ViewEntry> last;
  while (true) {
    page.clear();
    NOTESD_RETURN_IF_ERROR(ReadPeopleAfter(last, kPage, page));
    if (page.empty()) return Status::Ok();
    for (const Person& person : page) NOTESD_RETURN_IF_ERROR(visit(person));
  }
}

Result<Directory::PeoplePage> Directory::ListPeoplePage(std::string_view after, std::size_t limit) const {
  std::optional<ViewEntry> last;
  if (!after.empty()) {
    std::size_t colon = after.find(':');
    NoteId id = 0;
    const char* end = after.data() + (colon == std::string_view::npos ? 0 : colon);
    auto [parsed, ec] = std::from_chars(after.data(), end, id);
    if (colon == std::string_view::npos || colon == 0 || ec != std::errc() || parsed != end || id == 0)
      return Status::InvalidArgument("bad page cursor '" + std::string(after.substr(0, 64)) +
                                     "': give the 'next' of the page before");
    last = ViewEntry{std::string(after.substr(colon + 1)), id};
  }
  limit = std::max<std::size_t>(limit, 1);
  PeoplePage page;
  std::vector<ViewEntry> entries;
  // One more than asked tells whether another page follows.
  NOTESD_RETURN_IF_ERROR(ReadPeopleAfter(last, limit + 1, page.people, &entries));
  if (page.people.size() > limit) {
    page.people.resize(limit);
    page.next = std::to_string(entries[limit - 1].id) + ":" + entries[limit - 1].key;
  }
  return page;
}

Status Directory::DeletePerson(std::string_view any_name) {
  NOTESD_ASSIGN_OR_RETURN(Person person, FindPerson(any_name));
  return db_->Delete(person.note_id);
}

Result<Group> Directory::PutGroup(const Group& group) {
  if (TrimSpaces(group.name).empty()) return Status::InvalidArgument("a group needs a name");
  NOTESD_ASSIGN_OR_RETURN(Note note, Upsert(*db_, kGroupsView, group.name, GroupToNote(group)));
  return GroupFromNote(note);
}

Result<Group> Directory::FindGroup(std::string_view name) const {
  NOTESD_ASSIGN_OR_RETURN(Note note, FindOne(*db_, kGroupsView, TrimSpaces(name), "Group"));
  return GroupFromNote(note);
}

Result<std::vector<Group>> Directory::ListGroups() const {
  std::vector<Group> groups;
  NOTESD_RETURN_IF_ERROR(db_->Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries, txn.Scan(kGroupsView));
    for (const ViewEntry& entry : entries) {
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(entry.id));
      groups.push_back(GroupFromNote(note));
    }
    return Status::Ok();
  }));
  return groups;
}

bool Directory::GroupIncludes(std::string_view group_name, const Person& person, std::vector<std::string>& seen) const {
  std::string key = ToLowerAscii(group_name);
  if (std::find(seen.begin(), seen.end(), key) != seen.end()) return false;  // a cycle
  seen.push_back(key);
  auto group = FindGroup(group_name);
  if (!group.ok()) return false;
  for (const std::string& member : group->members) {
    auto member_name = HierName::Parse(member);
    if (member_name.ok() && *member_name == person.name) return true;
    if (GroupIncludes(member, person, seen)) return true;
  }
  return false;
}

bool Directory::NameListIncludes(const std::vector<std::string>& names, const Person& person) const {
  std::vector<std::string> seen;
  for (const std::string& entry : names) {
    auto name = HierName::Parse(entry);
    if (name.ok() && *name == person.name) return true;
    if (GroupIncludes(entry, person, seen)) return true;
  }
  return false;
}

Result<ServerDocument> Directory::PutServer(const ServerDocument& server) {
  NOTESD_ASSIGN_OR_RETURN(Note note, Upsert(*db_, kServersView, server.name.Canonical(), ServerToNote(server)));
  return ServerFromNote(note);
}

Result<ServerDocument> Directory::FindServer(std::string_view name) const {
  auto parsed = HierName::Parse(name);
  NOTESD_ASSIGN_OR_RETURN(Note note,
                          FindOne(*db_, kServersView, parsed.ok() ? parsed->Canonical() : std::string(name), "Server"));
  return ServerFromNote(note);
}

bool Directory::IsAdministrator(const ServerDocument& server, const Person& person) const {
  return NameListIncludes(server.administrators, person);
}

Result<CertifierDocument> Directory::PutCertifier(const CertifierDocument& certifier) {
  NOTESD_ASSIGN_OR_RETURN(Note note,
                          Upsert(*db_, kCertifiersView, certifier.name.Canonical(), CertifierToNote(certifier)));
  return CertifierFromNote(note);
}

Result<CertifierDocument> Directory::FindCertifier(std::string_view name) const {
  auto parsed = HierName::Parse(name);
  std::string key = parsed.ok() && !parsed->IsFlat() ? parsed->Canonical() : std::string(name);
  NOTESD_ASSIGN_OR_RETURN(Note note, FindOne(*db_, kCertifiersView, key, "Certifier"));
  return CertifierFromNote(note);
}

Result<std::vector<CertifierDocument>> Directory::ListCertifiers() const {
  std::vector<CertifierDocument> certifiers;
  Status read = db_->Read([&](const ReadTxn& txn) -> Status {
    NOTESD_ASSIGN_OR_RETURN(std::vector<ViewEntry> entries, txn.Scan(kCertifiersView));
    std::vector<NoteId> ids;
    for (const ViewEntry& entry : entries)
      if (std::find(ids.begin(), ids.end(), entry.id) == ids.end()) ids.push_back(entry.id);
    for (NoteId id : ids) {
      NOTESD_ASSIGN_OR_RETURN(Note note, txn.Get(id));
      NOTESD_ASSIGN_OR_RETURN(CertifierDocument doc, CertifierFromNote(note));
      certifiers.push_back(std::move(doc));
    }
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return certifiers;
}

}  // namespace notesd

namespace notesd {

Result<std::shared_ptr<Directory>> OpenDirectory(DatabaseSet& databases, const std::filesystem::path& data_dir) {
  return databases.Get<Directory>(data_dir / "names.nsf", [&databases](const std::filesystem::path& path) {
    return Directory::Open(path, false, databases.NoteClock());
  });
}

}  // namespace notesd
