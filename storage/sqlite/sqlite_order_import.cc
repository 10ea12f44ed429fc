#include "storage/sqlite/sqlite_order_import.h"

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/sqlite/order_columns_sql.h"
#include "storage/sqlite/sqlite.h"

namespace jobsd::storage {
namespace {

using sqlite::Connection;
using sqlite::Statement;

// Values computed once per order, at import.
struct Derived {
  std::int64_t item_count = 0;
  std::string product_skus;
};

// How each orders column gets its value from an Order. Listed in
// kOrderColumns order; CheckBinders() proves the two lists agree.
using Binder = void (*)(Statement&, int, const Order&, const Derived&);
struct ColumnBinder {
  std::string_view name;
  Binder bind;
};

// clang-format off
#define JOBSD_TEXT(field) \
  {#field, [](Statement& s, int i, const Order& o, const Derived&) { s.BindText(i, o.field); }}
#define JOBSD_NUMBER(field) \
  {#field, [](Statement& s, int i, const Order& o, const Derived&) { s.Bind(i, o.field); }}
#define JOBSD_ADDRESS(address, field)                                                   \
  {#address "_" #field, [](Statement& s, int i, const Order& o, const Derived&) {      \
     s.BindText(i, o.address##_address.field);                                          \
   }}
// clang-format on

const ColumnBinder kBinders[] = {
    JOBSD_TEXT(id),
    JOBSD_TEXT(order_number),
    JOBSD_TEXT(external_ref),
    JOBSD_TEXT(status),
    JOBSD_TEXT(payment),
    JOBSD_TEXT(shipping),
    {"anonymized",
     [](Statement& s, int i, const Order& o, const Derived&) {
       if (o.anonymized) {
         s.BindInt64(i, *o.anonymized ? 1 : 0);
       } else {
         s.BindNull(i);
       }
     }},
    JOBSD_TEXT(customer_id),
    JOBSD_TEXT(customer_name),
    JOBSD_TEXT(customer_email),
    JOBSD_TEXT(account_id),
    JOBSD_TEXT(account_member_id),
    JOBSD_TEXT(contact_name),
    JOBSD_TEXT(contact_email),
    JOBSD_TEXT(currency),
    JOBSD_NUMBER(with_tax),
    JOBSD_NUMBER(without_tax),
    JOBSD_NUMBER(tax),
    JOBSD_NUMBER(discount),
    JOBSD_NUMBER(shipping_amount),
    JOBSD_NUMBER(balance_owing),
    JOBSD_NUMBER(paid),
    JOBSD_NUMBER(authorized),
    {"item_count",
     [](Statement& s, int i, const Order&, const Derived& d) { s.BindInt64(i, d.item_count); }},
    {"product_skus",
     [](Statement& s, int i, const Order&, const Derived& d) { s.BindText(i, d.product_skus); }},
    JOBSD_ADDRESS(shipping, first_name),
    JOBSD_ADDRESS(shipping, last_name),
    JOBSD_ADDRESS(shipping, phone_number),
    JOBSD_ADDRESS(shipping, company_name),
    JOBSD_ADDRESS(shipping, line_1),
    JOBSD_ADDRESS(shipping, line_2),
    JOBSD_ADDRESS(shipping, city),
    JOBSD_ADDRESS(shipping, postcode),
    JOBSD_ADDRESS(shipping, county),
    JOBSD_ADDRESS(shipping, country),
    JOBSD_ADDRESS(shipping, region),
    JOBSD_ADDRESS(shipping, instructions),
    JOBSD_ADDRESS(billing, first_name),
    JOBSD_ADDRESS(billing, last_name),
    JOBSD_ADDRESS(billing, company_name),
    JOBSD_ADDRESS(billing, line_1),
    JOBSD_ADDRESS(billing, line_2),
    JOBSD_ADDRESS(billing, city),
    JOBSD_ADDRESS(billing, postcode),
    JOBSD_ADDRESS(billing, county),
    JOBSD_ADDRESS(billing, country),
    JOBSD_ADDRESS(billing, region),
    JOBSD_NUMBER(created_at),
    JOBSD_NUMBER(updated_at),
};

#undef JOBSD_TEXT
#undef JOBSD_NUMBER
#undef JOBSD_ADDRESS

static_assert(std::size(kBinders) == kOrderColumnCount);

void CheckBinders() {
  for (std::size_t i = 0; i < kOrderColumnCount; ++i) {
    if (kBinders[i].name != kOrderColumns[i].name) {
      throw std::logic_error("order column " + std::to_string(i) + " is " +
                             std::string(kOrderColumns[i].name) + " but storage binds " +
                             std::string(kBinders[i].name));
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
    CheckBinders();
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
// fsync; its page cache is large enough that a typical import never spills.
constexpr std::string_view kStagingSettings =
    "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;"
    // Every item's order is staged before the item, in the same session:
    // the per-item foreign-key lookup could never fail. It stays off for
    // the merge, where the same holds (items come with their orders).
    "PRAGMA foreign_keys = OFF; PRAGMA temp_store = MEMORY";
// For the merge: the store's index B-trees (or their rebuild, see
// DeferStoreIndexes) stay in memory instead of spilling page by page; FULL
// as on every store connection (database.cc), and the WAL that a big import
// blows up is truncated again after the next checkpoint.
constexpr std::string_view kStoreSettings =
    "PRAGMA store.cache_size = -262144; PRAGMA store.synchronous = FULL;"
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
    Derived derived{ItemCount(order), ProductSkus(order)};
    Statement& upsert = *upsert_;
    for (std::size_t i = 0; i < kOrderColumnCount; ++i) {
      kBinders[i].bind(upsert, static_cast<int>(i) + 1, order, derived);
    }
    RunAndReset(upsert);

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
