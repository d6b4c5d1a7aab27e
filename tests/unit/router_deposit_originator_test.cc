// Unit tests for router/deposit_originator.h: a Notes user deposits mail only as themselves.
#include <catch2/catch.hpp>

#include <string>

#include "router/deposit_originator.h"

namespace notesd {
namespace {

std::string WithHeader(const std::string& fields) {
  return fields + "To: x@outside.example\r\nSubject: s\r\n\r\nbody\r\n";
}

TEST_CASE("deposit: the From and Sender must be the caller's own address", "[router]") {
  struct Case {
    const char* fields;
    StatusCode code;  // kOk = accepted
  };
  Case c = GENERATE(values<Case>({
      {"From: Jane Admin <jane@acme.example>\r\n", StatusCode::kOk},
      {"From: \"Admin, Jane\" <JANE@Acme.Example>\r\n", StatusCode::kOk},  // any display name, any case
      {"From: jane@acme.example\r\n", StatusCode::kOk},
      {"From: Jane <jane@acme.example>\r\nSender: jane@acme.example\r\n", StatusCode::kOk},
      {"From: Boss <boss@acme.example>\r\n", StatusCode::kPermissionDenied},
      {"From: \"jane@acme.example\" <boss@acme.example>\r\n", StatusCode::kPermissionDenied},
      {"From: boss@acme.example (jane@acme.example)\r\n", StatusCode::kPermissionDenied},
      {"From: jane@acme.example, boss@acme.example\r\n", StatusCode::kPermissionDenied},
      {"From: Team: jane@acme.example, boss@acme.example;\r\n", StatusCode::kPermissionDenied},
      {"From: Jane <jane@acme.example>\r\nSender: boss@acme.example\r\n", StatusCode::kPermissionDenied},
      {"from:\r\n  Boss <boss@acme.example>\r\n", StatusCode::kPermissionDenied},  // folded, lower case
      {"", StatusCode::kInvalidArgument},
      {"From: undisclosed:;\r\n", StatusCode::kInvalidArgument},
      {"From: jane@acme.example\r\nFrom: boss@acme.example\r\n", StatusCode::kInvalidArgument},
      // A bare CR ends a line once stored: a second From hides behind it.
      {"X-A: b\rFrom: boss@acme.example\r\nFrom: jane@acme.example\r\n", StatusCode::kInvalidArgument},
      {"From: jane@acme.example\r\nSender: jane@acme.example\r\nSender: jane@acme.example\r\nSender: "
       "boss@acme.example\r\n",
       StatusCode::kPermissionDenied},  // every Sender field is checked
  }));
  INFO(c.fields);
  Status checked = CheckDepositOriginator(WithHeader(c.fields), "jane@acme.example");
  CHECK(checked.code() == c.code);
  if (c.code == StatusCode::kPermissionDenied) {
    CHECK(checked.message().find("boss@acme.example") != std::string::npos);
    CHECK(checked.message().find("you may send only as yourself (jane@acme.example)") != std::string::npos);
  }
}

TEST_CASE("deposit: a person without an Internet address sends as their Notes name", "[router]") {
  CHECK(CheckDepositOriginator(WithHeader("From: CN=Jane Doe/O=Acme\r\n"), "CN=Jane Doe/O=Acme").ok());
  CHECK(CheckDepositOriginator(WithHeader("From: \"Jane Doe/Acme\"\r\n"), "CN=Jane Doe/O=Acme").ok());
  CHECK(CheckDepositOriginator(WithHeader("From: CN=John Roe/O=Acme\r\n"), "CN=Jane Doe/O=Acme").code() ==
        StatusCode::kPermissionDenied);
  CHECK(CheckDepositOriginator(WithHeader("From: jane@acme.example\r\n"), "CN=Jane Doe/O=Acme").code() ==
        StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace notesd
