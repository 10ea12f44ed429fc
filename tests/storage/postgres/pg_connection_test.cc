// pg::Connection::Stream on a real server: rows arrive one by one and in
// order; a failure part way is reported; and a caller that gives up part
// way (its handler throws) gets its exception and a connection ready for
// the next statement, not one stuck in the middle of a result.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "storage/postgres/pg.h"
#include "tests/support/test_postgres.h"

namespace jobsd::storage::pg {
namespace {

std::unique_ptr<Connection> Connect() { return Connection::Open(testing::TestPostgresUri()); }

TEST(PgConnectionStreamTest, HandsEveryRowOnceInOrder) {
  auto connection = Connect();
  std::int64_t expected = 1;
  const std::int64_t rows =
      connection->Stream("SELECT g, $1::text || g FROM generate_series(1, $2::int) g ORDER BY g",
                         Params().Add(std::string("row ")).Add(std::int64_t{20'000}),
                         ResultFormat::kText, [&](const Result& row) {
                           ASSERT_EQ(row.rows(), 1);
                           EXPECT_EQ(row.Int64(0, 0), expected);
                           EXPECT_EQ(row.Text(0, 1), "row " + std::to_string(expected));
                           ++expected;
                         });
  EXPECT_EQ(rows, 20'000);
  EXPECT_EQ(expected, 20'001);
  EXPECT_EQ(connection->Run("SELECT 7").Int64(0, 0), 7);
}

TEST(PgConnectionStreamTest, AFailurePartWayIsReportedAndTheConnectionStaysReady) {
  auto connection = Connect();
  std::int64_t seen = 0;
  try {
    // 1 / (g - 5) fails at the fifth row, after the first ones were sent.
    connection->Stream("SELECT 1 / (g - 5) FROM generate_series(1, 10) g", {}, ResultFormat::kText,
                       [&](const Result&) { ++seen; });
    ADD_FAILURE() << "a division by zero was not reported";
  } catch (const PgError& error) {
    EXPECT_EQ(error.sqlstate(), "22012") << error.what();
    EXPECT_NE(std::string(error.what()).find("division by zero"), std::string::npos);
  }
  EXPECT_LE(seen, 4);
  EXPECT_TRUE(connection->healthy());
  EXPECT_EQ(connection->Run("SELECT 8").Int64(0, 0), 8);
}

TEST(PgConnectionStreamTest, AHandlerThatGivesUpCancelsTheRestAndTheConnectionStaysReady) {
  auto connection = Connect();
  std::int64_t seen = 0;
  {
    Transaction transaction(*connection);
    // Rows without end: only a cancel stops them (drained instead, this
    // test would never end).
    EXPECT_THROW(connection->Stream("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL"
                                    " SELECT n + 1 FROM r) SELECT n FROM r",
                                    {}, ResultFormat::kBinary,
                                    [&](const Result&) {
                                      if (++seen == 10) throw std::runtime_error("enough");
                                    }),
                 std::runtime_error);
    EXPECT_TRUE(connection->InTransaction());
  }  // rolled back
  EXPECT_EQ(seen, 10);
  EXPECT_TRUE(connection->healthy());
  EXPECT_FALSE(connection->InTransaction());
  EXPECT_EQ(connection->Run("SELECT 9").Int64(0, 0), 9);
}

}  // namespace
}  // namespace jobsd::storage::pg
