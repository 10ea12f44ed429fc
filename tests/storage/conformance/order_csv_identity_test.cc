// The same orders on SQLite, on PostgreSQL and in memory give byte-identical export
// files for every filter: the order_export job type runs over each store
// and the CSV files are compared byte for byte, along with the outcome.
// The orders are the seed's (names, addresses and SKUs with commas, quotes,
// line breaks, formula characters and non-ASCII letters) and the reference
// file's; the filters cover every field and operator of docs/filters.md.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "engine/orders/order_export.h"
#include "engine/orders/order_import.h"
#include "engine/orders/order_seed.h"
#include "storage/files/local_artifact_store.h"
#include "storage/postgres/postgres_store.h"
#include "tests/storage/conformance/backend.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_postgres.h"

namespace jobsd::conformance {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kSeeded = 4'000;
constexpr std::uint64_t kSeed = 11;

struct Export {
  JobOutcome outcome;
  std::string csv;  // the artifact's bytes, "" when none
};

Export RunExport(OrderStore& orders, const fs::path& exports, const std::string& filter) {
  Job job;
  job.id = "00000000-0000-4000-8000-000000000011";
  job.job_type = std::string(kOrderExportType);
  job.params = filter;
  OrderExportJob handler(orders);
  handler.ValidateParams(filter);
  storage::LocalArtifactStore artifacts(exports, /*min_free_disk=*/0);
  Export result{handler.Run(JobContext{job, artifacts, [] { return false; }}), ""};
  if (result.outcome.artifact) {
    auto reader = artifacts.Open(result.outcome.artifact->key);
    if (reader == nullptr) throw std::runtime_error("the export's artifact is gone");
    result.csv.resize(reader->size());
    std::size_t at = 0;
    while (at < result.csv.size()) {
      const std::size_t n = reader->ReadAt(at, result.csv.data() + at, result.csv.size() - at);
      if (n == 0) break;
      at += n;
    }
    result.csv.resize(at);
    artifacts.Delete(result.outcome.artifact->key);
  }
  return result;
}

// Values drawn the way the seed draws them, so that filters on ids, exact
// instants and product ids match something.
struct SeedSamples {
  std::string product_id;
  std::string created_at;  // RFC 3339 with nanoseconds
  std::string customer_id;
  std::string account_id;
};

SeedSamples Samples() {
  OrderGenerator generator(kSeed, kSeeded);
  SeedSamples samples;
  for (int i = 0; i < 50; ++i) {
    const Order order = generator.Next();
    if (samples.product_id.empty() && !order.items.empty()) {
      samples.product_id = order.items.front().product_id;
    }
    if (samples.customer_id.empty() && !order.customer_id.empty()) {
      samples.customer_id = order.customer_id;
    }
    if (samples.account_id.empty() && !order.account_id.empty()) {
      samples.account_id = order.account_id;
    }
    if (i == 7) AppendRfc3339Nano(samples.created_at, order.created_at);
  }
  return samples;
}

// An `in` with as many values as 8 KiB of filter holds (1,857): more
// than a SELECT list may have (1,664), so on PostgreSQL the list must
// travel as one setting, not one setting per value.
std::string LongestInFilter() {
  std::string filter = "in(order_number";
  for (int value = 0; filter.size() + 6 <= 8 * 1024; ++value) {
    filter += "," + std::to_string(value);
  }
  return filter + ")";
}

std::vector<std::string> Filters() {
  const SeedSamples s = Samples();
  return {
      LongestInFilter(),
      "",
      "eq(status,complete)",
      "in(status,incomplete,cancelled)",
      "eq(payment,refunded)",
      "in(payment,authorized,partially_authorized)",
      "eq(shipping,fulfilled)",
      "eq(name,Søren Müller)",
      "like(name,zoë*)",
      "like(name,ZOË*)",  // Ë is not folded: nothing
      "like(name,\"*o'brien\")",
      "like(name,\"*SMITH, JR.\")",
      "in(name,José García,Chloé Brontë,Andy Dwyer)",
      "eq(email,andy@example.com)",
      "like(email,*@EXEMPLE.FR)",
      "like(email,andy.*)",
      "in(email,andy@example.com,april.ludgate1@example.org)",
      "eq(customer_id," + s.customer_id + ")",
      "eq(customer_id,\"\")",
      "like(customer_id,*A)",
      "in(customer_id," + s.customer_id + ",nobody)",
      "eq(account_id," + s.account_id + ")",
      "like(account_id,*0*)",
      "in(account_id," + s.account_id + ",\"\")",
      "eq(account_member_id,\"\")",
      "like(account_member_id,*F)",
      "like(contact.name,ana maría*)",
      "eq(contact.name,\"\")",
      "like(contact.email,*@ACCOUNT1*)",
      "eq(shipping_name,José García)",
      "like(shipping_name,*ørsted*)",
      "like(billing_name,'*\"Bob\" Roberts')",
      "eq(billing_name,\"=Eve D'Angelo\")",
      "eq(shipping_postcode,AL1 1AA)",
      "like(shipping_postcode,nw1*)",
      "in(shipping_postcode,92802,47998)",
      "in(billing_postcode,75004,1050,9008)",
      "like(billing_postcode,*0)",
      "eq(with_tax,0)",
      "gt(with_tax,50000)",
      "ge(with_tax,45000)",
      "lt(with_tax,2000)",
      "le(with_tax,1000)",
      "eq(without_tax,700)",
      "ge(without_tax,100000)",
      "lt(without_tax,0)",
      "eq(currency,JPY)",
      "in(currency,DKK,NOK)",
      "eq(product_id," + s.product_id + ")",
      "in(product_id," + s.product_id + ",nothing)",
      "eq(product_sku,café-016)",
      "in(product_sku,=sku-012,mug-002)",
      "eq(product_sku,CAFÉ-016)",
      "eq(created_at,2023-06-15)",
      "eq(created_at," + s.created_at + ")",
      "gt(created_at,2024-06-01T00:00:00Z)",
      "ge(created_at,2024-12-31)",
      "lt(created_at,2023-02-01T12:30:00+02:00)",
      "le(created_at,1675209600000)",
      "eq(updated_at,2023-07-01)",
      "gt(updated_at,2024-12-15)",
      "lt(updated_at,2023-01-10)",
      "eq(external_ref,=1+1)",
      "like(external_ref,ext-1*)",
      "like(external_ref,+REF-*)",
      "in(external_ref,\"\",=1+1)",
      "eq(order_number,1234)",
      "like(order_number,*99)",
      "in(order_number,1001,1500,2999,4999)",
      "eq(currency,EUR):like(name,*müller):gt(with_tax,1000)",
      "eq(payment,paid):eq(shipping,unfulfilled):in(product_sku,hat-013,scarf-014)",
  };
}

class OrderCsvIdentityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sqlite_dir_ = new testing::TempDir();
    postgres_dir_ = new testing::TempDir();
    sqlite_ = BackendNamed("Sqlite").open(sqlite_dir_->path()).release();
    postgres_ = BackendNamed("Postgres").open(postgres_dir_->path()).release();
    memory_ = BackendNamed("Memory").open(sqlite_dir_->path()).release();
    for (OpenBackend* backend : {sqlite_, postgres_, memory_}) {
      SeedOrders(backend->orders(), kSeeded, kSeed);
      std::ifstream in(testing::TestDataFile("orders.example.jsonl"), std::ios::binary);
      const ImportReport report = ImportOrders(in, backend->orders(), {});
      ASSERT_TRUE(report.committed);
    }
  }

  static void TearDownTestSuite() {
    delete sqlite_;
    delete postgres_;
    delete memory_;
    delete sqlite_dir_;
    delete postgres_dir_;
  }

  static testing::TempDir* sqlite_dir_;
  static testing::TempDir* postgres_dir_;
  static OpenBackend* sqlite_;
  static OpenBackend* postgres_;
  static OpenBackend* memory_;
  testing::TempDir exports_;
};

testing::TempDir* OrderCsvIdentityTest::sqlite_dir_ = nullptr;
testing::TempDir* OrderCsvIdentityTest::postgres_dir_ = nullptr;
OpenBackend* OrderCsvIdentityTest::sqlite_ = nullptr;
OpenBackend* OrderCsvIdentityTest::postgres_ = nullptr;
OpenBackend* OrderCsvIdentityTest::memory_ = nullptr;

// PostgreSQL and the memory store (engine tests' orders) against SQLite.
TEST_F(OrderCsvIdentityTest, EveryFilterGivesTheSameBytesOnEveryStore) {
  ASSERT_EQ(sqlite_->orders().CountOrders(), kSeeded + 3);
  ASSERT_EQ(postgres_->orders().CountOrders(), kSeeded + 3);
  ASSERT_EQ(memory_->orders().CountOrders(), kSeeded + 3);
  const std::vector<std::string> filters = Filters();
  ASSERT_GE(filters.size(), 25u);
  int with_rows = 0;
  for (const std::string& filter : filters) {
    const Export sqlite = RunExport(sqlite_->orders(), exports_.path() / "sqlite", filter);
    for (OpenBackend* other : {postgres_, memory_}) {
      const std::string name = other == postgres_ ? "postgres" : "memory";
      const Export got = RunExport(other->orders(), exports_.path() / name, filter);
      EXPECT_EQ(static_cast<int>(got.outcome.kind), static_cast<int>(sqlite.outcome.kind))
          << name << " " << filter << ": " << sqlite.outcome.error << " / " << got.outcome.error;
      EXPECT_EQ(got.outcome.error, sqlite.outcome.error) << name << " " << filter;
      EXPECT_EQ(got.outcome.result, sqlite.outcome.result) << name << " " << filter;
      EXPECT_EQ(got.outcome.rows, sqlite.outcome.rows) << name << " " << filter;
      // Compared as a whole and, for a readable failure, by size first.
      EXPECT_EQ(got.csv.size(), sqlite.csv.size()) << name << " " << filter;
      EXPECT_TRUE(got.csv == sqlite.csv) << name << " " << filter;
    }
    if (sqlite.outcome.kind == JobOutcome::Kind::kSuccess) ++with_rows;
  }
  // Most filters must select something, or the comparison proves little.
  EXPECT_GE(with_rows, static_cast<int>(filters.size()) - 5);
}

// Where the stores cannot agree, PostgreSQL refuses in words instead of
// storing something else: its text cannot hold the NUL character.
TEST(PostgresOrderStoreTest, ANulCharacterIsRefusedAndTheImportGoesOn) {
  const testing::TempDir dir;
  auto backend = BackendNamed("Postgres").open(dir.path());
  auto import = backend->orders().BeginImport();
  Order bad;
  bad.id = "bad";
  bad.customer_name = std::string("nul\0here", 8);
  bad.created_at = bad.updated_at = 1;
  bad.items = {{"i1", "p1", "SKU", "n", 1, 1}};
  try {
    import->Put(bad);
    FAIL() << "a NUL character was accepted";
  } catch (const StoreError& error) {
    EXPECT_FALSE(error.transient());
    EXPECT_NE(std::string(error.what()).find("NUL"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("customer_name"), std::string::npos) << error.what();
  }
  Order good = bad;
  good.id = "good";
  good.customer_name = "fine";
  import->Put(good);
  import->Commit();
  EXPECT_EQ(backend->orders().CountOrders(), 1);
}

}  // namespace
}  // namespace jobsd::conformance
