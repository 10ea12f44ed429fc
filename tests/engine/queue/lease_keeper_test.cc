// The lease keeper on the memory store and on SQLite's, with a manual clock.
#include "engine/queue/lease_keeper.h"

#include <gtest/gtest.h>

#include <atomic>

#include "engine/queue/job_service.h"
#include "storage/memory/memory_job_store.h"
#include "tests/engine/engine_stores.h"
#include "tests/engine/queue/test_jobs.h"
#include "tests/support/manual_clock.h"
#include "tests/support/temp_dir.h"

namespace jobsd {
namespace {

constexpr Nanos kLease = 30 * kNanosPerSecond;

class WorkerPoolLeaseKeeperTest : public ::testing::TestWithParam<testing::StoreKind> {
 protected:
  WorkerPoolLeaseKeeperTest() : leases_(stores_.jobs(), clock_, kLease) {
    registry_.Register("count", std::make_unique<testing::CountingJob>());
  }

  ClaimedJob ClaimOne(const std::string& worker) {
    JobService(stores_.jobs(), registry_, clock_, JobServiceOptions{})
        .Create({"count", "", std::nullopt});
    auto claimed = stores_.jobs().ClaimJobs({worker, 1, clock_.Now(), clock_.Now() + kLease});
    EXPECT_EQ(claimed.size(), 1u);
    return claimed.at(0);
  }

  testing::TempDir dir_;
  testing::ManualClock clock_;
  testing::EngineStores stores_{GetParam(), dir_.path()};
  JobTypeRegistry registry_;
  LeaseKeeper leases_;
};

TEST_P(WorkerPoolLeaseKeeperTest, RenewalKeepsAHeldJobFromTheRescuer) {
  const ClaimedJob claimed = ClaimOne("me");
  leases_.Hold(claimed);
  clock_.Advance(20 * kNanosPerSecond);
  EXPECT_EQ(leases_.RenewOnce(), 0);
  clock_.Advance(20 * kNanosPerSecond);  // past the first lease, not the renewed one
  EXPECT_EQ(stores_.jobs().RescueExpiredLeases(clock_.Now()), 0);
  EXPECT_EQ(stores_.jobs().FindJob(claimed.job.id, clock_.Now())->lease_expires_at,
            clock_.Now() - 20 * kNanosPerSecond + kLease);
  EXPECT_FALSE(leases_.LostFlag(claimed.job.id)->load());
}

TEST_P(WorkerPoolLeaseKeeperTest, ARefusedRenewalRaisesTheLostFlag) {
  const ClaimedJob claimed = ClaimOne("me");
  leases_.Hold(claimed);
  const ClaimLostFlag lost = leases_.LostFlag(claimed.job.id);
  clock_.Advance(kLease);
  ASSERT_EQ(stores_.jobs().RescueExpiredLeases(clock_.Now()), 1);
  EXPECT_EQ(leases_.RenewOnce(), 1);
  EXPECT_TRUE(lost->load());
}

TEST_P(WorkerPoolLeaseKeeperTest, ForgettingAnOldClaimLeavesANewerClaimOfTheSameJobHeld) {
  const ClaimedJob first = ClaimOne("me");
  leases_.Hold(first);
  clock_.Advance(kLease);
  ASSERT_EQ(stores_.jobs().RescueExpiredLeases(clock_.Now()), 1);
  auto again = stores_.jobs().ClaimJobs({"me", 1, clock_.Now(), clock_.Now() + kLease});
  ASSERT_EQ(again.size(), 1u);
  leases_.Hold(again[0]);
  leases_.Forget(first.job.id, first.claim_token);
  EXPECT_EQ(leases_.held_count(), 1u);
  leases_.Forget(again[0].job.id, again[0].claim_token);
  EXPECT_EQ(leases_.held_count(), 0u);
}

TEST_P(WorkerPoolLeaseKeeperTest, ARunsProgressReachesTheStoreWithTheNextRenewal) {
  const ClaimedJob claimed = ClaimOne("me");
  leases_.Hold(claimed);
  EXPECT_EQ(leases_.RenewOnce(), 0);
  EXPECT_EQ(stores_.jobs().FindJob(claimed.job.id, clock_.Now())->progress, std::nullopt)
      << "nothing reported yet";
  const ProgressReporter report = leases_.Reporter(claimed.job.id);
  report(0, 3000);
  for (std::int64_t row = 1; row <= 2500; ++row) report(row, 3000);
  EXPECT_EQ(stores_.jobs().FindJob(claimed.job.id, clock_.Now())->progress, std::nullopt)
      << "reports are not writes";
  EXPECT_EQ(leases_.RenewOnce(), 0);
  EXPECT_EQ(stores_.jobs().FindJob(claimed.job.id, clock_.Now())->progress,
            (JobProgress{2500, 3000}));
}

TEST_P(WorkerPoolLeaseKeeperTest, OnlyTheFirstProgressReportAsksForARenewalAtOnce) {
  std::atomic<int> pokes{0};
  leases_.SetOnFirstProgress([&] { ++pokes; });
  const ClaimedJob a = ClaimOne("me");
  const ClaimedJob b = ClaimOne("me");
  leases_.Hold(a);
  leases_.Hold(b);
  const ProgressReporter report_a = leases_.Reporter(a.job.id);
  report_a(0, 10);
  EXPECT_EQ(pokes.load(), 1);
  report_a(5, 10);
  report_a(10, 10);
  EXPECT_EQ(pokes.load(), 1);
  leases_.Reporter(b.job.id)(1, 2);
  EXPECT_EQ(pokes.load(), 2) << "each run's first report";
}

TEST_P(WorkerPoolLeaseKeeperTest, ACancelledJobsClaimIsFoundLostAtTheNextRenewal) {
  const ClaimedJob claimed = ClaimOne("me");
  leases_.Hold(claimed);
  const ClaimLostFlag lost = leases_.LostFlag(claimed.job.id);
  ASSERT_EQ(stores_.jobs().CancelJob(claimed.job.id, clock_.Now()).kind,
            CancelResult::Kind::kCancelled);
  EXPECT_FALSE(lost->load()) << "not before the renewal";
  EXPECT_EQ(leases_.RenewOnce(), 1);
  EXPECT_TRUE(lost->load());
}

TEST_P(WorkerPoolLeaseKeeperTest, AFreshClaimIsRenewedOnlyOnceItIsOldEnoughOrHasProgress) {
  LeaseKeeper leases(stores_.jobs(), clock_, kLease, /*fresh_for=*/kNanosPerSecond);
  const ClaimedJob quiet = ClaimOne("me");
  const ClaimedJob reporting = ClaimOne("me");
  leases.Hold(quiet);
  leases.Hold(reporting);
  leases.Reporter(reporting.job.id)(1, 4);
  ASSERT_EQ(stores_.jobs().CancelJob(quiet.job.id, clock_.Now()).kind,
            CancelResult::Kind::kCancelled);

  clock_.Advance(kNanosPerSecond / 2);
  EXPECT_EQ(leases.RenewOnce(), 0) << "the cancelled claim is still too fresh to be renewed";
  EXPECT_FALSE(leases.LostFlag(quiet.job.id)->load());
  const Job renewed = stores_.jobs().FindJob(reporting.job.id, clock_.Now()).value();
  EXPECT_EQ(renewed.progress, (JobProgress{1, 4})) << "a report goes out at once";
  EXPECT_EQ(renewed.lease_expires_at, clock_.Now() + kLease);

  clock_.Advance(kNanosPerSecond / 2);
  EXPECT_EQ(leases.RenewOnce(), 1) << "old enough now: found lost";
  EXPECT_TRUE(leases.LostFlag(quiet.job.id)->load());
}

TEST_P(WorkerPoolLeaseKeeperTest, ACancelInThisProcessReachesEvenAFreshClaimAtTheNextRenewal) {
  LeaseKeeper leases(stores_.jobs(), clock_, kLease, /*fresh_for=*/kNanosPerSecond);
  const ClaimedJob claimed = ClaimOne("me");
  leases.Hold(claimed);
  ASSERT_EQ(stores_.jobs().CancelJob(claimed.job.id, clock_.Now()).kind,
            CancelResult::Kind::kCancelled);
  leases.RenewAllNext();
  EXPECT_EQ(leases.RenewOnce(), 1);
  EXPECT_TRUE(leases.LostFlag(claimed.job.id)->load());
}

TEST_P(WorkerPoolLeaseKeeperTest, AClaimAwaitingItsCommitIsLeftToTheCompleterForHalfALease) {
  const ClaimedJob finishing = ClaimOne("me");
  const ClaimedJob running = ClaimOne("me");
  leases_.Hold(finishing);
  leases_.Hold(running);
  leases_.Finishing(finishing.job.id, "not its token");  // an older claim's: ignored
  clock_.Advance(kNanosPerSecond);
  EXPECT_EQ(leases_.RenewOnce(), 0);
  EXPECT_EQ(stores_.jobs().FindJob(finishing.job.id, clock_.Now())->lease_expires_at,
            clock_.Now() + kLease);

  leases_.Finishing(finishing.job.id, finishing.claim_token);
  clock_.Advance(kNanosPerSecond);
  EXPECT_EQ(leases_.RenewOnce(), 0);
  EXPECT_EQ(stores_.jobs().FindJob(running.job.id, clock_.Now())->lease_expires_at,
            clock_.Now() + kLease);
  EXPECT_EQ(stores_.jobs().FindJob(finishing.job.id, clock_.Now())->lease_expires_at,
            clock_.Now() - kNanosPerSecond + kLease)
      << "left alone while its commit is under way";

  clock_.Advance(kLease / 2);  // a commit this slow: renewed again, not left to lapse
  EXPECT_EQ(leases_.RenewOnce(), 0);
  EXPECT_EQ(stores_.jobs().FindJob(finishing.job.id, clock_.Now())->lease_expires_at,
            clock_.Now() + kLease);
}

// One transaction per tick for every held claim: the memory store's
// version moves once per write transaction.
INSTANTIATE_TEST_SUITE_P(Stores, WorkerPoolLeaseKeeperTest, testing::kEngineStoreKinds,
                         testing::StoreKindName);

TEST(LeaseKeeperBatchTest, OneRenewalTransactionRenewsEveryHeldClaim) {
  storage::MemoryJobStore store;
  testing::ManualClock clock;
  LeaseKeeper leases(store, clock, kLease);
  EXPECT_EQ(leases.RenewOnce(), 0) << "nothing held";
  for (int i = 0; i < 5; ++i) {
    NewJob job;
    job.id = "job-" + std::to_string(i);
    job.job_type = "count";
    job.created_at = clock.Now() + i;
    job.expires_at = job.created_at + kNanosPerDay;
    ASSERT_TRUE(store.InsertJob(job).created);
  }
  const std::vector<ClaimedJob> claimed =
      store.ClaimJobs({"me", 5, clock.Now() + 10, clock.Now() + kLease});
  ASSERT_EQ(claimed.size(), 5u);
  for (const ClaimedJob& claim : claimed) leases.Hold(claim);
  leases.Reporter(claimed[2].job.id)(7, 9);

  clock.Advance(kNanosPerSecond);
  const std::uint64_t before = store.ChangeVersion();
  EXPECT_EQ(leases.RenewOnce(), 0);
  EXPECT_EQ(store.ChangeVersion(), before + 1) << "one transaction for five claims";
  for (const ClaimedJob& claim : claimed) {
    const Job job = store.FindJob(claim.job.id, clock.Now()).value();
    EXPECT_EQ(job.lease_expires_at, clock.Now() + kLease) << job.id;
    EXPECT_EQ(job.progress, claim.job.id == claimed[2].job.id
                                ? std::optional<JobProgress>(JobProgress{7, 9})
                                : std::nullopt)
        << job.id;
  }
}

}  // namespace
}  // namespace jobsd
