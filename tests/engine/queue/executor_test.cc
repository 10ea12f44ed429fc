// The executor alone, without a store: what a run comes to, decided from
// the handler's outcome or exception, the attempts, a lost claim and a
// forced stop.
#include "engine/queue/executor.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "engine/store_error.h"
#include "storage/files/local_artifact_store.h"
#include "tests/support/manual_clock.h"
#include "tests/support/temp_dir.h"

namespace jobsd {
namespace {

// Does what the test put in `run`.
class ScriptedJob final : public JobHandler {
 public:
  explicit ScriptedJob(std::function<JobOutcome(const JobContext&)> run) : run_(std::move(run)) {}
  void ValidateParams(std::string_view) const override {}
  JobOutcome Run(const JobContext& context) override { return run_(context); }

 private:
  std::function<JobOutcome(const JobContext&)> run_;
};

ClaimedJob Claimed(std::string job_type, int attempts = 1, int max_attempts = 5) {
  ClaimedJob claimed;
  claimed.job.id = "job-1";
  claimed.job.job_type = std::move(job_type);
  claimed.job.status = JobStatus::kStarted;
  claimed.job.attempts = attempts;
  claimed.job.max_attempts = max_attempts;
  claimed.claim_token = "token-1";
  return claimed;
}

std::shared_ptr<std::atomic<bool>> NotLost() { return std::make_shared<std::atomic<bool>>(false); }

class WorkerPoolExecutorTest : public ::testing::Test {
 protected:
  void Register(std::function<JobOutcome(const JobContext&)> run) {
    registry_.Register("scripted", std::make_unique<ScriptedJob>(std::move(run)));
  }
  Executor MakeExecutor() { return Executor(registry_, clock_, ExecutorOptions{&artifacts_, {}}); }

  testing::TempDir dir_;
  storage::LocalArtifactStore artifacts_{dir_.path(), /*min_free_disk=*/0};
  testing::ManualClock clock_;
  JobTypeRegistry registry_;
};

TEST(DecideOutcomeTest, SuccessCarriesTheResultAndTheClaimToken) {
  const Artifact artifact{"/x/a.csv", "secret", "text/csv; charset=utf-8", "a.csv", 12};
  const FinishedJob finished =
      DecideOutcome(Claimed("t"), JobOutcome::Success("{\"row_count\":7}", artifact, 7), 100, 40,
                    RetryPolicy{}, 0.5);
  EXPECT_EQ(finished.status, JobStatus::kSuccess);
  EXPECT_EQ(finished.completion.kind, JobCompletion::Kind::kSucceeded);
  EXPECT_EQ(finished.completion.id, "job-1");
  EXPECT_EQ(finished.completion.token, "token-1");
  EXPECT_EQ(finished.completion.success.result, "{\"row_count\":7}");
  EXPECT_EQ(finished.completion.success.artifact, artifact);
  EXPECT_EQ(finished.rows, 7);
  EXPECT_EQ(finished.duration, 40);
}

TEST(DecideOutcomeTest, APermanentFailureFailsAtOnceWhateverTheAttemptsLeft) {
  const FinishedJob finished =
      DecideOutcome(Claimed("t", 1, 5), JobOutcome::Failed("bad filter"), 100, 1, {}, 0.5);
  EXPECT_EQ(finished.status, JobStatus::kFailed);
  EXPECT_EQ(finished.completion.kind, JobCompletion::Kind::kFailed);
  EXPECT_EQ(finished.completion.error, "bad filter");
}

TEST(DecideOutcomeTest, ARetryableFailureComesBackAfterTheBackoff) {
  RetryPolicy retry;
  retry.base_delay = 1000;
  const Nanos now = 1'000'000;
  // Third attempt: ceiling 4000, the delay in [2000, 4000].
  const FinishedJob low =
      DecideOutcome(Claimed("t", 3, 5), JobOutcome::Retry("disk on fire"), now, 1, retry, 0.0);
  const FinishedJob high =
      DecideOutcome(Claimed("t", 3, 5), JobOutcome::Retry("disk on fire"), now, 1, retry, 0.999999);
  EXPECT_EQ(low.status, JobStatus::kPending);
  EXPECT_EQ(low.completion.kind, JobCompletion::Kind::kRetry);
  EXPECT_EQ(low.completion.error, "disk on fire (attempt 3 of 5; will retry)");
  EXPECT_EQ(low.completion.run_after, now + 2000);
  EXPECT_GE(high.completion.run_after, now + 3999);
  EXPECT_LE(high.completion.run_after, now + 4000);
}

TEST(DecideOutcomeTest, ARetryableFailureOnTheLastAttemptGivesUpNamingTheAttempts) {
  const FinishedJob finished =
      DecideOutcome(Claimed("t", 5, 5), JobOutcome::Retry("disk on fire"), 100, 1, {}, 0.5);
  EXPECT_EQ(finished.status, JobStatus::kFailed);
  EXPECT_EQ(finished.completion.kind, JobCompletion::Kind::kFailed);
  EXPECT_EQ(finished.completion.error, "disk on fire (gave up after 5 attempts)");
}

TEST_F(WorkerPoolExecutorTest, AnUnknownJobTypeFailsNamingTheType) {
  Executor executor = MakeExecutor();
  const Execution run = executor.Run(Claimed("webhook"), NotLost());
  EXPECT_EQ(run.verdict, Execution::Verdict::kFinished);
  EXPECT_EQ(run.finished.status, JobStatus::kFailed);
  EXPECT_EQ(run.finished.completion.error, "job type [webhook] is not known to this jobsd");
}

TEST_F(WorkerPoolExecutorTest, ATransientStoreErrorIsRetriedAndTellsTheClientNoInternals) {
  Register([](const JobContext&) -> JobOutcome {
    throw StoreError("disk I/O error in /secret/path.db: UPDATE ...", true, StoreFault::kIo);
  });
  Executor executor = MakeExecutor();
  const Execution run = executor.Run(Claimed("scripted"), NotLost());
  EXPECT_EQ(run.finished.status, JobStatus::kPending);
  const std::string& error = run.finished.completion.error;
  EXPECT_EQ(
      error.rfind("The job could not run: " + std::string(DescribeStoreFault(StoreFault::kIo)), 0),
      0u)
      << error;
  EXPECT_EQ(error.find("/secret"), std::string::npos) << error;
}

TEST_F(WorkerPoolExecutorTest, APermanentStoreErrorFails) {
  Register([](const JobContext&) -> JobOutcome {
    throw StoreError("malformed", false, StoreFault::kOther);
  });
  Executor executor = MakeExecutor();
  EXPECT_EQ(executor.Run(Claimed("scripted"), NotLost()).finished.status, JobStatus::kFailed);
}

TEST_F(WorkerPoolExecutorTest, AnIoErrorIsRetriedAndAnyOtherExceptionFails) {
  int calls = 0;
  Register([&calls](const JobContext&) -> JobOutcome {
    if (++calls == 1) throw std::system_error(std::make_error_code(std::errc::no_space_on_device));
    throw std::logic_error("bug at line 12");
  });
  Executor executor = MakeExecutor();
  const Execution io = executor.Run(Claimed("scripted"), NotLost());
  EXPECT_EQ(io.finished.status, JobStatus::kPending);
  EXPECT_NE(io.finished.completion.error.find("The job could not run: "), std::string::npos);
  const Execution bug = executor.Run(Claimed("scripted"), NotLost());
  EXPECT_EQ(bug.finished.status, JobStatus::kFailed);
  EXPECT_EQ(bug.finished.completion.error, "The job failed unexpectedly");
}

TEST_F(WorkerPoolExecutorTest, ALostClaimStopsTheRunAndDropsItsOutput) {
  auto lost = NotLost();
  Artifact written;
  Register([&](const JobContext& context) {
    lost->store(true);  // the lease keeper's renewal was refused meanwhile
    EXPECT_TRUE(context.stop_requested());
    std::unique_ptr<ArtifactWriter> writer =
        context.artifacts.Begin({context.job.id, "text/csv; charset=utf-8", "x.csv"});
    writer->Write("id\r\n");
    written = writer->Commit();
    return JobOutcome::Success("{\"row_count\":1}", written, 1);
  });
  Executor executor = MakeExecutor();
  const Execution run = executor.Run(Claimed("scripted"), lost);
  EXPECT_EQ(run.verdict, Execution::Verdict::kLost);
  EXPECT_EQ(run.finished.claimed.claim_token, "token-1");
  ASSERT_FALSE(written.key.empty());
  EXPECT_EQ(artifacts_.Open(written.key), nullptr) << "the output of a lost run stays behind";
}

TEST_F(WorkerPoolExecutorTest, AClaimLostBeforeItsRunStartsIsNotRun) {
  int runs = 0;
  Register([&](const JobContext&) {
    ++runs;
    return JobOutcome::Success();
  });
  auto lost = NotLost();
  lost->store(true);  // cancelled while it waited in the local queue
  Executor executor = MakeExecutor();
  const Execution run = executor.Run(Claimed("scripted"), lost);
  EXPECT_EQ(run.verdict, Execution::Verdict::kLost);
  EXPECT_EQ(run.finished.claimed.job.id, "job-1");
  EXPECT_EQ(runs, 0);
}

TEST_F(WorkerPoolExecutorTest, ARunReportsItsProgressThroughTheContext) {
  Register([](const JobContext& context) {
    context.report_progress(3, 4);
    return JobOutcome::Success();
  });
  std::vector<std::pair<std::int64_t, std::int64_t>> reports;
  Executor executor = MakeExecutor();
  const Execution run = executor.Run(
      Claimed("scripted"), NotLost(),
      [&](std::int64_t written, std::int64_t total) { reports.emplace_back(written, total); });
  EXPECT_EQ(run.verdict, Execution::Verdict::kFinished);
  EXPECT_EQ(reports, (std::vector<std::pair<std::int64_t, std::int64_t>>{{3, 4}}));
}

TEST_F(WorkerPoolExecutorTest, AForcedStopReleasesTheJobInsteadOfCountingTheAttempt) {
  Executor executor = MakeExecutor();
  Register([&executor](const JobContext& context) {
    EXPECT_FALSE(context.stop_requested());
    executor.ForceStop();  // a second SIGTERM
    EXPECT_TRUE(context.stop_requested());
    return JobOutcome::Retry("interrupted by shutdown");
  });
  const Execution run = executor.Run(Claimed("scripted"), NotLost());
  EXPECT_EQ(run.verdict, Execution::Verdict::kReleased);
  EXPECT_EQ(run.finished.completion.kind, JobCompletion::Kind::kRelease);
  EXPECT_EQ(run.finished.completion.token, "token-1");
}

TEST_F(WorkerPoolExecutorTest, AForcedStopKeepsAFinishedOutcome) {
  Executor executor = MakeExecutor();
  Register([&executor](const JobContext&) {
    executor.ForceStop();
    return JobOutcome::Failed("bad data");
  });
  const Execution run = executor.Run(Claimed("scripted"), NotLost());
  EXPECT_EQ(run.verdict, Execution::Verdict::kFinished);
  EXPECT_EQ(run.finished.status, JobStatus::kFailed);
}

}  // namespace
}  // namespace jobsd
