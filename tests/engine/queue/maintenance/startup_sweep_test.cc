#include "engine/queue/maintenance/startup_sweep.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/engine/queue/maintenance/maintenance_fixture.h"

namespace jobsd {
namespace {

using StartupSweepTest = testing::MaintenanceTest;

TEST_F(StartupSweepTest, RemovesTemporaryAndOrphanedFilesOnly) {
  const Job job = SucceededJob();
  std::ofstream(exports_ / ".tmp-crashed-mid-export.csv") << "partial";
  std::ofstream(exports_ / "orphan.csv") << "job row gone";
  std::ofstream(exports_ / "notes.txt") << "not ours";

  StartupSweep sweep(jobs_, artifacts_);
  EXPECT_EQ(sweep.RunOnce(), 2);
  EXPECT_FALSE(std::filesystem::exists(exports_ / ".tmp-crashed-mid-export.csv"));
  EXPECT_FALSE(std::filesystem::exists(exports_ / "orphan.csv"));
  EXPECT_TRUE(std::filesystem::exists(exports_ / "notes.txt"));
  EXPECT_TRUE(std::filesystem::exists(job.artifact.value().key)) << "the local key is the path";
  EXPECT_EQ(sweep.RunOnce(), 0);
}

TEST_F(StartupSweepTest, AMissingDirectoryIsNothingToSweep) {
  storage::LocalArtifactStore elsewhere(dir_ / "never-created", /*min_free_disk=*/0);
  StartupSweep sweep(jobs_, elsewhere);
  EXPECT_EQ(sweep.RunOnce(), 0);
}

}  // namespace
}  // namespace jobsd
