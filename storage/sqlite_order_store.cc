#include "storage/sqlite_order_store.h"

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/filter_sql.h"
#include "storage/sqlite.h"

namespace jobsd::storage {
namespace {

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

std::string ColumnList() {
  std::string list;
  for (const OrderColumn& column : kOrderColumns) {
    if (!list.empty()) list += ", ";
    list += column.name;
  }
  return list;
}

// INSERT of every column; on an existing id, every column but id replaced.
const std::string& UpsertSql() {
  static const std::string sql = [] {
    CheckBinders();
    std::string placeholders, updates;
    for (const OrderColumn& column : kOrderColumns) {
      placeholders += placeholders.empty() ? "?" : ", ?";
      if (column.name == "id") continue;
      if (!updates.empty()) updates += ", ";
      updates += std::string(column.name) + " = excluded." + std::string(column.name);
    }
    return "INSERT INTO orders (" + ColumnList() + ") VALUES (" + placeholders +
           ") ON CONFLICT (id) DO UPDATE SET " + updates;
  }();
  return sql;
}

const std::string& SelectColumnsSql() {
  static const std::string sql = "SELECT " + ColumnList() + " FROM orders";
  return sql;
}

// Import-time page cache (256 MiB instead of SQLite's 2 MiB): the index
// B-trees of a big import stay in memory instead of spilling to the WAL
// page by page. Given back when the import ends.
constexpr std::string_view kImportCacheSize = "PRAGMA cache_size = -262144";
constexpr std::string_view kDefaultCacheSize = "PRAGMA cache_size = -2000";
// The sorts of the deferred index rebuilds (DeferIndexes) run in memory
// instead of through temporary files.
constexpr std::string_view kImportTempStore = "PRAGMA temp_store = MEMORY";
constexpr std::string_view kDefaultTempStore = "PRAGMA temp_store = DEFAULT";
// No foreign-key check per item during the import: Put writes each order
// before its items, inside the same transaction, so every item's order_id
// exists by construction and the check (one B-tree lookup per item) can
// never fail. The pragma is a no-op inside a transaction, hence set before
// BEGIN and restored after the transaction ends (committed or not).
constexpr std::string_view kImportForeignKeys = "PRAGMA foreign_keys = OFF";
constexpr std::string_view kDefaultForeignKeys = "PRAGMA foreign_keys = ON";

constexpr std::string_view kDeleteItemsSql = "DELETE FROM order_items WHERE order_id = ?";
constexpr std::string_view kInsertItemSql =
    "INSERT INTO order_items (order_id, id, product_id, sku, name, quantity,"
    " unit_price_amount) VALUES (?, ?, ?, ?, ?, ?, ?)"
    // A repeated item id within one order: the last one wins.
    " ON CONFLICT (order_id, id) DO UPDATE SET product_id = excluded.product_id,"
    " sku = excluded.sku, name = excluded.name, quantity = excluded.quantity,"
    " unit_price_amount = excluded.unit_price_amount";

class SqliteOrderImport final : public OrderImport {
 public:
  explicit SqliteOrderImport(ConnectionLease connection)
      : connection_(std::move(connection)),
        // Looked up once per import rather than once per order: Put is the
        // hot loop of a million-order seed.
        upsert_(connection_->Prepare(UpsertSql())),
        delete_items_(connection_->Prepare(kDeleteItemsSql)),
        insert_item_(connection_->Prepare(kInsertItemSql)) {
    try {
      connection_->Exec(kImportCacheSize);
      connection_->Exec(kImportTempStore);
      connection_->Exec(kImportForeignKeys);
      transaction_.emplace(*connection_, sqlite::TransactionKind::kImmediate);
      auto count = connection_->Prepare("SELECT count(*) FROM orders");
      count->Step();
      rows_before_ = count->ColumnInt64(0);
    } catch (...) {
      // The destructor does not run for a constructor that throws; the
      // connection must not go back to the pool with the import settings.
      transaction_.reset();
      RestoreSettings();
      throw;
    }
  }

  ~SqliteOrderImport() override {
    transaction_.reset();  // rolls back unless committed
    RestoreSettings();
  }

  void Put(const Order& order) override {
    Derived derived{ItemCount(order), ProductSkus(order)};
    for (std::size_t i = 0; i < kOrderColumnCount; ++i) {
      kBinders[i].bind(*upsert_, static_cast<int>(i) + 1, order, derived);
    }
    RunAndReset(*upsert_);

    delete_items_->BindText(1, order.id);
    RunAndReset(*delete_items_);

    for (const OrderItem& item : order.items) {
      insert_item_->BindText(1, order.id)
          .BindText(2, item.id)
          .BindText(3, item.product_id)
          .BindText(4, item.sku)
          .BindText(5, item.name)
          .BindInt64(6, item.quantity)
          .Bind(7, item.unit_price_amount);
      RunAndReset(*insert_item_);
    }
    if (++puts_ % kBulkCheckInterval == 0 && deferred_indexes_.empty() && puts_ >= rows_before_) {
      DeferIndexes();
    }
  }

  void Commit() override {
    // Rebuilt inside the same transaction: readers never see the store
    // without its indexes, and a failure here rolls everything back.
    for (const std::string& create : deferred_indexes_) connection_->Exec(create);
    transaction_->Commit();
  }

 private:
  // Back to what OpenConnection set, before the connection returns to the
  // pool: foreign keys first, every other user relies on ON DELETE CASCADE.
  void RestoreSettings() noexcept {
    try {
      connection_->Exec(kDefaultForeignKeys);
      connection_->Exec(kDefaultCacheSize);
      connection_->Exec(kDefaultTempStore);
    } catch (...) {
      // Outside a transaction these pragmas only fail when out of memory;
      // there is nobody to report it to from a destructor.
    }
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

  // A big import (as many orders as the store already holds, and at least
  // kBulkCheckInterval) drops the secondary indexes of orders and
  // order_items and builds them again at Commit. Building an index sorts
  // once; maintaining it inserts one random key per row into a B-tree far
  // bigger than the page cache, which made a million-order seed several
  // times slower. DDL is transactional in SQLite: other connections keep
  // seeing the old schema and data until Commit, and a rollback brings the
  // indexes back untouched.
  void DeferIndexes() {
    auto select = connection_->PrepareUncached(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('orders', 'order_items') ORDER BY name");
    std::vector<std::string> names;
    while (select.Step()) {
      names.push_back(select.ColumnString(0));
      deferred_indexes_.push_back(select.ColumnString(1));
    }
    for (const std::string& name : names) connection_->Exec("DROP INDEX \"" + name + "\"");
  }

  static constexpr std::int64_t kBulkCheckInterval = 10'000;

  ConnectionLease connection_;  // declared first: outlives everything below
  sqlite::CachedStatement upsert_;
  sqlite::CachedStatement delete_items_;
  sqlite::CachedStatement insert_item_;
  std::optional<sqlite::Transaction> transaction_;
  std::int64_t rows_before_ = 0;
  std::int64_t puts_ = 0;
  std::vector<std::string> deferred_indexes_;  // CREATE INDEX statements to run at Commit
};

}  // namespace

std::unique_ptr<OrderImport> SqliteOrderStore::BeginImport() {
  return std::make_unique<SqliteOrderImport>(pool_.Borrow());
}

std::int64_t SqliteOrderStore::ScanOrders(const filter::Filter& filter, OrderRowSink& sink) {
  SqlWhere where = CompileOrderFilter(filter);
  auto connection = pool_.Borrow();

  auto scan = [&](Statement& select) {
    ColumnValue values[kOrderColumnCount];
    std::int64_t rows = 0;
    while (select.Step()) {
      for (std::size_t i = 0; i < kOrderColumnCount; ++i) {
        const int column = static_cast<int>(i);
        ColumnValue& value = values[i];
        value.is_null = select.IsNull(column);
        value.text = {};
        value.number = 0;
        if (value.is_null) continue;
        if (kOrderColumns[i].kind == ColumnKind::kText) {
          value.text = select.ColumnText(column);  // a view into SQLite's row
        } else {
          value.number = select.ColumnInt64(column);
        }
      }
      sink.OnRow(values);
      ++rows;
    }
    return rows;
  };

  if (where.sql.empty()) {
    auto select = connection->Prepare(SelectColumnsSql() + " ORDER BY created_at, id");
    return scan(*select);
  }
  // Filtered SQL varies, so it is not cached.
  Statement select = connection->PrepareUncached(SelectColumnsSql() + " WHERE " + where.sql +
                                                 " ORDER BY created_at, id");
  int index = 1;
  for (const SqlParam& param : where.params) {
    std::visit([&](const auto& value) { select.Bind(index, value); }, param);
    ++index;
  }
  return scan(select);
}

std::int64_t SqliteOrderStore::CountOrders() {
  auto connection = pool_.Borrow();
  auto count = connection->Prepare("SELECT count(*) FROM orders");
  count->Step();
  return count->ColumnInt64(0);
}

}  // namespace jobsd::storage
