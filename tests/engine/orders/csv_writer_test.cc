#include "engine/orders/csv_writer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <string>
#include <system_error>
#include <vector>

#include "engine/orders/order.h"
#include "tests/support/temp_dir.h"

namespace jobsd {
namespace {

using Row = std::array<ColumnValue, kOrderColumnCount>;

constexpr std::size_t kOrderNumber = 1;  // a kText column
constexpr std::size_t kAnonymized = 6;   // kBoolean
constexpr std::size_t kWithTax = 15;     // kInteger
constexpr std::size_t kCreatedAt = 47;   // kTimestamp

std::size_t ColumnIndex(std::string_view name) {
  for (std::size_t i = 0; i < kOrderColumnCount; ++i) {
    if (kOrderColumns[i].name == name) return i;
  }
  return kOrderColumnCount;
}

ColumnValue Text(std::string_view text) { return ColumnValue{false, text, 0}; }
ColumnValue Number(std::int64_t n) { return ColumnValue{false, {}, n}; }

// Writes `rows` through a CsvWriter into a file and returns the bytes.
std::string Render(const std::vector<Row>& rows, bool header, std::size_t buffer_size) {
  testing::TempDir dir;
  const auto path = dir / "out.csv";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  EXPECT_GE(fd, 0);
  {
    CsvWriter writer(fd, buffer_size);
    if (header) writer.WriteHeader();
    for (const Row& row : rows) writer.WriteRow(row.data());
    writer.Flush();
    EXPECT_EQ(writer.bytes(), static_cast<std::int64_t>(std::filesystem::file_size(path)));
  }
  ::close(fd);
  return testing::ReadFile(path);
}

// The row with every column empty except `index`.
std::string RenderOne(std::size_t index, ColumnValue value) {
  Row row{};
  row[index] = value;
  std::string line = Render({row}, false, CsvWriter::kDefaultBufferSize);
  // Cut out the one field: the commas around it are fixed.
  const std::string prefix(index, ',');
  const std::string suffix = std::string(kOrderColumnCount - 1 - index, ',') + "\r\n";
  EXPECT_TRUE(line.starts_with(prefix)) << line;
  EXPECT_TRUE(line.ends_with(suffix)) << line;
  return line.substr(prefix.size(), line.size() - prefix.size() - suffix.size());
}

TEST(CsvWriterTest, ColumnTableMatchesTheContract) {
  ASSERT_EQ(kOrderColumns.size(), 49u);
  EXPECT_EQ(kOrderColumns.front().name, "id");
  EXPECT_EQ(kOrderColumns[kOrderNumber].name, "order_number");
  EXPECT_EQ(kOrderColumns[kAnonymized].kind, ColumnKind::kBoolean);
  EXPECT_EQ(kOrderColumns[kWithTax].name, "with_tax");
  EXPECT_EQ(kOrderColumns[kCreatedAt].name, "created_at");
  EXPECT_EQ(kOrderColumns.back().name, "updated_at");
  for (std::string_view name : {"with_tax", "without_tax", "tax", "discount", "shipping_amount",
                                "balance_owing", "paid", "authorized", "item_count"}) {
    ASSERT_LT(ColumnIndex(name), kOrderColumnCount) << name;
    EXPECT_EQ(kOrderColumns[ColumnIndex(name)].kind, ColumnKind::kInteger) << name;
  }
  EXPECT_EQ(kOrderColumns[ColumnIndex("updated_at")].kind, ColumnKind::kTimestamp);
  EXPECT_EQ(kOrderColumns[ColumnIndex("product_skus")].kind, ColumnKind::kText);
  EXPECT_EQ(kOrderColumns[ColumnIndex("shipping_instructions")].kind, ColumnKind::kText);
}

TEST(CsvWriterTest, HeaderIsTheColumnNames) {
  const std::string csv = Render({}, true, 16);
  EXPECT_EQ(csv,
            "id,order_number,external_ref,status,payment,shipping,anonymized,customer_id,"
            "customer_name,customer_email,account_id,account_member_id,contact_name,contact_email,"
            "currency,with_tax,without_tax,tax,discount,shipping_amount,balance_owing,paid,"
            "authorized,item_count,product_skus,shipping_first_name,shipping_last_name,"
            "shipping_phone_number,shipping_company_name,shipping_line_1,shipping_line_2,"
            "shipping_city,shipping_postcode,shipping_county,shipping_country,shipping_region,"
            "shipping_instructions,billing_first_name,billing_last_name,billing_company_name,"
            "billing_line_1,billing_line_2,billing_city,billing_postcode,billing_county,"
            "billing_country,billing_region,created_at,updated_at\r\n");
}

TEST(CsvWriterTest, TextQuotingAndFormulaGuard) {
  struct Case {
    std::string value;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"", ""},
      {"plain", "plain"},
      {"Zoë O'Brien", "Zoë O'Brien"},
      {"a,b", "\"a,b\""},
      {"say \"hi\"", "\"say \"\"hi\"\"\""},
      {"\"", "\"\"\"\""},
      {"two\nlines", "\"two\nlines\""},
      {"cr\rhere", "\"cr\rhere\""},
      {"crlf\r\n", "\"crlf\r\n\""},
      {"=1+1", "'=1+1"},
      {"+44 20", "'+44 20"},
      {"-5", "'-5"},
      {"@Mallory", "'@Mallory"},
      {"\tx", "'\tx"},
      {"\rx", "\"'\rx\""},  // quoted and guarded: the quote goes inside
      {"=SUM(A1,A2)", "\"'=SUM(A1,A2)\""},
      {"=\"x\"", "\"'=\"\"x\"\"\""},
      {"a=b", "a=b"},  // only a leading character counts
      {" =x", " =x"},
      {"'already", "'already"},
      {"semi;colon", "semi;colon"},  // only , " CR LF force quotes
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RenderOne(kOrderNumber, Text(c.value)), c.field) << c.value;
  }
}

TEST(CsvWriterTest, NumbersBooleansTimestampsAndNulls) {
  struct Case {
    std::size_t column;
    ColumnValue value;
    std::string field;
  };
  const std::vector<Case> cases = {
      {kWithTax, Number(0), "0"},
      {kWithTax, Number(80700), "80700"},
      {kWithTax, Number(-5), "-5"},  // not a text column: no formula guard
      {kWithTax, Number(INT64_MIN), "-9223372036854775808"},
      {kWithTax, ColumnValue{}, ""},
      {kAnonymized, Number(1), "true"},
      {kAnonymized, Number(0), "false"},
      {kAnonymized, ColumnValue{}, ""},
      {kCreatedAt, Number(1709251199 * kNanosPerSecond + 500'000'000), "2024-02-29T23:59:59.5Z"},
      {kCreatedAt, Number(0), "1970-01-01T00:00:00Z"},
      {kCreatedAt, Number(1538651329156490335), "2018-10-04T11:08:49.156490335Z"},
      {kCreatedAt, ColumnValue{}, ""},
      {kOrderNumber, ColumnValue{}, ""},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RenderOne(c.column, c.value), c.field) << c.field;
  }
}

TEST(CsvWriterTest, AllNullRowIsCommasAndCrlf) {
  EXPECT_EQ(Render({Row{}}, false, 1024), std::string(48, ',') + "\r\n");
}

TEST(CsvWriterTest, SmallBufferGivesTheSameBytes) {
  std::vector<Row> rows(500);
  std::vector<std::string> texts;
  texts.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    texts.push_back("row " + std::to_string(i) + (i % 3 == 0 ? ", with comma" : ""));
    rows[i][0] = Text(texts.back());
    rows[i][kWithTax] = Number(static_cast<std::int64_t>(i));
  }
  const std::string big = Render(rows, true, CsvWriter::kDefaultBufferSize);
  EXPECT_EQ(Render(rows, true, 1), big);
  EXPECT_EQ(Render(rows, true, 100), big);
  EXPECT_NE(big.find("\"row 3, with comma\""), std::string::npos);
}

TEST(CsvWriterTest, WriteErrorsCarryErrno) {
  const int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(full, 0);
  {
    CsvWriter writer(full);
    writer.WriteHeader();  // buffered: nothing written yet
    try {
      writer.Flush();
      ADD_FAILURE() << "expected ENOSPC";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), ENOSPC);
    }
  }
  ::close(full);

  const int read_only = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(read_only, 0);
  CsvWriter writer(read_only);
  writer.WriteHeader();
  try {
    writer.Flush();
    ADD_FAILURE() << "expected EBADF";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EBADF);
  }
  ::close(read_only);
}

}  // namespace
}  // namespace jobsd
