#include "engine/queue/retry_policy.h"

#include <algorithm>

namespace jobsd {

Nanos RetryPolicy::Delay(int attempts, double unit_random) const {
  Nanos ceiling = base_delay;
  for (int i = 1; i < attempts && ceiling < max_delay; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, max_delay);
  unit_random = std::clamp(unit_random, 0.0, 1.0);
  // Half fixed, half random: never retries at once, never all in step.
  const Nanos half = ceiling / 2;
  return half + static_cast<Nanos>(static_cast<double>(ceiling - half) * unit_random);
}

}  // namespace jobsd
