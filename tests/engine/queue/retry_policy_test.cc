#include "engine/queue/retry_policy.h"

#include <gtest/gtest.h>

namespace jobsd {
namespace {

TEST(RetryPolicyTest, DelayDoublesPerAttemptWithinJitterBounds) {
  RetryPolicy policy;
  policy.base_delay = 1 * kNanosPerSecond;
  policy.max_delay = 60 * kNanosPerSecond;
  struct Case {
    int attempts;
    Nanos ceiling;
  } cases[] = {{1, 1 * kNanosPerSecond},  {2, 2 * kNanosPerSecond},  {3, 4 * kNanosPerSecond},
               {6, 32 * kNanosPerSecond}, {7, 60 * kNanosPerSecond}, {40, 60 * kNanosPerSecond}};
  for (const Case& c : cases) {
    EXPECT_EQ(policy.Delay(c.attempts, 0.0), c.ceiling / 2) << c.attempts;
    EXPECT_EQ(policy.Delay(c.attempts, 1.0), c.ceiling) << c.attempts;
    const Nanos middle = policy.Delay(c.attempts, 0.5);
    EXPECT_GT(middle, c.ceiling / 2);
    EXPECT_LT(middle, c.ceiling);
  }
}

TEST(RetryPolicyTest, OutOfRangeRandomIsClamped) {
  RetryPolicy policy;
  EXPECT_EQ(policy.Delay(1, -3.0), policy.base_delay / 2);
  EXPECT_EQ(policy.Delay(1, 7.0), policy.base_delay);
}

}  // namespace
}  // namespace jobsd
