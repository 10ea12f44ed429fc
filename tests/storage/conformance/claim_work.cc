#include "tests/storage/conformance/claim_work.h"

#include <gtest/gtest.h>

#include "tests/storage/conformance/success_result.h"

namespace jobsd::conformance {
namespace {

constexpr Nanos kT0 = 1'700'000'000 * kNanosPerSecond;

bool RetriedOnce(const std::string& id) { return id.back() % 5 == 0; }

}  // namespace

void FillQueue(JobStore& jobs) {
  std::vector<NewJob> batch;
  for (int i = 0; i < kQueuedJobs; ++i) {
    NewJob job;
    job.id = "job-" + std::to_string(100000 + i);
    job.job_type = "order_export";
    job.created_at = kT0 + i;
    job.expires_at = kT0 + kNanosPerDay;
    batch.push_back(std::move(job));
  }
  jobs.InsertJobs(batch);
}

void DrainQueue(JobStore& jobs, const std::string& worker, ClaimTally& tally) {
  for (int batch = 0;; ++batch) {
    const Nanos now = kT0 + kQueuedJobs + batch;
    auto claimed = jobs.ClaimJobs({worker, 1 + batch % 7, now, now + kNanosPerDay / 2});
    if (claimed.empty()) {
      if (jobs.NextRunAfter().has_value()) continue;  // retries still pending
      return;
    }
    for (const ClaimedJob& claim : claimed) {
      JobCompletion completion = Succeeded(claim, claim.job.id);
      if (claim.job.attempts == 1 && RetriedOnce(claim.job.id)) {
        completion.kind = JobCompletion::Kind::kRetry;
        completion.error = "again";
        completion.run_after = now;
      }
      const bool applied = jobs.FinishJobs({completion}, now).front();
      // The token is spent: finishing again, in whatever way, changes nothing.
      JobCompletion again = Succeeded(claim, "again-" + claim.job.id);
      if (jobs.FinishJobs({again}, now).front()) ++tally.stale_finishes_applied;
      if (applied && completion.kind == JobCompletion::Kind::kSucceeded) {
        std::lock_guard lock(tally.mutex);
        ++tally.succeeded[claim.job.id];
      }
    }
  }
}

void ExpectDrainedOnce(JobStore& jobs, const ClaimTally& tally) {
  EXPECT_EQ(tally.stale_finishes_applied, 0);
  EXPECT_EQ(tally.succeeded.size(), static_cast<std::size_t>(kQueuedJobs));
  for (const auto& [id, times] : tally.succeeded) EXPECT_EQ(times, 1) << id;
  auto counts = jobs.CountByStatus(kT0);
  EXPECT_EQ(counts.at(JobStatus::kSuccess), kQueuedJobs);
  EXPECT_EQ(counts.at(JobStatus::kPending), 0);
  EXPECT_EQ(counts.at(JobStatus::kStarted), 0);
  for (std::int64_t offset = 0; offset < kQueuedJobs; offset += 500) {
    JobPage page = jobs.ListJobs({{}, 500, offset, kT0});
    for (const Job& job : page.jobs) {
      EXPECT_EQ(job.attempts, RetriedOnce(job.id) ? 2 : 1) << job.id;
      ExpectResultNamed(job, job.id);
    }
  }
}

}  // namespace jobsd::conformance
