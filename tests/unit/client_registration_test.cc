// tests/unit/client_registration_test.cc — `notes admin register`'s pure parts: the new
// person's name under a certifier, first/last names, the request body; and the small
// parsers of the home server client (address, URL encoding, HTTP errors).
#include <catch2/catch.hpp>

#include <string>

#include "client_cli/home_server_client.h"
#include "client_cli/registration.h"

namespace notesd::client {
namespace {

HierName Name(const std::string& text) { return HierName::Parse(text).value(); }

TEST_CASE("registration name: typed CN and OUs go under the certifier's OUs, O and C", "[client]") {
  struct Row {
    std::string typed, certifier, expected;
  };
  Row row =
      GENERATE(Row{"John Roe", "O=Acme", "CN=John Roe/O=Acme"}, Row{" John Roe ", "O=Acme", "CN=John Roe/O=Acme"},
               Row{"John Roe/East", "O=Acme", "CN=John Roe/OU=East/O=Acme"},
               Row{"John Roe", "OU=Sales/O=Acme/C=US", "CN=John Roe/OU=Sales/O=Acme/C=US"},
               Row{"John Roe/East", "OU=Sales/O=Acme/C=US", "CN=John Roe/OU=East/OU=Sales/O=Acme/C=US"},
               // The certifier's own parts typed again are not repeated.
               Row{"John Roe/Acme", "O=Acme", "CN=John Roe/O=Acme"},
               Row{"John Roe/sales/acme/us", "OU=Sales/O=Acme/C=US", "CN=John Roe/OU=Sales/O=Acme/C=US"},
               Row{"John Roe/East/Sales/Acme/US", "OU=Sales/O=Acme/C=US", "CN=John Roe/OU=East/OU=Sales/O=Acme/C=US"},
               // Canonical input is the full name.
               Row{"CN=John Roe/OU=East/O=Acme", "O=Acme", "CN=John Roe/OU=East/O=Acme"});
  Result<HierName> name = BuildRegistrationName(row.typed, Name(row.certifier));
  INFO(row.typed << " under " << row.certifier << ": " << name.status().ToString());
  REQUIRE(name.ok());
  CHECK(name->Canonical() == row.expected);
}

TEST_CASE("registration name: what cannot be a person under the certifier is refused", "[client]") {
  struct Row {
    std::string typed, certifier, fragment;
  };
  Row row = GENERATE(Row{"", "O=Acme", "empty part"}, Row{"/East", "O=Acme", "empty part"},
                     Row{"John//Roe", "O=Acme", "empty part"},
                     Row{"CN=John Roe/O=Other", "O=Acme", "not a person's name under the certifier O=Acme"},
                     Row{"OU=East/O=Acme", "O=Acme", "not a person's name under"},
                     Row{"John Roe/A/B/C/D", "OU=Sales/O=Acme", "John Roe/A/B/C/D"}, Row{"John=Roe", "O=Acme", ""},
                     Row{"John Roe", "CN=Flat", "not a certifier name"});
  Result<HierName> name = BuildRegistrationName(row.typed, Name(row.certifier));
  INFO(row.typed << " under " << row.certifier);
  REQUIRE_FALSE(name.ok());
  CHECK(name.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(name.status().message(), Catch::Contains(row.fragment));
}

TEST_CASE("registration: first and last names from the common name", "[client]") {
  CHECK(SplitCommonName("John Roe").first == "John");
  CHECK(SplitCommonName("John Roe").last == "Roe");
  CHECK(SplitCommonName("John Q. Roe").first == "John Q.");
  CHECK(SplitCommonName("John Q. Roe").last == "Roe");
  CHECK(SplitCommonName("Madonna").first.empty());
  CHECK(SplitCommonName("Madonna").last == "Madonna");
  CHECK(DefaultMailFile("jroe") == "mail/jroe.nsf");
}

TEST_CASE("registration: the request body carries every field the server reads", "[client]") {
  RegistrationRequest request;
  request.name = Name("CN=John Roe/O=Acme");
  request.first_name = "John";
  request.last_name = "Roe";
  request.short_name = "jroe";
  request.internet_address = "john@acme.example";
  request.mail_file = "mail/jroe.nsf";
  request.certificate_pem = "-----BEGIN CERTIFICATE-----\n...";
  nlohmann::json body = RegistrationJson(request);
  CHECK(body["name"] == "CN=John Roe/O=Acme");
  CHECK(body["first_name"] == "John");
  CHECK(body["last_name"] == "Roe");
  CHECK(body["short_name"] == "jroe");
  CHECK(body["internet_address"] == "john@acme.example");
  CHECK(body["mail_file"] == "mail/jroe.nsf");
  CHECK(body["certificate"] == request.certificate_pem);
}

TEST_CASE("server address: host:port and [v6]:port; anything else is refused", "[client]") {
  CHECK(ParseServerAddress("127.0.0.1:8585").value().host == "127.0.0.1");
  CHECK(ParseServerAddress("127.0.0.1:8585").value().port == 8585);
  CHECK(ParseServerAddress("[::1]:443").value().host == "::1");
  CHECK(ParseServerAddress("[::1]:443").value().ToString() == "[::1]:443");
  CHECK(ParseServerAddress("acme01.example:1").value().ToString() == "acme01.example:1");
  for (const char* bad : {"localhost", "localhost:", ":80", "host:0", "host:65536", "host:8x", "::1:80"}) {
    INFO(bad);
    CHECK_FALSE(ParseServerAddress(bad).ok());
  }
}

TEST_CASE("URL encoding keeps only unreserved characters", "[client]") {
  CHECK(UrlEncode("John Roe/Acme") == "John%20Roe%2FAcme");
  CHECK(UrlEncode("CN=a&b+c") == "CN%3Da%26b%2Bc");
  CHECK(UrlEncode("j.roe_x-y~") == "j.roe_x-y~");
  CHECK(UrlEncode("\xC3\xA9") == "%C3%A9");
}

TEST_CASE("HTTP errors become the server's message with a matching code", "[client]") {
  Status forbidden = StatusFromHttpError(403, R"({"error":"Jane Doe/Acme is not an administrator of Acme01/Acme"})");
  CHECK(forbidden.code() == StatusCode::kPermissionDenied);
  CHECK(forbidden.message() == "Jane Doe/Acme is not an administrator of Acme01/Acme");
  CHECK(StatusFromHttpError(404, R"({"error":"no such person"})").code() == StatusCode::kNotFound);
  CHECK(StatusFromHttpError(409, R"({"error":"x"})").code() == StatusCode::kAlreadyExists);
  CHECK(StatusFromHttpError(400, R"({"error":"x"})").code() == StatusCode::kInvalidArgument);
  CHECK(StatusFromHttpError(500, "not json").message() == "HTTP 500");
  CHECK(StatusFromHttpError(502, R"({"error": 7})").message() == "HTTP 502");
}

}  // namespace
}  // namespace notesd::client
