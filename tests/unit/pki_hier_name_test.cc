// tests/unit/pki_hier_name_test.cc — Notes hierarchical names: parse, print, compare, X.509.
#include <catch2/catch.hpp>

#include <string>
#include <tuple>

#include "pki/hier_name.h"

namespace notesd {
namespace {

HierName MustParse(const std::string& text) {
  Result<HierName> name = HierName::Parse(text);
  INFO(text << ": " << name.status().ToString());
  REQUIRE(name.ok());
  return *name;
}

}  // namespace

TEST_CASE("hierarchical names parse and print in both forms", "[names]") {
  // input, canonical, abbreviated, common name
  auto [input, canonical, abbreviated,
        common_name] = GENERATE(table<std::string, std::string, std::string, std::string>({
      {"CN=Jane Doe/OU=Sales/O=Acme/C=US", "CN=Jane Doe/OU=Sales/O=Acme/C=US", "Jane Doe/Sales/Acme/US", "Jane Doe"},
      {"Jane Doe/Sales/Acme/US", "CN=Jane Doe/OU=Sales/O=Acme/C=US", "Jane Doe/Sales/Acme/US", "Jane Doe"},
      {"Jane Doe/Acme", "CN=Jane Doe/O=Acme", "Jane Doe/Acme", "Jane Doe"},
      {"Jane Doe/Acme/us", "CN=Jane Doe/O=Acme/C=US", "Jane Doe/Acme/US", "Jane Doe"},
      {"Jane Doe/US", "CN=Jane Doe/O=US", "Jane Doe/US", "Jane Doe"},
      {"Jane Doe", "CN=Jane Doe", "Jane Doe", "Jane Doe"},
      {"CN=Jane Doe", "CN=Jane Doe", "Jane Doe", "Jane Doe"},
      {"  Jane Doe / East / Sales / Acme ", "CN=Jane Doe/OU=East/OU=Sales/O=Acme", "Jane Doe/East/Sales/Acme",
       "Jane Doe"},
      {"cn=Jane/ou=A/ou=B/ou=C/ou=D/o=Acme/c=de", "CN=Jane/OU=A/OU=B/OU=C/OU=D/O=Acme/C=DE", "Jane/A/B/C/D/Acme/DE",
       "Jane"},
      {"O=Acme", "O=Acme", "/Acme", ""},
      {"OU=Sales/O=Acme/C=US", "OU=Sales/O=Acme/C=US", "/Sales/Acme/US", ""},
      {"/Acme", "O=Acme", "/Acme", ""},
      {"/Sales/Acme", "OU=Sales/O=Acme", "/Sales/Acme", ""},
      {"CN=Zoë Ærø/O=Øst AS/C=NO", "CN=Zoë Ærø/O=Øst AS/C=NO", "Zoë Ærø/Øst AS/NO", "Zoë Ærø"},
      {"CN=Acme Internet CA/O=Acme", "CN=Acme Internet CA/O=Acme", "Acme Internet CA/Acme", "Acme Internet CA"},
  }));
  HierName name = MustParse(input);
  CHECK(name.Canonical() == canonical);
  CHECK(name.Abbreviated() == abbreviated);
  CHECK(name.CommonName() == common_name);
  // Both printed forms read back to the same name.
  CHECK(MustParse(name.Canonical()) == name);
  CHECK(MustParse(name.Abbreviated()) == name);
}

TEST_CASE("bad hierarchical names are refused with a clear reason", "[names]") {
  auto [input, fragment] = GENERATE(table<std::string, std::string>({
      {"", "empty name"},
      {"   ", "empty name"},
      {"Jane//Acme", "empty component"},
      {"CN=Jane//O=Acme", "empty component"},
      {"CN=Jane/O=Acme/", "empty component"},
      {"CN=/O=Acme", "empty value for CN"},
      {"CN=Jane/OU=A/OU=B/OU=C/OU=D/OU=E/O=Acme", "more than four OUs"},
      {"Jane/A/B/C/D/E/Acme", "more than four OUs"},
      {"X=Jane/O=Acme", "unknown component label \"X=\""},
      {"CN=Jane/L=Paris/O=Acme", "unknown component label \"L=\""},
      {"CN=Jane/O=Acme/C=USA", "two-letter country"},
      {"CN=Jane/O=Acme/C=U1", "two-letter country"},
      {"CN=Jane/Sales/O=Acme", "has no label"},
      {"O=Acme/CN=Jane", "out of order"},
      {"CN=Jane/CN=Joe/O=Acme", "out of order"},
      {"CN=Jane/OU=Sales", "OU needs an O"},
      {"CN=Jane/C=US", "C needs an O"},
      {"CN=Jane=Doe/O=Acme", "illegal character '='"},
      {"CN=Jane\tDoe/O=Acme", "control character"},
      {"CN=" + std::string(65, 'x') + "/O=Acme", "longer than 64"},
      {"CN=bad \xff utf8/O=Acme", "not valid UTF-8"},
      {"CN=cut \xc3/O=Acme", "not valid UTF-8"},
  }));
  Result<HierName> name = HierName::Parse(input);
  INFO("input: " << input << " -> " << name.status().ToString());
  REQUIRE_FALSE(name.ok());
  CHECK(name.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(name.status().message(), Catch::Contains(fragment));
}

TEST_CASE("'=' in an abbreviated part is refused", "[names]") {
  Result<HierName> name = HierName::ParseAbbreviated("Jane=Doe/Acme");
  REQUIRE_FALSE(name.ok());
  CHECK_THAT(name.status().message(), Catch::Contains("illegal character '='"));
  CHECK_THAT(name.status().message(), Catch::Contains("Jane=Doe/Acme"));
}

TEST_CASE("names compare without regard to ASCII case", "[names]") {
  CHECK(MustParse("CN=Jane Doe/OU=Sales/O=Acme/C=US") == MustParse("jane doe/SALES/acme/us"));
  CHECK(MustParse("CN=Jane Doe/O=Acme") != MustParse("CN=Jane Doe/OU=Sales/O=Acme"));
  CHECK(MustParse("CN=Jane Doe/O=Acme") != MustParse("CN=John Doe/O=Acme"));
  CHECK(MustParse("CN=Jane Doe/O=Acme") != MustParse("CN=Jane Doe/O=Acme/C=US"));
}

TEST_CASE("IsUnder follows the certifier chain", "[names]") {
  auto [name, certifier, expected] = GENERATE(table<std::string, std::string, bool>({
      {"CN=Jane Doe/O=Acme", "O=Acme", true},
      {"CN=Jane Doe/OU=Sales/O=Acme", "O=Acme", true},
      {"CN=Jane Doe/OU=Sales/O=Acme", "OU=Sales/O=Acme", true},
      {"CN=Jane Doe/OU=East/OU=Sales/O=Acme", "OU=Sales/O=Acme", true},
      {"OU=Sales/O=Acme", "O=Acme", true},
      {"cn=jane/o=ACME", "O=Acme", true},
      {"CN=Jane Doe/O=Acme", "CN=Acme Internet CA/O=Acme", true},  // A certifier's CN is ignored.
      {"O=Acme", "O=Acme", false},
      {"OU=Sales/O=Acme", "OU=Sales/O=Acme", false},
      {"CN=Jane Doe/O=Acme", "OU=Sales/O=Acme", false},
      {"CN=Jane Doe/OU=Marketing/O=Acme", "OU=Sales/O=Acme", false},
      {"CN=Jane Doe/OU=Sales/OU=East/O=Acme", "OU=Sales/O=Acme", false},
      {"CN=Jane Doe/O=Other", "O=Acme", false},
      {"CN=Jane Doe/O=Acme/C=US", "O=Acme", false},
      {"CN=Jane Doe/O=Acme", "O=Acme/C=US", false},
      {"Jane Doe", "O=Acme", false},
      {"CN=Jane Doe/O=Acme", "Jane Doe", false},
  }));
  INFO(name << " under " << certifier);
  CHECK(MustParse(name).IsUnder(MustParse(certifier)) == expected);
}

TEST_CASE("Certifier() drops the common name", "[names]") {
  CHECK(MustParse("CN=Jane/OU=Sales/O=Acme/C=US").Certifier().Canonical() == "OU=Sales/O=Acme/C=US");
  CHECK(MustParse("Jane").Certifier().empty());
}

TEST_CASE("hierarchical names round-trip through X509_NAME in RFC order", "[names]") {
  const std::string text = GENERATE(as<std::string>{}, "CN=Jane Doe/OU=East/OU=Sales/O=Acme/C=US", "CN=Jane Doe/O=Acme",
                                    "O=Acme", "OU=Sales/O=Acme", "CN=Zoë/O=Øst AS", "Jane Doe");
  HierName name = MustParse(text);
  Result<X509NamePtr> x509 = name.ToX509Name();
  REQUIRE(x509.ok());
  Result<HierName> back = HierName::FromX509Name(x509->get());
  REQUIRE(back.ok());
  CHECK(back->Canonical() == name.Canonical());

  if (text == "CN=Jane Doe/OU=East/OU=Sales/O=Acme/C=US") {
    // RFC order: C, O, OU (least specific first), CN.
    X509_NAME* raw = x509->get();
    REQUIRE(X509_NAME_entry_count(raw) == 5);
    const int expected_nids[] = {NID_countryName, NID_organizationName, NID_organizationalUnitName,
                                 NID_organizationalUnitName, NID_commonName};
    const char* expected_values[] = {"US", "Acme", "Sales", "East", "Jane Doe"};
    for (int i = 0; i < 5; ++i) {
      X509_NAME_ENTRY* entry = X509_NAME_get_entry(raw, i);
      CHECK(OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry)) == expected_nids[i]);
      const ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
      CHECK(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)), ASN1_STRING_length(data)) ==
            expected_values[i]);
    }
  }
}

TEST_CASE("X509_NAME with attributes a Notes name cannot hold is refused", "[names]") {
  X509NamePtr name(X509_NAME_new());
  REQUIRE(X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Acme"), -1,
                                     -1, 0) == 1);
  REQUIRE(X509_NAME_add_entry_by_txt(name.get(), "emailAddress", MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>("jane@acme.example"), -1, -1, 0) == 1);
  Result<HierName> back = HierName::FromX509Name(name.get());
  REQUIRE_FALSE(back.ok());
  CHECK_THAT(back.status().message(), Catch::Contains("emailAddress"));

  CHECK_FALSE(HierName::FromX509Name(nullptr).ok());
  X509NamePtr empty(X509_NAME_new());
  CHECK_FALSE(HierName::FromX509Name(empty.get()).ok());
  CHECK_FALSE(HierName().ToX509Name().ok());
}

}  // namespace notesd
