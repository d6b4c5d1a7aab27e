#include "adminp/adminp_schedule.h"

#include <algorithm>

namespace notesd {

std::tm AdminPSchedule::LocalCalendar(std::time_t seconds) {
  std::tm local{};
  localtime_r(&seconds, &local);
  return local;
}

int AdminPSchedule::DayKey(int64_t seconds) const {
  std::tm calendar = calendar_(static_cast<std::time_t>(seconds));
  return (calendar.tm_year + 1900) * 1000 + calendar.tm_yday;
}

void AdminPSchedule::MarkAllRun(int64_t now) {
  last_immediate_ = now;
  last_interval_ = now;
  last_daily_day_ = DayKey(now);
  last_delayed_day_ = DayKey(now);
}

std::set<TimingClass> AdminPSchedule::TakeDue(int64_t now, const AdminPScheduleConfig& config) {
  std::set<TimingClass> due;
  int64_t interval = std::max<int64_t>(config.interval_seconds, 1);
  int64_t immediate = std::clamp<int64_t>(config.immediate_seconds, 1, interval);
  if (now - last_interval_ >= interval) {
    due.insert(TimingClass::kInterval);
    due.insert(TimingClass::kImmediate);
    last_interval_ = now;
    last_immediate_ = now;
  } else if (now - last_immediate_ >= immediate) {
    due.insert(TimingClass::kImmediate);
    last_immediate_ = now;
  }
  std::tm calendar = calendar_(static_cast<std::time_t>(now));
  int today = DayKey(now);
  if (calendar.tm_hour >= config.daily_hour && today != last_daily_day_) {
    due.insert(TimingClass::kDaily);
    last_daily_day_ = today;
  }
  if (calendar.tm_wday == config.delayed_weekday && calendar.tm_hour >= config.delayed_hour &&
      today != last_delayed_day_) {
    due.insert(TimingClass::kDelayed);
    last_delayed_day_ = today;
  }
  return due;
}

int64_t AdminPSchedule::SecondsUntilNextPoll(int64_t now, const AdminPScheduleConfig& config) const {
  int64_t interval = std::max<int64_t>(config.interval_seconds, 1);
  int64_t immediate = std::clamp<int64_t>(config.immediate_seconds, 1, interval);
  int64_t next = std::min(last_immediate_ + immediate, last_interval_ + interval);
  return std::max<int64_t>(next - now, 0);
}

}  // namespace notesd
