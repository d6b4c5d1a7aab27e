// The listener's per-address session count (net/peer_sessions.h).
#include <catch2/catch.hpp>

#include <boost/asio/ip/address.hpp>
#include <vector>

#include "net/peer_sessions.h"

namespace notesd::net {
namespace {

TEST_CASE("net peers: IPv4 by address, IPv6 by /64, mapped IPv4 as IPv4", "[net][peers]") {
  using boost::asio::ip::make_address;
  CHECK(PeerKey(make_address("127.0.0.2")) == "127.0.0.2");
  CHECK(PeerKey(make_address("::ffff:192.0.2.7")) == "192.0.2.7");
  CHECK(PeerKey(make_address("2001:db8:1:2:aaaa:bbbb:cccc:dddd")) == "2001:db8:1:2::/64");
  CHECK(PeerKey(make_address("2001:db8:1:2::1")) == PeerKey(make_address("2001:db8:1:2:ffff::9")));
  CHECK(PeerKey(make_address("2001:db8:1:3::1")) != PeerKey(make_address("2001:db8:1:2::1")));
}

TEST_CASE("net peers: at most N sessions per address, places given back", "[net][peers]") {
  PeerSessionCounter counter(3);
  std::vector<PeerSessionCounter::Slot> held;
  for (int i = 0; i < 3; ++i) {
    auto slot = counter.TryAcquire("127.0.0.1");
    REQUIRE(slot);
    held.push_back(std::move(*slot));
  }
  CHECK_FALSE(counter.TryAcquire("127.0.0.1"));
  CHECK(counter.Count("127.0.0.1") == 3);
  {
    auto other = counter.TryAcquire("127.0.0.2");  // another address is not affected
    CHECK(other);
    CHECK(counter.Peers() == 2);
  }
  CHECK(counter.Peers() == 1);  // no entry kept at zero
  held.pop_back();
  CHECK(counter.Count("127.0.0.1") == 2);
  CHECK(counter.TryAcquire("127.0.0.1"));
  held.clear();
  CHECK(counter.Peers() == 0);
}

}  // namespace
}  // namespace notesd::net
