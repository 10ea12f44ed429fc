#include "storage/sqlite/sqlite_order_import.h"

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/orders/order_row.h"
#include "storage/sqlite/order_columns_sql.h"
#include "storage/sqlite/sqlite.h"

namespace jobsd::storage {
namespace {

using sqlite::Connection;
using sqlite::Statement;

// Binds one order's row (engine/orders/order_row.h) to `statement`'s
// parameters 1..kOrderColumnCount.
void BindRow(Statement& statement, const OrderRow& row) {
  for (std::size_t i = 0; i < kOrderColumnCount; ++i) {
    const ColumnValue& value = row.values()[i];
    const int index = static_cast<int>(i) + 1;
    if (value.is_null) {
      statement.BindNull(index);
    } else if (kOrderColumns[i].kind == ColumnKind::kText) {
      statement.BindText(index, value.text);
    } else {
      statement.BindInt64(index, value.number);
    }
  }
}

// "order_number = excluded.order_number, ...": every column but id, for
// ON CONFLICT (id) DO UPDATE, so that a re-imported order replaces the old.
const std::string& ReplaceAllButIdSql() {
  static const std::string sql = [] {
    std::string updates;
    for (const OrderColumn& column : kOrderColumns) {
      if (column.name == "id") continue;
      if (!updates.empty()) updates += ", ";
      updates += std::string(column.name) + " = excluded." + std::string(column.name);
    }
    return updates;
  }();
  return sql;
}

// Into the staging tables, one order at a time.
const std::string& StageOrderSql() {
  static const std::string sql = [] {
    std::string placeholders;
    for (std::size_t i = 0; i < kOrderColumnCount; ++i) placeholders += i == 0 ? "?" : ", ?";
    return "INSERT INTO orders (" + OrderColumnList() + ") VALUES (" + placeholders +
           ") ON CONFLICT (id) DO UPDATE SET " + ReplaceAllButIdSql();
  }();
  return sql;
}

constexpr std::string_view kStageDeleteItemsSql = "DELETE FROM order_items WHERE order_id = ?";
constexpr std::string_view kStageItemSql =
    "INSERT INTO order_items (order_id, id, product_id, sku, name, quantity,"
    " unit_price_amount) VALUES (?, ?, ?, ?, ?, ?, ?)"
    // A repeated item id within one order: the last one wins.
    " ON CONFLICT (order_id, id) DO UPDATE SET product_id = excluded.product_id,"
    " sku = excluded.sku, name = excluded.name, quantity = excluded.quantity,"
    " unit_price_amount = excluded.unit_price_amount";

// The merge, from the staging database (main) into the store (attached as
// "store"). Items of a re-imported order are replaced, not merged: the
// file's order is the whole truth about that order.
constexpr std::string_view kMergeDeleteItemsSql =
    "DELETE FROM store.order_items WHERE order_id IN (SELECT id FROM main.orders)";
const std::string& MergeOrdersSql() {
  // ORDER BY id: the store's primary-key index then receives its new keys in
  // order, page after page, instead of at random places (UUIDv4 ids).
  // "WHERE true" is SQLite's documented way to let ON CONFLICT follow a
  // SELECT without being read as a join constraint.
  static const std::string sql = "INSERT INTO store.orders (" + OrderColumnList() + ") SELECT " +
                                 OrderColumnList() +
                                 " FROM main.orders WHERE true ORDER BY id"
                                 " ON CONFLICT (id) DO UPDATE SET " +
                                 ReplaceAllButIdSql();
  return sql;
}
constexpr std::string_view kMergeItemsSql =
    "INSERT INTO store.order_items (order_id, id, product_id, sku, name, quantity,"
    " unit_price_amount) SELECT order_id, id, product_id, sku, name, quantity,"
    " unit_price_amount FROM main.order_items";

// The staging database lives only as long as the import. Durability is
// pointless there (it is thrown away on any failure), so no journal and no
// fsync. Its page cache is small on purpose: rows are staged in id order
// from a B-tree that grows at its end, so a bigger cache buys little, and
// every page of cache is resident memory for the whole import (a 64 MiB
// cache and temp_store = MEMORY made a million-order seed peak at 760 MB).
// Temporary files (the sorter of an index build, spilled pages) go to
// disk, in the same directory as the staging database, never to memory.
constexpr std::string_view kStagingSettings =
    "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -8192;"
    // Every item's order is staged before the item, in the same session:
    // the per-item foreign-key lookup could never fail. It stays off for
    // the merge, where the same holds (items come with their orders).
    "PRAGMA foreign_keys = OFF; PRAGMA temp_store = FILE";
// For the merge: FULL as on every store connection (database.cc), and the
// WAL that a big import blows up is truncated again after the next
// checkpoint. The cache bounds the merge's memory: the transaction's dirty
// pages beyond it are spilled to the WAL (still uncommitted, so still all
// or nothing), and the sorter of an index rebuild (DeferStoreIndexes)
// merges runs from temporary files instead of holding every key.
constexpr std::string_view kStoreSettings =
    "PRAGMA store.cache_size = -32768; PRAGMA store.synchronous = FULL;"
    " PRAGMA store.journal_size_limit = 67108864";

std::int64_t QueryInt(Connection& connection, std::string_view sql) {
  Statement statement = connection.PrepareUncached(sql);
  statement.Step();
  return statement.ColumnInt64(0);
}

// "CREATE INDEX name ON ..." as stored in sqlite_master, made to create the
// index in the attached store: the schema qualifies the index name (the
// table then resolves within the same schema).
std::string QualifiedCreateIndex(const std::string& sql) {
  constexpr std::string_view kIndex = "INDEX ";
  const std::size_t at = sql.find(kIndex);
  if (at == std::string::npos) throw std::logic_error("not a CREATE INDEX statement: " + sql);
  std::string qualified = sql;
  qualified.insert(at + kIndex.size(), "store.");
  return qualified;
}

class StagedOrderImport final : public OrderImport {
 public:
  explicit StagedOrderImport(const DatabaseOptions& store)
      // "": a private temporary database, in SQLITE_TMPDIR, TMPDIR or
      // /var/tmp; SQLite unlinks the file right after opening it.
      : staging_(Connection::Open("")) {
    staging_->Exec("PRAGMA busy_timeout = " + std::to_string(store.busy_timeout_ms));
    staging_->Exec(kStagingSettings);
    Statement attach = staging_->PrepareUncached("ATTACH ? AS store");
    attach.BindText(1, store.path.string());
    attach.Run();
    CreateStagingTables();
    upsert_.emplace(staging_->PrepareUncached(StageOrderSql()));
    delete_items_.emplace(staging_->PrepareUncached(kStageDeleteItemsSql));
    insert_item_.emplace(staging_->PrepareUncached(kStageItemSql));
    // Touches only the staging database: a deferred transaction takes no
    // lock on the store until it reads or writes there.
    staging_transaction_.emplace(*staging_, sqlite::TransactionKind::kDeferred);
  }

  void Put(const Order& order) override {
    BindRow(*upsert_, OrderRow(order));
    RunAndReset(*upsert_);

    delete_items_->BindText(1, order.id);
    RunAndReset(*delete_items_);

    Statement& insert_item = *insert_item_;
    for (const OrderItem& item : order.items) {
      insert_item.BindText(1, order.id)
          .BindText(2, item.id)
          .BindText(3, item.product_id)
          .BindText(4, item.sku)
          .BindText(5, item.name)
          .BindInt64(6, item.quantity)
          .Bind(7, item.unit_price_amount);
      RunAndReset(insert_item);
    }
  }

  void Commit() override {
    staging_transaction_->Commit();
    upsert_.reset();
    delete_items_.reset();
    insert_item_.reset();
    const std::int64_t staged = QueryInt(*staging_, "SELECT count(*) FROM main.orders");
    if (staged == 0) return;

    staging_->Exec(kStoreSettings);
    sqlite::Transaction merge(*staging_, sqlite::TransactionKind::kImmediate);
    std::vector<std::string> deferred_indexes;
    const std::int64_t in_store = QueryInt(*staging_, "SELECT count(*) FROM store.orders");
    if (staged >= kBulkImport && staged >= in_store) deferred_indexes = DropStoreIndexes();
    staging_->Exec(kMergeDeleteItemsSql);
    staging_->Exec(MergeOrdersSql());
    staging_->Exec(kMergeItemsSql);
    // Rebuilt inside the same transaction: readers never see the store
    // without its indexes, and a failure here rolls everything back.
    for (const std::string& create : deferred_indexes) staging_->Exec(create);
    merge.Commit();
  }

 private:
  // The store's own CREATE TABLE statements for orders and order_items,
  // run in the staging database: same columns, defaults and constraints,
  // so a value the store would refuse is refused while staging, and the
  // merge can copy rows column for column. Secondary indexes are left out:
  // staging only needs the primary keys (for re-imported ids).
  void CreateStagingTables() {
    Statement tables = staging_->PrepareUncached(
        "SELECT name, sql FROM store.sqlite_master WHERE type = 'table'"
        " AND name IN ('orders', 'order_items') ORDER BY name DESC");  // orders first
    int created = 0;
    while (tables.Step()) {
      staging_->Exec(tables.ColumnString(1));
      ++created;
    }
    if (created != 2) {
      throw StoreError("the store has no orders/order_items tables; is it a jobsd store?",
                       /*transient=*/false);
    }
  }

  // A merge as big as the store itself drops the store's secondary indexes
  // of orders and order_items and builds them again before it commits.
  // Building an index sorts once; maintaining it inserts one random key per
  // row into a B-tree far bigger than the page cache, which made a
  // million-order seed several times slower. DDL is transactional in
  // SQLite: other connections keep seeing the old schema and data until the
  // commit, and a rollback brings the indexes back untouched.
  std::vector<std::string> DropStoreIndexes() {
    Statement select = staging_->PrepareUncached(
        "SELECT name, sql FROM store.sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('orders', 'order_items') ORDER BY name");
    std::vector<std::string> names;
    std::vector<std::string> creates;
    while (select.Step()) {
      names.push_back(select.ColumnString(0));
      creates.push_back(QualifiedCreateIndex(select.ColumnString(1)));
    }
    for (const std::string& name : names) staging_->Exec("DROP INDEX store.\"" + name + "\"");
    return creates;
  }

  // Every parameter is bound again for the next row, so only a reset is
  // needed; on an error the statement must not stay mid-step either.
  static void RunAndReset(Statement& statement) {
    try {
      statement.Run();
    } catch (...) {
      statement.Reset();
      throw;
    }
    statement.Reset();
  }

  static constexpr std::int64_t kBulkImport = 10'000;

  std::unique_ptr<Connection> staging_;  // declared first: outlives everything below
  // Prepared once per import rather than once per order: Put is the hot
  // loop of a million-order seed. Finalized before the merge.
  std::optional<Statement> upsert_;
  std::optional<Statement> delete_items_;
  std::optional<Statement> insert_item_;
  std::optional<sqlite::Transaction> staging_transaction_;
};

}  // namespace

std::unique_ptr<OrderImport> BeginStagedOrderImport(const DatabaseOptions& store) {
  return std::make_unique<StagedOrderImport>(store);
}

}  // namespace jobsd::storage
