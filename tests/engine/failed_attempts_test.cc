#include "engine/failed_attempts.h"

#include <gtest/gtest.h>

#include <string>

namespace jobsd {
namespace {

constexpr Nanos kT0 = 1'700'000'000 * kNanosPerSecond;

TEST(FailedAttemptsTest, TheTenthFailureWithinAMinuteMakesTheNextAttemptWait) {
  FailedAttempts failed;
  for (int i = 0; i < kMaxFailedTokenAttempts - 1; ++i) {
    failed.RecordFailure("c", kT0 + i * kNanosPerSecond);
    EXPECT_FALSE(failed.WaitBeforeAttempt("c", kT0 + i * kNanosPerSecond)) << i;
  }
  failed.RecordFailure("c", kT0 + 9 * kNanosPerSecond);
  // Until the first failure is a minute old.
  EXPECT_EQ(failed.WaitBeforeAttempt("c", kT0 + 10 * kNanosPerSecond), 50 * kNanosPerSecond);
  EXPECT_FALSE(failed.WaitBeforeAttempt("other", kT0 + 10 * kNanosPerSecond));
  EXPECT_FALSE(failed.WaitBeforeAttempt("c", kT0 + kFailedTokenAttemptWindow));
}

TEST(FailedAttemptsTest, FailuresSpreadOverMoreThanAMinuteNeverWait) {
  FailedAttempts failed;
  for (int i = 0; i < 30; ++i) {
    const Nanos now = kT0 + i * 7 * kNanosPerSecond;  // ~8.6 a minute
    EXPECT_FALSE(failed.WaitBeforeAttempt("c", now)) << i;
    failed.RecordFailure("c", now);
  }
}

TEST(FailedAttemptsTest, ARightSecretForgetsTheFailures) {
  FailedAttempts failed;
  for (int i = 0; i < kMaxFailedTokenAttempts; ++i) failed.RecordFailure("c", kT0);
  ASSERT_TRUE(failed.WaitBeforeAttempt("c", kT0));
  failed.Forget("c");
  EXPECT_FALSE(failed.WaitBeforeAttempt("c", kT0));
  EXPECT_EQ(failed.TrackedClientIds(), 0u);
}

TEST(FailedAttemptsTest, ManyClientIdsEvictTheLeastRecentlyFailedOne) {
  FailedAttempts failed(/*max_client_ids=*/3);
  for (int i = 0; i < kMaxFailedTokenAttempts; ++i) failed.RecordFailure("a", kT0);
  failed.RecordFailure("b", kT0 + 1);
  failed.RecordFailure("c", kT0 + 2);
  failed.RecordFailure("a", kT0 + 3);  // a is now the most recent
  failed.RecordFailure("d", kT0 + 4);  // evicts b
  EXPECT_EQ(failed.TrackedClientIds(), 3u);
  EXPECT_TRUE(failed.WaitBeforeAttempt("a", kT0 + 5)) << "a survived the eviction";
  for (int i = 0; i < 1000; ++i) failed.RecordFailure("x" + std::to_string(i), kT0 + 10 + i);
  EXPECT_EQ(failed.TrackedClientIds(), 3u) << "bounded";
}

}  // namespace
}  // namespace jobsd
