// 0014 turns the unique constraints on idempotency_key and artifact_token
// into partial unique indexes that hold only the jobs that have one: a
// PostgreSQL store left at schema 13 with a keyed job, a job with a
// download token and jobs with neither migrates forward with this code; the
// key still finds its job, a reused key or token is still refused, lookups
// still use the indexes.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "storage/postgres/pg.h"
#include "storage/postgres/pg_migrations.h"
#include "storage/postgres/postgres_store.h"
#include "tests/storage/postgres/store_at_version.h"
#include "tests/storage/store_test_data.h"
#include "tests/support/test_postgres.h"

namespace jobsd::storage {
namespace {

constexpr Nanos kT0 = 1'700'000'000 * kNanosPerSecond;

NewJob KeyedJob(std::string id, std::string key, std::string request_hash) {
  NewJob job = testing::MakeTestJob(std::move(id), kT0);
  job.idempotency_key = std::move(key);
  job.request_hash = std::move(request_hash);
  job.idempotency_expires_at = kT0 + kNanosPerDay;
  return job;
}

std::string Plan(pg::Connection& connection, const std::string& sql) {
  const pg::Result rows = connection.Run("EXPLAIN " + sql);
  std::string plan;
  for (int row = 0; row < rows.rows(); ++row) plan += std::string(rows.Text(row, 0)) + "\n";
  return plan;
}

TEST(PostgresMigrationsTest, Schema13UniqueKeysBecomePartialAndStillHold) {
  const std::string location = testing::FreshPostgresSchema();
  {
    auto connection = testing::OpenPostgresStoreAtVersion(location, 13);
    connection->Run(
        "INSERT INTO jobs (id, job_type, params, max_attempts, created_at, updated_at,"
        " run_after, expires_at, idempotency_key, request_hash, idempotency_expires_at)"
        " VALUES ('keyed', 'order_export', '', 3, $1, $1, $1, $2, 'k1', 'h1', $2)",
        pg::Params().Add(kT0).Add(kT0 + kNanosPerDay));
    // Born pending, then started and finished, as the store's trigger wants.
    connection->Run(
        "INSERT INTO jobs (id, job_type, params, max_attempts, created_at, updated_at,"
        " run_after, expires_at) VALUES ('done', 'order_export', '', 3, $1, $1, $1, $2)",
        pg::Params().Add(kT0).Add(kT0 + kNanosPerDay));
    connection->Exec(
        "UPDATE jobs SET status = 'started', attempts = 1, claimed_by = 'h:1:a:0',"
        " claim_token = 'c', lease_expires_at = 1 WHERE id = 'done';"
        "UPDATE jobs SET status = 'success', claimed_by = NULL, claim_token = NULL,"
        " lease_expires_at = NULL, artifact_key = 'file', artifact_token = 'tok1'"
        " WHERE id = 'done'");
  }

  auto store = PostgresStore::Open({location, 2});
  JobStore& jobs = store->jobs();
  testing::InsertJobsOneAfterAnother(jobs, 50, kT0 + 1);

  // The key still finds its job; the same key with another request is
  // still a conflict; a new key makes a new job.
  const InsertResult again = jobs.InsertJob(KeyedJob("other", "k1", "h1"));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.job.id, "keyed");
  const InsertResult conflict = jobs.InsertJob(KeyedJob("other", "k1", "h2"));
  EXPECT_TRUE(conflict.key_conflict);
  EXPECT_EQ(conflict.job.id, "keyed");
  EXPECT_TRUE(jobs.InsertJob(KeyedJob("fresh", "k2", "h1")).created);
  EXPECT_EQ(jobs.FindJobByArtifactToken("tok1", kT0)->id, "done");

  auto connection = pg::Connection::Open(location);
  EXPECT_EQ(pg::CurrentSchemaVersion(*connection), pg::LatestSchemaVersion());
  // Uniqueness is the index's, not the store code's.
  EXPECT_THROW(connection->Run("UPDATE jobs SET idempotency_key = 'k1' WHERE id = 'fresh'"),
               pg::PgError);
  EXPECT_THROW(connection->Run("UPDATE jobs SET artifact_token = 'tok1' WHERE id = 'fresh'"),
               pg::PgError);

  // Partial, unique, and the only unique indexes on those columns.
  const pg::Result indexes = connection->Run(
      "SELECT c.relname, i.indisunique, pg_get_expr(i.indpred, i.indrelid)"
      " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
      " WHERE i.indrelid = 'jobs'::regclass"
      "   AND c.relname IN ('jobs_idempotency_key', 'jobs_artifact_token',"
      "                     'jobs_idempotency_key_key', 'jobs_artifact_token_key')"
      " ORDER BY c.relname");
  ASSERT_EQ(indexes.rows(), 2);
  EXPECT_EQ(indexes.Text(0, 0), "jobs_artifact_token");
  EXPECT_EQ(indexes.Text(0, 1), "t");
  EXPECT_EQ(indexes.Text(0, 2), "(artifact_token IS NOT NULL)");
  EXPECT_EQ(indexes.Text(1, 0), "jobs_idempotency_key");
  EXPECT_EQ(indexes.Text(1, 1), "t");
  EXPECT_EQ(indexes.Text(1, 2), "(idempotency_key IS NOT NULL)");

  // The predicate keeps jobs without a key or token out of the indexes;
  // the table holds them all.
  EXPECT_EQ(connection->Run("SELECT count(*) FROM jobs").Int64(0, 0), 53);

  // Lookups by value, as the store makes them, still use the indexes.
  connection->Exec("SET enable_seqscan = off");
  const std::string by_key = "SELECT id FROM jobs WHERE idempotency_key = 'k2'";
  EXPECT_NE(Plan(*connection, by_key).find("jobs_idempotency_key"), std::string::npos)
      << Plan(*connection, by_key);
  const std::string by_token = "SELECT id FROM jobs WHERE artifact_token = 'tok1'";
  EXPECT_NE(Plan(*connection, by_token).find("jobs_artifact_token"), std::string::npos)
      << Plan(*connection, by_token);
}

}  // namespace
}  // namespace jobsd::storage
