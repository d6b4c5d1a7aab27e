// Unit tests for client_cli/cli_output: table columns for `notes mail list`.
#include <catch2/catch.hpp>

#include "client_cli/cli_output.h"

using namespace notesd::client;

TEST_CASE("A short text is padded to the column", "[client][output]") {
  CHECK(FitColumn("Jane", 8) == "Jane    ");
  CHECK(FitColumn("", 3) == "   ");
}

TEST_CASE("Columns count characters, not bytes", "[client][output]") {
  CHECK(FitColumn("J\xc3\xa9r\xc3\xb4me", 8) == "J\xc3\xa9r\xc3\xb4me  ");  // Jérôme: 6 characters, 8 bytes
}

TEST_CASE("A long text is cut at a word break with an ellipsis", "[client][output]") {
  std::string fitted = FitColumn("Maximilian Alexander Longname-Smythe", 24);
  CHECK(fitted == "Maximilian Alexander\xe2\x80\xa6   ");
  CHECK(FitColumn("olivia.outside@mail.example.org", 20) == "olivia.outside@mail\xe2\x80\xa6");
  // No break in the second half: cut at the width.
  CHECK(FitColumn("abcdefghijklmnopqrstuvwxyz", 10) == "abcdefghi\xe2\x80\xa6");
  // Never half a UTF-8 character.
  CHECK(FitColumn("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 4) == "\xc3\xa9\xc3\xa9\xc3\xa9\xe2\x80\xa6");
}

TEST_CASE("The list shows who sent a message by display name, else by address", "[client][output]") {
  CHECK(SenderForList("Jane Doe <jane@acme.example>") == "Jane Doe");
  CHECK(SenderForList("\"Doe, Jane\" <jane@acme.example>") == "Doe, Jane");
  CHECK(SenderForList("<jane@acme.example>") == "jane@acme.example");
  CHECK(SenderForList(" jane@acme.example ") == "jane@acme.example");
}
