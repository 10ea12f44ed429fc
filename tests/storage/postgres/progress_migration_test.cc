// 0005 adds the progress columns: a PostgreSQL store left at schema 4 by the
// release before, with a job it had started, migrates forward with this
// code; its jobs are kept, the started one shows no progress until its next
// renewal brings some, and a pending one can be cancelled.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "storage/postgres/pg.h"
#include "storage/postgres/pg_migrations.h"
#include "storage/postgres/postgres_store.h"
#include "tests/storage/postgres/store_at_version.h"
#include "tests/support/test_postgres.h"

namespace jobsd::storage {
namespace {

constexpr Nanos kT0 = 1'700'000'000 * kNanosPerSecond;

TEST(PostgresMigrationsTest, Schema4StoreGainsProgressAndKeepsItsJobs) {
  const std::string location = testing::FreshPostgresSchema();
  {
    auto connection = testing::OpenPostgresStoreAtVersion(location, 4);
    for (const char* id : {"pending", "started"}) {
      connection->Run(
          "INSERT INTO jobs (id, job_type, params, max_attempts, created_at, updated_at,"
          " run_after, expires_at) VALUES ($1, 'order_export', '', 5, $2, $2, $2, $3)",
          pg::Params().Add(id).Add(kT0).Add(kT0 + kNanosPerDay));
    }
    connection->Run(
        "UPDATE jobs SET status = 'started', attempts = 1, claimed_by = 'host:1:abc:0',"
        " claim_token = 'claim', lease_expires_at = $1 WHERE id = 'started'",
        pg::Params().Add(kT0 + 100));
  }

  auto store = PostgresStore::Open({location, 2});
  {
    auto connection = pg::Connection::Open(location);
    EXPECT_EQ(pg::CurrentSchemaVersion(*connection), pg::LatestSchemaVersion());
  }
  JobStore& jobs = store->jobs();
  EXPECT_EQ(jobs.FindJob("pending", kT0)->status, JobStatus::kPending);
  const Job running = jobs.FindJob("started", kT0).value();
  EXPECT_EQ(running.status, JobStatus::kStarted);
  EXPECT_EQ(running.claimed_by, "host:1:abc:0");
  EXPECT_EQ(running.progress, std::nullopt);

  EXPECT_EQ(jobs.RenewLeases({LeaseRenewal{"started", "claim", JobProgress{7, 8}}}, kT0 + 200),
            std::vector<bool>{true});
  EXPECT_EQ(jobs.FindJob("started", kT0)->progress, (JobProgress{7, 8}));
  EXPECT_EQ(jobs.CancelJob("pending", kT0 + 1).kind, CancelResult::Kind::kCancelled);
  EXPECT_EQ(jobs.FindJob("pending", kT0)->error, std::string(kCancelledError));
  const auto counts = jobs.CountByStatus(kT0 + 1);
  EXPECT_EQ(counts.at(JobStatus::kStarted), 1);
  EXPECT_EQ(counts.at(JobStatus::kFailed), 1);

  auto connection = pg::Connection::Open(location);
  const pg::Result view = connection->Run(
      "SELECT progress_rows_written, progress_rows_total FROM jobs_readable WHERE id = 'started'");
  ASSERT_EQ(view.rows(), 1);
  EXPECT_EQ(view.Int64(0, 0), 7);
  EXPECT_EQ(view.Int64(0, 1), 8);
}

}  // namespace
}  // namespace jobsd::storage
