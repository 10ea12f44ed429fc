// The RAII layer over the SQLite C API: transactions, binding, columns,
// errors and the statement cache, on real files.
#include "storage/sqlite/sqlite.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "tests/support/temp_dir.h"

namespace jobsd::storage::sqlite {
namespace {

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = Connection::Open(dir_ / "test.db");
    db_->Exec("PRAGMA journal_mode = WAL; CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)");
  }

  std::int64_t CountRows() {
    auto count = db_->Prepare("SELECT count(*) FROM t");
    EXPECT_TRUE(count->Step());
    return count->ColumnInt64(0);
  }

  void Insert(std::int64_t k, std::string_view v) {
    auto insert = db_->Prepare("INSERT INTO t (k, v) VALUES (?, ?)");
    insert->BindInt64(1, k).BindText(2, v);
    insert->Run();
  }

  testing::TempDir dir_;
  std::unique_ptr<Connection> db_;
};

TEST_F(SqliteTest, TransactionRollsBackWhenNotCommitted) {
  {
    Transaction transaction(*db_);
    Insert(1, "one");
    EXPECT_FALSE(db_->InAutocommit());
  }
  EXPECT_TRUE(db_->InAutocommit());
  EXPECT_EQ(CountRows(), 0);
}

TEST_F(SqliteTest, TransactionCommitKeepsTheRows) {
  {
    Transaction transaction(*db_);
    Insert(1, "one");
    Insert(2, "two");
    transaction.Commit();
  }
  EXPECT_EQ(CountRows(), 2);
  // And they are on disk: another connection sees them.
  auto other = Connection::Open(dir_ / "test.db");
  auto count = other->PrepareUncached("SELECT count(*) FROM t");
  ASSERT_TRUE(count.Step());
  EXPECT_EQ(count.ColumnInt64(0), 2);
}

TEST_F(SqliteTest, RollbackAfterAnExceptionInsideTheTransaction) {
  try {
    Transaction transaction(*db_);
    Insert(1, "one");
    Insert(1, "duplicate");  // PRIMARY KEY violation throws
    transaction.Commit();
    FAIL() << "expected a constraint error";
  } catch (const SqliteError& error) {
    EXPECT_EQ(error.primary_code(), SQLITE_CONSTRAINT);
    EXPECT_FALSE(error.transient());
    EXPECT_NE(std::string(error.what()).find("UNIQUE constraint failed"), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(CountRows(), 0);
}

TEST_F(SqliteTest, CommitTwiceIsRefused) {
  Transaction transaction(*db_);
  transaction.Commit();
  EXPECT_THROW(transaction.Commit(), StoreError);
}

TEST_F(SqliteTest, BindAndColumnRoundTrips) {
  db_->Exec("CREATE TABLE r (i INTEGER, s TEXT, n INTEGER, o TEXT)");
  const std::string with_nul("a\0b", 3);
  const std::int64_t big = INT64_MIN;
  auto insert = db_->Prepare("INSERT INTO r VALUES (?, ?, ?, ?)");
  insert->Bind(1, big)
      .Bind(2, with_nul)
      .Bind(3, std::optional<std::int64_t>())
      .Bind(4, std::optional<std::string>("x"));
  insert->Run();
  insert->Reset();
  insert->Bind(1, std::optional<std::int64_t>(7))
      .BindText(2, "")
      .BindNull(3)
      .Bind(4, std::optional<std::string>());
  insert->Run();

  auto select = db_->Prepare("SELECT i, s, n, o FROM r ORDER BY rowid");
  ASSERT_TRUE(select->Step());
  EXPECT_EQ(select->ColumnInt64(0), big);
  EXPECT_EQ(select->ColumnText(1), with_nul);  // embedded NUL kept: length from bytes
  EXPECT_TRUE(select->IsNull(2));
  EXPECT_EQ(select->ColumnOptionalInt64(2), std::nullopt);
  EXPECT_EQ(select->ColumnOptionalString(3), std::optional<std::string>("x"));
  ASSERT_TRUE(select->Step());
  EXPECT_EQ(select->ColumnOptionalInt64(0), std::optional<std::int64_t>(7));
  EXPECT_FALSE(select->IsNull(1));  // "" is bound as '' and not NULL
  EXPECT_EQ(select->ColumnText(1), "");
  EXPECT_EQ(select->ColumnOptionalString(3), std::nullopt);
  EXPECT_FALSE(select->Step());
}

TEST_F(SqliteTest, CachedStatementIsPreparedOnceAndResetAfterUse) {
  Insert(1, "one");
  Insert(2, "two");
  EXPECT_EQ(db_->CachedStatementCount(), 1u);
  for (int round = 0; round < 3; ++round) {
    auto select = db_->Prepare("SELECT v FROM t WHERE k = ?");
    select->BindInt64(1, 2);
    ASSERT_TRUE(select->Step());  // would fail if left mid-iteration last round
    EXPECT_EQ(select->ColumnText(0), "two");
  }
  EXPECT_EQ(db_->CachedStatementCount(), 2u);
  {
    // Bindings were cleared: an unbound parameter is NULL, matching nothing.
    auto select = db_->Prepare("SELECT v FROM t WHERE k = ?");
    EXPECT_FALSE(select->Step());
  }
}

TEST_F(SqliteTest, ShapedStatementsKeepTheLatestTextsAndForgetTheOldest) {
  Insert(1, "one");
  const auto text = [](int i) {
    return "SELECT v FROM t WHERE k = ? AND " + std::to_string(i) + " >= 0";
  };
  sqlite3_stmt* first = nullptr;
  {
    auto select = db_->PrepareShaped(text(0));
    select->BindInt64(1, 1);
    ASSERT_TRUE(select->Step());
    EXPECT_EQ(select->ColumnText(0), "one");
    first = select->get();
  }
  {
    // The same text again: the same statement, reset and unbound.
    auto again = db_->PrepareShaped(text(0));
    EXPECT_EQ(again->get(), first);
    EXPECT_FALSE(again->Step());
  }
  const auto size = static_cast<int>(Connection::kShapedCacheSize);
  for (int i = 1; i <= size; ++i) db_->PrepareShaped(text(i));
  EXPECT_EQ(db_->ShapedStatementCount(), Connection::kShapedCacheSize);
  // text(0) was the least recently used: it was finalized and is prepared anew.
  {
    auto select = db_->PrepareShaped(text(0));
    select->BindInt64(1, 1);
    ASSERT_TRUE(select->Step());
    EXPECT_EQ(select->ColumnText(0), "one");
  }
  EXPECT_EQ(db_->ShapedStatementCount(), Connection::kShapedCacheSize);
  EXPECT_EQ(db_->CachedStatementCount(), 1u);  // the insert's; shaped ones live apart
}

TEST_F(SqliteTest, SyntaxErrorNamesTheProblemAndIsNotTransient) {
  try {
    db_->PrepareUncached("SELEKT 1");
    FAIL() << "expected a syntax error";
  } catch (const SqliteError& error) {
    EXPECT_EQ(error.primary_code(), SQLITE_ERROR);
    EXPECT_FALSE(error.transient());
    EXPECT_NE(std::string(error.what()).find("syntax error"), std::string::npos) << error.what();
  }
}

TEST_F(SqliteTest, BusyWriterIsATransientError) {
  auto other = Connection::Open(dir_ / "test.db");
  other->Exec("PRAGMA busy_timeout = 0");
  Transaction holder(*db_);  // holds the write lock
  Insert(1, "one");
  try {
    Transaction blocked(*other);
    FAIL() << "expected SQLITE_BUSY";
  } catch (const SqliteError& error) {
    EXPECT_EQ(error.primary_code(), SQLITE_BUSY);
    EXPECT_TRUE(error.transient());
  }
  holder.Commit();
  // Once the lock is free the same connection gets through.
  Transaction retried(*other);
  retried.Commit();
}

TEST_F(SqliteTest, StepErrorsNameTheFailureButNotTheStatement) {
  Insert(1, "one");
  try {
    Insert(1, "again");
    FAIL() << "expected a constraint violation";
  } catch (const SqliteError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("UNIQUE constraint failed"), std::string::npos) << what;
    // Messages reach logs on every retry; statements made them unreadable.
    EXPECT_EQ(what.find("INSERT"), std::string::npos) << what;
  }
}

TEST_F(SqliteTest, BusyWaitGivesUpWhenAbortedInsteadOfWaitingOutTheLock) {
  auto other = Connection::Open(dir_ / "test.db");
  auto abort = std::make_shared<std::atomic<bool>>(false);
  other->SetBusyWait(std::chrono::seconds(30), abort);
  Transaction holder(*db_);  // holds the write lock
  Insert(1, "one");
  std::thread stopper([abort] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    abort->store(true);
  });
  const auto start = std::chrono::steady_clock::now();
  try {
    Transaction blocked(*other);
    ADD_FAILURE() << "expected SQLITE_BUSY";
  } catch (const SqliteError& error) {
    EXPECT_EQ(error.primary_code(), SQLITE_BUSY);
    EXPECT_EQ(error.fault(), StoreFault::kBusy);
  }
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(SqliteTest, BusyWaitWaitsForALockThatIsReleasedInTime) {
  auto other = Connection::Open(dir_ / "test.db");
  other->SetBusyWait(std::chrono::seconds(10), nullptr);
  auto holder = std::make_unique<Transaction>(*db_);
  Insert(1, "one");
  std::thread releaser([&holder] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    holder->Commit();
  });
  Transaction waited(*other);  // gets the lock once released
  waited.Commit();
  releaser.join();
}

TEST(SqliteErrorTest, FaultClassification) {
  EXPECT_EQ(FaultOf(SQLITE_BUSY), StoreFault::kBusy);
  EXPECT_EQ(FaultOf(SQLITE_FULL), StoreFault::kDiskFull);
  EXPECT_EQ(FaultOf(SQLITE_READONLY), StoreFault::kReadOnly);
  EXPECT_EQ(FaultOf(SQLITE_READONLY_DBMOVED), StoreFault::kReadOnly);
  EXPECT_EQ(FaultOf(SQLITE_IOERR_WRITE), StoreFault::kIo);
  EXPECT_EQ(FaultOf(SQLITE_CONSTRAINT), StoreFault::kOther);
}

TEST(SqliteErrorTest, TransientClassification) {
  struct Case {
    int code;
    bool transient;
  };
  const Case cases[] = {
      {SQLITE_BUSY, true},        {SQLITE_BUSY_SNAPSHOT, true}, {SQLITE_LOCKED, true},
      {SQLITE_IOERR, true},       {SQLITE_IOERR_FSYNC, true},   {SQLITE_FULL, true},
      {SQLITE_PROTOCOL, true},    {SQLITE_READONLY, true},      {SQLITE_CANTOPEN, false},
      {SQLITE_CONSTRAINT, false}, {SQLITE_CORRUPT, false},      {SQLITE_MISUSE, false},
      {SQLITE_ERROR, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsTransient(c.code), c.transient) << "code " << c.code;
  }
}

TEST(SqliteOpenTest, MissingDirectoryIsAClearPermanentError) {
  testing::TempDir dir;
  try {
    Connection::Open(dir / "no/such/dir/x.db");
    FAIL() << "expected SQLITE_CANTOPEN";
  } catch (const SqliteError& error) {
    EXPECT_EQ(error.primary_code(), SQLITE_CANTOPEN);
    EXPECT_FALSE(error.transient());
    EXPECT_NE(std::string(error.what()).find("no/such/dir/x.db"), std::string::npos);
  }
}

}  // namespace
}  // namespace jobsd::storage::sqlite
