// The completer on a real SQLite store: outcomes recorded in one batch,
// each fenced by its claim token.
#include "engine/queue/completer.h"

#include <gtest/gtest.h>

#include <mutex>

#include "engine/queue/executor.h"
#include "engine/queue/job_service.h"
#include "storage/files/local_artifact_store.h"
#include "storage/memory/memory_job_store.h"
#include "tests/engine/queue/test_jobs.h"
#include "tests/support/manual_clock.h"
#include "tests/support/temp_dir.h"

namespace jobsd {
namespace {

constexpr Nanos kLease = 30 * kNanosPerSecond;

std::filesystem::path MadeDirectory(const std::filesystem::path& path) {
  std::filesystem::create_directories(path);
  return path;
}

class RecordingObserver final : public JobObserver {
 public:
  void OnJobStarted(const Job&) override {}
  void OnJobFinished(const Job& job, JobStatus status, Nanos, std::int64_t) override {
    std::lock_guard lock(mutex_);
    finished_[job.id] = status;
  }
  std::map<std::string, JobStatus> finished() {
    std::lock_guard lock(mutex_);
    return finished_;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, JobStatus> finished_;
};

class WorkerPoolCompleterTest : public ::testing::Test {
 protected:
  WorkerPoolCompleterTest()
      : leases_(jobs_, clock_, kLease),
        claimer_(jobs_, clock_, leases_, ClaimerOptions{}),
        completer_(jobs_, artifacts_, clock_, claimer_, leases_, "test:completer", kLease,
                   &observer_) {
    registry_.Register("count", std::make_unique<testing::CountingJob>());
  }

  std::vector<ClaimedJob> Claim(int n) {
    JobService service(jobs_, registry_, clock_, JobServiceOptions{});
    for (int i = 0; i < n; ++i) service.Create({"count", "", std::nullopt});
    auto claimed = jobs_.ClaimJobs({"me", n, clock_.Now(), clock_.Now() + kLease});
    for (const ClaimedJob& c : claimed) leases_.Hold(c);
    return claimed;
  }

  // A success whose artifact is already published (as a run leaves it).
  FinishedJob Success(ClaimedJob claimed, Artifact& published) {
    std::unique_ptr<ArtifactWriter> writer =
        artifacts_.Begin({claimed.job.id, "text/csv; charset=utf-8", "x.csv"});
    writer->Write("id\r\n");
    published = writer->Commit();
    return DecideOutcome(std::move(claimed), JobOutcome::Success("{\"row_count\":1}", published, 1),
                         clock_.Now(), 1, RetryPolicy{}, 0.5);
  }

  Job Find(const std::string& id) { return jobs_.FindJob(id, clock_.Now()).value(); }

  testing::TempDir dir_;
  testing::ManualClock clock_;
  storage::MemoryJobStore jobs_;
  storage::LocalArtifactStore artifacts_{MadeDirectory(dir_ / "exports"), /*min_free_disk=*/0};
  JobTypeRegistry registry_;
  RecordingObserver observer_;
  LeaseKeeper leases_;
  Claimer claimer_;
  Completer completer_;
};

TEST_F(WorkerPoolCompleterTest, RecordsEveryOutcomeAndTellsTheObserver) {
  std::vector<ClaimedJob> claimed = Claim(3);
  ASSERT_EQ(claimed.size(), 3u);
  const std::string ok = claimed[0].job.id, bad = claimed[1].job.id, back = claimed[2].job.id;
  completer_.Start();
  Artifact published;
  completer_.Submit(Success(claimed[0], published));
  completer_.Submit(
      DecideOutcome(claimed[1], JobOutcome::Failed("bad data"), clock_.Now(), 1, {}, 0.5));
  completer_.Release(claimed[2]);
  completer_.FlushAndStop();

  EXPECT_EQ(Find(ok).status, JobStatus::kSuccess);
  EXPECT_EQ(Find(ok).artifact, published);
  EXPECT_EQ(Find(ok).result, "{\"row_count\":1}");
  EXPECT_EQ(Find(bad).status, JobStatus::kFailed);
  EXPECT_EQ(Find(back).status, JobStatus::kPending);
  EXPECT_EQ(Find(back).attempts, 0) << "a release does not count the attempt";
  const auto finished = observer_.finished();
  EXPECT_EQ(finished.size(), 2u) << "a release is not a finished run";
  EXPECT_EQ(finished.at(ok), JobStatus::kSuccess);
  EXPECT_EQ(finished.at(bad), JobStatus::kFailed);
  EXPECT_EQ(leases_.held_count(), 0u);
}

TEST_F(WorkerPoolCompleterTest, AStaleClaimRecordsNothingAndLeavesNoFile) {
  std::vector<ClaimedJob> claimed = Claim(1);
  ASSERT_EQ(claimed.size(), 1u);
  const std::string id = claimed[0].job.id;
  // The lease lapses; another worker rescues and claims the job.
  clock_.Advance(kLease);
  ASSERT_EQ(jobs_.RescueExpiredLeases(clock_.Now()), 1);
  ASSERT_EQ(jobs_.ClaimJobs({"other", 1, clock_.Now(), clock_.Now() + kLease}).size(), 1u);

  completer_.Start();
  Artifact refused;
  completer_.Submit(Success(claimed[0], refused));
  completer_.FlushAndStop();
  const Job job = Find(id);
  EXPECT_EQ(job.status, JobStatus::kStarted);
  EXPECT_EQ(job.claimed_by, "other");
  EXPECT_FALSE(job.artifact);
  EXPECT_EQ(artifacts_.Open(refused.key), nullptr) << "a refused result left its artifact";
  EXPECT_TRUE(observer_.finished().empty());
  EXPECT_EQ(leases_.held_count(), 0u);
}

}  // namespace
}  // namespace jobsd
