// pg::CopyOut on a real server: rows arrive in order with their nulls and
// binary values; a failure part way is reported; a caller that gives up part
// way (its handler throws) gets its exception and a connection ready for the
// next statement, not one stuck in the middle of a COPY. And the binary
// format's parser on bytes cut anywhere, and on bytes that are not the
// format.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/postgres/pg.h"
#include "storage/postgres/pg_copy.h"
#include "tests/support/test_postgres.h"

namespace jobsd::storage::pg {
namespace {

std::unique_ptr<Connection> Connect() { return Connection::Open(testing::TestPostgresUri()); }

std::int64_t BigEndian(const CopyField& field) {
  std::uint64_t value = 0;
  for (int i = 0; i < field.size; ++i)
    value = (value << 8) | static_cast<unsigned char>(field.data[i]);
  return static_cast<std::int64_t>(value);
}

TEST(PgCopyOutTest, HandsEveryRowOnceInOrderWithItsNulls) {
  auto connection = Connect();
  std::int64_t expected = 1;
  const std::int64_t rows = CopyOut(
      *connection,
      "COPY (SELECT g::bigint, 'row ' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE g % 2 = 0 END"
      " FROM generate_series(1, 20000) g ORDER BY g) TO STDOUT (FORMAT binary)",
      3, [&](const CopyField* row) {
        ASSERT_EQ(row[0].size, 8);
        EXPECT_EQ(BigEndian(row[0]), expected);
        EXPECT_EQ(row[1].bytes(), "row " + std::to_string(expected));
        if (expected % 3 == 0) {
          EXPECT_TRUE(row[2].null());
        } else {
          ASSERT_EQ(row[2].size, 1);
          EXPECT_EQ(row[2].data[0] != 0, expected % 2 == 0);
        }
        ++expected;
      });
  EXPECT_EQ(rows, 20'000);
  EXPECT_EQ(expected, 20'001);
  EXPECT_EQ(connection->Run("SELECT 7").Int64(0, 0), 7);
}

TEST(PgCopyOutTest, NoRowsIsZeroRows) {
  auto connection = Connect();
  EXPECT_EQ(CopyOut(*connection, "COPY (SELECT 1 WHERE false) TO STDOUT (FORMAT binary)", 1,
                    [](const CopyField*) { ADD_FAILURE() << "a row out of nothing"; }),
            0);
  EXPECT_EQ(connection->Run("SELECT 6").Int64(0, 0), 6);
}

TEST(PgCopyOutTest, AFailurePartWayIsReportedAndTheConnectionStaysReady) {
  auto connection = Connect();
  std::int64_t seen = 0;
  try {
    // 1 / (g - 5) fails at the fifth row, after the first ones were sent.
    CopyOut(*connection,
            "COPY (SELECT 1 / (g - 5) FROM generate_series(1, 10) g) TO STDOUT (FORMAT binary)", 1,
            [&](const CopyField*) { ++seen; });
    ADD_FAILURE() << "a division by zero was not reported";
  } catch (const PgError& error) {
    EXPECT_EQ(error.sqlstate(), "22012") << error.what();
    EXPECT_NE(std::string(error.what()).find("division by zero"), std::string::npos);
  }
  EXPECT_LE(seen, 4);
  EXPECT_TRUE(connection->healthy());
  EXPECT_EQ(connection->Run("SELECT 8").Int64(0, 0), 8);
}

TEST(PgCopyOutTest, AHandlerThatGivesUpCancelsTheRestAndTheConnectionStaysReady) {
  auto connection = Connect();
  std::int64_t seen = 0;
  {
    Transaction transaction(*connection);
    // Rows without end: only a cancel stops them (drained instead, this
    // test would never end).
    EXPECT_THROW(CopyOut(*connection,
                         "COPY (WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)"
                         " SELECT n FROM r) TO STDOUT (FORMAT binary)",
                         1,
                         [&](const CopyField*) {
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

TEST(PgCopyOutTest, RowsOfAnotherWidthAreRefusedAndTheConnectionStaysReady) {
  auto connection = Connect();
  try {
    CopyOut(*connection,
            "COPY (SELECT g, g FROM generate_series(1, 100000) g) TO STDOUT (FORMAT binary)", 3,
            [](const CopyField*) { ADD_FAILURE() << "a row of 2 fields was handed out"; });
    ADD_FAILURE() << "rows of 2 fields were taken for 3";
  } catch (const PgError& error) {
    EXPECT_FALSE(error.transient());
    EXPECT_NE(std::string(error.what()).find("a row of 2 fields, expected 3"), std::string::npos)
        << error.what();
  }
  EXPECT_TRUE(connection->healthy());
  EXPECT_EQ(connection->Run("SELECT 10").Int64(0, 0), 10);
}

// ---- the parser alone --------------------------------------------------------------------

std::string Int16(int value) {
  return {static_cast<char>((value >> 8) & 0xff), static_cast<char>(value & 0xff)};
}

std::string Int32(std::int64_t value) {
  std::string bytes;
  for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((value >> shift) & 0xff);
  return bytes;
}

std::string Header(std::uint32_t flags = 0, const std::string& extension = "") {
  return std::string("PGCOPY\n\377\r\n\0", 11) + Int32(flags) +
         Int32(static_cast<std::int64_t>(extension.size())) + extension;
}

std::string Row(const std::vector<std::optional<std::string>>& fields) {
  std::string bytes = Int16(static_cast<int>(fields.size()));
  for (const auto& field : fields) {
    bytes +=
        field.has_value() ? Int32(static_cast<std::int64_t>(field->size())) + *field : Int32(-1);
  }
  return bytes;
}

const std::string kTrailer = Int16(-1);

// Each row as "a|b|<null>" for comparisons.
struct Collected {
  std::vector<std::string> rows;
  std::function<void(const CopyField*)> Handler(int fields) {
    return [this, fields](const CopyField* row) {
      std::string text;
      for (int i = 0; i < fields; ++i) {
        if (i > 0) text += '|';
        text += row[i].null() ? "<null>" : std::string(row[i].bytes());
      }
      rows.push_back(text);
    };
  }
};

TEST(BinaryCopyParserTest, RowsCutAtEveryByteComeOutWhole) {
  const std::string stream = Header(0, "ext") + Row({"a", std::nullopt, ""}) +
                             Row({"bc", "d", std::string(300, 'x')}) + kTrailer;
  const std::vector<std::string> expected = {"a|<null>|", "bc|d|" + std::string(300, 'x')};
  for (std::size_t piece : {std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{18},
                            std::size_t{19}, std::size_t{23}, stream.size()}) {
    Collected collected;
    BinaryCopyParser parser(3, collected.Handler(3));
    for (std::size_t at = 0; at < stream.size(); at += piece) {
      EXPECT_FALSE(parser.complete()) << piece;
      const std::size_t n = std::min(piece, stream.size() - at);
      parser.Feed(stream.data() + at, n);
    }
    EXPECT_TRUE(parser.complete()) << piece;
    EXPECT_EQ(parser.rows(), 2) << piece;
    EXPECT_EQ(collected.rows, expected) << piece;
  }
}

TEST(BinaryCopyParserTest, FlagsThatMayBeIgnoredAreAndNoRowsIsAStream) {
  Collected collected;
  BinaryCopyParser parser(1, collected.Handler(1));
  const std::string stream = Header(0xffffu) + kTrailer;  // bits 0-15: not critical
  parser.Feed(stream.data(), stream.size());
  EXPECT_TRUE(parser.complete());
  EXPECT_EQ(parser.rows(), 0);
  // Anything after the trailer, even in a later piece, is refused.
  const std::string more = Row({"a"});
  EXPECT_THROW(parser.Feed(more.data(), more.size()), PgError);
}

TEST(BinaryCopyParserTest, AStreamWithoutItsTrailerIsNotComplete) {
  Collected collected;
  BinaryCopyParser parser(1, collected.Handler(1));
  const std::string stream = Header() + Row({"a"}) + Int16(1) + Int32(4) + "ab";
  parser.Feed(stream.data(), stream.size());
  EXPECT_EQ(parser.rows(), 1);
  EXPECT_FALSE(parser.complete());
}

TEST(BinaryCopyParserTest, BytesThatAreNotTheFormatAreRefused) {
  struct Case {
    std::string stream;
    const char* reason;
  };
  const Case cases[] = {
      {"COPY TEXT\n" + std::string(20, 'x'), "no binary header"},
      {Header(1u << 16), "unknown critical header flags"},  // rows with OIDs
      {Header(1u << 17), "unknown critical header flags"},  // a format newer than the parser
      {Header(0, std::string(20, 'x')).substr(0, 15) + Int32(1 << 21),
       "a header extension of 2097152 bytes"},
      {Header() + Row({"a", "b"}), "a row of 2 fields, expected 1"},
      {Header() + Int16(1) + Int32(-2) + kTrailer, "a field of negative length"},
      {Header() + kTrailer + Row({"a"}), "data after the trailer"},
  };
  for (const Case& c : cases) {
    Collected collected;
    BinaryCopyParser parser(1, collected.Handler(1));
    try {
      parser.Feed(c.stream.data(), c.stream.size());
      ADD_FAILURE() << "accepted, expected: " << c.reason;
    } catch (const PgError& error) {
      EXPECT_NE(std::string(error.what()).find(c.reason), std::string::npos) << error.what();
      EXPECT_FALSE(error.transient());
    }
  }
}

}  // namespace
}  // namespace jobsd::storage::pg
