// The claimer on a real SQLite store: batch sizes that follow the run
// times, the local queue, wake-ups, prefetch, and what is left at the end.
#include "engine/queue/claimer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "engine/queue/job_service.h"
#include "storage/memory/memory_job_store.h"
#include "tests/engine/queue/test_jobs.h"
#include "tests/support/manual_clock.h"
#include "tests/support/temp_dir.h"

namespace jobsd {
namespace {

using std::chrono::milliseconds;

class ClaimerTest : public ::testing::Test {
 protected:
  ClaimerTest() : leases_(jobs_, clock_, 30 * kNanosPerSecond) {
    registry_.Register("count", std::make_unique<testing::CountingJob>());
    options_.workers = 2;
    options_.poll_interval = 3600 * kNanosPerSecond;  // only a Wake finds new jobs
  }

  std::vector<std::string> CreateJobs(int n) {
    JobService service(jobs_, registry_, clock_, JobServiceOptions{});
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) ids.push_back(service.Create({"count", "", std::nullopt}).job.id);
    return ids;
  }

  std::int64_t Started() { return jobs_.CountByStatus(clock_.Now())[JobStatus::kStarted]; }

  testing::TempDir dir_;
  testing::ManualClock clock_;
  storage::MemoryJobStore jobs_;
  JobTypeRegistry registry_;
  LeaseKeeper leases_;
  ClaimerOptions options_;
};

TEST_F(ClaimerTest, ClaimsOneAtATimeUntilRunsAreMeasuredShort) {
  Claimer claimer(jobs_, clock_, leases_, options_);
  EXPECT_EQ(claimer.ClaimBatch(), 1);
  // 100 us runs: 16 x 2 ms of work per worker, 2 workers -> 640 jobs, capped.
  for (int i = 0; i < 64; ++i) claimer.RecordRunTime(100'000);
  EXPECT_EQ(claimer.ClaimBatch(), options_.max_claim_batch);
  // 500 us runs: 64 ms of work per batch -> 128 jobs.
  for (int i = 0; i < 64; ++i) claimer.RecordRunTime(500'000);
  EXPECT_NEAR(claimer.ClaimBatch(), 128, 2);
  // Long runs: one at a time again, so none waits behind another.
  for (int i = 0; i < 64; ++i) claimer.RecordRunTime(50'000'000);
  EXPECT_EQ(claimer.ClaimBatch(), 1);
}

TEST_F(ClaimerTest, BatchesOnlyAfterSixShortRunsInARow) {
  Claimer claimer(jobs_, clock_, leases_, options_);
  // 10 us runs, as a backlog of tiny jobs gives a node that starts on it.
  for (int i = 0; i < 5; ++i) {
    claimer.RecordRunTime(10'000);
    EXPECT_EQ(claimer.ClaimBatch(), 1) << "after " << i + 1 << " short run(s)";
  }
  claimer.RecordRunTime(10'000);
  EXPECT_GT(claimer.ClaimBatch(), 16) << "six short runs are evidence enough";

  // A long run among the first ones keeps the claims single for longer.
  Claimer cautious(jobs_, clock_, leases_, options_);
  cautious.RecordRunTime(50'000'000);
  for (int i = 0; i < 6; ++i) cautious.RecordRunTime(10'000);
  EXPECT_EQ(cautious.ClaimBatch(), 1);
}

TEST_F(ClaimerTest, ABatchIsClaimedInOneGoAndSharedThroughTheLocalQueue) {
  const std::vector<std::string> ids = CreateJobs(10);
  options_.max_claim_batch = 4;
  Claimer claimer(jobs_, clock_, leases_, options_);
  claimer.OpenFor(1);
  for (int i = 0; i < 64; ++i) claimer.RecordRunTime(1000);
  ASSERT_EQ(claimer.ClaimBatch(), 4);

  std::set<std::string> taken;
  ClaimedJob claimed;
  ASSERT_TRUE(claimer.Next("w:0", claimed));
  taken.insert(claimed.job.id);
  EXPECT_EQ(Started(), 4) << "one claim of a whole batch";
  EXPECT_EQ(leases_.held_count(), 4u) << "every claim is held before it is handed out";
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(claimer.Next("w:0", claimed));
    taken.insert(claimed.job.id);
  }
  EXPECT_EQ(Started(), 4) << "the queue served them, no new claim";
  ASSERT_TRUE(claimer.Next("w:0", claimed));
  EXPECT_EQ(Started(), 8);
  EXPECT_EQ(taken.size(), 4u);
  EXPECT_EQ(taken.count(claimed.job.id), 0u);
}

TEST_F(ClaimerTest, AWakeMakesAWaitingWorkerClaimAtOnce) {
  Claimer claimer(jobs_, clock_, leases_, options_);
  claimer.OpenFor(1);
  std::atomic<bool> got{false};
  std::thread worker([&] {
    ClaimedJob claimed;
    got.store(claimer.Next("w:0", claimed));
  });
  std::this_thread::sleep_for(milliseconds(50));  // waiting on an hour-long poll
  EXPECT_FALSE(got.load());
  CreateJobs(1);
  claimer.Wake();
  EXPECT_TRUE(testing::WaitFor([&] { return got.load(); }, milliseconds(5000)));
  claimer.Stop();
  worker.join();
  EXPECT_TRUE(got.load());
}

TEST_F(ClaimerTest, StopEndsTheWaitAndTheLastWorkerOutGetsWhatWasNeverStarted) {
  CreateJobs(6);
  Claimer claimer(jobs_, clock_, leases_, options_);
  claimer.OpenFor(2);
  for (int i = 0; i < 64; ++i) claimer.RecordRunTime(1000);
  ClaimedJob claimed;
  ASSERT_TRUE(claimer.Next("w:0", claimed));  // claims all 6, takes one

  claimer.Stop();
  const bool result = claimer.Next("w:1", claimed);
  EXPECT_FALSE(result) << "nothing is handed out once stopping";
  EXPECT_TRUE(claimer.WorkerExited().empty()) << "another worker is still in";
  EXPECT_EQ(claimer.WorkerExited().size(), 5u) << "the last one out releases the queue";
}

TEST_F(ClaimerTest, PrefetchRefillsAHalfEmptyQueueOnlyWhileJobsAreShort) {
  CreateJobs(3);
  options_.max_claim_batch = 8;
  Claimer claimer(jobs_, clock_, leases_, options_);
  claimer.OpenFor(1);
  EXPECT_EQ(claimer.PrefetchCount(), 0) << "long jobs are claimed by the workers";
  for (int i = 0; i < 64; ++i) claimer.RecordRunTime(1000);
  EXPECT_EQ(claimer.PrefetchCount(), 8);
  ClaimedJob claimed;
  ASSERT_TRUE(claimer.Next("w:0", claimed));  // 3 claimed, 2 left queued
  EXPECT_EQ(claimer.PrefetchCount(), 6);
  claimer.Stop();
  EXPECT_EQ(claimer.PrefetchCount(), 0) << "no claims once stopping";
}

TEST_F(ClaimerTest, PrefetchedJobsAreRefusedOnceNoWorkerIsLeft) {
  CreateJobs(2);
  Claimer claimer(jobs_, clock_, leases_, options_);
  claimer.OpenFor(1);
  auto claims = jobs_.ClaimJobs({"completer", 2, clock_.Now(), clock_.Now() + kNanosPerSecond});
  ASSERT_EQ(claims.size(), 2u);
  claimer.Stop();
  EXPECT_TRUE(claimer.WorkerExited().empty());
  const std::vector<ClaimedJob> refused = claimer.AddPrefetched(claims);
  EXPECT_EQ(refused.size(), 2u) << "nobody would run them: the completer releases them";
  EXPECT_EQ(leases_.held_count(), 2u) << "held until their release is committed";
}

}  // namespace
}  // namespace jobsd
