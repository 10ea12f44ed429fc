#include "engine/orders/order_import.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>

#include "engine/filter.h"
#include "tests/engine/engine_stores.h"
#include "tests/support/temp_dir.h"

namespace jobsd {
namespace {

constexpr std::size_t kCustomerNameColumn = 8;

// id -> customer_name of every stored order, read back through the port.
class NameSink final : public OrderRowSink {
 public:
  void OnRow(const ColumnValue* values) override {
    names[std::string(values[0].text)] = std::string(values[kCustomerNameColumn].text);
  }
  std::map<std::string, std::string> names;
};

std::string OrderLine(const std::string& id, const std::string& name = "Ann") {
  return R"({"id":")" + id + R"(","customer":{"name":")" + name +
         R"("},"meta":{"timestamps":{"created_at":"2024-01-02T03:04:05Z"}}})";
}

// On the memory order store and on SQLite's.
class OrderImportTest : public ::testing::TestWithParam<testing::StoreKind> {
 protected:
  ImportReport Import(const std::string& text, ImportOptions options = {}) {
    std::istringstream in(text);
    return ImportOrders(in, stores_.orders(), options);
  }
  std::map<std::string, std::string> Stored() {
    NameSink sink;
    stores_.orders().ScanOrders(filter::Filter{}, sink);
    return sink.names;
  }

  testing::TempDir dir_;
  testing::EngineStores stores_{GetParam(), dir_.path()};
};

TEST_P(OrderImportTest, ImportsTheTestDataFile) {
  std::ifstream in(testing::TestDataFile("orders.example.jsonl"), std::ios::binary);
  const ImportReport report = ImportOrders(in, stores_.orders(), {});
  EXPECT_TRUE(report.committed);
  EXPECT_EQ(report.imported, 3);
  EXPECT_EQ(report.bad_line_count, 0);
  EXPECT_TRUE(report.bad_lines.empty());
  EXPECT_EQ(stores_.orders().CountOrders(), 3);
  EXPECT_EQ(Stored().at("0b3f6d2e-5c1a-4e8f-9a7b-2d4c6e8f0a1b"), "Zoë O'Brien, Jr.");
}

TEST_P(OrderImportTest, AnyBadLineImportsNothingAndReportsEveryOne) {
  ASSERT_TRUE(Import(OrderLine("keep")).committed);
  const std::string text = OrderLine("a") + "\n" +  // 1
                           "\n" +                   // 2: blank, skipped but counted
                           "{oops\n" +              // 3
                           OrderLine("b") + "\n" +  // 4
                           "   \t\r\n" +            // 5: blank
                           R"({"id":"c"})" + "\n";  // 6
  const ImportReport report = Import(text);
  EXPECT_FALSE(report.committed);
  EXPECT_EQ(report.valid_lines, 2);
  EXPECT_EQ(report.imported, 0);
  EXPECT_EQ(report.bad_line_count, 2);
  ASSERT_EQ(report.bad_lines.size(), 2u);
  EXPECT_EQ(report.bad_lines[0].line_number, 3);
  EXPECT_TRUE(report.bad_lines[0].reason.starts_with("invalid JSON: "))
      << report.bad_lines[0].reason;
  EXPECT_EQ(report.bad_lines[1].line_number, 6);
  EXPECT_EQ(report.bad_lines[1].reason, "missing field meta.timestamps.created_at");
  // Rolled back: only the earlier import is there.
  EXPECT_EQ(Stored(), (std::map<std::string, std::string>{{"keep", "Ann"}}));
}

TEST_P(OrderImportTest, SkipInvalidImportsTheValidLines) {
  const std::string text = OrderLine("a") + "\n[]\n" + OrderLine("b") + "\n";
  const ImportReport report = Import(text, {.skip_invalid = true});
  EXPECT_TRUE(report.committed);
  EXPECT_EQ(report.imported, 2);
  ASSERT_EQ(report.bad_lines.size(), 1u);
  EXPECT_EQ(report.bad_lines[0].line_number, 2);
  EXPECT_EQ(report.bad_lines[0].reason, "not a JSON object (got array)");
  EXPECT_EQ(Stored().size(), 2u);
}

TEST_P(OrderImportTest, ReimportReplacesById) {
  ASSERT_TRUE(Import(OrderLine("a", "Old") + "\n" + OrderLine("b", "Bee") + "\n").committed);
  const ImportReport report = Import(OrderLine("a", "New") + "\n");
  EXPECT_TRUE(report.committed);
  EXPECT_EQ(Stored(), (std::map<std::string, std::string>{{"a", "New"}, {"b", "Bee"}}));
  // Within one file too: the last line with an id wins.
  ASSERT_TRUE(Import(OrderLine("b", "One") + "\n" + OrderLine("b", "Two")).committed);
  EXPECT_EQ(Stored().at("b"), "Two");
}

TEST_P(OrderImportTest, LastLineWithoutNewlineAndCrlfEndings) {
  const ImportReport report = Import(OrderLine("a") + "\r\n" + OrderLine("b"));
  EXPECT_TRUE(report.committed);
  EXPECT_EQ(report.imported, 2);
  EXPECT_EQ(Stored().size(), 2u);
}

TEST_P(OrderImportTest, EmptyInputCommitsNothing) {
  const ImportReport report = Import("");
  EXPECT_TRUE(report.committed);
  EXPECT_EQ(report.imported, 0);
  EXPECT_EQ(Import("\n\n  \n").bad_line_count, 0);
}

TEST_P(OrderImportTest, OverlongLineIsBadWithoutStoppingTheImport) {
  // A real 1 MiB + 1 line against the default limit, then small limits.
  const std::string huge = R"({"id":"h","x":")" + std::string(1 << 20, 'x') + R"("})";
  ImportReport report =
      Import(OrderLine("a") + "\n" + huge + "\n" + OrderLine("b") + "\n", {.skip_invalid = true});
  EXPECT_EQ(report.imported, 2);
  ASSERT_EQ(report.bad_lines.size(), 1u);
  EXPECT_EQ(report.bad_lines[0].line_number, 2);
  EXPECT_EQ(report.bad_lines[0].reason, "line longer than 1048576 bytes");

  const std::string line = OrderLine("c");
  ImportOptions tight{.skip_invalid = false, .max_line_bytes = line.size()};
  EXPECT_EQ(Import(line + "\n" + line, tight).bad_line_count, 0);  // exactly the limit is fine
  tight.max_line_bytes = line.size() - 1;
  report = Import(line + "\n" + line, tight);  // the last one, without '\n', too
  EXPECT_EQ(report.bad_line_count, 2);
  EXPECT_FALSE(report.committed);
}

// Serves `text`, then fails like a disk read error.
class FailingBuffer final : public std::streambuf {
 public:
  explicit FailingBuffer(std::string text) : text_(std::move(text)) {}

 protected:
  int_type underflow() override {
    if (served_) throw std::runtime_error("EIO");
    served_ = true;
    setg(text_.data(), text_.data(), text_.data() + text_.size());
    return traits_type::to_int_type(text_[0]);
  }

 private:
  std::string text_;
  bool served_ = false;
};

TEST_P(OrderImportTest, ReadErrorImportsNothing) {
  FailingBuffer buffer(OrderLine("a") + "\n" + OrderLine("b") + "\n");
  std::istream in(&buffer);
  EXPECT_THROW(ImportOrders(in, stores_.orders(), {.skip_invalid = true}), std::runtime_error);
  EXPECT_EQ(stores_.orders().CountOrders(), 0);
}

TEST_P(OrderImportTest, ReportedBadLinesAreCapped) {
  ImportOptions options{
      .skip_invalid = true, .max_line_bytes = 1 << 20, .max_reported_bad_lines = 2};
  const ImportReport report = Import("1\n2\n3\n4\n5\n" + OrderLine("a"), options);
  EXPECT_EQ(report.bad_line_count, 5);
  ASSERT_EQ(report.bad_lines.size(), 2u);
  EXPECT_EQ(report.bad_lines[1].line_number, 2);
  EXPECT_EQ(report.imported, 1);
}

INSTANTIATE_TEST_SUITE_P(Stores, OrderImportTest, testing::kEngineStoreKinds,
                         testing::StoreKindName);

}  // namespace
}  // namespace jobsd
