// A SQLite store on a manual clock, with jobs in the states the
// maintenance services look for.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "engine/queue/job_service.h"
#include "storage/files/local_artifact_store.h"
#include "storage/memory/memory_job_store.h"
#include "tests/engine/queue/test_jobs.h"
#include "tests/support/manual_clock.h"
#include "tests/support/temp_dir.h"

namespace jobsd::testing {

class MaintenanceTest : public ::testing::Test {
 protected:
  static constexpr Nanos kLease = 30 * kNanosPerSecond;

  MaintenanceTest() {
    registry_.Register("count", std::make_unique<CountingJob>());
    std::filesystem::create_directories(exports_);
  }

  std::string CreateJob() {
    return JobService(jobs_, registry_, clock_, JobServiceOptions{})
        .Create({"count", "", std::nullopt})
        .job.id;
  }

  // A job that is started by `worker` now.
  std::string StartedJob(const std::string& worker) {
    const std::string id = CreateJob();
    auto claimed = jobs_.ClaimJobs({worker, 1, clock_.Now(), clock_.Now() + kLease});
    EXPECT_EQ(claimed.size(), 1u);
    return id;
  }

  // A job that succeeded with an artifact in the exports directory.
  Job SucceededJob() {
    const std::string id = CreateJob();
    auto claimed = jobs_.ClaimJobs({"w", 1, clock_.Now(), clock_.Now() + kLease});
    EXPECT_EQ(claimed.size(), 1u);
    std::unique_ptr<ArtifactWriter> writer =
        artifacts_.Begin({id, "text/csv; charset=utf-8", "x.csv"});
    writer->Write("id\r\n");
    JobCompletion success{id,
                          claimed.at(0).claim_token,
                          JobCompletion::Kind::kSucceeded,
                          SuccessResult{"{\"row_count\":1}", writer->Commit()},
                          "",
                          0};
    EXPECT_TRUE(jobs_.FinishJobs({success}, clock_.Now()).front());
    return jobs_.FindJob(id, clock_.Now()).value();
  }

  JobStatus StatusOf(const std::string& id) {
    return jobs_.FindJob(id, clock_.Now()).value().status;
  }

  TempDir dir_;
  const std::filesystem::path exports_ = dir_ / "exports";
  ManualClock clock_;
  storage::MemoryJobStore jobs_;
  storage::LocalArtifactStore artifacts_{exports_, /*min_free_disk=*/0};
  JobTypeRegistry registry_;
};

}  // namespace jobsd::testing
