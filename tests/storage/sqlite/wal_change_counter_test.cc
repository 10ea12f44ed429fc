// WalChangeCounter on a real SQLite file: read from the WAL index's header
// in shared memory, it moves with every commit of another connection or of
// another process (a forked child with its own connection), across a WAL
// reset, and not with reads or checkpoints of nothing new; on a store that
// is not in WAL mode it reads through a transaction and still moves.
#include "storage/sqlite/wal_change_counter.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite/open_connection.h"
#include "storage/sqlite/sqlite.h"
#include "tests/support/temp_dir.h"

namespace jobsd::storage {
namespace {

class WalChangeCounterTest : public ::testing::Test {
 protected:
  WalChangeCounterTest() {
    writer_ = OpenConnection(options_);
    writer_->Exec("CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  }

  WalChangeCounter Counter() {
    return WalChangeCounter([this] { return OpenConnection(options_); });
  }

  void Insert(sqlite::Connection& connection, int n) {
    auto insert = connection.Prepare("INSERT INTO t (n, v) VALUES (?, 'x')");
    insert->BindInt64(1, n);
    insert->Run();
  }

  testing::TempDir dir_;
  DatabaseOptions options_{dir_ / "changes.db", /*busy_timeout_ms=*/5000};
  std::unique_ptr<sqlite::Connection> writer_;
};

TEST_F(WalChangeCounterTest, EveryCommitMovesItAndReadsDoNot) {
  WalChangeCounter counter = Counter();
  const std::uint64_t first = counter.Read();
  EXPECT_TRUE(counter.ReadsSharedMemory()) << "a WAL store's header is read from the -shm file";
  std::uint64_t last = counter.Read();
  EXPECT_GE(last, first);
  EXPECT_EQ(counter.Read(), last) << "nothing committed";

  for (int n = 1; n <= 50; ++n) {
    Insert(*writer_, n);
    const std::uint64_t now = counter.Read();
    EXPECT_GT(now, last) << "commit " << n;
    last = now;
  }
  auto select = writer_->PrepareUncached("SELECT count(*) FROM t");
  ASSERT_TRUE(select.Step());
  EXPECT_EQ(select.ColumnInt64(0), 50);
  EXPECT_EQ(counter.Read(), last) << "a read commits nothing";
}

TEST_F(WalChangeCounterTest, ACommitAfterTheWalIsResetMovesIt) {
  WalChangeCounter counter = Counter();
  Insert(*writer_, 1);
  const std::uint64_t before = counter.Read();
  // Copies every frame back and empties the WAL: the next commit writes
  // its frame where the first one was.
  writer_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  const std::uint64_t after_checkpoint = counter.Read();
  EXPECT_GE(after_checkpoint, before) << "a checkpoint may move it, never back";
  Insert(*writer_, 2);
  EXPECT_GT(counter.Read(), after_checkpoint);
  EXPECT_TRUE(counter.ReadsSharedMemory());
}

TEST_F(WalChangeCounterTest, AnotherProcessCommitMovesIt) {
  WalChangeCounter counter = Counter();
  const std::uint64_t before = counter.Read();
  ASSERT_TRUE(counter.ReadsSharedMemory());
  const std::string path = (dir_ / "changes.db").string();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Only the C API from here: the child must not run the parent's destructors.
    sqlite3* db = nullptr;
    int rc = sqlite3_open(path.c_str(), &db);
    if (rc == SQLITE_OK) sqlite3_busy_timeout(db, 5000);
    if (rc == SQLITE_OK)
      rc = sqlite3_exec(db, "INSERT INTO t (n, v) VALUES (7, 'child')", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    _exit(rc == SQLITE_OK ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child's insert failed";
  EXPECT_GT(counter.Read(), before);
  EXPECT_TRUE(counter.ReadsSharedMemory());
}

TEST_F(WalChangeCounterTest, ThreadsReadingWhileAWriterCommitsNeverGoBack) {
  WalChangeCounter counter = Counter();
  counter.Read();
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  std::atomic<int> went_back{0};
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      std::uint64_t last = 0;
      while (!done.load()) {
        const std::uint64_t now = counter.Read();
        if (now < last) ++went_back;
        last = now;
      }
    });
  }
  std::uint64_t last = counter.Read();
  for (int n = 1; n <= 300; ++n) {
    Insert(*writer_, n);
    const std::uint64_t now = counter.Read();
    EXPECT_GT(now, last) << "commit " << n;
    last = now;
  }
  done = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(went_back.load(), 0);
}

TEST_F(WalChangeCounterTest, AStoreNotInWalModeIsReadThroughATransaction) {
  writer_.reset();
  auto rollback = sqlite::Connection::Open(dir_ / "rollback.db");
  rollback->Exec("PRAGMA journal_mode = DELETE; CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT)");
  WalChangeCounter counter([this] { return sqlite::Connection::Open(dir_ / "rollback.db"); });
  const std::uint64_t before = counter.Read();
  EXPECT_EQ(counter.Read(), before);
  EXPECT_FALSE(counter.ReadsSharedMemory());
  Insert(*rollback, 1);
  EXPECT_GT(counter.Read(), before);
}

}  // namespace
}  // namespace jobsd::storage
