// Many workers claiming from one queue at once, through separate Database
// objects on the same file (as separate processes would) and through one
// shared Database (as threads of one process do): every job must succeed
// exactly once, none skipped, none finished twice.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite/database.h"
#include "tests/support/temp_dir.h"

namespace jobsd::storage {
namespace {

// A successful order export's result: {"row_count":rows} and a CSV artifact.
SuccessResult CsvResult(std::string key, std::string token, std::int64_t rows) {
  return SuccessResult{"{\"row_count\":" + std::to_string(rows) + "}",
                       Artifact{std::move(key), std::move(token), "text/csv; charset=utf-8",
                                "orders.csv", 100 + rows}};
}

constexpr int kJobs = 2000;
constexpr int kThreads = 8;
constexpr Nanos kT0 = 1'700'000'000 * kNanosPerSecond;

void InsertJobs(JobStore& jobs) {
  for (int i = 0; i < kJobs; ++i) {
    NewJob job;
    job.id = "job-" + std::to_string(100000 + i);
    job.job_type = "order_export";
    job.created_at = kT0 + i;
    job.expires_at = kT0 + kNanosPerDay;
    jobs.InsertJob(job);
  }
}

struct Tally {
  std::mutex mutex;
  std::map<std::string, int> succeeded;  // job id -> times we were told "yes"
  std::atomic<int> refused = 0;
};

// Claims batches until the queue is empty, finishing each job; every fifth
// job is first sent back for a retry, to mix the verbs.
void Work(JobStore& jobs, const std::string& worker, Tally& tally) {
  for (int batch = 0;; ++batch) {
    const Nanos now = kT0 + kJobs + batch;
    auto claimed = jobs.ClaimJobs({worker, 1 + batch % 7, now, now + kNanosPerDay / 2});
    if (claimed.empty()) {
      if (jobs.NextRunAfter().has_value()) continue;  // retries still pending
      return;
    }
    for (const ClaimedJob& claim : claimed) {
      const bool retry = claim.job.attempts == 1 && claim.job.id.back() % 5 == 0;
      if (retry) {
        if (!jobs.MarkForRetry(claim.job.id, claim.claim_token, "again", now, now)) {
          ++tally.refused;
        }
        continue;
      }
      bool ok =
          jobs.MarkSucceeded(claim.job.id, claim.claim_token,
                             CsvResult("/exports/" + claim.job.id, claim.claim_token, 1), now);
      // A second finish with the same token is always refused.
      if (jobs.MarkSucceeded(claim.job.id, claim.claim_token,
                             CsvResult("/x", "x" + claim.claim_token, 1), now)) {
        ++tally.refused;
      }
      std::lock_guard lock(tally.mutex);
      if (ok) ++tally.succeeded[claim.job.id];
    }
  }
}

void ExpectEveryJobSucceededOnce(Database& database, Tally& tally) {
  EXPECT_EQ(tally.refused, 0);
  EXPECT_EQ(tally.succeeded.size(), static_cast<std::size_t>(kJobs));
  for (const auto& [id, times] : tally.succeeded) EXPECT_EQ(times, 1) << id;
  auto counts = database.jobs().CountByStatus(kT0);
  EXPECT_EQ(counts.at(JobStatus::kSuccess), kJobs);
  EXPECT_EQ(counts.at(JobStatus::kPending), 0);
  EXPECT_EQ(counts.at(JobStatus::kStarted), 0);
  // Jobs sent back once were claimed exactly twice; the others once.
  JobPage page = database.jobs().ListJobs({{}, 100, 0, kT0});
  for (const Job& job : page.jobs) {
    EXPECT_EQ(job.attempts, job.id.back() % 5 == 0 ? 2 : 1) << job.id;
  }
}

TEST(ClaimConcurrencyTest, SeparateDatabasesOnOneFile) {
  testing::TempDir dir;
  auto setup = Database::Open({dir / "jobsd.db"});
  InsertJobs(setup->jobs());
  Tally tally;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto own = Database::Open({dir / "jobsd.db"});  // its own connections
      Work(own->jobs(), "worker-" + std::to_string(t), tally);
    });
  }
  for (auto& thread : threads) thread.join();
  ExpectEveryJobSucceededOnce(*setup, tally);
}

TEST(ClaimConcurrencyTest, ThreadsSharingOneDatabase) {
  testing::TempDir dir;
  auto database = Database::Open({dir / "jobsd.db"});
  InsertJobs(database->jobs());
  Tally tally;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] { Work(database->jobs(), "worker-" + std::to_string(t), tally); });
  }
  for (auto& thread : threads) thread.join();
  ExpectEveryJobSucceededOnce(*database, tally);
}

}  // namespace
}  // namespace jobsd::storage
