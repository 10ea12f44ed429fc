#include "engine/orders/order_export.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "engine/filter.h"
#include "engine/orders/order_import.h"
#include "engine/orders/order_json.h"
#include "engine/orders/order_seed.h"
#include "engine/random.h"
#include "engine/time.h"
#include "storage/files/local_artifact_store.h"
#include "storage/sqlite/database.h"
#include "tests/engine/engine_stores.h"
#include "tests/support/temp_dir.h"

namespace jobsd {
namespace {

namespace fs = std::filesystem;

// ---- An independent, deliberately simple rendering of the expected CSV ----

std::string TextField(const std::string& value) {
  std::string v = value;
  if (!v.empty() && std::string_view("=+-@\t\r").find(v[0]) != std::string_view::npos) {
    v.insert(0, "'");
  }
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string quoted = "\"";
  for (char c : v) quoted += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string NumberField(const std::optional<std::int64_t>& n) {
  return n ? std::to_string(*n) : "";
}

std::string ExpectedRow(const Order& o) {
  std::int64_t item_count = 0;
  std::set<std::string> skus;
  for (const OrderItem& item : o.items) {
    item_count += item.quantity;
    if (!item.sku.empty()) skus.insert(item.sku);
  }
  std::string joined;
  for (const std::string& sku : skus) joined += (joined.empty() ? "" : "|") + sku;

  const Address& s = o.shipping_address;
  const Address& b = o.billing_address;
  std::vector<std::string> f = {TextField(o.id),
                                TextField(o.order_number),
                                TextField(o.external_ref),
                                TextField(o.status),
                                TextField(o.payment),
                                TextField(o.shipping),
                                o.anonymized ? (*o.anonymized ? "true" : "false") : "",
                                TextField(o.customer_id),
                                TextField(o.customer_name),
                                TextField(o.customer_email),
                                TextField(o.account_id),
                                TextField(o.account_member_id),
                                TextField(o.contact_name),
                                TextField(o.contact_email),
                                TextField(o.currency),
                                NumberField(o.with_tax),
                                NumberField(o.without_tax),
                                NumberField(o.tax),
                                NumberField(o.discount),
                                NumberField(o.shipping_amount),
                                NumberField(o.balance_owing),
                                NumberField(o.paid),
                                NumberField(o.authorized),
                                std::to_string(item_count),
                                TextField(joined),
                                TextField(s.first_name),
                                TextField(s.last_name),
                                TextField(s.phone_number),
                                TextField(s.company_name),
                                TextField(s.line_1),
                                TextField(s.line_2),
                                TextField(s.city),
                                TextField(s.postcode),
                                TextField(s.county),
                                TextField(s.country),
                                TextField(s.region),
                                TextField(s.instructions),
                                TextField(b.first_name),
                                TextField(b.last_name),
                                TextField(b.company_name),
                                TextField(b.line_1),
                                TextField(b.line_2),
                                TextField(b.city),
                                TextField(b.postcode),
                                TextField(b.county),
                                TextField(b.country),
                                TextField(b.region),
                                FormatRfc3339Nano(o.created_at),
                                FormatRfc3339Nano(o.updated_at)};
  EXPECT_EQ(f.size(), 49u);
  std::string row;
  for (std::size_t i = 0; i < f.size(); ++i) row += (i ? "," : "") + f[i];
  return row + "\r\n";
}

const char* const kHeader =
    "id,order_number,external_ref,status,payment,shipping,anonymized,customer_id,customer_name,"
    "customer_email,account_id,account_member_id,contact_name,contact_email,currency,with_tax,"
    "without_tax,tax,discount,shipping_amount,balance_owing,paid,authorized,item_count,"
    "product_skus,shipping_first_name,shipping_last_name,shipping_phone_number,"
    "shipping_company_name,shipping_line_1,shipping_line_2,shipping_city,shipping_postcode,"
    "shipping_county,shipping_country,shipping_region,shipping_instructions,billing_first_name,"
    "billing_last_name,billing_company_name,billing_line_1,billing_line_2,billing_city,"
    "billing_postcode,billing_county,billing_country,billing_region,created_at,updated_at\r\n";

std::string ExpectedCsv(std::vector<const Order*> orders) {
  std::sort(orders.begin(), orders.end(), [](const Order* a, const Order* b) {
    return std::tie(a->created_at, a->id) < std::tie(b->created_at, b->id);
  });
  std::string csv = kHeader;
  for (const Order* o : orders) csv += ExpectedRow(*o);
  return csv;
}

std::vector<std::string> FilesIn(const fs::path& dir) {
  std::vector<std::string> names;
  if (!fs::exists(dir)) return names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

JobOutcome RunExport(
    OrderStore& store, const fs::path& exports, const std::string& filter, const std::string& id,
    std::function<bool()> stop = [] { return false; }) {
  Job job;
  job.id = id;
  job.job_type = "order_export";
  job.params = filter;
  OrderExportJob handler(store);
  handler.ValidateParams(filter);
  storage::LocalArtifactStore artifacts(exports);
  return handler.Run(JobContext{job, artifacts, std::move(stop)});
}

// ---- Export of a known set, compared byte for byte ----

// On the memory order store and on SQLite's.
class OrderExportTest : public ::testing::TestWithParam<testing::StoreKind> {
 protected:
  static constexpr std::int64_t kGenerated = 3'000;
  static constexpr std::uint64_t kSeed = 2024;

  void SetUp() override {
    std::ifstream in(testing::TestDataFile("orders.example.jsonl"), std::ios::binary);
    ASSERT_TRUE(ImportOrders(in, stores_.orders(), {}).committed);
    std::ifstream again(testing::TestDataFile("orders.example.jsonl"), std::ios::binary);
    std::string line;
    while (std::getline(again, line)) {
      OrderLineResult r = ParseOrderLine(line);
      ASSERT_TRUE(r.ok()) << r.error;
      orders_.push_back(*r.order);
    }
    ASSERT_EQ(SeedOrders(stores_.orders(), kGenerated, kSeed).written, kGenerated);
    OrderGenerator generator(kSeed, kGenerated);
    for (std::int64_t i = 0; i < kGenerated; ++i) orders_.push_back(generator.Next());
  }

  std::vector<const Order*> Where(const std::function<bool(const Order&)>& match) const {
    std::vector<const Order*> out;
    for (const Order& o : orders_) {
      if (match(o)) out.push_back(&o);
    }
    return out;
  }

  testing::TempDir dir_;
  fs::path exports_ = dir_ / "exports";  // created by the job
  testing::EngineStores stores_{GetParam(), dir_.path()};
  std::vector<Order> orders_;
};

TEST_P(OrderExportTest, FilteredExportsMatchTheOrdersByteForByte) {
  const Nanos y2024 = *ParseRfc3339("2024-01-01T00:00:00Z", nullptr);
  const Nanos june = *ParseRfc3339("2024-06-01T00:00:00Z", nullptr);
  auto has_sku = [](const Order& o, const std::string& sku) {
    return std::any_of(o.items.begin(), o.items.end(),
                       [&](const OrderItem& i) { return i.sku == sku; });
  };
  struct Case {
    std::string filter;
    std::function<bool(const Order&)> match;
  };
  const std::vector<Case> cases = {
      {"", [](const Order&) { return true; }},
      {"eq(payment,paid)", [](const Order& o) { return o.payment == "paid"; }},
      {"in(currency,USD,JPY)",
       [](const Order& o) { return o.currency == "USD" || o.currency == "JPY"; }},
      {"ge(with_tax,10000)", [](const Order& o) { return o.with_tax && *o.with_tax >= 10000; }},
      {"eq(product_sku,mug-002)", [&](const Order& o) { return has_sku(o, "mug-002"); }},
      {"gt(created_at,2024-01-01):eq(status,complete)",
       [&](const Order& o) { return o.created_at > y2024 && o.status == "complete"; }},
      {"eq(payment,paid):lt(created_at,2024-06-01T00:00:00Z)",
       [&](const Order& o) { return o.payment == "paid" && o.created_at < june; }},
      {"like(email,*@example.org)",
       [](const Order& o) { return o.customer_email.ends_with("@example.org"); }},
  };
  const std::regex token("[0-9a-f]{32}");
  for (const Case& c : cases) {
    SCOPED_TRACE(c.filter);
    const std::vector<const Order*> expected = Where(c.match);
    ASSERT_GT(expected.size(), 2u);  // every case must select something
    const std::string id = NewUuidV4();
    const JobOutcome outcome = RunExport(stores_.orders(), exports_, c.filter, id);
    ASSERT_EQ(outcome.kind, JobOutcome::Kind::kSuccess) << outcome.error;
    ASSERT_TRUE(outcome.artifact);
    const Artifact& artifact = *outcome.artifact;
    const fs::path file =
        fs::absolute(exports_) / (id + "-" + artifact.token.substr(0, 8) + ".csv");
    EXPECT_EQ(artifact.key, file.string());
    EXPECT_TRUE(std::regex_match(artifact.token, token)) << artifact.token;
    EXPECT_EQ(artifact.content_type, "text/csv; charset=utf-8");
    EXPECT_EQ(artifact.file_name, "orders-" + id + ".csv");
    EXPECT_EQ(artifact.size, static_cast<std::int64_t>(fs::file_size(file)));
    EXPECT_EQ(outcome.rows, static_cast<std::int64_t>(expected.size()));
    EXPECT_EQ(outcome.result, "{\"row_count\":" + std::to_string(expected.size()) + "}");
    const std::string csv = testing::ReadFile(file);
    EXPECT_TRUE(csv == ExpectedCsv(expected)) << "first difference at byte " << [&] {
      const std::string want = ExpectedCsv(expected);
      return std::mismatch(csv.begin(), csv.end(), want.begin(), want.end()).first - csv.begin();
    }();
    fs::remove(file);
    EXPECT_TRUE(FilesIn(exports_).empty());  // no temporary file left behind
  }
}

TEST_P(OrderExportTest, ReferenceOrdersRenderAsTheContractSays) {
  const std::string id = NewUuidV4();
  const JobOutcome outcome =
      RunExport(stores_.orders(), exports_, "in(name,\"Zoë O'Brien, Jr.\",\"@Mallory Eve\")", id);
  ASSERT_EQ(outcome.kind, JobOutcome::Kind::kSuccess) << outcome.error;
  ASSERT_EQ(outcome.rows, 2);
  const std::string csv = testing::ReadFile(outcome.artifact->key);
  EXPECT_TRUE(csv.starts_with(kHeader));
  EXPECT_NE(csv.find("\"Zoë O'Brien, Jr.\""), std::string::npos);
  EXPECT_NE(csv.find(",2024-02-29T23:59:59.5Z,2024-02-29T23:59:59.5Z\r\n"), std::string::npos);
  EXPECT_NE(csv.find(",'=1+1,"), std::string::npos);
  EXPECT_NE(csv.find(",'@Mallory Eve,"), std::string::npos);
  EXPECT_NE(csv.find(",2025-01-01T00:00:00Z,2025-01-02T10:30:00.123Z\r\n"), std::string::npos);
  EXPECT_NE(csv.find(",1,mug-002,"), std::string::npos);  // item_count, product_skus
  EXPECT_LT(csv.find("0b3f6d2e"), csv.find("7d1e2f3a"));  // created_at order
  EXPECT_TRUE(csv.ends_with("\r\n"));
}

TEST_P(OrderExportTest, NoMatchFailsAndLeavesNoFile) {
  const JobOutcome outcome =
      RunExport(stores_.orders(), exports_, "eq(order_number,no-such-order)", NewUuidV4());
  EXPECT_EQ(outcome.kind, JobOutcome::Kind::kFailed);
  EXPECT_EQ(outcome.error, "No results matched the supplied filter");
  // Not even begun: the artifact is created by the first bytes that leave
  // the writer's buffer, so the directory may not exist yet.
  EXPECT_TRUE(!fs::exists(exports_) || FilesIn(exports_).empty());
}

TEST_P(OrderExportTest, ValidateParamsRejectsBadFilters) {
  OrderExportJob handler(stores_.orders());
  EXPECT_NO_THROW(handler.ValidateParams(""));
  EXPECT_NO_THROW(handler.ValidateParams("eq(payment,paid):gt(created_at,2018-09-01)"));
  for (const char* bad : {"eq(colour,red)", "eq(payment,payed)", "gt(status,complete)", "eq("}) {
    EXPECT_THROW(handler.ValidateParams(bad), filter::FilterError) << bad;
  }
  // A job whose stored filter no longer parses fails for good.
  Job job;
  job.id = NewUuidV4();
  job.params = "eq(colour,red)";
  storage::LocalArtifactStore artifacts(exports_);
  const JobOutcome outcome = handler.Run(JobContext{job, artifacts, [] { return false; }});
  EXPECT_EQ(outcome.kind, JobOutcome::Kind::kFailed);
  EXPECT_TRUE(outcome.error.starts_with("Could not parse the supplied filter")) << outcome.error;
}

TEST_P(OrderExportTest, UnwritableExportsDirIsRetryable) {
  const fs::path not_a_dir = dir_ / "plain-file";
  testing::WriteFile(not_a_dir, "x");
  const JobOutcome outcome = RunExport(stores_.orders(), not_a_dir / "exports", "", NewUuidV4());
  EXPECT_EQ(outcome.kind, JobOutcome::Kind::kRetry);
  // The error is shown to clients: what went wrong, not where; the log
  // gets the folder.
  EXPECT_TRUE(outcome.error.starts_with("The export could not be written: ")) << outcome.error;
  EXPECT_EQ(outcome.error.find(dir_.path().string()), std::string::npos) << outcome.error;
  EXPECT_NE(outcome.detail.find((not_a_dir / "exports").string()), std::string::npos)
      << outcome.detail;
  EXPECT_EQ(testing::ReadFile(not_a_dir), "x");
}

INSTANTIATE_TEST_SUITE_P(Stores, OrderExportTest, testing::kEngineStoreKinds,
                         testing::StoreKindName);

TEST(OrderExportSeedTest, SameSeedSameExport) {
  std::vector<std::string> files;
  for (int run = 0; run < 2; ++run) {
    testing::TempDir dir;
    auto db = storage::Database::Open({.path = dir / "jobsd.db"});
    SeedOrders(db->orders(), 2'000, 77);
    const JobOutcome outcome = RunExport(db->orders(), dir / "exports", "", NewUuidV4());
    ASSERT_EQ(outcome.kind, JobOutcome::Kind::kSuccess) << outcome.error;
    EXPECT_EQ(outcome.rows, 2'000);
    files.push_back(testing::ReadFile(outcome.artifact->key));
  }
  EXPECT_TRUE(files[0] == files[1]);
  EXPECT_GT(files[0].size(), 2'000u * 300);
}

// ---- A large export: constant memory, interruption ----

// Peak resident set size of this process in KiB (VmHWM).
long PeakRssKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) return std::stol(line.substr(6));
  }
  return -1;
}

// Lowers the peak to the current RSS, so the next reading shows only what
// happens from now on. Returns false where the kernel does not allow it.
bool ResetPeakRss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

TEST(OrderExportLargeTest, ConstantMemoryAndInterruptible) {
  constexpr std::int64_t kOrders = 200'000;
  testing::TempDir dir;
  auto db = storage::Database::Open({.path = dir / "jobsd.db"});
  ASSERT_EQ(SeedOrders(db->orders(), kOrders, 99).written, kOrders);
  const fs::path exports = dir / "exports";

  // Shutdown: the job gives up early, keeps no file, and asks to be retried.
  std::atomic<int> polls = 0;
  JobOutcome interrupted =
      RunExport(db->orders(), exports, "", NewUuidV4(), [&] { return ++polls >= 2; });
  EXPECT_EQ(interrupted.kind, JobOutcome::Kind::kRetry);
  EXPECT_EQ(interrupted.error, "interrupted by shutdown");
  EXPECT_EQ(polls.load(), 2);  // polled every 10k rows, not per row
  EXPECT_TRUE(FilesIn(exports).empty());

  const bool reset = ResetPeakRss();
  const long before = PeakRssKiB();
  const std::string id = NewUuidV4();
  const JobOutcome outcome = RunExport(db->orders(), exports, "", id);
  const long after = PeakRssKiB();
  ASSERT_EQ(outcome.kind, JobOutcome::Kind::kSuccess) << outcome.error;
  EXPECT_EQ(outcome.rows, kOrders);
  const auto size = fs::file_size(outcome.artifact->key);
  // The file is bigger than the memory bound, so holding it would show.
  EXPECT_GT(size, 64u << 20);
  if (reset) {
    EXPECT_LT(after - before, 64 * 1024) << "peak RSS grew by " << (after - before) << " KiB";
  } else {
    GTEST_LOG_(WARNING) << "cannot reset VmHWM here; memory bound not measured";
  }

  // Stream the file once: the header, then one record per order, each
  // ended by CRLF outside quotes (quoted fields may hold line breaks).
  std::ifstream in(outcome.artifact->key, std::ios::binary);
  std::string header(std::string_view(kHeader).size(), '\0');
  in.read(header.data(), static_cast<std::streamsize>(header.size()));
  EXPECT_EQ(header, kHeader);
  std::int64_t records = 0;
  bool in_quotes = false;
  char previous = '\0';
  std::vector<char> chunk(1 << 16);
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
      const char c = chunk[static_cast<std::size_t>(i)];
      if (c == '"') in_quotes = !in_quotes;
      if (c == '\n' && !in_quotes) {
        ASSERT_EQ(previous, '\r');
        ++records;
      }
      previous = c;
    }
  }
  EXPECT_FALSE(in_quotes);
  EXPECT_EQ(previous, '\n');
  EXPECT_EQ(records, kOrders);
  EXPECT_EQ(FilesIn(exports),
            std::vector<std::string>{fs::path(outcome.artifact->key).filename().string()});
}

}  // namespace
}  // namespace jobsd
