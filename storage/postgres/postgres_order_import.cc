#include "storage/postgres/postgres_order_import.h"

#include <stdexcept>
#include <string>
#include <string_view>

#include "engine/orders/order_row.h"
#include "storage/postgres/pg_copy.h"
#include "storage/sqlite/order_columns_sql.h"

namespace jobsd::storage {
namespace {

using pg::CopyRows;

// Appends one order's row (engine/orders/order_row.h) as COPY fields.
void WriteRow(CopyRows& rows, const OrderRow& row) {
  for (std::size_t i = 0; i < kOrderColumnCount; ++i) {
    const ColumnValue& value = row.values()[i];
    if (value.is_null) {
      rows.Null();
      continue;
    }
    switch (kOrderColumns[i].kind) {
      case ColumnKind::kText:
        rows.Text(value.text, kOrderColumns[i].name);
        break;
      case ColumnKind::kBoolean:
        rows.Bool(value.number != 0);
        break;
      case ColumnKind::kInteger:
      case ColumnKind::kTimestamp:
        rows.Int64(value.number);
        break;
    }
  }
}

// The staging tables: the store's columns (LIKE copies types, collations,
// NOT NULL and defaults) plus the sequence of the Put that staged the row,
// since an order put twice in one import is replaced by the later Put, as
// are the items of an order whose item id repeats. No keys: COPY only
// appends, and the merge sorts anyway.
constexpr std::string_view kCreateStagingSql =
    "DROP TABLE IF EXISTS pg_temp.jobsd_import_orders, pg_temp.jobsd_import_items;"
    " CREATE TEMP TABLE jobsd_import_orders (import_seq bigint NOT NULL,"
    " LIKE orders INCLUDING DEFAULTS);"
    " CREATE TEMP TABLE jobsd_import_items (import_seq bigint NOT NULL,"
    " item_seq bigint NOT NULL, LIKE order_items INCLUDING DEFAULTS)";
constexpr std::string_view kDropStagingSql =
    "DROP TABLE IF EXISTS pg_temp.jobsd_import_orders, pg_temp.jobsd_import_items";
// Fresh statistics, so that the merge's plans fit what was staged (a few
// orders into a big store: index lookups; a big import: hash joins).
// Autovacuum never analyzes temporary tables.
constexpr std::string_view kAnalyzeStagingSql =
    "ANALYZE pg_temp.jobsd_import_orders, pg_temp.jobsd_import_items";

constexpr std::string_view kItemColumns =
    "order_id, id, product_id, sku, name, quantity, unit_price_amount";

const std::string& CopyOrdersSql() {
  static const std::string sql =
      "COPY pg_temp.jobsd_import_orders (import_seq, " + OrderColumnList() + ") FROM STDIN";
  return sql;
}

const std::string& CopyItemsSql() {
  static const std::string sql = "COPY pg_temp.jobsd_import_items (import_seq, item_seq, " +
                                 std::string(kItemColumns) + ") FROM STDIN";
  return sql;
}

// The merge. Items of every staged order go first: a re-imported order's
// items are replaced, not merged (the file's order is the whole truth about
// that order). Then the last Put of each id, in id order (the primary key
// receives its keys in order), replaces any stored order of that id. Then
// the items of those last Puts, the last of each repeated item id.
constexpr std::string_view kMergeDeleteItemsSql =
    "DELETE FROM order_items WHERE order_id IN (SELECT id FROM pg_temp.jobsd_import_orders)";

const std::string& MergeOrdersSql() {
  static const std::string sql = [] {
    std::string updates;
    for (const OrderColumn& column : kOrderColumns) {
      if (column.name == "id") continue;
      if (!updates.empty()) updates += ", ";
      updates += std::string(column.name) + " = excluded." + std::string(column.name);
    }
    return "INSERT INTO orders (" + OrderColumnList() + ") SELECT DISTINCT ON (id) " +
           OrderColumnList() +
           " FROM pg_temp.jobsd_import_orders ORDER BY id, import_seq DESC"
           " ON CONFLICT (id) DO UPDATE SET " +
           updates;
  }();
  return sql;
}

const std::string& MergeItemsSql() {
  static const std::string sql =
      "INSERT INTO order_items (" + std::string(kItemColumns) +
      ") SELECT DISTINCT ON (i.order_id, i.id) i.order_id, i.id, i.product_id, i.sku, i.name,"
      " i.quantity, i.unit_price_amount FROM pg_temp.jobsd_import_items i"
      " JOIN (SELECT id, max(import_seq) AS import_seq FROM pg_temp.jobsd_import_orders"
      " GROUP BY id) last ON last.id = i.order_id AND last.import_seq = i.import_seq"
      " ORDER BY i.order_id, i.id, i.item_seq DESC";
  return sql;
}

class CopyOrderImport final : public OrderImport {
 public:
  explicit CopyOrderImport(pg::Pool& pool) : lease_(pool.Borrow()) {
    // COPY data is read in the client encoding; jobsd's text is UTF-8.
    lease_->Exec("SET client_encoding = 'UTF8'");
    lease_->Exec(kCreateStagingSql);
  }

  ~CopyOrderImport() override {
    // Committed or not, the staging tables go: the connection returns to
    // the pool. A lost connection took them with it.
    if (!lease_->healthy()) return;
    try {
      if (lease_->InTransaction()) lease_->Exec("ROLLBACK");
      lease_->Exec(kDropStagingSql);
    } catch (...) {
      // The pool drops the connection if it is broken.
    }
  }

  CopyOrderImport(const CopyOrderImport&) = delete;
  CopyOrderImport& operator=(const CopyOrderImport&) = delete;

  void Put(const Order& order) override {
    const CopyRows::Mark orders_mark = orders_.Here();
    const CopyRows::Mark items_mark = items_.Here();
    const std::int64_t items_staged = items_staged_;
    ++puts_;
    try {
      orders_.Int64(puts_);
      WriteRow(orders_, OrderRow(order));
      orders_.EndRow();
      for (const OrderItem& item : order.items) {
        items_.Int64(puts_).Int64(++items_staged_);
        items_.Text(order.id, "id")
            .Text(item.id, "items.id")
            .Text(item.product_id, "items.product_id")
            .Text(item.sku, "items.sku")
            .Text(item.name, "items.name")
            .Int64(item.quantity)
            .Int64(item.unit_price_amount);
        items_.EndRow();
      }
    } catch (const pg::PgError& error) {
      // Nothing of this order stays: the import may go on without it.
      orders_.Rewind(orders_mark);
      items_.Rewind(items_mark);
      items_staged_ = items_staged;
      --puts_;
      throw pg::PgError("order " + order.id + ": " + error.what(), error.sqlstate(),
                        error.transient(), error.fault());
    }
    if (orders_.bytes() + items_.bytes() >= kFlushBytes) Flush();
  }

  void Commit() override {
    Flush();
    if (puts_ == 0) return;
    lease_->Exec(kAnalyzeStagingSql);
    for (int attempt = 1;; ++attempt) {
      try {
        Merge();
        return;
      } catch (const pg::PgError& error) {
        // Another import merging the same orders at the same moment may
        // deadlock with this one: the staged rows are still here, so the
        // merge can simply run again.
        if (!error.conflict() || attempt >= kMergeAttempts) throw;
      }
    }
  }

 private:
  void Flush() {
    if (orders_.rows() > 0) pg::CopyIn(*lease_, CopyOrdersSql(), orders_);
    if (items_.rows() > 0) pg::CopyIn(*lease_, CopyItemsSql(), items_);
    orders_.Clear();
    items_.Clear();
  }

  void Merge() {
    pg::Transaction merge(*lease_);
    lease_->RunOnce(std::string(kMergeDeleteItemsSql));
    lease_->RunOnce(MergeOrdersSql());
    lease_->RunOnce(MergeItemsSql());
    merge.Commit();
  }

  // Rows are sent when the buffers reach this size: large enough that a
  // COPY per flush costs nothing next to its rows, small enough to keep the
  // client's memory flat.
  static constexpr std::size_t kFlushBytes = 4 << 20;
  static constexpr int kMergeAttempts = 5;

  pg::Lease lease_;
  CopyRows orders_;
  CopyRows items_;
  std::int64_t puts_ = 0;
  std::int64_t items_staged_ = 0;
};

}  // namespace

std::unique_ptr<OrderImport> BeginCopyOrderImport(pg::Pool& pool) {
  return std::make_unique<CopyOrderImport>(pool);
}

}  // namespace jobsd::storage
