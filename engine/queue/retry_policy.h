// When a job that failed for a passing reason (I/O error, disk full, busy
// store) runs again: exponential backoff, capped, with "equal jitter": half
// of the delay is fixed and half random, so a retry never comes at once and
// a burst of failures does not come back as a burst of retries.
#pragma once

#include <cstdint>

#include "engine/time.h"

namespace jobsd {

struct RetryPolicy {
  Nanos base_delay = 1 * kNanosPerSecond;
  Nanos max_delay = 5 * 60 * kNanosPerSecond;

  // Delay before the next attempt after `attempts` attempts (1 = the first
  // run failed). `unit_random` in [0, 1) picks the jitter: the delay is in
  // [ceiling/2, ceiling] where ceiling = min(max, base * 2^(attempts-1)).
  Nanos Delay(int attempts, double unit_random) const;
};

}  // namespace jobsd
