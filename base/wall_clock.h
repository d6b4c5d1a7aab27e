// base/wall_clock.h — the process's wall clock, for code that is handed no server Clock
// (unit tests, tools). Server code reads the server's Clock (TaskContext::GetClock), which
// SET CLOCK moves; this one never moves.
#pragma once

#include "base/clock.h"

namespace notesd {

// Lives as long as the process. Thread-safe.
inline const Clock& WallClock() {
  static const SystemClock wall;
  return wall;
}

// `clock` when given, else the wall clock.
inline const Clock& ClockOrWall(const Clock* clock) { return clock ? *clock : WallClock(); }

}  // namespace notesd
