// ConnectionPool on a real SQLite file: a quiet serve closes the idle
// connections to give their memory back (Store::ReleaseCachedMemory); those
// on loan stay usable, and the next Borrow opens a new one.
#include "storage/sqlite/connection_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>

#include "storage/sqlite/open_connection.h"
#include "tests/support/temp_dir.h"

namespace jobsd::storage {
namespace {

std::int64_t CountRows(sqlite::Connection& connection) {
  auto select = connection.Prepare("SELECT count(*) FROM t");
  EXPECT_TRUE(select->Step());
  return select->ColumnInt64(0);
}

TEST(ConnectionPoolTest, ClosingIdleConnectionsKeepsThoseOnLoanAndReopensOnDemand) {
  testing::TempDir dir;
  const DatabaseOptions options{dir / "pool.db", /*busy_timeout_ms=*/5000};
  OpenConnection(options)->Exec("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1)");
  std::atomic<int> opened{0};
  ConnectionPool pool(
      [&] {
        ++opened;
        return OpenConnection(options);
      },
      4);
  {
    ConnectionLease first = pool.Borrow();
    ConnectionLease second = pool.Borrow();
    ConnectionLease third = pool.Borrow();
  }
  EXPECT_EQ(pool.open_connections(), 3);
  ConnectionLease kept = pool.Borrow();  // an idle one, no new open
  EXPECT_EQ(opened.load(), 3);

  pool.CloseIdleConnections();
  EXPECT_EQ(pool.open_connections(), 1) << "only the one on loan";
  EXPECT_EQ(CountRows(*kept), 1);

  ConnectionLease next = pool.Borrow();
  EXPECT_EQ(opened.load(), 4);
  EXPECT_EQ(CountRows(*next), 1);
  EXPECT_EQ(pool.open_connections(), 2);
}

// Closed connections no longer count against the limit: at a limit of one,
// the next Borrow opens a new connection instead of waiting for ever.
TEST(ConnectionPoolTest, AClosedConnectionFreesItsPlaceUnderTheLimit) {
  testing::TempDir dir;
  const DatabaseOptions options{dir / "pool.db", /*busy_timeout_ms=*/5000};
  OpenConnection(options)->Exec("CREATE TABLE t (v INTEGER)");
  ConnectionPool pool([&] { return OpenConnection(options); }, 1);
  { ConnectionLease only = pool.Borrow(); }
  pool.CloseIdleConnections();
  ASSERT_EQ(pool.open_connections(), 0);
  auto borrowed = std::async(std::launch::async, [&] { return CountRows(*pool.Borrow()); });
  ASSERT_EQ(borrowed.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "Borrow waits for a connection that no longer exists";
  EXPECT_EQ(borrowed.get(), 0);
}

}  // namespace
}  // namespace jobsd::storage
