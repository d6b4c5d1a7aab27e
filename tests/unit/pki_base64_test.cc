// Unit tests for pki/base64: the one base64 (flat for JSON, lines for MIME bodies).
#include <catch2/catch.hpp>

#include "pki/base64.h"

using namespace notesd;

TEST_CASE("base64: flat and MIME forms round trip", "[pki][base64]") {
  std::string bytes;
  for (int i = 0; i < 300; ++i) bytes += static_cast<char>(i);
  CHECK(*Base64DecodeFlat(Base64Flat(bytes)) == bytes);
  CHECK(*Base64DecodeMime(Base64Lines(bytes)) == bytes);
  CHECK(Base64Lines(bytes).find("\r\n") == 76);
  CHECK(Base64Flat("").empty());
  CHECK(Base64DecodeFlat("")->empty());
  CHECK(*Base64DecodeFlat("YQ==") == "a");
  CHECK(*Base64DecodeFlat("YWI=") == "ab");
  CHECK(*Base64DecodeFlat("YWJj") == "abc");
}

TEST_CASE("base64: the flat decoder takes canonical input only", "[pki][base64]") {
  auto bad = GENERATE(as<std::string>{}, "abc", "YQ=", " YQ==", "YQ==\r\n", "Y Q==", "YQ=a", "Y===", "!!!!");
  INFO(bad);
  CHECK_FALSE(Base64DecodeFlat(bad).ok());
}

TEST_CASE("base64: the MIME decoder skips line breaks and refuses junk", "[pki][base64]") {
  CHECK(*Base64DecodeMime("YW\r\nJj\n") == "abc");
  CHECK(*Base64DecodeMime("YQ") == "a");  // missing final padding tolerated
  CHECK_FALSE(Base64DecodeMime("Y").ok());
  CHECK_FALSE(Base64DecodeMime("YQ==YQ==").ok());
  CHECK_FALSE(Base64DecodeMime("YQ*=").ok());
}
