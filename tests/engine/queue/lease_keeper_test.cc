// The lease keeper on a real SQLite store with a manual clock.
#include "engine/queue/lease_keeper.h"

#include <gtest/gtest.h>

#include "engine/queue/job_service.h"
#include "storage/sqlite/database.h"
#include "tests/engine/queue/test_jobs.h"
#include "tests/support/manual_clock.h"
#include "tests/support/temp_dir.h"

namespace jobsd {
namespace {

constexpr Nanos kLease = 30 * kNanosPerSecond;

class WorkerPoolLeaseKeeperTest : public ::testing::Test {
 protected:
  WorkerPoolLeaseKeeperTest()
      : db_(storage::Database::Open(storage::DatabaseOptions{dir_ / "jobs.db"})),
        leases_(db_->jobs(), clock_, kLease) {
    registry_.Register("count", std::make_unique<testing::CountingJob>());
  }

  ClaimedJob ClaimOne(const std::string& worker) {
    JobService(db_->jobs(), registry_, clock_, JobServiceOptions{})
        .Create({"count", "", std::nullopt});
    auto claimed = db_->jobs().ClaimJobs({worker, 1, clock_.Now(), clock_.Now() + kLease});
    EXPECT_EQ(claimed.size(), 1u);
    return claimed.at(0);
  }

  testing::TempDir dir_;
  testing::ManualClock clock_;
  std::unique_ptr<storage::Database> db_;
  JobTypeRegistry registry_;
  LeaseKeeper leases_;
};

TEST_F(WorkerPoolLeaseKeeperTest, RenewalKeepsAHeldJobFromTheRescuer) {
  const ClaimedJob claimed = ClaimOne("me");
  leases_.Hold(claimed);
  clock_.Advance(20 * kNanosPerSecond);
  EXPECT_EQ(leases_.RenewOnce(), 0);
  clock_.Advance(20 * kNanosPerSecond);  // past the first lease, not the renewed one
  EXPECT_EQ(db_->jobs().RescueExpiredLeases(clock_.Now()), 0);
  EXPECT_EQ(db_->jobs().FindJob(claimed.job.id, clock_.Now())->lease_expires_at,
            clock_.Now() - 20 * kNanosPerSecond + kLease);
  EXPECT_FALSE(leases_.LostFlag(claimed.job.id)->load());
}

TEST_F(WorkerPoolLeaseKeeperTest, ARefusedRenewalRaisesTheLostFlag) {
  const ClaimedJob claimed = ClaimOne("me");
  leases_.Hold(claimed);
  const ClaimLostFlag lost = leases_.LostFlag(claimed.job.id);
  clock_.Advance(kLease);
  ASSERT_EQ(db_->jobs().RescueExpiredLeases(clock_.Now()), 1);
  EXPECT_EQ(leases_.RenewOnce(), 1);
  EXPECT_TRUE(lost->load());
}

TEST_F(WorkerPoolLeaseKeeperTest, ForgettingAnOldClaimLeavesANewerClaimOfTheSameJobHeld) {
  const ClaimedJob first = ClaimOne("me");
  leases_.Hold(first);
  clock_.Advance(kLease);
  ASSERT_EQ(db_->jobs().RescueExpiredLeases(clock_.Now()), 1);
  auto again = db_->jobs().ClaimJobs({"me", 1, clock_.Now(), clock_.Now() + kLease});
  ASSERT_EQ(again.size(), 1u);
  leases_.Hold(again[0]);
  leases_.Forget(first.job.id, first.claim_token);
  EXPECT_EQ(leases_.held_count(), 1u);
  leases_.Forget(again[0].job.id, again[0].claim_token);
  EXPECT_EQ(leases_.held_count(), 0u);
}

}  // namespace
}  // namespace jobsd
