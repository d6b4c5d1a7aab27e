// Unit tests for base/notes_ini and base/config_keys.
#include <catch2/catch.hpp>

#include "base/config_keys.h"
#include "base/notes_ini.h"

using namespace notesd;

TEST_CASE("notes.ini lines parse into settings", "[ini]") {
  struct Row {
    const char* line;
    const char* name;
    const char* value;
  };
  auto row = GENERATE(values<Row>({
      {"ServerTasks=Router,CA", "SERVERTASKS", "Router,CA"},
      {"  Domain = Acme  ", "domain", "Acme"},
      {"$UserVar=Some value with = sign", "$uservar", "Some value with = sign"},
      {"Empty=", "Empty", ""},
      {"Tabbed\t=\tvalue\t", "TABBED", "value"},
      {"Quoted=\"kept verbatim\"", "quoted", "\"kept verbatim\""},
      {"WinLine=value\r", "winline", "value"},
  }));
  std::vector<IniProblem> problems;
  NotesIni ini = NotesIni::Parse(row.line, &problems);
  CAPTURE(row.line);
  REQUIRE(problems.empty());
  REQUIRE(ini.Get(row.name).has_value());
  CHECK(*ini.Get(row.name) == row.value);
}

TEST_CASE("malformed notes.ini lines are reported with their line number and kept", "[ini]") {
  std::string text = "A=1\nno equals sign\n=novalue\n[Notes]\n; comment\n# hash\n\nB=2\nC=x\x01y\n";
  std::vector<IniProblem> problems;
  NotesIni ini = NotesIni::Parse(text, &problems);
  REQUIRE(problems.size() == 3);
  CHECK(problems[0].line_number == 2);
  CHECK(problems[0].message == "notes.ini line 2: missing '=' in 'no equals sign'");
  CHECK(problems[1].line_number == 3);
  CHECK(problems[1].message.find("empty setting name") != std::string::npos);
  CHECK(problems[2].line_number == 9);
  CHECK(problems[2].message.find("control character") != std::string::npos);
  CHECK(*ini.Get("b") == "2");
  CHECK(ini.Serialize() == text);
}

TEST_CASE("duplicates: the first wins and Set leaves one line", "[ini]") {
  std::string text = "Names=first\nOther=x\nnames=second\n; NAMES=comment\nNAMES=third\n";
  NotesIni ini = NotesIni::Parse(text, nullptr);
  CHECK(*ini.Get("NAMES") == "first");
  CHECK(ini.Entries().size() == 4);
  ini.Set("NAMES", "changed");
  CHECK(ini.Serialize() == "Names=changed\nOther=x\n; NAMES=comment\n");
  CHECK(ini.Duplicates().empty());
  CHECK(ini.Remove("names"));
  CHECK(ini.Serialize() == "Other=x\n; NAMES=comment\n");
}

TEST_CASE("duplicates are listed with the line used and the line ignored", "[ini]") {
  std::string text = "[Notes]\nHTTP_Port=abc\nDomain=Acme\n\nhttp_port=8443\nHTTP_PORT=9443\nDomain=Other\n";
  NotesIni ini = NotesIni::Parse(text, nullptr);
  std::vector<IniDuplicate> duplicates = ini.Duplicates();
  REQUIRE(duplicates.size() == 3);
  CHECK((duplicates[0].name == "HTTP_Port" && duplicates[0].used_line == 2 && duplicates[0].ignored_line == 5));
  CHECK((duplicates[1].name == "HTTP_Port" && duplicates[1].used_line == 2 && duplicates[1].ignored_line == 6));
  CHECK((duplicates[2].name == "Domain" && duplicates[2].used_line == 3 && duplicates[2].ignored_line == 7));
  CHECK(*ini.Get("http_port") == "abc");  // the first copy wins even when it is invalid
  std::vector<IniEntry> entries = ini.Entries();
  REQUIRE(entries.size() == 5);
  CHECK(entries[2].line_number == 5);
  CHECK(NotesIni::Parse("A=1\nB=2\n", nullptr).Duplicates().empty());
}

TEST_CASE("write-back keeps other lines byte for byte", "[ini]") {
  std::string text = "[Notes]\r\n  Odd = spacing  \r\n$Var=1\r\n; comment\r\nbroken line\r\nKeyFileName=server.id";
  NotesIni ini = NotesIni::Parse(text, nullptr);
  ini.Set("$var", "2");
  ini.Set("ServerTasks", "Router");
  CHECK(ini.Serialize() ==
        "[Notes]\r\n  Odd = spacing  \r\n$Var=2\r\n; comment\r\nbroken "
        "line\r\nKeyFileName=server.id\r\nServerTasks=Router\r\n");
}

TEST_CASE("SaveAtomic writes the file and Load reads it back", "[ini]") {
  auto dir = std::filesystem::temp_directory_path() / ("notesd-ini-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  NotesIni ini = NotesIni::Parse("A=1\n", nullptr);
  ini.Set("B", "two words");
  REQUIRE(ini.SaveAtomic(dir / "notes.ini").ok());
  auto loaded = NotesIni::Load(dir / "notes.ini", nullptr);
  REQUIRE(loaded.ok());
  CHECK(*loaded->Get("b") == "two words");
  CHECK(NotesIni::Load(dir / "missing.ini", nullptr).status().code() == StatusCode::kNotFound);
  // No temporary files are left behind.
  int files = 0;
  for ([[maybe_unused]] auto& entry : std::filesystem::directory_iterator(dir)) ++files;
  CHECK(files == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("wildcards match case-insensitively", "[ini]") {
  CHECK(WildcardMatch("*", "anything"));
  CHECK(WildcardMatch("server*", "ServerTasks"));
  CHECK(WildcardMatch("????", "Name"));
  CHECK_FALSE(WildcardMatch("????", "Names"));
  CHECK(WildcardMatch("*.Mail.*", "Router.Mail.Delivered"));
  CHECK_FALSE(WildcardMatch("adminp*", "ServerTasks"));
}

TEST_CASE("config values are checked against their key's declaration", "[ini][config]") {
  constexpr ConfigKey kInterval{"AdminPInterval", ConfigType::kInt, "60", 1, 1440, "minutes"};
  constexpr ConfigKey kFlag{"Some_Flag", ConfigType::kBool, "0"};
  CHECK(ValidateConfigValue(kInterval, "15").ok());
  Status bad = ValidateConfigValue(kInterval, "abc");
  CHECK(bad.code() == StatusCode::kInvalidArgument);
  CHECK(bad.message() == "AdminPInterval=abc: not a whole number (allowed 1..1440)");
  CHECK(ValidateConfigValue(kInterval, "0").message() == "AdminPInterval=0: out of range (allowed 1..1440)");
  CHECK(ValidateConfigValue(kInterval, "15x").code() == StatusCode::kInvalidArgument);
  CHECK(ValidateConfigValue(kFlag, "1").ok());
  CHECK_FALSE(ValidateConfigValue(kFlag, "maybe").ok());

  NotesIni ini = NotesIni::Parse("adminpinterval=5000\nsome_flag=1\n", nullptr);
  std::string problem;
  CHECK(ConfigInt(ini, kInterval, &problem) == 60);
  CHECK(problem.find("out of range") != std::string::npos);
  CHECK(ConfigBool(ini, kFlag));

  ConfigCatalogue catalogue;
  const ConfigKey keys[] = {kInterval, kFlag};
  catalogue.Add(keys);
  CHECK(catalogue.Find("ADMINPINTERVAL") != nullptr);
  CHECK(catalogue.Validate("Unknown_Key", "anything").ok());
  CHECK_FALSE(catalogue.Validate("adminpinterval", "-1").ok());
  CHECK(catalogue.MarkdownTable().find("| `AdminPInterval` |") != std::string::npos);
}

TEST_CASE("an unknown setting name finds the nearest declared key", "[config]") {
  constexpr ConfigKey kPort{"HTTP_Port", ConfigType::kInt, "443", 1, 65535, "port"};
  constexpr ConfigKey kAddress{"HTTP_Address", ConfigType::kText, ""};
  constexpr ConfigKey kTasks{"ServerTasks", ConfigType::kList, ""};
  ConfigCatalogue catalogue;
  CHECK(catalogue.Nearest("anything") == nullptr);
  const ConfigKey keys[] = {kPort, kAddress, kTasks};
  catalogue.Add(keys);
  struct Row {
    const char* typed;
    const char* nearest;
  };
  auto row = GENERATE(values<Row>({
      {"HTTP_Prot", "HTTP_Port"},
      {"http_port", "HTTP_Port"},
      {"HTTP_Adress", "HTTP_Address"},
      {"ServerTask", "ServerTasks"},
      {"SERVRTASKS", "ServerTasks"},
  }));
  CAPTURE(row.typed);
  REQUIRE(catalogue.Nearest(row.typed) != nullptr);
  CHECK(std::string(catalogue.Nearest(row.typed)->name) == row.nearest);
  CHECK(EditDistanceIgnoreCase("HTTP_Prot", "HTTP_Port") == 2);
  CHECK(EditDistanceIgnoreCase("abc", "ABC") == 0);
  CHECK(EditDistanceIgnoreCase("", "abc") == 3);
  CHECK(EditDistanceIgnoreCase("kitten", "sitting") == 3);
}

TEST_CASE("lists split on commas with entries trimmed", "[config]") {
  CHECK(SplitList(" Router , CA,,HTTP ") == std::vector<std::string>{"Router", "CA", "HTTP"});
  CHECK(SplitList("").empty());
}
