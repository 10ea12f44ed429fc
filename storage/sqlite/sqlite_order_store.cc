#include "storage/sqlite/sqlite_order_store.h"

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/filter_sql.h"
#include "storage/sqlite/order_columns_sql.h"
#include "storage/sqlite/sqlite.h"
#include "storage/sqlite/sqlite_order_import.h"

namespace jobsd::storage {
namespace {

using sqlite::Statement;
using sqlite::Transaction;

const std::string& SelectColumnsSql() {
  static const std::string sql = "SELECT " + OrderColumnList() + " FROM orders";
  return sql;
}

}  // namespace

std::unique_ptr<OrderImport> SqliteOrderStore::BeginImport() {
  return BeginStagedOrderImport(options_);
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

  auto bind = [&where](Statement& statement) {
    int index = 1;
    for (const SqlParam& param : where.params) {
      std::visit([&](const auto& value) { statement.Bind(index, value); }, param);
      ++index;
    }
  };

  // One read transaction: the count and the rows see the same orders, so
  // rows_total is what the scan delivers, whatever an import commits
  // meanwhile.
  Transaction snapshot(*connection, sqlite::TransactionKind::kDeferred);
  std::int64_t rows = 0;
  if (where.sql.empty()) {
    auto count = connection->Prepare("SELECT count(*) FROM orders");
    count->Step();
    sink.OnTotal(count->ColumnInt64(0));
    auto select = connection->Prepare(SelectColumnsSql() + " ORDER BY created_at, id");
    rows = scan(*select);
  } else {
    // Filtered SQL follows the filter's shape: the latest shapes stay prepared.
    auto count = connection->PrepareShaped("SELECT count(*) FROM orders WHERE " + where.sql);
    bind(*count);
    count->Step();
    sink.OnTotal(count->ColumnInt64(0));
    auto select = connection->PrepareShaped(SelectColumnsSql() + " WHERE " + where.sql +
                                            " ORDER BY created_at, id");
    bind(*select);
    rows = scan(*select);
  }
  snapshot.Commit();
  return rows;
}

std::int64_t SqliteOrderStore::CountOrders() {
  auto connection = pool_.Borrow();
  auto count = connection->Prepare("SELECT count(*) FROM orders");
  count->Step();
  return count->ColumnInt64(0);
}

}  // namespace jobsd::storage
