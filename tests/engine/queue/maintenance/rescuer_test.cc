#include "engine/queue/maintenance/rescuer.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>

#include "tests/engine/queue/maintenance/maintenance_fixture.h"

namespace jobsd {
namespace {

using RescuerTest = testing::MaintenanceTest;

TEST_F(RescuerTest, ReturnsAJobWhoseLeaseLapsedToPending) {
  const std::string id = CreateJob();
  // A worker of a process that then died.
  auto claimed = jobs_.ClaimJobs({"ghost", 1, clock_.Now(), clock_.Now() + kLease});
  ASSERT_EQ(claimed.size(), 1u);

  Rescuer rescuer(jobs_);
  clock_.Advance(kLease - kNanosPerSecond);
  EXPECT_EQ(rescuer.RunOnce(clock_.Now()), 0);
  EXPECT_EQ(StatusOf(id), JobStatus::kStarted);
  clock_.Advance(kNanosPerSecond);
  EXPECT_EQ(rescuer.RunOnce(clock_.Now()), 1);
  Job job = jobs_.FindJob(id, clock_.Now()).value();
  EXPECT_EQ(job.status, JobStatus::kPending);
  EXPECT_EQ(job.attempts, 0);
  EXPECT_EQ(job.interruptions, 1);
  EXPECT_FALSE(job.claimed_by);
  // The dead worker's token is worthless now.
  JobCompletion late{id, claimed[0].claim_token, JobCompletion::Kind::kFailed, {}, "late", 0};
  EXPECT_FALSE(jobs_.FinishJobs({late}, clock_.Now()).front());
}

TEST_F(RescuerTest, TakesBackJobsOfEndedLocalProcessesWithoutWaitingForTheLease) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  const pid_t ended = fork();
  if (ended == 0) _exit(0);
  waitpid(ended, nullptr, 0);  // now surely gone

  const std::string dead_worker = std::string(host) + ":" + std::to_string(ended) + ":abc:0";
  const std::string live_worker = std::string(host) + ":" + std::to_string(getpid()) + ":abc:0";
  const std::string remote_worker = "another-host:" + std::to_string(ended) + ":abc:0";
  std::map<std::string, std::string> job_of;
  for (const std::string& worker : {dead_worker, live_worker, remote_worker}) {
    job_of[worker] = StartedJob(worker);
  }

  Rescuer rescuer(jobs_);
  EXPECT_EQ(rescuer.RescueDeadLocalWorkers(clock_.Now()), 1);
  Job rescued = jobs_.FindJob(job_of[dead_worker], clock_.Now()).value();
  EXPECT_EQ(rescued.status, JobStatus::kPending);
  EXPECT_EQ(rescued.attempts, 0) << "an interrupted run is not an attempt";
  EXPECT_EQ(rescued.interruptions, 1);
  ASSERT_TRUE(rescued.error);
  EXPECT_NE(rescued.error->find("ended"), std::string::npos) << *rescued.error;
  EXPECT_EQ(StatusOf(job_of[live_worker]), JobStatus::kStarted);
  EXPECT_EQ(StatusOf(job_of[remote_worker]), JobStatus::kStarted);
}

}  // namespace
}  // namespace jobsd
