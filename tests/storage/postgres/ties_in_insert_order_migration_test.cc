// 0015 gives every PostgreSQL job a sequence number, seq, and orders ties of
// created_at by it instead of by id. A store left at schema 14 migrates
// forward with this code: its jobs are numbered in their old order
// (created_at, then id), so nothing it listed or claimed changes order; new
// jobs number on from there; the indexes hold seq and no id; nobody inserts
// a number of their own.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "storage/postgres/pg.h"
#include "storage/postgres/pg_migrations.h"
#include "storage/postgres/postgres_store.h"
#include "tests/storage/postgres/store_at_version.h"
#include "tests/storage/store_test_data.h"
#include "tests/support/test_postgres.h"

namespace jobsd::storage {
namespace {

constexpr Nanos kT0 = 1'700'000'000 * kNanosPerSecond;

std::vector<std::string> IdsOf(const JobPage& page) {
  std::vector<std::string> ids;
  for (const Job& job : page.jobs) ids.push_back(job.id);
  return ids;
}

TEST(PostgresMigrationsTest, Schema14JobsAreNumberedInTheirOldOrderAndTiesFollowInsertOrder) {
  const std::string location = testing::FreshPostgresSchema();
  {
    auto connection = testing::OpenPostgresStoreAtVersion(location, 14);
    // Inserted in neither id nor time order; "old-b" and "old-a" tie.
    for (const auto& [id, at] : std::vector<std::pair<std::string, Nanos>>{
             {"old-c", kT0 + 2}, {"old-b", kT0 + 1}, {"old-a", kT0 + 1}, {"old-0", kT0}}) {
      connection->Run(
          "INSERT INTO jobs (id, job_type, params, max_attempts, created_at, updated_at,"
          " run_after, expires_at) VALUES ($1, 'order_export', '', 3, $2, $2, $2, $3)",
          pg::Params().Add(id).Add(at).Add(kT0 + kNanosPerDay));
    }
  }

  auto store = PostgresStore::Open({location, 2});
  JobStore& jobs = store->jobs();
  auto connection = pg::Connection::Open(location);
  EXPECT_EQ(pg::CurrentSchemaVersion(*connection), pg::LatestSchemaVersion());
  const pg::Result numbered = connection->Run("SELECT id, seq FROM jobs ORDER BY seq");
  ASSERT_EQ(numbered.rows(), 4);
  const std::vector<std::string> in_old_order = {"old-0", "old-a", "old-b", "old-c"};
  for (int row = 0; row < 4; ++row) {
    EXPECT_EQ(numbered.Text(row, 0), in_old_order[static_cast<std::size_t>(row)]);
    EXPECT_EQ(numbered.Int64(row, 1), row + 1);
  }

  // A new job ties with "old-c" and numbers on after it.
  ASSERT_TRUE(jobs.InsertJob(testing::MakeTestJob("new-0", kT0 + 2)).created);
  EXPECT_EQ(connection->Run("SELECT seq FROM jobs WHERE id = 'new-0'").Int64(0, 0), 5);
  EXPECT_EQ(IdsOf(jobs.ListJobs({{}, 10, 0, kT0})),
            (std::vector<std::string>{"new-0", "old-c", "old-b", "old-a", "old-0"}));
  std::vector<std::string> claimed;
  for (const ClaimedJob& c : jobs.ClaimJobs({"w1", 10, kT0 + 10, kT0 + 1000})) {
    claimed.push_back(c.job.id);
  }
  EXPECT_EQ(claimed, (std::vector<std::string>{"old-0", "old-a", "old-b", "old-c", "new-0"}));

  // The indexes order by (created_at, seq); no insert picks its own number.
  const pg::Result indexes = connection->Run(
      "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
      " JOIN pg_class c ON c.oid = i.indexrelid"
      " WHERE i.indrelid = 'jobs'::regclass AND c.relname IN ('jobs_claim', 'jobs_listing')"
      " ORDER BY c.relname");
  ASSERT_EQ(indexes.rows(), 2);
  EXPECT_NE(std::string(indexes.Text(0, 1)).find("(created_at, seq) WHERE"), std::string::npos)
      << indexes.Text(0, 1);
  EXPECT_NE(std::string(indexes.Text(1, 1)).find("(created_at, seq)"), std::string::npos)
      << indexes.Text(1, 1);
  EXPECT_THROW(connection->Run(
                   "INSERT INTO jobs (id, job_type, params, max_attempts, created_at, updated_at,"
                   " run_after, expires_at, seq) VALUES ('mine', 'order_export', '', 3, 1, 1, 1,"
                   " 2, 99)"),
               pg::PgError);
}

}  // namespace
}  // namespace jobsd::storage
