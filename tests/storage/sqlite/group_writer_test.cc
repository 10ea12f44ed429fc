// GroupWriter on a real SQLite file: every write that returns is committed
// exactly once, a failing write is undone alone, and a writer that could not
// get the lock recovers once it is free.
#include "storage/sqlite/group_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite/open_connection.h"
#include "storage/sqlite/sqlite.h"
#include "tests/support/temp_dir.h"

namespace jobsd::storage {
namespace {

class GroupWriterTest : public ::testing::Test {
 protected:
  GroupWriterTest() {
    auto setup = OpenConnection(options_);
    setup->Exec("CREATE TABLE t (v TEXT PRIMARY KEY)");
  }

  static void Insert(sqlite::Connection& connection, const std::string& value) {
    auto insert = connection.Prepare("INSERT INTO t (v) VALUES (?)");
    insert->BindText(1, value);
    insert->Run();
  }

  std::set<std::string> Values() {
    auto connection = OpenConnection(options_);
    auto select = connection->PrepareUncached("SELECT v FROM t");
    std::set<std::string> values;
    while (select.Step()) values.insert(select.ColumnString(0));
    return values;
  }

  testing::TempDir dir_;
  DatabaseOptions options_{dir_ / "group.db", /*busy_timeout_ms=*/5000};
  GroupWriter writer_{[this] { return OpenConnection(options_); }};
};

TEST_F(GroupWriterTest, EveryWriteOfManyThreadsIsCommittedOnce) {
  constexpr int kThreads = 8, kWrites = 150;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kWrites; ++i) {
        const std::string value = std::to_string(t) + "-" + std::to_string(i);
        const auto sync = i % 2 == 0 ? GroupWriter::Sync::kFull : GroupWriter::Sync::kNormal;
        writer_.Write([&](sqlite::Connection& connection) { Insert(connection, value); }, sync);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::set<std::string> values = Values();
  EXPECT_EQ(values.size(), static_cast<std::size_t>(kThreads * kWrites));
  EXPECT_TRUE(values.count("0-0") && values.count("7-149"));
}

// Whether or not the writes happen to share a transaction, the one that
// throws loses its own changes and gets its own error; the others commit.
TEST_F(GroupWriterTest, AFailingWriteIsUndoneAloneAndOnlyItsCallerSeesTheError) {
  constexpr int kThreads = 6;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const bool fail = t == 0 && i % 5 == 0;
        try {
          writer_.Write([&](sqlite::Connection& connection) {
            Insert(connection, std::to_string(t) + "-" + std::to_string(i));
            if (fail) throw std::runtime_error("this write fails");
          });
          EXPECT_FALSE(fail);
        } catch (const std::runtime_error& error) {
          EXPECT_TRUE(fail) << error.what();
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 10);
  const std::set<std::string> values = Values();
  EXPECT_EQ(values.size(), static_cast<std::size_t>(kThreads * 50 - 10));
  EXPECT_EQ(values.count("0-0"), 0u);
  EXPECT_EQ(values.count("0-5"), 0u);
  EXPECT_EQ(values.count("0-1"), 1u);
}

// A write that needs no savepoint (Undo::kNothingWritten) and fails, here a
// single-row INSERT OR FAIL of a value already there, leaves the others of
// its group committed, and its caller alone sees the error.
TEST_F(GroupWriterTest, AWriteWithoutSavepointThatFailsLeavesItsGroupIntact) {
  writer_.Write([](sqlite::Connection& connection) { Insert(connection, "taken"); });
  constexpr int kThreads = 6;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const bool fail = t == 0 && i % 5 == 0;
        const std::string value = fail ? "taken" : std::to_string(t) + "-" + std::to_string(i);
        try {
          writer_.Write(
              [&](sqlite::Connection& connection) {
                auto insert = connection.Prepare("INSERT OR FAIL INTO t (v) VALUES (?)");
                insert->BindText(1, value);
                insert->Run();
              },
              GroupWriter::Sync::kFull, GroupWriter::Undo::kNothingWritten);
          EXPECT_FALSE(fail);
        } catch (const StoreError& error) {
          EXPECT_TRUE(fail) << error.what();
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 10);
  const std::set<std::string> values = Values();
  EXPECT_EQ(values.size(), static_cast<std::size_t>(kThreads * 50 - 10 + 1));
  EXPECT_EQ(values.count("0-1"), 1u);
  EXPECT_EQ(values.count("5-49"), 1u);
}

TEST_F(GroupWriterTest, AWriterLockedOutFailsAsTransientAndRecovers) {
  DatabaseOptions impatient = options_;
  impatient.busy_timeout_ms = 20;
  GroupWriter writer([&] { return OpenConnection(impatient); });
  auto holder = OpenConnection(options_);
  holder->Exec("BEGIN IMMEDIATE");
  try {
    writer.Write([](sqlite::Connection& connection) { Insert(connection, "blocked"); });
    FAIL() << "wrote while another connection held the lock";
  } catch (const StoreError& error) {
    EXPECT_TRUE(error.transient()) << error.what();
  }
  holder->Exec("ROLLBACK");
  writer.Write([](sqlite::Connection& connection) { Insert(connection, "after"); });
  EXPECT_EQ(Values(), std::set<std::string>{"after"});
}

}  // namespace
}  // namespace jobsd::storage
