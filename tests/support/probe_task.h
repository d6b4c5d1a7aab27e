// tests/support/probe_task.h — a test-only task that proves the task mechanism: it starts
// (or refuses to, given the argument `fail-start`; or takes its time, given
// `slow-start=<ms>`), answers TELL, fails on request while
// running, and logs its stop so tests can check the shutdown order. Never shipped.
#pragma once

#include "task/task.h"

namespace notesd::testing {

// Registers "Probe" and "ProbeB" (two kinds, to check start and stop order).
void RegisterProbeTasks(TaskRegistry& registry);

}  // namespace notesd::testing
