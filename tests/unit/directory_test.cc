// Unit tests for directory/: names.nsf documents, views and lookups.
#include <array>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

#include "directory/directory.h"

using namespace notesd;

namespace {

struct TempNames {
  std::filesystem::path dir;
  TempNames() {
    std::random_device random;
    dir = std::filesystem::temp_directory_path() /
          ("notesd-dir-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
    std::filesystem::create_directories(dir);
  }
  ~TempNames() { std::filesystem::remove_all(dir); }
  std::filesystem::path names() const { return dir / "names.nsf"; }
};

Person MakePerson(const char* name, const char* short_name, const char* address) {
  Person person;
  person.name = *HierName::Parse(name);
  person.first_name = person.name.CommonName().substr(0, person.name.CommonName().find(' '));
  person.last_name = person.name.CommonName().substr(person.name.CommonName().find(' ') + 1);
  person.short_name = short_name;
  person.internet_address = address;
  person.mail_file = std::string("mail/") + short_name + ".nsf";
  return person;
}

}  // namespace

TEST_CASE("a person is found by any of their names, case-insensitively", "[directory]") {
  TempNames temp;
  auto directory = Directory::Open(temp.names());
  REQUIRE(directory.ok());
  auto jane = (*directory)->RegisterPerson(MakePerson("Jane Doe/Sales/Acme", "jdoe", "Jane.Doe@acme.example"));
  REQUIRE(jane.ok());
  auto lookup = GENERATE(as<std::string>{}, "CN=Jane Doe/OU=Sales/O=Acme", "cn=jane doe/ou=sales/o=acme",
                         "Jane Doe/Sales/Acme", "jane doe", "JDOE", "jane.doe@ACME.example", "  Jane Doe/Sales/Acme  ");
  CAPTURE(lookup);
  auto found = (*directory)->FindPerson(lookup);
  REQUIRE(found.ok());
  CHECK(found->note_id == jane->note_id);
  CHECK(found->name.Canonical() == "CN=Jane Doe/OU=Sales/O=Acme");
  CHECK(found->mail_file == "mail/jdoe.nsf");
}

TEST_CASE("Person documents carry Domino's item names", "[directory]") {
  Person person = MakePerson("Jane Doe/Acme", "jdoe", "jane@acme.example");
  person.internet_certificates_pem = {"NEWEST", "OLDER"};
  Note note = PersonToNote(person);
  CHECK(note.form() == "Person");
  CHECK(note.GetTextList("FullName") == std::vector<std::string>{"CN=Jane Doe/O=Acme", "Jane Doe/Acme", "Jane Doe"});
  CHECK(note.GetText("ShortName") == "jdoe");
  CHECK(note.GetText("InternetAddress") == "jane@acme.example");
  CHECK(note.GetTextList("UserCertificate") == std::vector<std::string>{"NEWEST", "OLDER"});
  auto back = PersonFromNote(note);
  REQUIRE(back.ok());
  CHECK(back->name == person.name);
  CHECK(back->internet_certificates_pem == person.internet_certificates_pem);
}

TEST_CASE("duplicate names, short names and Internet addresses are refused", "[directory]") {
  TempNames temp;
  auto directory = Directory::Open(temp.names());
  REQUIRE(directory.ok());
  REQUIRE((*directory)->RegisterPerson(MakePerson("Jane Doe/Acme", "jdoe", "jane@acme.example")).ok());
  struct Row {
    const char* name;
    const char* short_name;
    const char* address;
    const char* expected;
  };
  auto row = GENERATE(values<Row>({
      {"jane doe/acme", "other", "other@acme.example",
       "the name 'CN=jane doe/O=acme' is already used by Jane Doe/Acme"},
      {"John Roe/Acme", "JDOE", "john@acme.example", "the short name 'JDOE' is already used by Jane Doe/Acme"},
      {"John Roe/Acme", "jroe", "JANE@acme.example", "the Internet address 'JANE@acme.example' is already used"},
  }));
  auto again = (*directory)->RegisterPerson(MakePerson(row.name, row.short_name, row.address));
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().code() == StatusCode::kAlreadyExists);
  CHECK_THAT(again.status().message(), Catch::Contains(row.expected));
  CHECK((*directory)->ListPeople()->size() == 1);
}

TEST_CASE("a common name shared by two people is ambiguous", "[directory]") {
  TempNames temp;
  auto directory = Directory::Open(temp.names());
  REQUIRE(directory.ok());
  REQUIRE((*directory)->RegisterPerson(MakePerson("John Smith/Sales/Acme", "jsmith", "js1@acme.example")).ok());
  REQUIRE((*directory)->RegisterPerson(MakePerson("John Smith/Dev/Acme", "jsmith2", "js2@acme.example")).ok());
  auto found = (*directory)->FindPerson("John Smith");
  REQUIRE_FALSE(found.ok());
  CHECK(found.status().code() == StatusCode::kInvalidArgument);
  CHECK((*directory)->FindPerson("John Smith/Dev/Acme")->short_name == "jsmith2");
  CHECK((*directory)->FindPerson("nobody").status().code() == StatusCode::kNotFound);
}

TEST_CASE("updates move view entries and deletes remove them", "[directory]") {
  TempNames temp;
  auto directory = Directory::Open(temp.names());
  REQUIRE(directory.ok());
  auto jane = (*directory)->RegisterPerson(MakePerson("Jane Doe/Acme", "jdoe", "jane@acme.example"));
  REQUIRE(jane.ok());
  Person changed = *jane;
  changed.internet_address = "j.doe@acme.example";
  REQUIRE((*directory)->UpdatePerson(changed).ok());
  CHECK((*directory)->FindPerson("jane@acme.example").status().code() == StatusCode::kNotFound);
  CHECK((*directory)->FindPersonByAddress("J.DOE@acme.example")->note_id == jane->note_id);
  REQUIRE((*directory)->DeletePerson("Jane Doe/Acme").ok());
  CHECK((*directory)->FindPerson("jdoe").status().code() == StatusCode::kNotFound);
  CHECK((*directory)->ListPeople()->empty());
}

TEST_CASE("administrators are named directly or through nested groups", "[directory]") {
  TempNames temp;
  auto directory = Directory::Open(temp.names());
  REQUIRE(directory.ok());
  auto& dir = **directory;
  auto jane = dir.RegisterPerson(MakePerson("Jane Doe/Acme", "jdoe", "jane@acme.example"));
  auto john = dir.RegisterPerson(MakePerson("John Roe/Acme", "jroe", "john@acme.example"));
  auto eve = dir.RegisterPerson(MakePerson("Eve Moe/Acme", "emoe", "eve@acme.example"));
  REQUIRE((jane.ok() && john.ok() && eve.ok()));
  REQUIRE(dir.PutGroup({0, "Admins", {"Inner Admins", "LocalDomainServers"}}).ok());
  REQUIRE(dir.PutGroup({0, "Inner Admins", {"CN=John Roe/O=Acme", "Admins"}}).ok());  // a cycle
  ServerDocument server;
  server.name = *HierName::Parse("Acme01/Acme");
  server.domain = "Acme";
  server.administrators = {"Jane Doe/Acme", "Admins"};
  auto stored = dir.PutServer(server);
  REQUIRE(stored.ok());
  auto found = dir.FindServer("CN=Acme01/O=Acme");
  REQUIRE(found.ok());
  CHECK(dir.IsAdministrator(*found, *jane));
  CHECK(dir.IsAdministrator(*found, *john));
  CHECK_FALSE(dir.IsAdministrator(*found, *eve));
}

TEST_CASE("certifier documents are listed and found by name", "[directory]") {
  TempNames temp;
  auto directory = Directory::Open(temp.names());
  REQUIRE(directory.ok());
  CertifierDocument org;
  org.name = *HierName::Parse("O=Acme");
  org.certificate_pem = "PEM";
  REQUIRE((*directory)->PutCertifier(org).ok());
  CertifierDocument internet;
  internet.name = *HierName::Parse("CN=Acme-Corp-Email/O=Acme");
  internet.type = "Internet";
  internet.icl_file = "ICL_Acme-Corp-Email.nsf";
  REQUIRE((*directory)->PutCertifier(internet).ok());
  CHECK((*directory)->FindCertifier("acme-corp-email")->icl_file == "ICL_Acme-Corp-Email.nsf");
  CHECK((*directory)->FindCertifier("O=Acme")->type == "Notes");
  CHECK((*directory)->ListCertifiers()->size() == 2);
}

TEST_CASE("a mail file must be a .nsf under mail/, no system file, and nobody else's", "[directory]") {
  struct Case {
    const char* path;
    const char* problem;  // "" = accepted
  };
  Case c = GENERATE(values<Case>({
      {"mail/jdoe.nsf", ""},
      {"mail//sub/./jdoe.nsf", ""},
      {"names.nsf", "is a system database (names.nsf), not a mail file"},
      {"mail/NAMES.NSF", "is a system database (names.nsf)"},
      {"admin4.nsf", "is a system database (admin4.nsf)"},
      {"log.nsf", "is a system database (log.nsf)"},
      {"mail.box", "is a system database (mail.box)"},
      {"ICL_Acme-Corp-Email.nsf", "is a system database (an issued certificate list)"},
      {"server.id", "is an ID file, not a mail file"},
      {"cert.id", "is an ID file"},
      {"mail/jdoe.id", "is an ID file"},
      {"/etc/passwd.nsf", "is an absolute path"},
      {"mail/../../etc/x.nsf", "leaves the mail directory ('..')"},
      {"other/jdoe.nsf", "lies outside mail/"},
      {"jdoe.nsf", "lies outside mail/"},
      {"mail/jdoe.txt", "does not end in .nsf"},
      {"mail\\jdoe.nsf", "has characters a mail file path cannot have"},
  }));
  const char* path = c.path;
  const char* problem = c.problem;
  auto normal = NormalizeMailFilePath(path);
  INFO(path);
  if (std::string(problem).empty()) {
    REQUIRE(normal.ok());
    CHECK(normal->starts_with("mail/"));
  } else {
    REQUIRE_FALSE(normal.ok());
    CHECK(normal.status().code() == StatusCode::kInvalidArgument);
    CHECK(normal.status().message().find(problem) != std::string::npos);
  }
  CHECK(*NormalizeMailFilePath("mail//sub/./jdoe.nsf") == "mail/sub/jdoe.nsf");
}

TEST_CASE("registration refuses a bad or another person's mail file", "[directory]") {
  TempNames temp;
  auto directory = Directory::Open(temp.names());
  REQUIRE(directory.ok());
  REQUIRE((*directory)->RegisterPerson(MakePerson("CN=Jane Doe/O=Acme", "jdoe", "jane@acme.example")).ok());
  Person bad = MakePerson("CN=John Roe/O=Acme", "jroe", "john@acme.example");
  bad.mail_file = "names.nsf";
  auto refused = (*directory)->RegisterPerson(bad);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().find("names.nsf") != std::string::npos);
  bad.mail_file = "mail/./JDOE.nsf";  // Jane's, spelled differently
  refused = (*directory)->RegisterPerson(bad);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == StatusCode::kAlreadyExists);
  CHECK(refused.status().message() == "the mail file 'mail/JDOE.nsf' already belongs to Jane Doe/Acme");
  bad.mail_file = "mail/./jroe.nsf";
  auto stored = (*directory)->RegisterPerson(bad);
  REQUIRE(stored.ok());
  CHECK(stored->mail_file == "mail/jroe.nsf");  // kept in normal form
  // Moving John onto Jane's mail file is refused; other updates keep working.
  Person moved = *stored;
  moved.mail_file = "mail/jdoe.nsf";
  CHECK((*directory)->UpdatePerson(moved).status().code() == StatusCode::kAlreadyExists);
  Person renamed = *stored;
  renamed.first_name = "Johnny";
  CHECK((*directory)->UpdatePerson(renamed).ok());
}

TEST_CASE("people are listed a page at a time, each once, with same-key entries kept apart", "[directory]") {
  TempNames temp;
  auto directory = Directory::Open(temp.names());
  REQUIRE(directory.ok());
  // Seven people; two share "Lee, Ann" (the view key), so a page may end between them.
  const std::vector<std::array<const char*, 3>> people = {{"Ann Lee/Sales/Acme", "alee", "ann.lee@acme.example"},
                                                          {"Ann Lee/Dev/Acme", "alee2", "ann.lee2@acme.example"},
                                                          {"Bob Stone/Acme", "bstone", "bob@acme.example"},
                                                          {"Cy Young/Acme", "cyoung", "cy@acme.example"},
                                                          {"Di Prince/Acme", "dprince", "di@acme.example"},
                                                          {"Ed Wood/Acme", "ewood", "ed@acme.example"},
                                                          {"Flo Rida/Acme", "frida", "flo@acme.example"}};
  for (const auto& [name, short_name, address] : people)
    REQUIRE((*directory)->RegisterPerson(MakePerson(name, short_name, address)).ok());
  auto all = (*directory)->ListPeople();
  REQUIRE(all.ok());
  const std::size_t limit = GENERATE(1, 2, 3, 6, 7, 100);
  CAPTURE(limit);
  std::vector<std::string> seen;
  std::string after;
  int pages = 0;
  do {
    auto page = (*directory)->ListPeoplePage(after, limit);
    REQUIRE(page.ok());
    CHECK(page->people.size() <= limit);
    for (const Person& person : page->people) seen.push_back(person.name.Canonical());
    after = page->next;
    REQUIRE(++pages <= 8);
  } while (!after.empty());
  std::vector<std::string> expected;
  for (const Person& person : *all) expected.push_back(person.name.Canonical());
  CHECK(seen == expected);  // ListPeople's order, nobody twice, nobody left out
  CHECK(pages == static_cast<int>((people.size() + limit - 1) / limit));

  for (const char* bad : {"junk", ":Lee, Ann", "0:x", "12x:Lee"}) {
    CAPTURE(bad);
    auto refused = (*directory)->ListPeoplePage(bad, 2);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(refused.status().message(), Catch::Contains("page cursor"));
  }
}
