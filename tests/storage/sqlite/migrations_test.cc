// Migrations: a fresh store gets the whole schema, a second open changes
// nothing, a newer store is refused, and the schema itself guards the job
// state machine.
#include "storage/sqlite/migrations.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "storage/files/local_artifact_store.h"
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

// Applies the embedded migrations from..to by hand, as the releases that
// stopped at `to` did, recording each in schema_migrations.
void ApplyMigrations(Connection& db, int from, int to) {
  for (const Migration& migration : EmbeddedMigrations()) {
    if (migration.version < from || migration.version > to) continue;
    db.Exec(migration.sql);
    db.Exec("INSERT INTO schema_migrations VALUES (" + std::to_string(migration.version) + ", '" +
            std::string(migration.name) + "', 'then')");
  }
}

// A store as the release that stopped at `version` left it.
std::unique_ptr<Connection> OpenStoreAtVersion(const std::filesystem::path& file, int version) {
  auto db = Connection::Open(file);
  db->Exec(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
      " applied_at TEXT NOT NULL)");
  ApplyMigrations(*db, 1, version);
  return db;
}

// Pending jobs 'p' (with an idempotency key), 's', 'f' and 't', with 'r'
// inserted and deleted between them so that the rowids have a gap; from
// schema 6 on, 'p' and 'f' belong to clients.
void InsertPendingJobsWithARowidGap(Connection& db, bool with_client_ids) {
  const std::string insert =
      std::string("INSERT INTO jobs (id, job_type, max_attempts, created_at, updated_at,") +
      " run_after, expires_at, idempotency_key, request_hash, idempotency_expires_at" +
      (with_client_ids ? ", client_id" : "") + ") VALUES ";
  auto client = [&](std::string_view id) -> std::string {
    if (!with_client_ids) return "";
    return id.empty() ? ", NULL" : ", '" + std::string(id) + "'";
  };
  db.Exec(insert + "('p', 'order_export', 5, 1, 1, 1, 100, 'key-p', 'h', 50" + client("c1") + ")");
  db.Exec(insert + "('s', 'order_export', 5, 2, 2, 2, 100, NULL, NULL, NULL" + client("") + ")");
  db.Exec(insert + "('f', 'order_export', 5, 3, 3, 3, 100, NULL, NULL, NULL" + client("c2") + ")");
  db.Exec(insert + "('r', 'order_export', 5, 4, 4, 4, 100, NULL, NULL, NULL" + client("") + ")");
  db.Exec("DELETE FROM jobs WHERE id = 'r'");
  db.Exec(insert + "('t', 'order_export', 5, 5, 5, 5, 100, NULL, NULL, NULL" + client("") + ")");
}

// What a migration that rebuilds the jobs table must keep: every field of
// every row, by rowid, over the columns the table had before it ran (later
// migrations may add or rename columns, which is not what such a test is
// about), and the per-status counts.
struct JobsBeforeMigrating {
  explicit JobsBeforeMigrating(Connection& db)
      : columns(QueryText(db, "SELECT group_concat(name, ', ') FROM pragma_table_info('jobs')")),
        every_field("SELECT rowid, " + columns + " FROM jobs ORDER BY rowid"),
        rows(Dump(db, every_field)),
        counts(Dump(db, kCountsDump)) {}

  static constexpr std::string_view kCountsDump =
      "SELECT status, jobs FROM job_counts ORDER BY status";
  std::string columns;
  std::string every_field;
  std::string rows;
  std::string counts;
};

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
       {"orders", "order_items", "jobs", "api_clients", "access_tokens", "webhook_endpoints",
        "webhook_attempts", "webhook_deliveries", "schema_migrations"}) {
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
    // Inserted and counted as the store does (0017: no trigger counts it).
    db_->Exec(
        "INSERT INTO jobs (id, job_type, max_attempts, created_at, updated_at, run_after,"
        " expires_at) VALUES ('j', 'order_export', 5, 1, 1, 1, 100);"
        " UPDATE job_counts SET jobs = jobs + 1 WHERE status = 'pending'");
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

TEST_F(JobTriggerTest, UnknownStatusIsRefused) {
  EXPECT_THROW(db_->Exec("UPDATE jobs SET status = 'done' WHERE id = 'j'"), StoreError);
  EXPECT_THROW(db_->Exec("INSERT INTO jobs (id, job_type, status, max_attempts, created_at,"
                         " updated_at, run_after, expires_at)"
                         " VALUES ('k', 't', 'done', 5, 1, 1, 1, 100)"),
               StoreError);
  EXPECT_EQ(QueryText(*db_, "SELECT group_concat(id) FROM jobs"), "j");
}

// 0017: no trigger runs for an inserted job (the store counts its inserts
// itself: tests/storage/sqlite/job_store_test.cc). Status changes are still
// checked and counted, and a count stops at zero: a job inserted by hand,
// never counted, can still be claimed and finished, and the counts are
// right again once it is no longer pending.
TEST_F(JobTriggerTest, NoTriggerRunsOnInsertAndAJobInsertedByHandCanStillMove) {
  EXPECT_EQ(QueryText(*db_,
                      "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
                      " AND tbl_name = 'jobs' AND sql LIKE '%AFTER INSERT%'"),
            "0");
  const std::string counts = "SELECT status, jobs FROM job_counts ORDER BY status";
  const std::string truth =
      "SELECT s.status, (SELECT count(*) FROM jobs WHERE status = s.status) FROM job_counts s"
      " ORDER BY s.status";
  db_->Exec(
      "INSERT INTO jobs (id, job_type, max_attempts, created_at, updated_at, run_after,"
      " expires_at) VALUES ('by-hand', 't', 5, 1, 1, 1, 100)");
  EXPECT_EQ(Dump(*db_, counts), "failed|0|\npending|1|\nstarted|0|\nsuccess|0|\n");
  Move("started");  // the counted job
  EXPECT_EQ(Dump(*db_, counts), "failed|0|\npending|0|\nstarted|1|\nsuccess|0|\n");
  db_->Exec(
      "UPDATE jobs SET status = 'started', claimed_by = 'w', claim_token = 't',"
      " lease_expires_at = 9 WHERE id = 'by-hand'");
  EXPECT_EQ(Dump(*db_, counts), Dump(*db_, truth));
  db_->Exec(
      "UPDATE jobs SET status = 'failed', claimed_by = NULL, claim_token = NULL,"
      " lease_expires_at = NULL WHERE id = 'by-hand'");
  db_->Exec("DELETE FROM jobs WHERE id = 'j'");
  EXPECT_EQ(Dump(*db_, counts), "failed|1|\npending|0|\nstarted|0|\nsuccess|0|\n");
  EXPECT_EQ(Dump(*db_, counts), Dump(*db_, truth));
}

// 0004 rebuilds the jobs table: a store at version 3 with jobs in every
// status keeps each job (same rowid, same fields) and its per-status counts.
TEST(MigrationsTest, RebuildingJobsKeepsEveryJobItsRowidAndTheCounts) {
  testing::TempDir dir;
  auto db = OpenStoreAtVersion(dir / "jobsd.db", 3);
  InsertPendingJobsWithARowidGap(*db, /*with_client_ids=*/false);
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
  const JobsBeforeMigrating before(*db);
  const std::string_view counts = JobsBeforeMigrating::kCountsDump;

  ApplyMigrations(*db, 4, 6);
  EXPECT_EQ(Dump(*db, before.every_field), before.rows);
  EXPECT_EQ(Dump(*db, counts), before.counts);
  EXPECT_EQ(before.counts, "failed|1|\npending|1|\nstarted|1|\nsuccess|1|\n");
  EXPECT_EQ(QueryText(*db, "PRAGMA integrity_check"), "ok");
  // The triggers came back with the table: counts follow a status change.
  db->Exec(
      "UPDATE jobs SET status = 'pending', claimed_by = NULL, claim_token = NULL,"
      " lease_expires_at = NULL WHERE id = 't'");
  EXPECT_EQ(Dump(*db, counts), "failed|1|\npending|2|\nstarted|0|\nsuccess|1|\n");
}

// 0012 makes the insert trigger raise FAIL instead of ABORT: a store at
// version 11 keeps every job and its counts, and still refuses a job that
// is not born pending, with the same message and nothing written.
TEST(MigrationsTest, Schema11StoreKeepsEveryJobAndStillRefusesAJobNotBornPending) {
  testing::TempDir dir;
  auto db = OpenStoreAtVersion(dir / "jobsd.db", 11);
  InsertPendingJobsWithARowidGap(*db, /*with_client_ids=*/true);
  const std::string insert =
      "INSERT INTO jobs (id, job_type, max_attempts, created_at, updated_at, run_after,"
      " expires_at, idempotency_key, request_hash, idempotency_expires_at, client_id)"
      " VALUES ";
  db->Exec(
      "UPDATE jobs SET status = 'started', attempts = 1, claimed_by = 'w', claim_token = 'c',"
      " lease_expires_at = 9, progress_rows_written = 1, progress_rows_total = 2"
      " WHERE id IN ('s', 'f', 't')");
  db->Exec(
      "UPDATE jobs SET status = 'success', artifact_key = '/x.csv', artifact_token = 'at',"
      " artifact_name = 'x.csv', artifact_content_type = 'text/csv', artifact_size = 9,"
      " result = '{\"row_count\":3}', claimed_by = NULL, claim_token = NULL,"
      " lease_expires_at = NULL, progress_rows_written = NULL, progress_rows_total = NULL"
      " WHERE id = 's'");
  db->Exec(
      "UPDATE jobs SET status = 'failed', error = 'e', interruptions = 2, claimed_by = NULL,"
      " claim_token = NULL, lease_expires_at = NULL, progress_rows_written = NULL,"
      " progress_rows_total = NULL WHERE id = 'f'");
  const JobsBeforeMigrating before(*db);
  const std::string_view counts = JobsBeforeMigrating::kCountsDump;
  const std::string readable = "SELECT * FROM jobs_readable ORDER BY id";
  const std::string readable_before = Dump(*db, readable);

  ApplyMigrations(*db, 12, 12);
  EXPECT_EQ(QueryText(*db, "SELECT group_concat(name, ', ') FROM pragma_table_info('jobs')"),
            before.columns);
  EXPECT_EQ(Dump(*db, before.every_field), before.rows);
  EXPECT_EQ(Dump(*db, counts), before.counts);
  EXPECT_EQ(Dump(*db, readable), readable_before);
  EXPECT_EQ(QueryText(*db, "PRAGMA integrity_check"), "ok");
  // Still unique.
  EXPECT_THROW(db->Exec(insert + "('p2', 'x', 5, 6, 6, 6, 100, 'key-p', 'h', 50, NULL)"),
               StoreError);
  EXPECT_THROW(db->Exec("UPDATE jobs SET artifact_token = 'at' WHERE id = 'p'"), StoreError);
  // The other triggers are untouched.
  db->Exec(
      "UPDATE jobs SET status = 'pending', claimed_by = NULL, claim_token = NULL,"
      " lease_expires_at = NULL, progress_rows_written = NULL, progress_rows_total = NULL"
      " WHERE id = 't'");
  EXPECT_EQ(Dump(*db, counts), "failed|1|\npending|2|\nstarted|0|\nsuccess|1|\n");
  EXPECT_THROW(db->Exec("UPDATE jobs SET status = 'success' WHERE id = 'p'"), StoreError);
  try {
    db->Exec(
        "INSERT INTO jobs (id, job_type, status, max_attempts, created_at, updated_at,"
        " run_after, expires_at) VALUES ('born-done', 'x', 'success', 5, 1, 1, 1, 100)");
    ADD_FAILURE() << "a job was created in success";
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("a job must be created pending"), std::string::npos);
  }
  EXPECT_EQ(Dump(*db, counts), "failed|1|\npending|2|\nstarted|0|\nsuccess|1|\n");
  EXPECT_EQ(QueryText(*db, "SELECT count(*) FROM jobs WHERE id = 'born-done'"), "0");
}

// 0014 numbers the jobs (seq, the rowid they had) and stops indexing every
// id: a store at version 13 keeps every job, its counts and its view, each
// old id is still found and still unique, and the next job the store makes
// gets a number above every old one and an id derived from it.
TEST(MigrationsTest, Schema13StoreKeepsEveryJobFindableByItsIdAndNumbersNewOnes) {
  testing::TempDir dir;
  {
    auto db = OpenStoreAtVersion(dir / "jobsd.db", 13);
    InsertPendingJobsWithARowidGap(*db, /*with_client_ids=*/true);
    db->Exec(
        "UPDATE jobs SET status = 'started', attempts = 1, claimed_by = 'w', claim_token = 'c',"
        " lease_expires_at = 9 WHERE id = 's'");
    const JobsBeforeMigrating before(*db);
    const std::string readable = "SELECT * FROM jobs_readable ORDER BY id";
    const std::string readable_before = Dump(*db, readable);

    ApplyMigrations(*db, 14, 14);
    // Every old column, field and rowid; each row numbered by its rowid.
    EXPECT_EQ(Dump(*db, before.every_field), before.rows);
    EXPECT_EQ(Dump(*db, "SELECT count(*) FROM jobs WHERE seq = rowid AND id_from_seq = 0"), "4|\n");
    EXPECT_EQ(Dump(*db, JobsBeforeMigrating::kCountsDump), before.counts);
    EXPECT_EQ(Dump(*db, readable), readable_before);
    EXPECT_EQ(QueryText(*db, "SELECT length(key) FROM job_id_key"), "16");
    EXPECT_EQ(QueryText(*db, "PRAGMA integrity_check"), "ok");
    // Old ids, idempotency keys and artifact tokens stay unique.
    const std::string insert =
        "INSERT INTO jobs (id, job_type, max_attempts, created_at, updated_at, run_after,"
        " expires_at, idempotency_key) VALUES ";
    EXPECT_THROW(db->Exec(insert + "('t', 'x', 5, 6, 6, 6, 100, NULL)"), StoreError);
    EXPECT_THROW(db->Exec(insert + "('u', 'x', 5, 6, 6, 6, 100, 'key-p')"), StoreError);
  }
  auto database = Database::Open({dir / "jobsd.db"});
  for (const char* id : {"p", "s", "f", "t"}) {
    std::optional<Job> job = database->jobs().FindJob(id, 10);
    ASSERT_TRUE(job.has_value()) << id;
    EXPECT_EQ(job->id, id);
  }
  EXPECT_EQ(database->jobs().CancelJob("s", 10).kind, CancelResult::Kind::kCancelled);
  NewJob fresh;
  fresh.job_type = "order_export";
  fresh.created_at = 20;
  fresh.expires_at = 200;
  fresh.max_attempts = 3;
  const std::string made = database->jobs().InsertJob(fresh).job.id;
  auto check = Connection::Open(dir / "jobsd.db");
  EXPECT_EQ(Dump(*check, "SELECT seq, id_from_seq FROM jobs WHERE id = '" + made + "'"), "5|1|\n")
      << "numbered after the old rowids (1 to 4)";
  EXPECT_EQ(database->jobs().FindJob(made, 20)->id, made);
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

// 0007 makes jobs generic: a store left at schema 6 by release 6, with jobs
// in every status written the way release 6 wrote them, opens with this
// code and keeps every job, its result and its artifact, and the download
// still reads the file release 6 wrote.
TEST(MigrationsTest, Schema6StoreKeepsEveryJobResultAndDownload) {
  testing::TempDir dir;
  const std::filesystem::path exports = std::filesystem::absolute(dir / "exports");
  std::filesystem::create_directories(exports);
  const Nanos now = Nanos{1'700'000'000} * kNanosPerSecond;
  const Nanos expires = now + 7 * kNanosPerDay;
  const std::string csv = "id,order_number\r\n1,A\r\n2,B\r\n";
  const std::string pending = "10000000-0000-4000-8000-000000000001";
  const std::string started = "10000000-0000-4000-8000-000000000002";
  const std::string success = "10000000-0000-4000-8000-000000000003";
  const std::string failed = "10000000-0000-4000-8000-000000000004";
  const std::string file_token = "0123456789abcdef0123456789abcdef";
  const std::string file_path = (exports / (success + "-01234567.csv")).string();
  {
    auto db = OpenStoreAtVersion(dir / "jobsd.db", 6);
    // Release 6's InsertOne, claim and finish statements.
    auto insert = db->PrepareUncached(
        "INSERT INTO jobs (id, job_type, status, filter, attempts, max_attempts, created_at,"
        " updated_at, run_after, expires_at, idempotency_key, request_hash,"
        " idempotency_expires_at, client_id)"
        " VALUES (?1, 'order_export', 'pending', ?2, 0, 5, ?3, ?3, ?3, ?4, NULL, NULL, NULL, ?5)");
    for (const std::string& id : {pending, started, success, failed}) {
      insert.BindText(1, id)
          .BindText(2, "eq(payment,paid)")
          .BindInt64(3, now)
          .BindInt64(4, expires);
      insert.BindText(5, "client-" + id.substr(id.size() - 1));
      insert.Run();
      insert.Reset();
    }
    db->Exec(
        "UPDATE jobs SET status = 'started', attempts = 1, claimed_by = 'host:1:abc:0',"
        " claim_token = 'claim', lease_expires_at = " +
        std::to_string(now + 100) + " WHERE id <> '" + pending + "'");
    db->Exec("UPDATE jobs SET status = 'success', error = NULL, file_path = '" + file_path +
             "', file_token = '" + file_token +
             "', row_count = 2, claimed_by = NULL, claim_token = NULL, lease_expires_at = NULL"
             " WHERE id = '" +
             success + "'");
    db->Exec(
        "UPDATE jobs SET status = 'failed', error = 'No results matched the supplied filter',"
        " claimed_by = NULL, claim_token = NULL, lease_expires_at = NULL WHERE id = '" +
        failed + "'");
    testing::WriteFile(file_path, csv);
  }

  auto database = Database::Open({dir / "jobsd.db"});
  EXPECT_EQ(database->SchemaVersion(), LatestSchemaVersion());
  JobStore& jobs = database->jobs();
  for (const std::string& id : {pending, started, success, failed}) {
    const std::optional<Job> job = jobs.FindJob(id, now);
    ASSERT_TRUE(job.has_value()) << id;
    EXPECT_EQ(job->params, "eq(payment,paid)") << id;
    EXPECT_EQ(job->job_type, "order_export") << id;
    EXPECT_EQ(job->created_at, now) << id;
    EXPECT_EQ(job->expires_at, expires) << id;
    if (id != success) {
      EXPECT_EQ(job->result, "") << id;
      EXPECT_EQ(job->artifact, std::nullopt) << id;
    }
  }
  EXPECT_EQ(jobs.FindJob(pending, now)->status, JobStatus::kPending);
  EXPECT_EQ(jobs.FindJob(started, now)->status, JobStatus::kStarted);
  EXPECT_EQ(jobs.FindJob(started, now)->claimed_by, "host:1:abc:0");
  EXPECT_EQ(jobs.FindJob(failed, now)->error, "No results matched the supplied filter");

  const Job done = jobs.FindJob(success, now).value();
  EXPECT_EQ(done.status, JobStatus::kSuccess);
  EXPECT_EQ(done.result, "{\"row_count\":2}");
  // The size of a file release 6 wrote was never recorded: unknown, and the
  // reader reports the real one.
  EXPECT_EQ(done.artifact, (Artifact{file_path, file_token, "text/csv; charset=utf-8",
                                     "orders-" + success + ".csv", std::nullopt}));
  EXPECT_EQ(jobs.FindJobByArtifactToken(file_token, now).value().id, success);
  EXPECT_EQ(jobs.ReferencedArtifacts(), std::vector<std::string>{file_path});

  // The download: the artifact store finds the file release 6 wrote.
  LocalArtifactStore artifacts(exports, /*min_free_disk=*/0);
  std::unique_ptr<ArtifactReader> reader = artifacts.Open(done.artifact->key);
  ASSERT_NE(reader, nullptr);
  ASSERT_EQ(reader->size(), csv.size());
  std::string read(csv.size(), '\0');
  EXPECT_EQ(reader->ReadAt(0, read.data(), read.size()), csv.size());
  EXPECT_EQ(read, csv);
  EXPECT_TRUE(artifacts.ListOrphans(jobs.ReferencedArtifacts()).empty());

  // The job left started finishes with this code, its artifact measured.
  std::unique_ptr<ArtifactWriter> writer =
      artifacts.Begin({started, "text/csv; charset=utf-8", "orders-" + started + ".csv"});
  writer->Write(csv);
  JobCompletion completion;
  completion.id = started;
  completion.token = "claim";
  completion.kind = JobCompletion::Kind::kSucceeded;
  completion.success = SuccessResult{"{\"row_count\":2}", writer->Commit()};
  EXPECT_EQ(jobs.FinishJobs({completion}, now + 1), std::vector<bool>{true});
  const Job finished = jobs.FindJob(started, now + 1).value();
  EXPECT_EQ(finished.artifact, completion.success.artifact);
  EXPECT_EQ(finished.artifact->size, static_cast<std::int64_t>(csv.size()));

  // Counts and the view a person reads with sqlite3 follow.
  const std::map<JobStatus, std::int64_t> counts = jobs.CountByStatus(now + 1);
  EXPECT_EQ(counts.at(JobStatus::kPending), 1);
  EXPECT_EQ(counts.at(JobStatus::kSuccess), 2);
  EXPECT_EQ(counts.at(JobStatus::kFailed), 1);
  auto connection = Connection::Open(dir / "jobsd.db");
  EXPECT_EQ(Dump(*connection,
                 "SELECT params, result, artifact_key, artifact_name, artifact_content_type,"
                 " coalesce(artifact_size, 'unknown') FROM jobs_readable WHERE id = '" +
                     success + "'"),
            "eq(payment,paid)|{\"row_count\":2}|" + file_path + "|orders-" + success +
                ".csv|text/csv; charset=utf-8|unknown|\n");
  EXPECT_EQ(QueryText(*connection, "PRAGMA integrity_check"), "ok");
}

// 0008 adds the progress columns: a store left at schema 7, with a job
// started under release 7, opens with this code; its jobs are kept, the
// started one shows no progress until its next renewal brings some, and
// a pending one can be cancelled.
TEST(MigrationsTest, Schema7StoreGainsProgressAndKeepsItsJobs) {
  testing::TempDir dir;
  const Nanos now = Nanos{1'700'000'000} * kNanosPerSecond;
  const std::string pending = "20000000-0000-4000-8000-000000000001";
  const std::string started = "20000000-0000-4000-8000-000000000002";
  {
    auto db = OpenStoreAtVersion(dir / "jobsd.db", 7);
    auto insert = db->PrepareUncached(
        "INSERT INTO jobs (id, job_type, status, params, attempts, max_attempts, created_at,"
        " updated_at, run_after, expires_at)"
        " VALUES (?1, 'order_export', 'pending', '', 0, 5, ?2, ?2, ?2, ?3)");
    for (const std::string& id : {pending, started}) {
      insert.BindText(1, id).BindInt64(2, now).BindInt64(3, now + kNanosPerDay);
      insert.Run();
      insert.Reset();
    }
    db->Exec(
        "UPDATE jobs SET status = 'started', attempts = 1, claimed_by = 'host:1:abc:0',"
        " claim_token = 'claim', lease_expires_at = " +
        std::to_string(now + 100) + " WHERE id = '" + started + "'");
  }

  auto database = Database::Open({dir / "jobsd.db"});
  EXPECT_EQ(database->SchemaVersion(), LatestSchemaVersion());
  JobStore& jobs = database->jobs();
  EXPECT_EQ(jobs.FindJob(pending, now)->status, JobStatus::kPending);
  const Job running = jobs.FindJob(started, now).value();
  EXPECT_EQ(running.status, JobStatus::kStarted);
  EXPECT_EQ(running.progress, std::nullopt);

  EXPECT_EQ(jobs.RenewLeases({LeaseRenewal{started, "claim", JobProgress{7, 8}}}, now + 200),
            std::vector<bool>{true});
  EXPECT_EQ(jobs.FindJob(started, now)->progress, (JobProgress{7, 8}));
  EXPECT_EQ(jobs.CancelJob(pending, now + 1).kind, CancelResult::Kind::kCancelled);
  EXPECT_EQ(jobs.FindJob(pending, now)->error, std::string(kCancelledError));

  const std::map<JobStatus, std::int64_t> counts = jobs.CountByStatus(now + 1);
  EXPECT_EQ(counts.at(JobStatus::kPending), 0);
  EXPECT_EQ(counts.at(JobStatus::kStarted), 1);
  EXPECT_EQ(counts.at(JobStatus::kFailed), 1);
  auto connection = Connection::Open(dir / "jobsd.db");
  EXPECT_EQ(Dump(*connection,
                 "SELECT status, progress_rows_written, progress_rows_total FROM jobs_readable"
                 " WHERE id = '" +
                     started + "'"),
            "started|7|8|\n");
  EXPECT_EQ(QueryText(*connection, "PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace jobsd::storage
