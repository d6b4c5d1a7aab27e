// router/smtp_limits.h — the SMTP listener's bounds on time and on sessions per client,
// as pure pieces the session and the listener (router/smtp_task.cc) drive.
//
// Owns: when a session's current read must end (SessionDeadline); how many sessions each
// client address holds is the listener's (net/peer_sessions.h). No sockets, no clock of their own: the
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
// Thread safety: none (one SessionDeadline per session, on its strand).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

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

}  // namespace notesd::smtp
