// What is SQLite's own in SqliteJobStore: the file, its indexes, the count
// table, connections outside the store. What every backend promises is
// checked by tests/storage/conformance, for SQLite as for the others.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "engine/filter.h"
#include "storage/sqlite/database.h"
#include "storage/sqlite/sqlite.h"
#include "storage/sqlite/sqlite_job_store.h"
#include "tests/storage/store_test_data.h"
#include "tests/support/temp_dir.h"

namespace jobsd::storage {
namespace {

constexpr Nanos kT0 = 1'700'000'000 * kNanosPerSecond;
constexpr Nanos kRetention = testing::kTestJobRetention;

// A successful order export's result: {"row_count":rows} and a CSV artifact.
SuccessResult CsvResult(std::string key, std::string token, std::int64_t rows) {
  return SuccessResult{"{\"row_count\":" + std::to_string(rows) + "}",
                       Artifact{std::move(key), std::move(token), "text/csv; charset=utf-8",
                                "orders.csv", 100 + rows}};
}

class JobStoreTest : public ::testing::Test {
 protected:
  JobStoreTest() : database_(Database::Open({dir_ / "jobsd.db"})), jobs_(database_->jobs()) {}

  static NewJob MakeJob(std::string id, Nanos created_at, std::string filter = "") {
    return testing::MakeTestJob(std::move(id), created_at, std::move(filter));
  }

  Job Insert(std::string id, Nanos created_at, std::string filter = "") {
    InsertResult result = jobs_.InsertJob(MakeJob(std::move(id), created_at, std::move(filter)));
    EXPECT_TRUE(result.created);
    return result.job;
  }

  ClaimedJob ClaimOne(Nanos now, std::string worker = "w1") {
    auto claimed = jobs_.ClaimJobs({worker, 1, now, now + 30 * kNanosPerSecond});
    EXPECT_EQ(claimed.size(), 1u);
    return claimed.empty() ? ClaimedJob{} : claimed.front();
  }

  Job Get(std::string_view id, Nanos now = kT0) {
    auto job = jobs_.FindJob(id, now);
    EXPECT_TRUE(job.has_value()) << id;
    return job.value_or(Job{});
  }

  filter::Filter JobFilter(std::string_view text) {
    return filter::Parse(text, filter::JobFields());
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> database_;
  JobStore& jobs_;
};

// What lets the API keep a rendered page (api/list_cache.h): the version
// moves with a commit by any connection to the file, not only this store's.
// ReleaseCachedMemory (serve's idle trimmer) closes the writing connection
// too, not only the pooled readers': after a few thousand inserts, what only
// the writer read is given back, and the next write opens a new one.
TEST_F(JobStoreTest, ReleasingCachedMemoryEmptiesTheWritersPageCache) {
  database_->ReleaseCachedMemory();
  std::vector<NewJob> jobs;
  for (int i = 0; i < 5000; ++i) {
    jobs.push_back(MakeJob("job-" + std::to_string(i), kT0 + i, std::string(200, 'f')));
  }
  jobs_.InsertJobs(jobs);
  const sqlite3_int64 filled = sqlite3_memory_used();
  database_->ReleaseCachedMemory();
  const sqlite3_int64 released = filled - sqlite3_memory_used();
  // 5,000 rows of ~300 bytes and their indexes: well over a megabyte of
  // pages, all in the writer's cache (no reader has read them).
  EXPECT_GT(released, 1 << 20) << "filled " << filled;
  Insert("after-release", kT0);
  EXPECT_TRUE(jobs_.FindJob("after-release", kT0 - 1).has_value());
}

TEST_F(JobStoreTest, ChangeVersionSeesACommitOfAnyConnection) {
  const std::uint64_t start = jobs_.ChangeVersion();
  EXPECT_EQ(jobs_.ChangeVersion(), start);
  jobs_.ListJobs({{}, 25, 0, kT0});
  EXPECT_TRUE(jobs_.FindJob("none", kT0) == std::nullopt);
  EXPECT_EQ(jobs_.ChangeVersion(), start);

  Insert("a", kT0);
  const std::uint64_t after_insert = jobs_.ChangeVersion();
  EXPECT_NE(after_insert, start);
  ClaimOne(kT0);  // a NORMAL commit counts as well
  const std::uint64_t after_claim = jobs_.ChangeVersion();
  EXPECT_NE(after_claim, after_insert);

  // Another process's commit (here: another connection).
  auto other = sqlite::Connection::Open(dir_ / "jobsd.db");
  other->Exec(
      "PRAGMA busy_timeout = 5000; BEGIN IMMEDIATE; UPDATE jobs SET updated_at = updated_at + 1 "
      "WHERE id = 'a'; COMMIT");
  EXPECT_NE(jobs_.ChangeVersion(), after_claim);
}

TEST_F(JobStoreTest, TheClientsActiveCountReadsThePartialIndex) {
  for (int i = 0; i < 3; ++i) {
    NewJob job = MakeJob("a" + std::to_string(i), kT0 + i);
    job.client_id = "alice";
    job.max_active_for_client = 5;
    ASSERT_TRUE(jobs_.InsertJob(job).created);
  }
  // The count reads the partial index, not the table.
  auto connection = sqlite::Connection::Open(dir_ / "jobsd.db");
  auto plan = connection->Prepare(
      "EXPLAIN QUERY PLAN SELECT count(*) FROM jobs WHERE client_id = ?1"
      " AND (status = 'pending' OR status = 'started')");
  ASSERT_TRUE(plan->Step());
  EXPECT_NE(plan->ColumnText(3).find("jobs_active_by_client"), std::string_view::npos)
      << plan->ColumnText(3);
}

// jobs_listing is ascending (0013) so that new jobs append to it; the list
// reads it backwards, newest first, without a sort. Ties of created_at go by
// seq (0015), which the index names right after created_at, so the claim
// too reads its order from its index.
TEST_F(JobStoreTest, TheListWalksItsIndexBackwardsAndNewJobsFillItsPages) {
  testing::InsertJobsOneAfterAnother(jobs_, 5000, kT0);
  auto connection = sqlite::Connection::Open(dir_ / "jobsd.db");
  auto steps_of = [&](const std::string& sql) {
    auto plan = connection->Prepare("EXPLAIN QUERY PLAN " + sql);
    std::string steps;
    while (plan->Step()) steps += std::string(plan->ColumnText(3)) + "; ";
    return steps;
  };
  const std::string list = steps_of(
      "SELECT id FROM jobs WHERE expires_at > ?1" JOBSD_SQLITE_LIST_ORDER " LIMIT ?2 OFFSET ?3");
  EXPECT_NE(list.find("jobs_listing"), std::string::npos) << list;
  EXPECT_EQ(list.find("TEMP B-TREE"), std::string::npos) << list;
  const std::string claim = steps_of(
      "SELECT rowid FROM jobs WHERE status = 'pending' AND run_after <= ?1 AND expires_at > ?1"
      " ORDER BY created_at, seq LIMIT ?2");
  EXPECT_NE(claim.find("jobs_claim"), std::string::npos) << claim;
  EXPECT_EQ(claim.find("TEMP B-TREE"), std::string::npos) << claim;
  // Pages of each index: jobs_claim holds the same keys and as many columns
  // (0018), appended in order too. Split at the front, jobs_listing took
  // twice as many.
  auto pages = [&](const char* index) {
    auto count = connection->Prepare("SELECT count(*) FROM dbstat WHERE name = ?");
    count->BindText(1, index);
    count->Step();
    return count->ColumnInt64(0);
  };
  EXPECT_LE(pages("jobs_listing"), pages("jobs_claim") * 11 / 10);
}

TEST_F(JobStoreTest, DeletingExpiredJobsGivesTheSpaceBack) {
  auto page_count = [&] {
    auto connection = sqlite::Connection::Open(dir_ / "jobsd.db");
    auto statement = connection->Prepare("PRAGMA page_count");
    statement->Step();
    return statement->ColumnInt64(0);
  };
  const std::int64_t before = page_count();
  std::vector<NewJob> batch;
  for (int i = 0; i < 2000; ++i) {
    batch.push_back(MakeJob("big-" + std::to_string(i), kT0, std::string(4000, 'f')));
  }
  jobs_.InsertJobs(batch);
  const std::int64_t grown = page_count();
  ASSERT_GT(grown, before + 1000);
  while (!jobs_.DeleteExpiredJobs(kT0 + kRetention, 500).empty()) {
  }
  EXPECT_LT(page_count(), before + (grown - before) / 4) << "freed pages stayed in the file";
}

TEST_F(JobStoreTest, TotalsFromTheCountTableMatchCountingRows) {
  // The first ten jobs have a retention that ends at kT0 + 300: at `now`
  // they have expired but are not swept yet, and vanish from the totals.
  const Nanos now = kT0 + 300;
  for (int i = 0; i < 40; ++i) {
    NewJob job = MakeJob("j" + std::to_string(i), kT0 + i);
    if (i < 10) job.expires_at = now;
    ASSERT_TRUE(jobs_.InsertJob(job).created);
  }
  auto claimed = jobs_.ClaimJobs({"w", 30, kT0 + 100, kT0 + 1000});
  std::vector<JobCompletion> completions;
  for (std::size_t i = 0; i < claimed.size(); ++i) {
    JobCompletion c;
    c.id = claimed[i].job.id;
    c.token = claimed[i].claim_token;
    c.kind = i % 3 == 0   ? JobCompletion::Kind::kSucceeded
             : i % 3 == 1 ? JobCompletion::Kind::kFailed
                          : JobCompletion::Kind::kRetry;
    c.success = CsvResult("/f" + std::to_string(i), "t" + std::to_string(i), 1);
    c.error = "e";
    if (i < 25) completions.push_back(c);  // five stay started
  }
  jobs_.FinishJobs(completions, kT0 + 200);
  auto connection = sqlite::Connection::Open(dir_ / "jobsd.db");
  auto count_rows = [&](const std::string& where) {
    auto statement = connection->Prepare("SELECT count(*) FROM jobs WHERE expires_at > " +
                                         std::to_string(now) + where);
    statement->Step();
    return statement->ColumnInt64(0);
  };
  std::map<JobStatus, std::int64_t> counts = jobs_.CountByStatus(now);
  for (JobStatus status : kAllJobStatuses) {
    EXPECT_EQ(counts[status], count_rows(" AND status = '" + std::string(ToString(status)) + "'"))
        << ToString(status);
  }
  EXPECT_EQ(jobs_.ListJobs({JobFilter(""), 25, 0, now}).total, count_rows(""));
  EXPECT_EQ(jobs_.ListJobs({JobFilter("in(status,success,failed)"), 25, 0, now}).total,
            count_rows(" AND status IN ('success', 'failed')"));
  EXPECT_EQ(jobs_.ListJobs({JobFilter("eq(status,started):in(status,started,pending)"), 25, 0, now})
                .total,
            count_rows(" AND status = 'started'"));
  EXPECT_EQ(jobs_.ListJobs({JobFilter("eq(job_type,order_export)"), 25, 0, now}).total,
            count_rows(""));
  while (!jobs_.DeleteExpiredJobs(now, 3).empty()) {
  }
  EXPECT_EQ(jobs_.ListJobs({JobFilter(""), 25, 0, now}).total, 30);
}

// 0017: no trigger counts an inserted job; the store adds what each write
// inserted to job_counts in the same transaction. The counts match the rows
// after every kind of insert: batches (of derived and given ids), single
// and submitted ones, a replayed idempotency key and a client over its
// limit (neither inserts), a batch refused whole, and inserts of four
// threads racing a claiming thread, whose claims share group commits with
// the inserts and take the pending count down in the same transactions.
TEST_F(JobStoreTest, TheStoreCountsEveryJobItInsertsAndNothingElse) {
  auto connection = sqlite::Connection::Open(dir_ / "jobsd.db");
  const auto counts_and_truth = [&] {
    auto select = connection->PrepareUncached(
        "SELECT group_concat(status || '=' || jobs || '/' ||"
        " (SELECT count(*) FROM jobs WHERE status = c.status), ' ') FROM job_counts c");
    select.Step();
    return select.ColumnString(0);
  };
  const auto expect_counts = [&](std::int64_t pending, std::int64_t started) {
    auto select = connection->PrepareUncached(
        "SELECT (SELECT jobs FROM job_counts WHERE status = 'pending'),"
        " (SELECT jobs FROM job_counts WHERE status = 'started'),"
        " (SELECT count(*) FROM jobs WHERE status = 'pending'),"
        " (SELECT count(*) FROM jobs WHERE status = 'started')");
    select.Step();
    EXPECT_EQ(select.ColumnInt64(0), pending) << counts_and_truth();
    EXPECT_EQ(select.ColumnInt64(1), started) << counts_and_truth();
    EXPECT_EQ(select.ColumnInt64(2), pending);
    EXPECT_EQ(select.ColumnInt64(3), started);
  };
  std::vector<NewJob> batch;
  for (int i = 0; i < 70; ++i) batch.push_back(MakeJob("", kT0 + i));  // ids derived
  batch.push_back(MakeJob("given-1", kT0 + 70));
  jobs_.InsertJobs(batch);
  expect_counts(71, 0);

  NewJob keyed = MakeJob("", kT0 + 100);
  keyed.idempotency_key = "key";
  keyed.request_hash = "h";
  keyed.idempotency_expires_at = kT0 + kRetention;
  EXPECT_TRUE(jobs_.InsertJob(keyed).created);
  EXPECT_FALSE(jobs_.InsertJob(keyed).created);  // replayed: nothing inserted
  NewJob limited = MakeJob("", kT0 + 101);
  limited.client_id = "client";
  limited.max_active_for_client = 1;
  EXPECT_TRUE(jobs_.InsertJob(limited).created);
  EXPECT_TRUE(jobs_.InsertJob(limited).active_limit_reached);
  std::promise<InsertResult> submitted;
  jobs_.InsertJobAsync(MakeJob("", kT0 + 102), [&](std::exception_ptr error, InsertResult result) {
    if (error) {
      submitted.set_exception(error);
    } else {
      submitted.set_value(std::move(result));
    }
  });
  EXPECT_TRUE(submitted.get_future().get().created);
  expect_counts(74, 0);

  // A batch whose last job repeats a given id is refused whole.
  std::vector<NewJob> refused(40, MakeJob("", kT0 + 200));
  refused.push_back(MakeJob("given-1", kT0 + 240));
  EXPECT_THROW(jobs_.InsertJobs(refused), StoreError);
  expect_counts(74, 0);

  constexpr int kThreads = 4;
  constexpr int kPerThread = 150;
  std::atomic<int> inserting{kThreads};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const Nanos at = kT0 + 1000 + t * kPerThread + i;
        if (i % 50 == 0) {
          jobs_.InsertJobs(std::vector<NewJob>(40, MakeJob("", at)));
        } else {
          jobs_.InsertJob(MakeJob("", at));
        }
      }
      --inserting;
    });
  }
  int claimed = 0;
  std::thread claimer([&] {
    // Claims what the threads insert, often with nothing pending left, so
    // that a count settled late would go below zero.
    while (inserting.load() > 0 || claimed < 74 + kThreads * (kPerThread + 3 * 39)) {
      const Nanos now = kT0 + kRetention / 2;
      const auto got = jobs_.ClaimJobs({"w", 7, now, now + kRetention});
      claimed += static_cast<int>(got.size());
      if (got.empty() && inserting.load() == 0) break;
    }
  });
  for (std::thread& thread : threads) thread.join();
  claimer.join();
  const int inserted = 74 + kThreads * (kPerThread + 3 * 39);
  expect_counts(inserted - claimed, claimed);
  EXPECT_EQ(claimed, inserted) << "every job inserted was claimed once";
}

}  // namespace
}  // namespace jobsd::storage
