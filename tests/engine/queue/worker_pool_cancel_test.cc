// Cancellation and progress through the whole worker pool, on a real SQLite
// store with real threads: a cancelled run stops, removes its partial
// output and publishes nothing; a run's first progress report reaches the
// store at once, whatever the renewal interval.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "engine/queue/job_service.h"
#include "engine/queue/worker_pool.h"
#include "storage/files/local_artifact_store.h"
#include "tests/engine/engine_stores.h"
#include "tests/engine/queue/test_jobs.h"
#include "tests/support/temp_dir.h"

namespace jobsd {
namespace {

using std::chrono::milliseconds;
using testing::WaitFor;

// Writes part of an artifact, reports `written` of 100 rows, then waits
// until told to stop (its artifact, never committed, is removed) or
// released (then it publishes).
class ProgressThenWaitJob final : public JobHandler {
 public:
  explicit ProgressThenWaitJob(std::int64_t written) : written_(written) {}
  void ValidateParams(std::string_view) const override {}
  JobOutcome Run(const JobContext& context) override {
    std::unique_ptr<ArtifactWriter> writer =
        context.artifacts.Begin({context.job.id, "text/csv; charset=utf-8", "x.csv"});
    writer->Write("id\r\n");
    if (context.report_progress) context.report_progress(written_, 100);
    started_.store(true);
    while (!release_.load()) {
      if (context.stop_requested()) {
        stopped_.store(true);
        return JobOutcome::Retry("interrupted");
      }
      std::this_thread::sleep_for(milliseconds(5));
    }
    return JobOutcome::Success("{\"row_count\":1}", writer->Commit(), 1);
  }
  const std::int64_t written_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> release_{false};
};

// On the memory store and on SQLite's.
class WorkerPoolCancelTest : public ::testing::TestWithParam<testing::StoreKind> {
 protected:
  WorkerPoolCancelTest() : handler_(new ProgressThenWaitJob(42)) {
    registry_.Register("wait", std::unique_ptr<JobHandler>(handler_));
    options_.artifacts = &artifacts_;
    options_.workers = 1;
    options_.poll_interval = 20'000'000;
    std::filesystem::create_directories(exports_dir_);
  }

  Job Find(const std::string& id) { return stores_.jobs().FindJob(id, clock_.Now()).value(); }

  testing::TempDir dir_;
  std::filesystem::path exports_dir_ = dir_ / "exports";
  storage::LocalArtifactStore artifacts_{exports_dir_, /*min_free_disk=*/0};
  testing::EngineStores stores_{GetParam(), dir_.path()};
  JobTypeRegistry registry_;
  ProgressThenWaitJob* handler_;
  SystemClock clock_;
  WorkerPoolOptions options_;
  JobService service_{stores_.jobs(), registry_, clock_, JobServiceOptions{}};
};

TEST_P(WorkerPoolCancelTest, TheFirstProgressReportReachesTheStoreWithoutWaitingForATick) {
  options_.heartbeat = 3600 * kNanosPerSecond;  // only the first report's poke can write it
  WorkerPool pool(stores_.jobs(), registry_, clock_, options_);
  const std::string id = service_.Create({"wait", "", std::nullopt}).job.id;
  pool.Start();
  ASSERT_TRUE(WaitFor([&] { return Find(id).progress.has_value(); }, milliseconds(10'000)));
  EXPECT_EQ(Find(id).progress, (JobProgress{42, 100}));
  EXPECT_EQ(Find(id).status, JobStatus::kStarted);
  handler_->release_.store(true);
  ASSERT_TRUE(WaitFor([&] { return Find(id).status == JobStatus::kSuccess; }));
  pool.Shutdown(kNanosPerSecond);
  EXPECT_EQ(Find(id).progress, std::nullopt) << "success clears the progress";
}

// A cancel made elsewhere (another process, another node) is found by the
// next lease renewal, one tick (500 ms by default) away.
TEST_P(WorkerPoolCancelTest, ARunCancelledElsewhereStopsAndPublishesNothing) {
  WorkerPool pool(stores_.jobs(), registry_, clock_, options_);
  const std::string id = service_.Create({"wait", "", std::nullopt}).job.id;
  pool.Start();
  ASSERT_TRUE(WaitFor([&] { return handler_->started_.load(); }));
  EXPECT_FALSE(std::filesystem::is_empty(exports_dir_)) << "the partial file is being written";

  ASSERT_EQ(stores_.jobs().CancelJob(id, clock_.Now()).kind, CancelResult::Kind::kCancelled);
  ASSERT_TRUE(WaitFor([&] { return handler_->stopped_.load(); }, milliseconds(5'000)));
  pool.Shutdown(kNanosPerSecond);

  const Job job = Find(id);
  EXPECT_EQ(job.status, JobStatus::kFailed);
  EXPECT_EQ(job.error, std::string(kCancelledError));
  EXPECT_EQ(job.attempts, 1) << "the stopped run's outcome was dropped, not recorded";
  EXPECT_EQ(job.artifact, std::nullopt);
  EXPECT_TRUE(std::filesystem::is_empty(exports_dir_)) << "the partial file was left behind";
}

// Through this process's service, the pool is told at once: a cancel is
// seen without waiting for a tick.
TEST_P(WorkerPoolCancelTest, ACancelThroughThisProcessReachesItsRunAtOnce) {
  options_.heartbeat = 3600 * kNanosPerSecond;
  WorkerPool pool(stores_.jobs(), registry_, clock_, options_);
  service_.SetOnCancelled([&pool] { pool.RenewLeasesSoon(); });
  const std::string id = service_.Create({"wait", "", std::nullopt}).job.id;
  pool.Start();
  ASSERT_TRUE(WaitFor([&] { return handler_->started_.load(); }));

  const CancelResult result = service_.Cancel(id);
  ASSERT_EQ(result.kind, CancelResult::Kind::kCancelled);
  EXPECT_EQ(result.job.status, JobStatus::kFailed);
  ASSERT_TRUE(WaitFor([&] { return handler_->stopped_.load(); }, milliseconds(10'000)));
  pool.Shutdown(kNanosPerSecond);
  EXPECT_EQ(Find(id).error, std::string(kCancelledError));
  EXPECT_TRUE(std::filesystem::is_empty(exports_dir_));
}

// A cancel that comes after the run has published: the run's success is
// refused and its committed file deleted, so the job is failed with no
// file, never failed with one.
TEST_P(WorkerPoolCancelTest, ACancelBetweenPublishingAndRecordingLeavesNoFile) {
  options_.heartbeat = 3600 * kNanosPerSecond;  // the run never learns of the cancel
  WorkerPool pool(stores_.jobs(), registry_, clock_, options_);
  const std::string id = service_.Create({"wait", "", std::nullopt}).job.id;
  pool.Start();
  ASSERT_TRUE(WaitFor([&] { return handler_->started_.load(); }));
  ASSERT_EQ(stores_.jobs().CancelJob(id, clock_.Now()).kind, CancelResult::Kind::kCancelled);
  handler_->release_.store(true);  // commits its file, then submits success
  pool.Shutdown(5 * kNanosPerSecond);

  const Job job = Find(id);
  EXPECT_EQ(job.status, JobStatus::kFailed);
  EXPECT_EQ(job.error, std::string(kCancelledError));
  EXPECT_EQ(job.artifact, std::nullopt);
  EXPECT_TRUE(std::filesystem::is_empty(exports_dir_)) << "the refused success left its file";
}

INSTANTIATE_TEST_SUITE_P(Stores, WorkerPoolCancelTest, testing::kEngineStoreKinds,
                         testing::StoreKindName);

}  // namespace
}  // namespace jobsd
