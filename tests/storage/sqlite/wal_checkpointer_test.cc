// WalCheckpointer on a real SQLite file: a writer committing far more pages
// than the WAL may hold keeps every row, the WAL's pages reach the database
// file through the checkpointer's own thread, and the WAL stays bounded.
#include "storage/sqlite/wal_checkpointer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>

#include "storage/sqlite/open_connection.h"
#include "storage/sqlite/sqlite.h"
#include "tests/support/temp_dir.h"

namespace jobsd::storage {
namespace {

constexpr std::uintmax_t kPageSize = 4096;
// A WAL frame is a page and its 24-byte header; the file has a 32-byte one.
constexpr std::uintmax_t kFrameSize = kPageSize + 24;

class WalCheckpointerTest : public ::testing::Test {
 protected:
  WalCheckpointerTest() {
    auto setup = OpenConnection(options_);
    setup->Exec("CREATE TABLE t (n INTEGER PRIMARY KEY, v BLOB NOT NULL)");
  }

  // `commits` transactions of `rows` rows, each row filling about a page.
  static void WriteRows(sqlite::Connection& writer, int commits, int rows, int& next) {
    for (int c = 0; c < commits; ++c) {
      sqlite::Transaction transaction(writer);
      for (int r = 0; r < rows; ++r) {
        auto insert = writer.Prepare("INSERT INTO t (n, v) VALUES (?, zeroblob(3900))");
        insert->BindInt64(1, next++);
        insert->Run();
      }
      transaction.Commit();
    }
  }

  std::int64_t Rows() {
    auto reader = OpenConnection(options_);
    auto count = reader->PrepareUncached("SELECT count(*) FROM t");
    count.Step();
    return count.ColumnInt64(0);
  }

  // Waits (up to a minute, then fails) until the checkpointer has run.
  static void AwaitBackgroundCheckpoint(const WalCheckpointer& checkpointer) {
    for (int i = 0; i < 6000 && checkpointer.background_checkpoints() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_GT(checkpointer.background_checkpoints(), 0);
  }

  std::uintmax_t FileSize(const std::string& suffix) {
    std::error_code error;
    const auto size = std::filesystem::file_size(dir_ / ("wal.db" + suffix), error);
    return error ? 0 : size;
  }

  testing::TempDir dir_;
  DatabaseOptions options_{dir_ / "wal.db", /*busy_timeout_ms=*/5000};
};

TEST_F(WalCheckpointerTest, PagesReachTheDatabaseFileWithoutTheWriterCopyingThem) {
  WalCheckpointer checkpointer([this] { return OpenConnection(options_); });
  auto writer = OpenConnection(options_);
  checkpointer.Watch(*writer);
  int next = 0;
  // Past kWakePages, below kInlinePages: only the thread may copy them.
  WriteRows(*writer, 30, 50, next);
  AwaitBackgroundCheckpoint(checkpointer);
  // It copied the rows of the first kWakePages frames (a frame per row,
  // plus the b-tree's) into the database file, which held two pages before.
  EXPECT_GE(FileSize(""), WalCheckpointer::kWakePages / 2 * kPageSize);
  EXPECT_EQ(Rows(), 1500);
}

TEST_F(WalCheckpointerTest, TheWalStaysBoundedAndLosesNoRow) {
  WalCheckpointer checkpointer([this] { return OpenConnection(options_); });
  auto writer = OpenConnection(options_);
  checkpointer.Watch(*writer);
  int next = 0;
  constexpr int kRowsPerCommit = 100;
  // Three times what the WAL may hold.
  const int commits = 3 * WalCheckpointer::kInlinePages / kRowsPerCommit;
  std::uintmax_t largest_wal = 0;
  for (int c = 0; c < commits; ++c) {
    WriteRows(*writer, 1, kRowsPerCommit, next);
    largest_wal = std::max(largest_wal, FileSize("-wal"));
  }
  EXPECT_GT(checkpointer.background_checkpoints(), 0);
  // Commits go on past kInlinePages while the thread's last pass, which the
  // inline checkpoint finds running (busy), finishes: by far less than the
  // backlog that would make the writer copy inline anyway.
  EXPECT_LE(largest_wal,
            32 + (WalCheckpointer::kInlinePages + WalCheckpointer::kInlineBacklogPages) * kFrameSize);
  EXPECT_EQ(Rows(), commits * kRowsPerCommit);
}

TEST_F(WalCheckpointerTest, AConnectionThatCouldNotOpenIsOpenedAgainAtTheNextWake) {
  std::atomic<int> opens{0};
  WalCheckpointer checkpointer([this, &opens]() -> std::unique_ptr<sqlite::Connection> {
    if (++opens == 1) throw std::runtime_error("the store is not there yet");
    return OpenConnection(options_);
  });
  auto writer = OpenConnection(options_);
  checkpointer.Watch(*writer);
  int next = 0;
  // Enough pages to wake the thread twice or more.
  for (int i = 0; i < 6 && checkpointer.background_checkpoints() == 0; ++i) {
    WriteRows(*writer, 11, 100, next);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  AwaitBackgroundCheckpoint(checkpointer);
  EXPECT_GE(opens.load(), 2);
}

TEST_F(WalCheckpointerTest, AReleasedConnectionIsOpenedAgainForTheNextCheckpoint) {
  std::atomic<int> opens{0};
  WalCheckpointer checkpointer([this, &opens] {
    ++opens;
    return OpenConnection(options_);
  });
  auto writer = OpenConnection(options_);
  checkpointer.Watch(*writer);
  int next = 0;
  WriteRows(*writer, 11, 100, next);
  AwaitBackgroundCheckpoint(checkpointer);
  const long before = checkpointer.background_checkpoints();
  checkpointer.ReleaseMemory();
  // Write until a pass opens a connection again. Not "until the next pass":
  // one already running when the release came closes its connection only
  // as it ends, and counts as a pass without opening one. And not "until
  // the open" alone: the pass that opens counts itself only once its
  // checkpoint ends.
  for (int i = 0; i < 600 && (opens.load() < 2 || checkpointer.background_checkpoints() <= before);
       ++i) {
    WriteRows(*writer, 1, 100, next);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(opens.load(), 2);
  EXPECT_GT(checkpointer.background_checkpoints(), before);
  EXPECT_EQ(Rows(), next);
}

TEST_F(WalCheckpointerTest, ReleasingBeforeAnyCheckpointLeavesTheFirstConnectionOpen) {
  std::atomic<int> opens{0};
  WalCheckpointer checkpointer([this, &opens] {
    ++opens;
    return OpenConnection(options_);
  });
  // Nothing to close yet: this must not mark the connection the first pass
  // opens for closing after it.
  checkpointer.ReleaseMemory();
  auto writer = OpenConnection(options_);
  checkpointer.Watch(*writer);
  int next = 0;
  for (int pass = 0; pass < 2; ++pass) {
    const long before = checkpointer.background_checkpoints();
    for (int i = 0; i < 600 && checkpointer.background_checkpoints() == before; ++i) {
      WriteRows(*writer, 11, 100, next);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_GT(checkpointer.background_checkpoints(), before);
  }
  EXPECT_EQ(opens.load(), 1);
  EXPECT_EQ(Rows(), next);
}

}  // namespace
}  // namespace jobsd::storage
