// GroupWriter on a real SQLite file: every write that returns (or reports,
// when submitted) is committed exactly once, a failing write is undone
// alone, and a writer that could not get the lock recovers once it is free.
#include "storage/sqlite/group_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
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

// A quiet serve closes the writing connection to give its memory back
// (Store::ReleaseCachedMemory): what was written before stays, and the next
// write opens a new connection and commits as before.
TEST(GroupWriterCloseTest, TheNextWriteAfterCloseConnectionOpensANewOne) {
  testing::TempDir dir;
  const DatabaseOptions options{dir / "close.db", /*busy_timeout_ms=*/5000};
  OpenConnection(options)->Exec("CREATE TABLE t (v TEXT PRIMARY KEY)");
  std::atomic<int> opened{0};
  GroupWriter writer([&] {
    ++opened;
    return OpenConnection(options);
  });
  auto insert = [](const std::string& value) {
    return [value](sqlite::Connection& connection) {
      connection.Prepare("INSERT INTO t (v) VALUES (?)")->BindText(1, value).Run();
    };
  };
  writer.Write(insert("a"));
  writer.Write(insert("b"));
  EXPECT_EQ(opened.load(), 1);
  writer.CloseConnection();
  EXPECT_EQ(opened.load(), 1) << "closing opens nothing";
  writer.Write(insert("c"));
  EXPECT_EQ(opened.load(), 2);
  auto count = OpenConnection(options)->PrepareUncached("SELECT group_concat(v, '') FROM t");
  ASSERT_TRUE(count.Step());
  EXPECT_EQ(count.ColumnString(0), "abc");
}

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

// What the SQLite job store counts its inserted jobs with (0017): the hook
// runs after every write that landed, in its transaction but outside its
// savepoint, so that what it writes stays when a later write of the group is
// undone, and nothing is written for a write that failed. Here each write
// inserts a row and leaves the count to the hook: the count always matches
// the rows, however the writes of six threads were grouped.
TEST(GroupWriterAfterEachTest, RunsAfterEveryWriteThatLandedAndKeepsItsWorkWhenALaterOneFails) {
  testing::TempDir dir;
  const DatabaseOptions options{dir / "after.db", /*busy_timeout_ms=*/5000};
  OpenConnection(options)->Exec(
      "CREATE TABLE t (v TEXT PRIMARY KEY); CREATE TABLE c (n INTEGER NOT NULL CHECK (n >= 0));"
      " INSERT INTO c VALUES (0)");
  int uncounted = 0;  // touched inside writes only, as the store's tally
  int hooks = 0;
  GroupWriter writer([&] { return OpenConnection(options); }, {},
                     [&](sqlite::Connection& connection) {
                       ++hooks;
                       auto count = connection.Prepare("UPDATE c SET n = n + ?");
                       count->BindInt64(1, std::exchange(uncounted, 0));
                       count->Run();
                     });
  constexpr int kThreads = 6;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const bool fail = t == 0 && i % 5 == 0;
        try {
          writer.Write([&](sqlite::Connection& connection) {
            auto insert = connection.Prepare("INSERT INTO t (v) VALUES (?)");
            insert->BindText(1, std::to_string(t) + "-" + std::to_string(i));
            insert->Run();
            if (fail) throw std::runtime_error("this write fails");
            ++uncounted;
          });
        } catch (const std::runtime_error&) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 10);
  EXPECT_EQ(hooks, kThreads * 50 - 10);
  auto connection = OpenConnection(options);
  auto rows = connection->PrepareUncached("SELECT (SELECT count(*) FROM t), (SELECT n FROM c)");
  ASSERT_TRUE(rows.Step());
  EXPECT_EQ(rows.ColumnInt64(0), kThreads * 50 - 10);
  EXPECT_EQ(rows.ColumnInt64(1), rows.ColumnInt64(0));
}

// A hook that fails fails its whole group, as a commit that cannot happen:
// the write gets the hook's error and nothing of it stays.
TEST(GroupWriterAfterEachTest, AFailingHookFailsTheWriteAndLeavesNothing) {
  testing::TempDir dir;
  const DatabaseOptions options{dir / "after.db", /*busy_timeout_ms=*/5000};
  OpenConnection(options)->Exec("CREATE TABLE t (v TEXT PRIMARY KEY)");
  bool refuse = true;
  GroupWriter writer([&] { return OpenConnection(options); }, {},
                     [&](sqlite::Connection&) {
                       if (refuse) throw std::runtime_error("the hook fails");
                     });
  auto insert = [](const std::string& value) {
    return [value](sqlite::Connection& connection) {
      auto statement = connection.Prepare("INSERT INTO t (v) VALUES (?)");
      statement->BindText(1, value);
      statement->Run();
    };
  };
  EXPECT_THROW(writer.Write(insert("refused")), std::runtime_error);
  refuse = false;
  writer.Write(insert("kept"));
  auto connection = OpenConnection(options);
  auto rows = connection->PrepareUncached("SELECT group_concat(v) FROM t");
  ASSERT_TRUE(rows.Step());
  EXPECT_EQ(rows.ColumnString(0), "kept");
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

// Submit returns at once, even while another connection holds the lock, and
// reports on another thread once its write has landed.
TEST_F(GroupWriterTest, SubmitReturnsBeforeTheCommitAndReportsOnceTheWriteLanded) {
  auto holder = OpenConnection(options_);
  holder->Exec("BEGIN IMMEDIATE");
  std::promise<std::thread::id> reported;
  writer_.Submit([](sqlite::Connection& connection) { Insert(connection, "submitted"); },
                 GroupWriter::Sync::kFull, GroupWriter::Undo::kSavepoint,
                 [&](std::exception_ptr error) {
                   EXPECT_FALSE(error);
                   reported.set_value(std::this_thread::get_id());
                 });
  std::future<std::thread::id> report = reported.get_future();
  EXPECT_EQ(report.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  EXPECT_TRUE(Values().empty());
  holder->Exec("ROLLBACK");
  EXPECT_NE(report.get(), std::this_thread::get_id());
  EXPECT_EQ(Values(), std::set<std::string>{"submitted"});
}

// Submitted and waited writes mix in the same groups: each is committed
// once or, when it throws, undone alone and reported to its own caller.
TEST_F(GroupWriterTest, SubmittedAndWaitedWritesOfManyThreadsEachLandOrFailAlone) {
  constexpr int kThreads = 6, kWrites = 100;
  std::mutex mutex;
  std::condition_variable all_reported;
  int reports = 0, failures = 0;  // guarded by mutex
  std::atomic<int> waited_failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        const std::string value = std::to_string(t) + "-" + std::to_string(i);
        const bool fail = i % 10 == 3;
        auto work = [value, fail](sqlite::Connection& connection) {
          Insert(connection, value);
          if (fail) throw std::runtime_error("this write fails");
        };
        if (t % 2 == 0) {
          writer_.Submit(work, GroupWriter::Sync::kFull, GroupWriter::Undo::kSavepoint,
                         [&, fail](std::exception_ptr error) {
                           EXPECT_EQ(static_cast<bool>(error), fail);
                           std::lock_guard lock(mutex);
                           failures += error ? 1 : 0;
                           if (++reports == kThreads / 2 * kWrites) all_reported.notify_one();
                         });
        } else {
          try {
            writer_.Write(work);
            EXPECT_FALSE(fail);
          } catch (const std::runtime_error&) {
            EXPECT_TRUE(fail);
            ++waited_failures;
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  {
    std::unique_lock lock(mutex);
    all_reported.wait(lock, [&] { return reports == kThreads / 2 * kWrites; });
    EXPECT_EQ(failures, kThreads / 2 * kWrites / 10);
  }
  EXPECT_EQ(waited_failures.load(), kThreads / 2 * kWrites / 10);
  const std::set<std::string> values = Values();
  EXPECT_EQ(values.size(), static_cast<std::size_t>(kThreads * kWrites * 9 / 10));
  EXPECT_EQ(values.count("0-0"), 1u);
  EXPECT_EQ(values.count("0-3"), 0u);
  EXPECT_EQ(values.count("5-99"), 1u);
}

// A writer destroyed with writes still queued commits and reports them
// first: a job whose POST is waiting is not dropped at shutdown.
TEST_F(GroupWriterTest, SubmittedWritesLandBeforeTheWriterIsDestroyed) {
  constexpr int kWrites = 300;
  std::atomic<int> reported{0};
  {
    GroupWriter writer([this] { return OpenConnection(options_); });
    for (int i = 0; i < kWrites; ++i) {
      writer.Submit([i](sqlite::Connection& connection) { Insert(connection, std::to_string(i)); },
                    GroupWriter::Sync::kFull, GroupWriter::Undo::kNothingWritten,
                    [&](std::exception_ptr error) {
                      EXPECT_FALSE(error);
                      ++reported;
                    });
    }
  }
  EXPECT_EQ(reported.load(), kWrites);
  EXPECT_EQ(Values().size(), static_cast<std::size_t>(kWrites));
}

TEST_F(GroupWriterTest, ASubmittedWriteLockedOutReportsTransientAndTheNextLands) {
  DatabaseOptions impatient = options_;
  impatient.busy_timeout_ms = 20;
  GroupWriter writer([&] { return OpenConnection(impatient); });
  // The error is looked at where it arrives: an exception object handed
  // across threads trips ThreadSanitizer (api/router.h, PostedJob).
  auto submit = [&](std::string value) {
    auto outcome = std::make_shared<std::promise<std::string>>();
    writer.Submit([value](sqlite::Connection& connection) { Insert(connection, value); },
                  GroupWriter::Sync::kFull, GroupWriter::Undo::kSavepoint,
                  [outcome](std::exception_ptr error) {
                    try {
                      if (error) std::rethrow_exception(error);
                      outcome->set_value("stored");
                    } catch (const StoreError& e) {
                      outcome->set_value(e.transient() ? "transient" : "permanent");
                    } catch (...) {
                      outcome->set_value("other");
                    }
                  });
    return outcome->get_future().get();
  };
  auto holder = OpenConnection(options_);
  holder->Exec("BEGIN IMMEDIATE");
  EXPECT_EQ(submit("blocked"), "transient");
  holder->Exec("ROLLBACK");
  EXPECT_EQ(submit("after"), "stored");
  EXPECT_EQ(Values(), std::set<std::string>{"after"});
}

}  // namespace
}  // namespace jobsd::storage
