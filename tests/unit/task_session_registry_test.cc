// Unit tests for task/session_registry: SHOW USERS, DROP and BROADCAST's bookkeeping.
#include <catch2/catch.hpp>

#include "task/session_registry.h"

using namespace notesd;

TEST_CASE("A session is listed while it lives, signed-in ones first", "[task][sessions]") {
  SessionRegistry registry;
  {
    SessionRegistry::Session anonymous = registry.Open("IMAP", "127.0.0.1", {});
    SessionRegistry::Session jane = registry.Open("POP3", "127.0.0.2", {});
    jane.SignedIn("CN=Jane Doe/O=Acme", "mail/jdoe.nsf");
    auto listed = registry.List();
    REQUIRE(listed.size() == 2);
    CHECK(listed[0].user == "CN=Jane Doe/O=Acme");
    CHECK(listed[0].protocol == "POP3");
    CHECK(listed[0].database == "mail/jdoe.nsf");
    CHECK(listed[0].client_address == "127.0.0.2");
    CHECK(listed[1].user.empty());
    SessionRegistry::Session moved = std::move(jane);
    CHECK(registry.List().size() == 2);
  }
  CHECK(registry.List().empty());
}

TEST_CASE("DROP calls the drop function of the named user's sessions only", "[task][sessions]") {
  SessionRegistry registry;
  int jane_dropped = 0, john_dropped = 0;
  SessionRegistry::Session jane1 = registry.Open("IMAP", "127.0.0.1", [&] { ++jane_dropped; });
  SessionRegistry::Session jane2 = registry.Open("POP3", "127.0.0.1", [&] { ++jane_dropped; });
  SessionRegistry::Session john = registry.Open("IMAP", "127.0.0.1", [&] { ++john_dropped; });
  jane1.SignedIn("CN=Jane Doe/OU=Sales/O=Acme", "mail/jdoe.nsf");
  jane2.SignedIn("CN=Jane Doe/OU=Sales/O=Acme", "mail/jdoe.nsf");
  john.SignedIn("CN=John Roe/O=Acme", "mail/jroe.nsf");
  CHECK(registry.Drop("jane doe/sales/acme") == 2);
  CHECK(jane_dropped == 2);
  CHECK(john_dropped == 0);
  CHECK(registry.Drop("Jane Doe") == 2);  // the common name
  CHECK(registry.Drop("CN=John Roe/O=Acme") == 1);
  CHECK(registry.Drop("Nobody") == 0);
  CHECK(registry.Drop("ALL") == 3);
  CHECK(john_dropped == 2);
}

TEST_CASE("The client API's users are sessions that DROP forgets", "[task][sessions]") {
  SessionRegistry registry;
  registry.Seen("HTTPS", "CN=Jane Doe/O=Acme", "mail/jdoe.nsf", "127.0.0.1");
  registry.Seen("HTTPS", "CN=Jane Doe/O=Acme", "mail/jdoe.nsf", "127.0.0.1");  // the same session
  REQUIRE(registry.List().size() == 1);
  CHECK(registry.Drop("Jane Doe") == 1);
  CHECK(registry.List().empty());
}

TEST_CASE("A broadcast is shown once to each user until it is replaced", "[task][sessions]") {
  SessionRegistry registry;
  CHECK_FALSE(registry.TakeBroadcast("CN=Jane Doe/O=Acme"));
  registry.Broadcast("Server going down at 18:00");
  CHECK(registry.TakeBroadcast("CN=Jane Doe/O=Acme") == "Server going down at 18:00");
  CHECK_FALSE(registry.TakeBroadcast("CN=Jane Doe/O=Acme"));
  CHECK(registry.TakeBroadcast("CN=John Roe/O=Acme") == "Server going down at 18:00");
  registry.Broadcast("Back at 19:00");
  CHECK(registry.TakeBroadcast("CN=Jane Doe/O=Acme") == "Back at 19:00");
  registry.Broadcast("");
  CHECK_FALSE(registry.TakeBroadcast("CN=John Roe/O=Acme"));
}

TEST_CASE("Names match in canonical, abbreviated and common form, any case", "[task][sessions]") {
  CHECK(SessionUserMatches("CN=Jane Doe/OU=Sales/O=Acme", "CN=Jane Doe/OU=Sales/O=Acme"));
  CHECK(SessionUserMatches("CN=Jane Doe/OU=Sales/O=Acme", "jane doe/sales/acme"));
  CHECK(SessionUserMatches("CN=Jane Doe/OU=Sales/O=Acme", "JANE DOE"));
  CHECK_FALSE(SessionUserMatches("CN=Jane Doe/OU=Sales/O=Acme", "Jane"));
  CHECK_FALSE(SessionUserMatches("", ""));
}
