// JobService against the in-memory store (the reference implementation of
// the port; tests/storage/conformance holds it to what SQLite does).
#include "engine/queue/job_service.h"

#include <gtest/gtest.h>

#include "engine/filter.h"
#include "storage/memory/memory_job_store.h"
#include "tests/support/manual_clock.h"

namespace jobsd {
namespace {

// A job type that accepts order filters and does nothing.
class AcceptOrderFilters final : public JobHandler {
 public:
  void ValidateParams(std::string_view text) const override {
    filter::Parse(text, filter::OrderFields());
  }
  JobOutcome Run(const JobContext&) override { return JobOutcome::Failed("not run here"); }
};

class JobServiceTest : public ::testing::Test {
 protected:
  JobServiceTest() : service_(jobs_, registry_, clock_, JobServiceOptions{}) {
    registry_.Register("order_export", std::make_unique<AcceptOrderFilters>());
  }

  testing::ManualClock clock_;
  JobTypeRegistry registry_;
  storage::MemoryJobStore jobs_;
  JobService service_;
};

TEST_F(JobServiceTest, CreateStoresAPendingJobWithMatchingTimestamps) {
  CreateJobResult result = service_.Create({"order_export", "eq(payment,paid)", std::nullopt});
  EXPECT_TRUE(result.created);
  EXPECT_EQ(result.job.status, JobStatus::kPending);
  EXPECT_EQ(result.job.created_at, clock_.Now());
  EXPECT_EQ(result.job.updated_at, result.job.created_at);
  EXPECT_EQ(result.job.expires_at, clock_.Now() + 7 * kNanosPerDay);
  EXPECT_FALSE(result.job.error);
  EXPECT_EQ(result.job.id.size(), 36u);
  std::optional<Job> found = service_.Get(result.job.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->params, "eq(payment,paid)");
  EXPECT_EQ(found->job_type, "order_export");
}

TEST_F(JobServiceTest, CreateWakesWorkersOnlyWhenAJobIsStored) {
  int wakes = 0;
  service_.SetOnCreated([&] { ++wakes; });
  service_.Create({"order_export", "", std::nullopt});
  EXPECT_THROW(service_.Create({"order_export", "eq(colour,red)", std::nullopt}), InvalidRequest);
  EXPECT_EQ(wakes, 1);
}

TEST_F(JobServiceTest, UnknownJobTypeIsRejectedNamingTheRegisteredOnes) {
  try {
    service_.Create({"order_import", "", std::nullopt});
    FAIL() << "accepted an unknown job type";
  } catch (const InvalidRequest& e) {
    EXPECT_NE(std::string(e.what()).find("order_import"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("order_export"), std::string::npos) << e.what();
  }
  EXPECT_EQ(service_.List({}).total, 0);
}

TEST_F(JobServiceTest, BadFilterNeverBecomesAJob) {
  try {
    service_.Create({"order_export", "eq(payment,payed)", std::nullopt});
    FAIL() << "accepted a bad filter";
  } catch (const InvalidRequest& e) {
    EXPECT_EQ(std::string(e.what()), "Could not parse the supplied filter");
    EXPECT_NE(e.reason().find("payed"), std::string::npos) << e.reason();
  }
  EXPECT_EQ(service_.List({}).total, 0);
}

TEST_F(JobServiceTest, IdempotencyKeyReturnsTheOriginalJobForTheSameRequest) {
  CreateJobResult first = service_.Create({"order_export", "eq(payment,paid)", "key-1"});
  clock_.Advance(kNanosPerSecond);
  CreateJobResult again = service_.Create({"order_export", "eq(payment,paid)", "key-1"});
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.job.id, first.job.id);
  EXPECT_EQ(service_.List({}).total, 1);

  EXPECT_THROW(service_.Create({"order_export", "eq(payment,unpaid)", "key-1"}),
               IdempotencyConflict);
  CreateJobResult other_key = service_.Create({"order_export", "eq(payment,paid)", "key-2"});
  EXPECT_TRUE(other_key.created);
  EXPECT_NE(other_key.job.id, first.job.id);
}

TEST_F(JobServiceTest, IdempotencyKeyIsForgottenAfterItsWindow) {
  CreateJobResult first = service_.Create({"order_export", "", "key"});
  clock_.Advance(kNanosPerDay + kNanosPerSecond);
  CreateJobResult later = service_.Create({"order_export", "", "key"});
  EXPECT_TRUE(later.created);
  EXPECT_NE(later.job.id, first.job.id);
}

TEST_F(JobServiceTest, ListIsNewestFirstAndFiltersOnJobFields) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(service_.Create({"order_export", "", std::nullopt}).job.id);
    clock_.Advance(kNanosPerSecond);
  }
  JobPage page = service_.List({"", 2, 1});
  EXPECT_EQ(page.total, 5);
  ASSERT_EQ(page.jobs.size(), 2u);
  EXPECT_EQ(page.jobs[0].id, ids[3]);
  EXPECT_EQ(page.jobs[1].id, ids[2]);

  EXPECT_EQ(service_.List({"eq(status,pending)", 25, 0}).total, 5);
  EXPECT_EQ(service_.List({"eq(status,success)", 25, 0}).total, 0);
  EXPECT_THROW(service_.List({"eq(payment,paid)", 25, 0}), InvalidRequest);
}

TEST_F(JobServiceTest, ExpiredJobsAreGoneAtOnce) {
  CreateJobResult created = service_.Create({"order_export", "", std::nullopt});
  clock_.Advance(7 * kNanosPerDay - 1);
  EXPECT_TRUE(service_.Get(created.job.id));
  clock_.Advance(1);
  EXPECT_FALSE(service_.Get(created.job.id));
  EXPECT_EQ(service_.List({}).total, 0);
  EXPECT_TRUE(service_.List({}).jobs.empty());
}

}  // namespace
}  // namespace jobsd
