// The runner of the maintenance tasks, with real threads and short
// intervals: when each task runs, draining, stopping, failures.
#include "engine/queue/maintenance/periodic_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "tests/engine/queue/test_jobs.h"

namespace jobsd {
namespace {

using std::chrono::milliseconds;

constexpr Nanos kMs = 1'000'000;

TEST(WorkerPoolPeriodicRunnerTest, RunsEachTaskAtItsIntervalFirstAtStartOrAfterOneInterval) {
  std::atomic<int> at_start{0}, later{0};
  PeriodicRunner runner("test tasks",
                        {PeriodicTask{20 * kMs, true, false, [&] { ++at_start; }},
                         PeriodicTask{3600'000 * kMs, false, false, [&] { ++later; }}});
  runner.Start();
  EXPECT_TRUE(testing::WaitFor([&] { return at_start.load() >= 3; }, milliseconds(5000)));
  runner.Join();
  EXPECT_EQ(later.load(), 0) << "an hour-long interval came early";
}

TEST(WorkerPoolPeriodicRunnerTest, DrainingKeepsOnlyTheTasksThatRunWhileDraining) {
  std::atomic<int> heartbeat{0}, rescue{0};
  PeriodicRunner runner("test tasks", {PeriodicTask{10 * kMs, true, true, [&] { ++heartbeat; }},
                                       PeriodicTask{10 * kMs, true, false, [&] { ++rescue; }}});
  runner.Start();
  ASSERT_TRUE(testing::WaitFor([&] { return rescue.load() >= 1; }, milliseconds(5000)));
  runner.Drain();
  std::this_thread::sleep_for(milliseconds(30));  // a run under way may end
  const int rescue_at_drain = rescue.load();
  const int heartbeat_at_drain = heartbeat.load();
  EXPECT_TRUE(testing::WaitFor([&] { return heartbeat.load() >= heartbeat_at_drain + 3; },
                               milliseconds(5000)));
  EXPECT_EQ(rescue.load(), rescue_at_drain);
  runner.Join();
}

TEST(WorkerPoolPeriodicRunnerTest, AFailingTaskWaitsBeforeItsNextTry) {
  std::atomic<int> tries{0};
  PeriodicRunner runner("test tasks", {PeriodicTask{1 * kMs, true, false, [&] {
                                                      ++tries;
                                                      throw std::runtime_error("store locked");
                                                    }}});
  runner.Start();
  std::this_thread::sleep_for(milliseconds(300));
  runner.Join();
  // The first failure delays the next try by a second, not one interval.
  EXPECT_EQ(tries.load(), 1);
}

TEST(WorkerPoolPeriodicRunnerTest, StopEndsALongWaitAtOnce) {
  PeriodicRunner runner("test tasks", {PeriodicTask{3600'000 * kMs, false, false, [] {}}});
  runner.Start();
  const auto start = std::chrono::steady_clock::now();
  runner.Join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
}

}  // namespace
}  // namespace jobsd
