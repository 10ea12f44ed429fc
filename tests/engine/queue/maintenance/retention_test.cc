#include "engine/queue/maintenance/retention.h"

#include <gtest/gtest.h>

#include "tests/engine/queue/maintenance/maintenance_fixture.h"

namespace jobsd {
namespace {

using RetentionTest = testing::MaintenanceTest;

TEST_F(RetentionTest, DeletesExpiredJobsWithTheirFilesAndNothingEarlier) {
  const Job job = SucceededJob();
  const std::string file = job.artifact.value().key;  // the local adapter's key is the path
  ASSERT_TRUE(std::filesystem::exists(file));
  clock_.Advance(kNanosPerSecond);
  const std::string younger = CreateJob();

  Retention retention(jobs_, artifacts_);
  clock_.Set(job.expires_at - 1);
  EXPECT_EQ(retention.RunOnce(clock_.Now()), 0);
  EXPECT_TRUE(std::filesystem::exists(file));
  clock_.Set(job.expires_at);
  EXPECT_EQ(retention.RunOnce(clock_.Now()), 1);
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_FALSE(jobs_.FindJob(job.id, 0));
  EXPECT_TRUE(jobs_.FindJob(younger, 0));
}

TEST_F(RetentionTest, DeletesMoreThanOneBatchInOneRun) {
  std::vector<NewJob> jobs(1201);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    jobs[i].id = "job-" + std::to_string(i);
    jobs[i].job_type = "count";
    jobs[i].created_at = clock_.Now();
    jobs[i].expires_at = clock_.Now() + kNanosPerDay;
  }
  jobs_.InsertJobs(jobs);  // one transaction: 1201 commits would take seconds
  Retention retention(jobs_, artifacts_);
  clock_.Advance(kNanosPerDay);
  EXPECT_EQ(retention.RunOnce(clock_.Now()), 1201);
  EXPECT_EQ(retention.RunOnce(clock_.Now()), 0);
}

}  // namespace
}  // namespace jobsd
