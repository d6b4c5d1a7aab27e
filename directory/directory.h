// directory/directory.h — names.nsf, the Domino Directory.
//
// Owns the directory's documents and their views: Person, Group, Server and Certifier
// documents with Domino's item names, and the lookups every task needs (a person by any
// of their names or by Internet address, case-insensitively; group expansion; who is an
// administrator of a server). Delegates storage to store/nsf_database.h: every change here
// is one LMDB write transaction, uniqueness checks included, so two registrations of the
// same name can never both succeed.
//
// Person items (Domino's names): Form="Person", Type="Person", FullName (text list, the
// canonical name first, then the abbreviated name and the common name), FirstName,
// LastName, ShortName, InternetAddress, MailServer, MailFile, MailDomain, Certificate
// (the Notes certificate, PEM), PublicKey (the Notes public key, PEM), UserCertificate
// (Internet certificates, PEM, newest first), HTTPPassword (the Internet password as an
// Argon2id PHC string, never the password: directory/internet_password.h) and
// HTTPPasswordChangeDate (when it was last set, server clock).
//
// Views (case-insensitive):
//   ($Users)             every FullName entry, ShortName and InternetAddress of a Person
//   ($InternetAddresses) InternetAddress of a Person
//   ($Groups)            ListName of a Group
//   ($Servers)           ServerName (canonical and abbreviated) of a Server document
//   ($Certifiers)        CertifierName (canonical, abbreviated, common name) of a Certifier
//   ($People)            "LastName, FirstName" of a Person (for listings in name order)
//   ($MailFiles)         MailFile of a Person (so no two people share a mail file)
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pki/hier_name.h"
#include "store/database_set.h"
#include "store/nsf_database.h"
#include "base/status.h"

namespace notesd {

struct Person {
  NoteId note_id = 0;
  std::string unid;
  HierName name;
  std::string first_name;
  std::string last_name;
  std::string short_name;
  std::string internet_address;
  std::string mail_server;  // canonical server name
  std::string mail_file;    // "mail/jdoe.nsf"
  std::string mail_domain;
  std::string notes_certificate_pem;
  std::string public_key_pem;
  std::vector<std::string> internet_certificates_pem;  // newest first
  std::string http_password;                           // HTTPPassword: "$argon2id$v=19$..."; "" = none
  int64_t http_password_change_date = 0;               // HTTPPasswordChangeDate, µs since the epoch; 0 = never

  // FullName as Domino keeps it: canonical, abbreviated, common name.
  std::vector<std::string> FullNames() const;
};

struct Group {
  NoteId note_id = 0;
  std::string name;                  // ListName
  std::vector<std::string> members;  // names of people or other groups
  std::string type = "Multi-purpose";
};

struct ServerDocument {
  NoteId note_id = 0;
  HierName name;
  std::string domain;
  std::vector<std::string> administrators;  // names or groups (Full Access Administrators)
  std::string certificate_pem;
  std::string net_address;  // "host:port" of the HTTPS client API
};

struct CertifierDocument {
  NoteId note_id = 0;
  HierName name;
  std::string type = "Notes";  // "Notes" (the organisation certifier) or "Internet"
  std::string certificate_pem;
  std::string issued_by;
  std::string icl_file;  // Internet certifiers: the ICL database
};

// The rules for a Person's MailFile, one implementation for registration and the
// Router. Returns the path in normal form ("mail/jdoe.nsf": '/' separators, no empty or
// "." parts), or InvalidArgument naming the problem: a system database or ID file
// (names.nsf, admin4.nsf, log.nsf, mail.box, ICL_*.nsf, any *.id), an absolute path or
// one with "..", a path outside mail/, a name that does not end in .nsf.
Result<std::string> NormalizeMailFilePath(std::string_view path);

class Directory {
 public:
  // Opens (creating if missing) names.nsf at `path`. AlreadyExists if this process has it
  // open already (see NsfDatabase::Open).
  // `clock` stamps notes' created and modified times; default: the system clock.
  static Result<std::unique_ptr<Directory>> Open(const std::filesystem::path& path, bool read_only = false,
                                                 std::function<int64_t()> clock = nullptr);

  // People. RegisterPerson refuses (AlreadyExists, naming the clash) a person whose
  // canonical or abbreviated name, short name, Internet address or mail file is already
  // used, and (InvalidArgument) a mail file NormalizeMailFilePath refuses; the mail file
  // is stored in normal form. An empty mail file is allowed (no mail).
  Result<Person> RegisterPerson(const Person& person);
  // By canonical or abbreviated name, common name, short name or Internet address.
  // NotFound naming the input; InvalidArgument when a common name matches several.
  Result<Person> FindPerson(std::string_view any_name) const;
  Result<Person> FindPersonByAddress(std::string_view internet_address) const;
  Result<std::vector<Person>> ListPeople() const;  // in "LastName, FirstName" order
  // Calls `visit` for every person in ListPeople's order, reading the Person notes a page
  // at a time (each page in its own read transaction, resuming after the last view entry
  // of the one before), so going through 100,000 people holds one page of them; `visit`
  // runs outside any transaction and may use the directory. A person deleted meanwhile is
  // left out; one renamed meanwhile may come twice or not at all. Stops at the first error
  // of `visit` and returns it.
  Status ForEachPerson(const std::function<Status(const Person&)>& visit) const;
  // One page of people in ListPeople's order, for a caller that pages through the
  // directory across requests (`GET /api/v1/people`, `notes people list`). `after` is the
  // `next` of the page before (empty: from the start); `next` is empty after the last
  // page. The cursor is opaque text ("<NoteID>:<view key>"); InvalidArgument for one this
  // did not make. `limit` is at least 1.
  struct PeoplePage {
    std::vector<Person> people;
    std::string next;
  };
  Result<PeoplePage> ListPeoplePage(std::string_view after, std::size_t limit) const;
  // FindPerson for many names in ONE read transaction (a consistent snapshot). Element
  // i is what FindPerson(any_names[i]) would return.
  Result<std::vector<Result<Person>>> FindPeople(const std::vector<std::string>& any_names) const;
  // Replaces the stored Person with person.note_id, checking uniqueness again (the mail
  // file's rules as RegisterPerson's, when it changes).
  Result<Person> UpdatePerson(const Person& person);
  // UpdatePerson for many people in ONE write transaction, all or none: the first
  // failing person's error comes back and nothing is written. Each is
  // checked against the directory as updated by the ones before it; give each person
  // once (a later entry with the same note_id replaces an earlier one). Returns them as
  // stored, in order.
  Result<std::vector<Person>> UpdatePeople(const std::vector<Person>& people);
  Status DeletePerson(std::string_view any_name);
  // Stores `encoded_hash` (an encoded password hash, never a password: the caller is
  // directory/internet_password.h) as the HTTPPassword of the person FindPerson finds by
  // `any_name`, and `changed` (µs since the epoch) as HTTPPasswordChangeDate. The Person is
  // read and written in ONE write transaction, so a concurrent change of another item is
  // not lost. Returns the Person as stored; errors as FindPerson.
  Result<Person> SetHttpPassword(std::string_view any_name, std::string encoded_hash, int64_t changed);

  // Groups: nested groups are expanded, cycles are cut.
  Result<Group> PutGroup(const Group& group);
  Result<Group> FindGroup(std::string_view name) const;
  // Every Group in ($Groups) order (ListName), read in one transaction (the LDAP task
  // publishes them; a directory has few groups).
  Result<std::vector<Group>> ListGroups() const;
  // True when `person` is named directly in `names`, or in a group named there.
  bool NameListIncludes(const std::vector<std::string>& names, const Person& person) const;

  Result<ServerDocument> PutServer(const ServerDocument& server);
  Result<ServerDocument> FindServer(std::string_view name) const;
  bool IsAdministrator(const ServerDocument& server, const Person& person) const;

  Result<CertifierDocument> PutCertifier(const CertifierDocument& certifier);
  Result<CertifierDocument> FindCertifier(std::string_view name) const;
  Result<std::vector<CertifierDocument>> ListCertifiers() const;

  NsfDatabase& Database() { return *db_; }

 private:
  Status ReadPeopleAfter(std::optional<ViewEntry>& last, std::size_t limit, std::vector<Person>& page,
                         std::vector<ViewEntry>* entries_read = nullptr) const;
  explicit Directory(std::unique_ptr<NsfDatabase> db) : db_(std::move(db)) {}
  Status CheckPersonUnique(const ReadTxn& txn, const Person& person) const;
  // `person` with its mail file in normal form, refused when another Person has it.
  Result<Person> WithCheckedMailFile(const ReadTxn& txn, Person person) const;
  // UpdatePerson's work inside a write transaction.
  Result<Person> UpdatePersonIn(WriteTxn& txn, const Person& person) const;
  bool GroupIncludes(std::string_view group_name, const Person& person, std::vector<std::string>& seen) const;

  std::unique_ptr<NsfDatabase> db_;
};

// Note <-> document conversions (exposed for tests and `notes db show`).
Note PersonToNote(const Person& person);
Result<Person> PersonFromNote(const Note& note);

}  // namespace notesd

namespace notesd {

// `<data_dir>/names.nsf` from the server's open databases (store/database_set.h):
// opened (created if missing) on first use, the same object for every task after.
// Errors as Directory::Open. Thread-safe.
Result<std::shared_ptr<Directory>> OpenDirectory(DatabaseSet& databases, const std::filesystem::path& data_dir);

}  // namespace notesd
