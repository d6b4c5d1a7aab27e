#include "router/smtp_limits.h"

#include <algorithm>

namespace notesd::smtp {

void SessionDeadline::BeginCommand(Clock::time_point now) {
  in_data_ = false;
  deadline_ = now + limits_.command;
}

void SessionDeadline::BeginData(Clock::time_point now) {
  in_data_ = true;
  deadline_ = now + limits_.data;
}

void SessionDeadline::Received(Clock::time_point now, std::size_t bytes) {
  if (!in_data_) return;
  // Microseconds of credit; a read is at most a buffer (16 KB), so no overflow.
  auto credit = std::chrono::microseconds(static_cast<std::int64_t>(bytes) * 1'000'000 /
                                          static_cast<std::int64_t>(std::max<std::uint64_t>(limits_.data_min_rate, 1)));
  Clock::time_point cap = now + limits_.data;
  deadline_ = std::min(cap, std::chrono::time_point_cast<Clock::duration>(deadline_ + credit));
}

SessionDeadline::Clock::time_point SessionDeadline::ReadDeadline(Clock::time_point now) const {
  if (in_data_) return deadline_;
  return std::min(deadline_, now + limits_.idle);
}

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

}  // namespace notesd::smtp
