// Many workers claiming from one queue at once: threads sharing one handle
// on the store (every backend), threads with a handle each and processes of
// their own (backends shared across processes). Every job must succeed
// exactly once, none skipped, none finished twice.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/storage/conformance/backend.h"
#include "tests/storage/conformance/claim_work.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace jobsd::conformance {
namespace {

constexpr int kWorkers = 8;

class JobStoreClaimConcurrencyTest : public ::testing::TestWithParam<Backend> {
 protected:
  testing::TempDir dir_;
};

TEST_P(JobStoreClaimConcurrencyTest, ThreadsSharingOneStoreClaimEachJobOnce) {
  auto store = GetParam().open(dir_.path());
  FillQueue(store->jobs());
  ClaimTally tally;
  std::vector<std::thread> threads;
  for (int t = 0; t < kWorkers; ++t) {
    threads.emplace_back(
        [&, t] { DrainQueue(store->jobs(), "worker-" + std::to_string(t), tally); });
  }
  for (auto& thread : threads) thread.join();
  ExpectDrainedOnce(store->jobs(), tally);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, JobStoreClaimConcurrencyTest,
                         ::testing::ValuesIn(AllBackends()), BackendName);

// Only for backends that several processes share.
class SharedJobStoreClaimConcurrencyTest : public JobStoreClaimConcurrencyTest {};

TEST_P(SharedJobStoreClaimConcurrencyTest, ThreadsWithAHandleEachClaimEachJobOnce) {
  auto setup = GetParam().open(dir_.path());
  FillQueue(setup->jobs());
  ClaimTally tally;
  std::vector<std::thread> threads;
  for (int t = 0; t < kWorkers; ++t) {
    threads.emplace_back([&, t] {
      auto own = GetParam().open(dir_.path());  // its own connections
      DrainQueue(own->jobs(), "worker-" + std::to_string(t), tally);
    });
  }
  for (auto& thread : threads) thread.join();
  ExpectDrainedOnce(setup->jobs(), tally);
}

std::string OwnBinary() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

TEST_P(SharedJobStoreClaimConcurrencyTest, ProcessesClaimEachJobOnce) {
  auto setup = GetParam().open(dir_.path());
  FillQueue(setup->jobs());
  std::vector<std::unique_ptr<testing::Background>> workers;
  for (int w = 0; w < kWorkers; ++w) {
    const std::string name = "process-" + std::to_string(w);
    workers.push_back(std::make_unique<testing::Background>(
        std::vector<std::string>{OwnBinary(), "--claim-worker", GetParam().name,
                                 dir_.path().string(), name},
        (dir_ / name).string()));
  }
  ClaimTally tally;
  for (auto& worker : workers) {
    std::optional<testing::RunResult> result = worker->Wait(std::chrono::seconds(60));
    ASSERT_TRUE(result.has_value()) << "a claim worker did not finish";
    ASSERT_EQ(result->exit_code, 0) << worker->Stderr();
    std::istringstream lines(worker->Stdout());
    std::string word, value;
    bool reported = false;
    while (lines >> word >> value) {
      if (word == "succeeded") ++tally.succeeded[value];
      if (word == "stale") {
        tally.stale_finishes_applied += std::stoi(value);
        reported = true;
      }
    }
    EXPECT_TRUE(reported) << worker->Stdout();
  }
  ExpectDrainedOnce(setup->jobs(), tally);
}

INSTANTIATE_TEST_SUITE_P(SharedBackends, SharedJobStoreClaimConcurrencyTest,
                         ::testing::ValuesIn(SharedBackends()), BackendName);

}  // namespace
}  // namespace jobsd::conformance
