// net/peer_sessions.h — how many sessions each client address holds, for the listener's
// per-address cap (net/listener.h).
//
// Why per address and IPv6 per /64: one client must not fill every session of a task (a
// hundred idle connections from one host), and one IPv6 subscriber usually gets a whole
// /64, so counting single IPv6 addresses would cap nothing.
//
// Thread safety: PeerSessionCounter is safe from any thread.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace notesd::net {

// The key sessions are counted under: the IPv4 address (also for an IPv4-mapped IPv6
// address), or the IPv6 /64 ("2001:db8:1:2::/64").
std::string PeerKey(const boost::asio::ip::address& address);

class PeerSessionCounter {
 public:
  // One counted session; gives its place back when destroyed. Movable, not copyable.
  class Slot {
   public:
    Slot(Slot&& other) noexcept : counter_(other.counter_), key_(std::move(other.key_)) { other.counter_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot();

   private:
    friend class PeerSessionCounter;
    Slot(PeerSessionCounter* counter, std::string key) : counter_(counter), key_(std::move(key)) {}
    PeerSessionCounter* counter_;
    std::string key_;
  };

  explicit PeerSessionCounter(std::size_t max_per_peer) : max_per_peer_(max_per_peer) {}
  PeerSessionCounter(const PeerSessionCounter&) = delete;
  PeerSessionCounter& operator=(const PeerSessionCounter&) = delete;

  // A slot when `key` holds fewer than max_per_peer sessions; nullopt otherwise. The
  // counter must outlive every slot it gave out.
  std::optional<Slot> TryAcquire(const std::string& key);
  std::size_t Count(const std::string& key) const;
  // Distinct keys holding sessions (the map never keeps a key at zero).
  std::size_t Peers() const;

 private:
  void Release(const std::string& key);

  const std::size_t max_per_peer_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> sessions_;
};

}  // namespace notesd::net
