// net/peer_sessions.cc — the per-address session count (contract in net/peer_sessions.h).
#include "net/peer_sessions.h"

#include <algorithm>

namespace notesd::net {

std::string PeerKey(const boost::asio::ip::address& address) {
  if (address.is_v4()) return address.to_string();
  boost::asio::ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  boost::asio::ip::address_v6::bytes_type bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

PeerSessionCounter::Slot::~Slot() {
  if (counter_) counter_->Release(key_);
}

std::optional<PeerSessionCounter::Slot> PeerSessionCounter::TryAcquire(const std::string& key) {
  std::lock_guard lock(mutex_);
  std::size_t& count = sessions_[key];
  if (count >= max_per_peer_) {
    if (count == 0) sessions_.erase(key);  // a cap of 0 keeps no empty entry
    return std::nullopt;
  }
  ++count;
  return Slot(this, key);
}

void PeerSessionCounter::Release(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return;
  if (--it->second == 0) sessions_.erase(it);
}

std::size_t PeerSessionCounter::Count(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(key);
  return it == sessions_.end() ? 0 : it->second;
}

std::size_t PeerSessionCounter::Peers() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace notesd::net
