// SqliteOrderStore: what is SQLite's own in its import (a private staging
// database, the write lock taken only for the merge, secondary indexes
// dropped and rebuilt for a bulk merge, foreign keys). What every order
// store promises (columns, upserts, item replacement, rollback, snapshot,
// scan order, filters) is checked on every backend by
// tests/storage/conformance/order_store_conformance_test.cc.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/filter.h"
#include "storage/sqlite/database.h"
#include "storage/sqlite/migrations.h"
#include "storage/sqlite/open_connection.h"
#include "storage/sqlite/sqlite.h"
#include "storage/sqlite/sqlite_order_store.h"
#include "tests/storage/store_test_data.h"
#include "tests/support/temp_dir.h"

namespace jobsd::storage {
namespace {

constexpr Nanos kT0 = 1'538'651'329'156'490'335;  // 2018-10-04T11:08:49.156490335Z

using testing::CollectingSink;

Order MakeOrder(std::string id, Nanos created_at) {
  return testing::MakeTestOrder(std::move(id), created_at);
}

class OrderStoreTest : public ::testing::Test {
 protected:
  OrderStoreTest() : database_(Database::Open({dir_ / "jobsd.db"})), orders_(database_->orders()) {}

  void Import(const std::vector<Order>& orders) {
    auto import = orders_.BeginImport();
    for (const Order& order : orders) import->Put(order);
    import->Commit();
  }

  CollectingSink Scan(std::string_view filter_text = "") {
    CollectingSink sink;
    auto parsed = filter::Parse(filter_text, filter::OrderFields());
    std::int64_t rows = orders_.ScanOrders(parsed, sink);
    EXPECT_EQ(rows, static_cast<std::int64_t>(sink.rows.size()));
    return sink;
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> database_;
  OrderStore& orders_;
};

// Big imports drop the secondary indexes and rebuild them at Commit (see
// sqlite_order_import.cc); the store must end with exactly the same schema,
// whether the import commits or rolls back.
class BulkImportTest : public OrderStoreTest {
 protected:
  static constexpr int kOrders = 10'001;  // past the import's first check

  std::string Schema() {
    auto connection = sqlite::Connection::Open(dir_ / "jobsd.db");
    auto select = connection->PrepareUncached(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name");
    std::string out;
    while (select.Step()) {
      for (int i = 0; i < 4; ++i) out += std::string(select.ColumnText(i)) + "|";
      out += "\n";
    }
    return out;
  }

  void PutMany(OrderImport& import) {
    for (int i = 0; i < kOrders; ++i) {
      Order order = MakeOrder("bulk-" + std::to_string(i), kT0 + i);
      if (i % 1000 == 7) order.payment = "refunded";
      order.items = {
          {"i", "p" + std::to_string(i % 10), "SKU-" + std::to_string(i % 3), "n", 1, 1}};
      import.Put(order);
    }
  }
};

TEST_F(BulkImportTest, CommittedBulkImportEndsWithEveryIndex) {
  const std::string before = Schema();
  ASSERT_NE(before.find("orders_customer_email"), std::string::npos);
  auto import = orders_.BeginImport();
  PutMany(*import);
  import->Commit();
  import.reset();
  EXPECT_EQ(Schema(), before);
  EXPECT_EQ(orders_.CountOrders(), kOrders);
  EXPECT_EQ(Scan("eq(payment,refunded)").rows.size(), 10u);  // i % 1000 == 7
  // i % 3 == 1 and i % 10 == 4: i % 30 == 4, in created_at order.
  std::vector<std::string> ids = Scan("eq(product_sku,SKU-1):eq(product_id,p4)").Ids();
  ASSERT_EQ(ids.size(), 334u);
  EXPECT_EQ(ids[0], "bulk-4");
  EXPECT_EQ(ids[1], "bulk-34");
  auto connection = sqlite::Connection::Open(dir_ / "jobsd.db");
  auto check = connection->PrepareUncached("PRAGMA integrity_check");
  ASSERT_TRUE(check.Step());
  EXPECT_EQ(check.ColumnText(0), "ok");
}

TEST_F(BulkImportTest, RolledBackBulkImportKeepsEveryIndex) {
  Import({MakeOrder("kept", kT0)});
  const std::string before = Schema();
  {
    auto import = orders_.BeginImport();
    PutMany(*import);
  }
  EXPECT_EQ(Schema(), before);
  EXPECT_EQ(orders_.CountOrders(), 1);
}

// An import stages its orders in a private database and locks the store
// only to merge them (sqlite_order_import.h): while it reads and parses,
// another process can still write.
TEST_F(OrderStoreTest, StagingDoesNotHoldTheStoresWriteLock) {
  auto import = orders_.BeginImport();
  for (int i = 0; i < 100; ++i) {
    Order order = MakeOrder("o" + std::to_string(i), kT0 + i);
    order.items = {{"i1", "p1", "SKU-A", "first", 1, 100}};
    import->Put(order);
  }
  // The same id again within the import: the later line wins, items too.
  Order again = MakeOrder("o7", kT0 + 7);
  again.status = "cancelled";
  again.items = {{"i2", "p2", "SKU-B", "second", 2, 200}};
  import->Put(again);

  // Another writer that does not wait at all gets the lock at once.
  DatabaseOptions impatient{dir_ / "jobsd.db", /*busy_timeout_ms=*/0};
  auto other = OpenConnection(impatient);
  other->Exec("BEGIN IMMEDIATE; DELETE FROM orders WHERE id = 'none'; COMMIT");

  import->Commit();
  EXPECT_EQ(orders_.CountOrders(), 100);
  CollectingSink sink = Scan("eq(product_sku,SKU-B)");
  ASSERT_EQ(sink.rows.size(), 1u);
  EXPECT_EQ(sink.At(0, "id").text, "o7");
  EXPECT_EQ(sink.At(0, "status").text, "cancelled");
  EXPECT_EQ(sink.At(0, "item_count").number, 2);
  EXPECT_EQ(sink.At(0, "product_skus").text, "SKU-B");
}

// The merge waits for another writer like every store write, and when the
// lock does not come free in time it fails as a transient store error with
// nothing merged; the next import goes through.
TEST(OrderImportMergeTest, ABlockedMergeFailsCleanlyAndLeavesTheStoreAsItWas) {
  testing::TempDir dir;
  const DatabaseOptions options{dir / "jobsd.db", /*busy_timeout_ms=*/50};
  auto database = Database::Open(options);
  OrderStore& orders = database->orders();

  auto holder = OpenConnection(options);
  holder->Exec("BEGIN IMMEDIATE");
  auto import = orders.BeginImport();
  import->Put(MakeOrder("o1", kT0));
  try {
    import->Commit();
    FAIL() << "the merge got a lock another connection holds";
  } catch (const StoreError& error) {
    EXPECT_TRUE(error.transient()) << error.what();
    EXPECT_NE(std::string(error.what()).find("locked"), std::string::npos) << error.what();
  }
  import.reset();
  holder->Exec("ROLLBACK");
  EXPECT_EQ(orders.CountOrders(), 0);

  auto retry = orders.BeginImport();
  retry->Put(MakeOrder("o1", kT0));
  retry->Commit();
  EXPECT_EQ(orders.CountOrders(), 1);
}

// The merge runs with foreign-key checks off on its own connection; the
// store's connections keep them, so deleting an order still deletes its
// items (ON DELETE CASCADE).
TEST_F(OrderStoreTest, ImportedItemsStillCascade) {
  Order order = MakeOrder("o1", kT0);
  order.items = {{"i1", "p1", "SKU", "n", 1, 1}, {"i2", "p1", "SKU", "n", 1, 1}};
  Import({order});
  auto connection = OpenConnection({dir_ / "jobsd.db"});
  connection->Exec("DELETE FROM orders WHERE id = 'o1'");
  auto items = connection->PrepareUncached("SELECT count(*) FROM order_items");
  ASSERT_TRUE(items.Step());
  EXPECT_EQ(items.ColumnInt64(0), 0);
}

}  // namespace
}  // namespace jobsd::storage
