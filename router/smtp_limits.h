// router/smtp_limits.h — the SMTP listener's bounds on time and on sessions per client,
// as pure pieces the session and the listener (router/smtp_task.cc) drive.
//
// Owns: when a session's current read must end (SessionDeadline) and how many sessions
// each client address holds (PeerSessionCounter). No sockets, no clock of their own: the
// caller passes the time, so the unit tests say "3 s later" without sleeping.
//
// Why these bounds (issue 13): an idle timer that restarts on every byte lets a client
// that sends one byte every few seconds hold a session for ever, and a hundred such
// clients from one address take every session. So:
//  - a command line must be complete within SMTPCommandTimeoutSeconds of the previous
//    one (or of the greeting); bytes that trickle in do not extend it, and silence is
//    still cut at SMTPIdleTimeoutSeconds when that is shorter;
//  - message data must keep up a minimum rate (Postfix's smtpd_min_data_rate): DATA
//    starts with SMTPDataTimeoutSeconds, each read adds its bytes / SMTPDataMinRate
//    seconds, and the deadline is never more than SMTPDataTimeoutSeconds after the last
//    read. A rate, not one deadline for the whole message, because a large message on a
//    slow but honest link must still get through, while a drip of 1 byte every 2 s
//    earns 2 ms a byte and is cut about SMTPDataTimeoutSeconds after DATA;
//  - at most SMTPMaxSessionsPerIP sessions per client address (IPv6: per /64, what one
//    subscriber usually gets), so one address cannot fill SMTPMaxSessions.
//
// Thread safety: SessionDeadline none (one per session, on its strand);
// PeerSessionCounter is safe from any thread.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace notesd::smtp {

struct DeadlineLimits {
  std::chrono::seconds idle{300};     // silence between commands (SMTPIdleTimeoutSeconds)
  std::chrono::seconds command{300};  // one whole command line (SMTPCommandTimeoutSeconds)
  std::chrono::seconds data{600};     // silence in DATA, and the most credit (SMTPDataTimeoutSeconds)
  std::uint64_t data_min_rate = 500;  // bytes per second in DATA (SMTPDataMinRate), at least 1
};

class SessionDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  explicit SessionDeadline(DeadlineLimits limits) : limits_(limits) {}

  // A new command line is awaited from `now` on: it must be complete by now + command.
  void BeginCommand(Clock::time_point now);
  // The 354 went out at `now`: message data begins, with SMTPDataTimeoutSeconds of credit.
  void BeginData(Clock::time_point now);
  // `bytes` arrived at `now`. In DATA they earn bytes / data_min_rate seconds, never
  // more than `data` ahead of now; in a command they change nothing.
  void Received(Clock::time_point now, std::size_t bytes);

  // When the read that starts at `now` must have completed.
  Clock::time_point ReadDeadline(Clock::time_point now) const;
  bool in_data() const { return in_data_; }

 private:
  DeadlineLimits limits_;
  bool in_data_ = false;
  Clock::time_point deadline_{};
};

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

}  // namespace notesd::smtp
