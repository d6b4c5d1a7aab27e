// adminp/adminp_schedule.h — when AdminP works each timing class (pure; no threads, no
// clock of its own, so tests drive it with any time they like).
//
// Domino's schedule, with the notes.ini settings of adminp_task.h:
//   Immediate  every poll: at most a minute apart ("usually within one minute"), or the
//              interval if that is shorter
//   Interval   every AdminPInterval minutes (AdminP_Interval_Seconds overrides, for tests)
//   Daily      once a day, at the first poll at or after AdminPModifyPersonDocumentsAt
//              o'clock, local time
//   Delayed    once a week, on Sunday at or after 00:00 local time (Domino's "Start
//              executing on Sunday at 12 AM")
//   Timed      never on a schedule; only TELL ADMINP PROCESS TIME
// Interval passes include the immediate requests, as TELL ADMINP PROCESS INTERVAL does.
//
// Thread safety: none; AdminP calls it from its one scheduling thread under its lock.
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <set>

#include "adminp/admin_requests.h"

namespace notesd {

struct AdminPScheduleConfig {
  int64_t interval_seconds = 3600;
  int daily_hour = 0;       // 0..23, local time
  int delayed_weekday = 0;  // 0 = Sunday, as std::tm::tm_wday
  int delayed_hour = 0;
  int64_t immediate_seconds = 60;  // the poll period for immediate requests
};

class AdminPSchedule {
 public:
  // Breaks seconds since the epoch into local calendar time; tests pass gmtime_r.
  using CalendarFn = std::function<std::tm(std::time_t)>;
  static std::tm LocalCalendar(std::time_t seconds);

  explicit AdminPSchedule(CalendarFn calendar = LocalCalendar) : calendar_(std::move(calendar)) {}

  // Records that every class ran at `now` (AdminP's start-up pass): the next immediate
  // and interval passes count from now; daily and delayed wait for their next day.
  void MarkAllRun(int64_t now);
  // The classes due at `now` under `config`, and marks them run. Empty when none.
  std::set<TimingClass> TakeDue(int64_t now, const AdminPScheduleConfig& config);
  // Seconds from `now` until the next immediate or interval pass (never negative); the
  // daily and delayed checks happen on those polls.
  int64_t SecondsUntilNextPoll(int64_t now, const AdminPScheduleConfig& config) const;

 private:
  // A day number (year * 1000 + day of year) in local time.
  int DayKey(int64_t seconds) const;

  CalendarFn calendar_;
  int64_t last_immediate_ = 0;
  int64_t last_interval_ = 0;
  int last_daily_day_ = -1;
  int last_delayed_day_ = -1;
};

}  // namespace notesd
