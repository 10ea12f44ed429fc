// RenewLeases (batch renewal with progress) and CancelJob of
// engine/queue/job_store.h, against every backend built (backend.h).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "tests/storage/conformance/backend.h"
#include "tests/storage/conformance/success_result.h"
#include "tests/support/temp_dir.h"

namespace jobsd::conformance {
namespace {

constexpr Nanos kT0 = 1'700'000'000 * kNanosPerSecond;  // 2023-11-14T22:13:20Z
constexpr Nanos kRetention = 7 * kNanosPerDay;
constexpr Nanos kLease = 30 * kNanosPerSecond;

using Kind = JobCompletion::Kind;
using CancelKind = CancelResult::Kind;

class JobProgressCancelConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  JobProgressCancelConformanceTest()
      : store_(GetParam().open(dir_.path())), jobs_(store_->jobs()) {}

  void Insert(std::string id, Nanos created_at) {
    NewJob job;
    job.id = std::move(id);
    job.job_type = "order_export";
    job.created_at = created_at;
    job.expires_at = created_at + kRetention;
    job.max_attempts = 3;
    ASSERT_TRUE(jobs_.InsertJob(job).created);
  }

  ClaimedJob ClaimOne(Nanos now) {
    auto claimed = jobs_.ClaimJobs({"w1", 1, now, now + kLease});
    EXPECT_EQ(claimed.size(), 1u);
    return claimed.empty() ? ClaimedJob{} : claimed.front();
  }

  Job Get(std::string_view id, Nanos now = kT0) {
    auto job = jobs_.FindJob(id, now);
    EXPECT_TRUE(job.has_value()) << id;
    return job.value_or(Job{});
  }

  static LeaseRenewal Renewal(const ClaimedJob& claim,
                              std::optional<JobProgress> progress = std::nullopt) {
    return LeaseRenewal{claim.job.id, claim.claim_token, progress};
  }

  bool Finish(JobCompletion completion, Nanos now) {
    return jobs_.FinishJobs({std::move(completion)}, now).front();
  }

  testing::TempDir dir_;
  std::unique_ptr<OpenBackend> store_;
  JobStore& jobs_;
};

TEST_P(JobProgressCancelConformanceTest, RenewLeasesRenewsEveryHeldClaimAndStoresProgress) {
  Insert("a", kT0);
  Insert("b", kT0 + 1);
  Insert("c", kT0 + 2);
  const ClaimedJob a = ClaimOne(kT0 + 10);
  const ClaimedJob b = ClaimOne(kT0 + 10);
  const ClaimedJob c = ClaimOne(kT0 + 10);
  EXPECT_EQ(a.job.progress, std::nullopt) << "a fresh claim has no progress";
  ASSERT_TRUE(Finish({"c", c.claim_token, Kind::kFailed, {}, "gone", 0}, kT0 + 11));
  ClaimedJob stale = b;
  stale.claim_token = "wrong-token";

  const std::vector<bool> held = jobs_.RenewLeases(
      {Renewal(a, JobProgress{5, 100}), Renewal(stale, JobProgress{1, 1}), Renewal(c), Renewal(b),
       LeaseRenewal{"missing", a.claim_token, JobProgress{1, 2}}},
      kT0 + 500);
  EXPECT_EQ(held, (std::vector<bool>{true, false, false, true, false}));

  const Job renewed_a = Get("a");
  EXPECT_EQ(renewed_a.lease_expires_at, kT0 + 500);
  EXPECT_EQ(renewed_a.progress, (JobProgress{5, 100}));
  EXPECT_EQ(renewed_a.updated_at, kT0 + 10) << "progress is no status change";
  const Job renewed_b = Get("b");
  EXPECT_EQ(renewed_b.lease_expires_at, kT0 + 500) << "the right token renews";
  EXPECT_EQ(renewed_b.progress, std::nullopt) << "the stale token's progress was not written";
  EXPECT_EQ(Get("c").progress, std::nullopt);
  EXPECT_EQ(jobs_.FindJob("missing", kT0), std::nullopt);

  // A renewal without progress keeps the stored one; a later report
  // replaces it.
  EXPECT_EQ(jobs_.RenewLeases({Renewal(a)}, kT0 + 600), std::vector<bool>{true});
  EXPECT_EQ(Get("a").progress, (JobProgress{5, 100}));
  EXPECT_EQ(jobs_.RenewLeases({Renewal(a, JobProgress{100, 100})}, kT0 + 700),
            std::vector<bool>{true});
  EXPECT_EQ(Get("a").progress, (JobProgress{100, 100}));
  EXPECT_TRUE(jobs_.RenewLeases({}, kT0 + 800).empty());
}

TEST_P(JobProgressCancelConformanceTest, EveryMoveOutOfStartedClearsTheProgress) {
  for (const char* id : {"succeeded", "failed", "retried", "released", "rescued"}) Insert(id, kT0);
  std::vector<ClaimedJob> claims;
  for (int i = 0; i < 5; ++i) claims.push_back(ClaimOne(kT0 + 10));
  std::vector<LeaseRenewal> renewals;
  for (const ClaimedJob& claim : claims) renewals.push_back(Renewal(claim, JobProgress{3, 9}));
  ASSERT_EQ(jobs_.RenewLeases(renewals, kT0 + 100), std::vector<bool>(5, true));
  for (const ClaimedJob& claim : claims) {
    ASSERT_EQ(Get(claim.job.id).progress, (JobProgress{3, 9})) << claim.job.id;
  }
  std::vector<JobCompletion> completions;
  for (const ClaimedJob& claim : claims) {
    JobCompletion completion = Succeeded(claim, claim.job.id);
    if (claim.job.id == "failed") completion.kind = Kind::kFailed;
    if (claim.job.id == "retried") completion.kind = Kind::kRetry;
    if (claim.job.id == "released") completion.kind = Kind::kRelease;
    if (claim.job.id != "rescued") completions.push_back(completion);
  }
  ASSERT_EQ(jobs_.FinishJobs(completions, kT0 + 20), std::vector<bool>(4, true));
  ASSERT_EQ(jobs_.RescueExpiredLeases(kT0 + 100), 1);
  for (const ClaimedJob& claim : claims) {
    const Job job = Get(claim.job.id);
    EXPECT_NE(job.status, JobStatus::kStarted) << claim.job.id;
    EXPECT_EQ(job.progress, std::nullopt) << claim.job.id;
  }
}

TEST_P(JobProgressCancelConformanceTest, CancellingAPendingJobFailsItAtOnce) {
  Insert("a", kT0);
  const std::uint64_t before = jobs_.ChangeVersion();
  const CancelResult result = jobs_.CancelJob("a", kT0 - 5);  // the clock went back
  ASSERT_EQ(result.kind, CancelKind::kCancelled);
  EXPECT_EQ(result.job.id, "a");
  EXPECT_EQ(result.job.status, JobStatus::kFailed);
  EXPECT_EQ(result.job.error, std::string(kCancelledError));
  EXPECT_EQ(result.job.updated_at, kT0 + 1) << "updated_at grows on a status change";
  EXPECT_EQ(result.job.attempts, 0);
  EXPECT_EQ(result.job.claimed_by, std::nullopt);
  EXPECT_EQ(result.job.lease_expires_at, std::nullopt);
  ExpectNoResult(result.job);

  const Job stored = Get("a");
  EXPECT_EQ(stored.status, JobStatus::kFailed);
  EXPECT_EQ(stored.error, std::string(kCancelledError));
  EXPECT_EQ(stored.updated_at, result.job.updated_at);
  EXPECT_NE(jobs_.ChangeVersion(), before);
  EXPECT_TRUE(jobs_.ClaimJobs({"w1", 5, kT0 + 10, kT0 + kLease}).empty()) << "never claimed";
  EXPECT_EQ(jobs_.NextRunAfter(), std::nullopt);
  auto counts = jobs_.CountByStatus(kT0);
  EXPECT_EQ(counts.at(JobStatus::kPending), 0);
  EXPECT_EQ(counts.at(JobStatus::kStarted), 0);
  EXPECT_EQ(counts.at(JobStatus::kFailed), 1);
}

TEST_P(JobProgressCancelConformanceTest, CancellingAStartedJobKillsItsClaim) {
  Insert("a", kT0);
  const ClaimedJob claim = ClaimOne(kT0 + 10);
  ASSERT_EQ(jobs_.RenewLeases({Renewal(claim, JobProgress{10, 50})}, kT0 + 100),
            std::vector<bool>{true});

  const CancelResult result = jobs_.CancelJob("a", kT0 + 20);
  ASSERT_EQ(result.kind, CancelKind::kCancelled);
  EXPECT_EQ(result.job.status, JobStatus::kFailed);
  EXPECT_EQ(result.job.error, std::string(kCancelledError));
  EXPECT_EQ(result.job.progress, std::nullopt);
  EXPECT_EQ(result.job.updated_at, kT0 + 20);
  EXPECT_EQ(result.job.attempts, 1);

  // The worker's next renewal finds its claim gone; its outcome, whatever
  // it is, applies nothing.
  EXPECT_EQ(jobs_.RenewLeases({Renewal(claim, JobProgress{20, 50})}, kT0 + 200),
            std::vector<bool>{false});
  EXPECT_FALSE(Finish(Succeeded(claim, "a"), kT0 + 30));
  EXPECT_FALSE(Finish({"a", claim.claim_token, Kind::kRelease, {}, "", 0}, kT0 + 30));
  EXPECT_EQ(jobs_.RescueExpiredLeases(kT0 + 10 * kLease), 0) << "a cancelled job is not rescued";
  EXPECT_EQ(jobs_.RescueClaimsOf({"w1"}, kT0 + 40), 0);
  const Job stored = Get("a");
  EXPECT_EQ(stored.status, JobStatus::kFailed);
  EXPECT_EQ(stored.error, std::string(kCancelledError));
  ExpectNoResult(stored);
  EXPECT_TRUE(FindByResult(jobs_, "a", kT0) == std::nullopt);
  EXPECT_TRUE(ReferencedArtifacts(jobs_).empty());
}

TEST_P(JobProgressCancelConformanceTest, AFinishedJobIsNotCancelled) {
  Insert("done", kT0);
  Insert("broken", kT0 + 1);
  const ClaimedJob done = ClaimOne(kT0 + 10);
  const ClaimedJob broken = ClaimOne(kT0 + 10);
  ASSERT_TRUE(Finish(Succeeded(done, "done"), kT0 + 20));
  ASSERT_TRUE(Finish({"broken", broken.claim_token, Kind::kFailed, {}, "no", 0}, kT0 + 20));
  const std::uint64_t before = jobs_.ChangeVersion();

  const CancelResult succeeded = jobs_.CancelJob("done", kT0 + 30);
  EXPECT_EQ(succeeded.kind, CancelKind::kAlreadyFinished);
  EXPECT_EQ(succeeded.job.status, JobStatus::kSuccess);
  ExpectResultNamed(succeeded.job, "done");
  const CancelResult failed = jobs_.CancelJob("broken", kT0 + 30);
  EXPECT_EQ(failed.kind, CancelKind::kAlreadyFinished);
  EXPECT_EQ(failed.job.status, JobStatus::kFailed);
  EXPECT_EQ(failed.job.error, "no");

  EXPECT_EQ(Get("done").updated_at, kT0 + 20) << "unchanged";
  ExpectResultNamed(Get("done"), "done");
  EXPECT_EQ(Get("broken").error, "no");
  EXPECT_EQ(jobs_.ChangeVersion(), before) << "nothing was written";

  // A second cancel of a cancelled job is the same: already finished.
  Insert("twice", kT0 + 2);
  ASSERT_EQ(jobs_.CancelJob("twice", kT0 + 40).kind, CancelKind::kCancelled);
  const CancelResult again = jobs_.CancelJob("twice", kT0 + 50);
  EXPECT_EQ(again.kind, CancelKind::kAlreadyFinished);
  EXPECT_EQ(again.job.error, std::string(kCancelledError));
}

TEST_P(JobProgressCancelConformanceTest, UnknownAndExpiredJobsAreNotFound) {
  Insert("old", kT0);
  EXPECT_EQ(jobs_.CancelJob("missing", kT0).kind, CancelKind::kNotFound);
  EXPECT_EQ(jobs_.CancelJob("", kT0).kind, CancelKind::kNotFound);
  const CancelResult expired = jobs_.CancelJob("old", kT0 + kRetention);
  EXPECT_EQ(expired.kind, CancelKind::kNotFound);
  EXPECT_EQ(expired.job.id, "");
  EXPECT_EQ(Get("old", kT0).status, JobStatus::kPending) << "an expired job is left alone";
}

INSTANTIATE_TEST_SUITE_P(AllBackends, JobProgressCancelConformanceTest,
                         ::testing::ValuesIn(AllBackends()), BackendName);

}  // namespace
}  // namespace jobsd::conformance
