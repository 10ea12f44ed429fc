// Migrations: a fresh store gets the whole schema, a second open changes
// nothing, a newer store is refused, and the schema itself guards the job
// state machine.
#include "storage/sqlite/migrations.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite/database.h"
#include "storage/sqlite/open_connection.h"
#include "storage/sqlite/sqlite.h"
#include "tests/support/temp_dir.h"

namespace jobsd::storage {
namespace {

using sqlite::Connection;

std::string Dump(Connection& connection, std::string_view sql) {
  auto statement = connection.PrepareUncached(sql);
  std::string out;
  while (statement.Step()) {
    for (int i = 0; i < statement.ColumnCount(); ++i) {
      out += statement.ColumnText(i);
      out += '|';
    }
    out += '\n';
  }
  return out;
}

std::string QueryText(Connection& connection, std::string_view sql) {
  auto statement = connection.PrepareUncached(sql);
  EXPECT_TRUE(statement.Step()) << sql;
  return statement.ColumnString(0);
}

constexpr std::string_view kSchemaDump =
    "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name";
constexpr std::string_view kMigrationsDump =
    "SELECT version, name, applied_at FROM schema_migrations ORDER BY version";

TEST(MigrationsTest, EmbeddedListIsOrderedAndStartsAtOne) {
  auto migrations = EmbeddedMigrations();
  ASSERT_FALSE(migrations.empty());
  EXPECT_EQ(migrations.front().version, 1);
  EXPECT_EQ(migrations.front().name, "0001_initial.sql");
  EXPECT_NE(migrations.front().sql.find("CREATE TABLE jobs"), std::string_view::npos);
  EXPECT_EQ(LatestSchemaVersion(), migrations.back().version);
}

TEST(MigrationsTest, FreshStoreHasEveryTableAndTheLatestVersion) {
  testing::TempDir dir;
  auto database = Database::Open({dir / "sub/dir/jobsd.db"});  // parent dirs created
  EXPECT_EQ(database->SchemaVersion(), LatestSchemaVersion());
  EXPECT_TRUE(database->Ping());

  auto connection = Connection::Open(dir / "sub/dir/jobsd.db");
  for (std::string_view table :
       {"orders", "order_items", "jobs", "api_clients", "access_tokens", "schema_migrations"}) {
    EXPECT_EQ(QueryText(*connection,
                        "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                        " AND name = '" +
                            std::string(table) + "'"),
              "1")
        << table;
  }
  EXPECT_EQ(
      QueryText(*connection, "SELECT count(*) FROM sqlite_master WHERE name = 'jobs_readable'"),
      "1");
  // Every column the shared schema names exists on orders (49 + nothing else).
  EXPECT_EQ(QueryText(*connection, "SELECT count(*) FROM pragma_table_info('orders')"), "49");
  EXPECT_EQ(QueryText(*connection, "PRAGMA auto_vacuum"), "2");  // incremental
}

TEST(MigrationsTest, OpeningTwiceChangesNothing) {
  testing::TempDir dir;
  Database::Open({dir / "jobsd.db"});
  auto connection = Connection::Open(dir / "jobsd.db");
  const std::string schema = Dump(*connection, kSchemaDump);
  const std::string applied = Dump(*connection, kMigrationsDump);
  ASSERT_NE(applied, "");

  auto again = Database::Open({dir / "jobsd.db"});
  EXPECT_EQ(again->SchemaVersion(), LatestSchemaVersion());
  EXPECT_EQ(Dump(*connection, kSchemaDump), schema);
  EXPECT_EQ(Dump(*connection, kMigrationsDump), applied);
  EXPECT_EQ(Migrate(*connection), LatestSchemaVersion());
  EXPECT_EQ(Dump(*connection, kMigrationsDump), applied);
}

TEST(MigrationsTest, ConcurrentFirstOpensApplyEachMigrationOnce) {
  testing::TempDir dir;
  std::vector<std::thread> threads;
  std::atomic<int> failures = 0;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      try {
        Database::Open({dir / "jobsd.db"});
      } catch (const std::exception& error) {
        ADD_FAILURE() << error.what();
        ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  auto connection = Connection::Open(dir / "jobsd.db");
  EXPECT_EQ(QueryText(*connection, "SELECT count(*) FROM schema_migrations"),
            std::to_string(EmbeddedMigrations().size()));
}

TEST(MigrationsTest, NewerStoreIsRefusedWithAClearMessage) {
  testing::TempDir dir;
  Database::Open({dir / "jobsd.db"});
  const int newer = LatestSchemaVersion() + 41;
  {
    auto connection = Connection::Open(dir / "jobsd.db");
    connection->Exec("INSERT INTO schema_migrations VALUES (" + std::to_string(newer) +
                     ", '9999_future.sql', '2099-01-01T00:00:00Z')");
  }
  try {
    Database::Open({dir / "jobsd.db"});
    FAIL() << "a newer store was opened";
  } catch (const StoreError& error) {
    const std::string message = error.what();
    EXPECT_FALSE(error.transient());
    EXPECT_NE(message.find("schema version " + std::to_string(newer)), std::string::npos)
        << message;
    EXPECT_NE(message.find("(" + std::to_string(LatestSchemaVersion()) + ")"), std::string::npos)
        << message;
    EXPECT_NE(message.find("upgrade jobsd"), std::string::npos) << message;
  }
}

class JobTriggerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Database::Open({dir_ / "jobsd.db"});
    db_ = Connection::Open(dir_ / "jobsd.db");
    db_->Exec(
        "INSERT INTO jobs (id, job_type, max_attempts, created_at, updated_at, run_after,"
        " expires_at) VALUES ('j', 'order_export', 5, 1, 1, 1, 100)");
  }
  void Move(std::string_view status) {
    std::string claim = status == "started"
                            ? "claimed_by = 'w', claim_token = 't', lease_expires_at = 9"
                            : "claimed_by = NULL, claim_token = NULL, lease_expires_at = NULL";
    db_->Exec("UPDATE jobs SET status = '" + std::string(status) + "', " + claim +
              " WHERE id = 'j'");
  }
  std::string Status() { return QueryText(*db_, "SELECT status FROM jobs WHERE id = 'j'"); }

  testing::TempDir dir_;
  std::unique_ptr<Connection> db_;
};

TEST_F(JobTriggerTest, AllowedMovesPass) {
  Move("started");
  Move("pending");
  Move("started");
  Move("success");
  EXPECT_EQ(Status(), "success");
}

TEST_F(JobTriggerTest, ForbiddenMovesAreRefusedEvenFromRawSql) {
  struct Case {
    std::vector<std::string_view> path;  // allowed moves first
    std::string_view forbidden;
  };
  const Case cases[] = {
      {{}, "success"},
      {{}, "failed"},
      {{"started", "success"}, "pending"},
      {{"started", "success"}, "failed"},
      {{"started", "failed"}, "started"},
      {{"started", "failed"}, "pending"},
  };
  for (const Case& c : cases) {
    db_->Exec("DELETE FROM jobs");
    SetUp();
    for (std::string_view step : c.path) Move(step);
    const std::string before = Status();
    try {
      Move(c.forbidden);
      ADD_FAILURE() << before << " -> " << c.forbidden << " was allowed";
    } catch (const StoreError& error) {
      EXPECT_NE(std::string(error.what()).find("forbidden job status transition"),
                std::string::npos)
          << error.what();
    }
    EXPECT_EQ(Status(), before);
  }
}

TEST_F(JobTriggerTest, UnknownStatusAndNonPendingInsertAreRefused) {
  EXPECT_THROW(db_->Exec("UPDATE jobs SET status = 'done' WHERE id = 'j'"), StoreError);
  EXPECT_THROW(db_->Exec("INSERT INTO jobs (id, job_type, status, max_attempts, created_at,"
                         " updated_at, run_after, expires_at)"
                         " VALUES ('k', 't', 'success', 5, 1, 1, 1, 100)"),
               StoreError);
}

// 0004 rebuilds the jobs table: a store at version 3 with jobs in every
// status keeps each job (same rowid, same fields) and its per-status counts.
TEST(MigrationsTest, RebuildingJobsKeepsEveryJobItsRowidAndTheCounts) {
  testing::TempDir dir;
  auto db = Connection::Open(dir / "jobsd.db");
  db->Exec(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
      " applied_at TEXT NOT NULL)");
  for (const Migration& migration : EmbeddedMigrations()) {
    if (migration.version > 3) break;
    db->Exec(migration.sql);
    db->Exec("INSERT INTO schema_migrations VALUES (" + std::to_string(migration.version) + ", '" +
             std::string(migration.name) + "', 'then')");
  }
  const std::string insert =
      "INSERT INTO jobs (id, job_type, max_attempts, created_at, updated_at, run_after,"
      " expires_at, idempotency_key, request_hash, idempotency_expires_at) VALUES ";
  db->Exec(insert + "('p', 'order_export', 5, 1, 1, 1, 100, 'key-p', 'h', 50)");
  db->Exec(insert + "('s', 'order_export', 5, 2, 2, 2, 100, NULL, NULL, NULL)");
  db->Exec(insert + "('f', 'order_export', 5, 3, 3, 3, 100, NULL, NULL, NULL)");
  db->Exec(insert + "('r', 'order_export', 5, 4, 4, 4, 100, NULL, NULL, NULL)");
  db->Exec("DELETE FROM jobs WHERE id = 'r'");  // rowids with a gap
  db->Exec(insert + "('t', 'order_export', 5, 5, 5, 5, 100, NULL, NULL, NULL)");
  db->Exec(
      "UPDATE jobs SET status = 'started', attempts = 1, claimed_by = 'w', claim_token = 'c',"
      " lease_expires_at = 9 WHERE id IN ('s', 'f', 't')");
  db->Exec(
      "UPDATE jobs SET status = 'success', file_path = '/x.csv', file_token = 'ft',"
      " row_count = 3, claimed_by = NULL, claim_token = NULL, lease_expires_at = NULL"
      " WHERE id = 's'");
  db->Exec(
      "UPDATE jobs SET status = 'failed', error = 'e', interruptions = 2, claimed_by = NULL,"
      " claim_token = NULL, lease_expires_at = NULL WHERE id = 'f'");
  // The columns of the jobs table before migrating: later migrations may
  // add columns (0006 adds client_id), which are not what this test is about.
  const std::string columns =
      QueryText(*db, "SELECT group_concat(name, ', ') FROM pragma_table_info('jobs')");
  const std::string every_field = "SELECT rowid, " + columns + " FROM jobs ORDER BY rowid";
  const std::string counts = "SELECT status, jobs FROM job_counts ORDER BY status";
  const std::string jobs_before = Dump(*db, every_field);
  const std::string counts_before = Dump(*db, counts);

  EXPECT_EQ(Migrate(*db), LatestSchemaVersion());
  EXPECT_EQ(Dump(*db, every_field), jobs_before);
  EXPECT_EQ(Dump(*db, counts), counts_before);
  EXPECT_EQ(counts_before, "failed|1|\npending|1|\nstarted|1|\nsuccess|1|\n");
  EXPECT_EQ(QueryText(*db, "PRAGMA integrity_check"), "ok");
  // The triggers came back with the table: counts follow a status change.
  db->Exec(
      "UPDATE jobs SET status = 'pending', claimed_by = NULL, claim_token = NULL,"
      " lease_expires_at = NULL WHERE id = 't'");
  EXPECT_EQ(Dump(*db, counts), "failed|1|\npending|2|\nstarted|0|\nsuccess|1|\n");
}

TEST(DatabaseSettingsTest, WalSynchronousFullForeignKeysAndBusyTimeout) {
  testing::TempDir dir;
  DatabaseOptions options{dir / "jobsd.db", 1234};
  auto database = Database::Open(options);
  auto connection = OpenConnection(options);  // exactly as the pool opens them
  EXPECT_EQ(QueryText(*connection, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryText(*connection, "PRAGMA synchronous"), "2");  // FULL
  EXPECT_EQ(QueryText(*connection, "PRAGMA foreign_keys"), "1");
  // The busy timeout is our own busy handler (shutdown can cut it short),
  // which PRAGMA busy_timeout does not show: it shows in behaviour. Another
  // connection's lock is waited for about 1234 ms, then refused as busy.
  {
    auto holder = Connection::Open(dir / "jobsd.db");
    holder->Exec("BEGIN IMMEDIATE");
    const auto start = std::chrono::steady_clock::now();
    try {
      connection->Exec("BEGIN IMMEDIATE");
      ADD_FAILURE() << "took the lock another connection holds";
    } catch (const StoreError& error) {
      EXPECT_EQ(error.fault(), StoreFault::kBusy) << error.what();
    }
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_GE(waited, std::chrono::milliseconds(1200));
    EXPECT_LT(waited, std::chrono::milliseconds(3000));
    holder->Exec("ROLLBACK");
  }
  // A plain connection sees the persistent journal mode too.
  auto plain = Connection::Open(dir / "jobsd.db");
  EXPECT_EQ(QueryText(*plain, "PRAGMA journal_mode"), "wal");
  // The per-connection settings show in behaviour: a token of a client that
  // does not exist is refused by the foreign key (foreign_keys = ON).
  EXPECT_THROW(database->credentials().InsertToken({"h", "nobody", 1}), StoreError);
}

}  // namespace
}  // namespace jobsd::storage
