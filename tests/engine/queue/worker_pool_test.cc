// The worker pool, all its parts together, on a real SQLite store with real
// threads. Time-dependent behaviour (retry backoff, lost leases) runs on a
// manual clock; the maintenance services are tested alone in maintenance/.
#include "engine/queue/worker_pool.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>

#include "engine/queue/job_service.h"
#include "engine/random.h"
#include "storage/files/local_artifact_store.h"
#include "tests/engine/engine_stores.h"
#include "tests/engine/queue/test_jobs.h"
#include "tests/support/manual_clock.h"
#include "tests/support/temp_dir.h"

namespace jobsd {
namespace {

using std::chrono::milliseconds;

using testing::BlockingJob;
using testing::CountingJob;
using testing::FlakyJob;
using testing::WaitFor;

// On the memory store and on SQLite's.
class WorkerPoolTest : public ::testing::TestWithParam<testing::StoreKind> {
 protected:
  WorkerPoolTest() {
    options_.artifacts = &artifacts_;
    options_.poll_interval = 20'000'000;
    std::filesystem::create_directories(exports_dir_);
  }

  JobService MakeService(const Clock& clock, int max_attempts = 5) {
    JobServiceOptions service_options;
    service_options.max_attempts = max_attempts;
    return JobService(stores_.jobs(), registry_, clock, service_options);
  }

  JobStatus StatusOf(const std::string& id, const Clock& clock) {
    return stores_.jobs().FindJob(id, clock.Now()).value().status;
  }

  testing::TempDir dir_;
  std::filesystem::path exports_dir_ = dir_ / "exports";
  storage::LocalArtifactStore artifacts_{exports_dir_, /*min_free_disk=*/0};
  testing::EngineStores stores_{GetParam(), dir_.path()};
  JobTypeRegistry registry_;
  WorkerPoolOptions options_;
};

TEST_P(WorkerPoolTest, EveryJobRunsExactlyOnceAcrossWorkers) {
  auto* handler = new CountingJob;
  registry_.Register("count", std::unique_ptr<JobHandler>(handler));
  SystemClock clock;
  JobService service = MakeService(clock);
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) ids.push_back(service.Create({"count", "", std::nullopt}).job.id);

  options_.workers = 4;
  WorkerPool pool(stores_.jobs(), registry_, clock, options_);
  service.SetOnCreated([&pool] { pool.Wake(); });
  pool.Start();
  for (int i = 0; i < 100; ++i) ids.push_back(service.Create({"count", "", std::nullopt}).job.id);
  ASSERT_TRUE(WaitFor(
      [&] { return stores_.jobs().CountByStatus(clock.Now())[JobStatus::kSuccess] == 400; }));
  pool.Shutdown(kNanosPerSecond);

  std::map<std::string, int> runs = handler->runs();
  ASSERT_EQ(runs.size(), ids.size());
  for (const std::string& id : ids) {
    EXPECT_EQ(runs[id], 1) << id;
    Job job = stores_.jobs().FindJob(id, clock.Now()).value();
    EXPECT_EQ(job.status, JobStatus::kSuccess);
    EXPECT_EQ(job.attempts, 1);
    ASSERT_TRUE(job.artifact);
    EXPECT_TRUE(std::filesystem::exists(job.artifact->key));
  }
}

TEST_P(WorkerPoolTest, RetryableFailureBacksOffThenFailsNamingTheAttempts) {
  registry_.Register("flaky", std::make_unique<FlakyJob>());
  testing::ManualClock clock;
  JobService service = MakeService(clock, 3);
  const std::string id = service.Create({"flaky", "", std::nullopt}).job.id;
  options_.workers = 1;
  WorkerPool pool(stores_.jobs(), registry_, clock, options_);
  pool.Start();

  // Each attempt sends the job back to pending, not claimable until its
  // backoff has passed on the (manual) clock.
  for (int attempt = 1; attempt <= 2; ++attempt) {
    ASSERT_TRUE(WaitFor([&] {
      Job job = stores_.jobs().FindJob(id, clock.Now()).value();
      return job.status == JobStatus::kPending && job.attempts == attempt;
    })) << attempt;
    Job job = stores_.jobs().FindJob(id, clock.Now()).value();
    EXPECT_GT(job.run_after, clock.Now());
    ASSERT_TRUE(job.error);
    EXPECT_NE(job.error->find("disk on fire"), std::string::npos);
    std::this_thread::sleep_for(milliseconds(60));  // a few polls: must not run early
    EXPECT_EQ(stores_.jobs().FindJob(id, clock.Now())->attempts, attempt);
    clock.Set(job.run_after);
    pool.Wake();
  }
  ASSERT_TRUE(WaitFor([&] { return StatusOf(id, clock) == JobStatus::kFailed; }));
  pool.Shutdown(kNanosPerSecond);
  Job job = stores_.jobs().FindJob(id, clock.Now()).value();
  EXPECT_EQ(job.attempts, 3);
  ASSERT_TRUE(job.error);
  EXPECT_NE(job.error->find("disk on fire"), std::string::npos) << *job.error;
  EXPECT_NE(job.error->find("3 attempts"), std::string::npos) << *job.error;
}

TEST_P(WorkerPoolTest, ALostLeaseDiscardsTheOldAttemptsResult) {
  auto* handler = new BlockingJob;
  registry_.Register("block", std::unique_ptr<JobHandler>(handler));
  testing::ManualClock clock;
  JobService service = MakeService(clock);
  const std::string id = service.Create({"block", "", std::nullopt}).job.id;
  options_.workers = 1;
  options_.heartbeat = 3600 * kNanosPerSecond;  // no heartbeat saves it
  WorkerPool pool(stores_.jobs(), registry_, clock, options_);
  pool.Start();
  ASSERT_TRUE(WaitFor([&] { return handler->started_.load(); }));

  // The lease lapses (the clock jumps past it before a heartbeat), another
  // process rescues and claims the job.
  clock.Advance(31 * kNanosPerSecond);
  ASSERT_EQ(stores_.jobs().RescueExpiredLeases(clock.Now()), 1);
  auto stolen =
      stores_.jobs().ClaimJobs({"other", 1, clock.Now(), clock.Now() + 30 * kNanosPerSecond});
  ASSERT_EQ(stolen.size(), 1u);

  handler->release_.store(true);
  pool.Shutdown(5 * kNanosPerSecond);
  Job job = stores_.jobs().FindJob(id, clock.Now()).value();
  EXPECT_EQ(job.status, JobStatus::kStarted);
  EXPECT_EQ(job.claimed_by, "other");
  EXPECT_TRUE(std::filesystem::is_empty(exports_dir_)) << "stale result file left behind";
}

TEST_P(WorkerPoolTest, ShutdownReturnsUnfinishedJobsToPendingWithoutCountingTheAttempt) {
  auto* handler = new BlockingJob;
  registry_.Register("block", std::unique_ptr<JobHandler>(handler));
  SystemClock clock;
  JobService service = MakeService(clock);
  const std::string id = service.Create({"block", "", std::nullopt}).job.id;
  options_.workers = 2;
  WorkerPool pool(stores_.jobs(), registry_, clock, options_);
  pool.Start();
  ASSERT_TRUE(WaitFor([&] { return handler->started_.load(); }));
  EXPECT_EQ(StatusOf(id, clock), JobStatus::kStarted);

  pool.Shutdown(50'000'000);  // 50 ms of grace, the job never finishes
  Job job = stores_.jobs().FindJob(id, clock.Now()).value();
  EXPECT_EQ(job.status, JobStatus::kPending);
  EXPECT_EQ(job.attempts, 0);
  EXPECT_FALSE(job.claimed_by);
}

TEST_P(WorkerPoolTest, ShutdownLetsARunningJobFinishWithinTheGrace) {
  auto* handler = new BlockingJob;
  registry_.Register("block", std::unique_ptr<JobHandler>(handler));
  SystemClock clock;
  JobService service = MakeService(clock);
  const std::string id = service.Create({"block", "", std::nullopt}).job.id;
  options_.workers = 1;
  WorkerPool pool(stores_.jobs(), registry_, clock, options_);
  pool.Start();
  ASSERT_TRUE(WaitFor([&] { return handler->started_.load(); }));
  std::thread release([&] {
    std::this_thread::sleep_for(milliseconds(100));
    handler->release_.store(true);
  });
  pool.Shutdown(30 * kNanosPerSecond);
  release.join();
  EXPECT_EQ(StatusOf(id, clock), JobStatus::kSuccess);
}

TEST_P(WorkerPoolTest, UnknownJobTypeFailsTheJobWithAClearError) {
  registry_.Register("count", std::make_unique<CountingJob>());
  SystemClock clock;
  JobService service = MakeService(clock);
  const std::string id = service.Create({"count", "", std::nullopt}).job.id;
  JobTypeRegistry empty;  // a binary that does not know the type
  options_.workers = 1;
  WorkerPool pool(stores_.jobs(), empty, clock, options_);
  pool.Start();
  ASSERT_TRUE(WaitFor([&] { return StatusOf(id, clock) == JobStatus::kFailed; }));
  pool.Shutdown(kNanosPerSecond);
  EXPECT_NE(stores_.jobs().FindJob(id, clock.Now())->error->find("[count]"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Stores, WorkerPoolTest, testing::kEngineStoreKinds,
                         testing::StoreKindName);

}  // namespace
}  // namespace jobsd
