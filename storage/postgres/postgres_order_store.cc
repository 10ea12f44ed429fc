#include "storage/postgres/postgres_order_store.h"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "storage/filter_sql.h"
#include "storage/postgres/pg_copy.h"
#include "storage/postgres/postgres_order_import.h"
#include "storage/sqlite/order_columns_sql.h"

namespace jobsd::storage {
namespace {

// A binary int8: 8 bytes, most significant first.
std::int64_t BigEndianInt64(const char* bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return static_cast<std::int64_t>(value);
}

// Binary COPY says nothing of types, so each value is checked against what
// its ColumnKind must arrive as (int8: 8 bytes, bool: 1): a schema that
// drifted from kOrderColumns fails instead of being decoded as garbage.
[[noreturn]] void WrongSize(std::size_t column, std::int32_t size) {
  throw StoreError("orders column " + std::string(kOrderColumns[column].name) + " came as " +
                       std::to_string(size) + " bytes, not as its type",
                   /*transient=*/false);
}

// One COPY row to `sink`; views point into the row.
void DeliverRow(const pg::CopyField* row, ColumnValue* values, OrderRowSink& sink) {
  for (std::size_t i = 0; i < kOrderColumnCount; ++i) {
    const pg::CopyField& field = row[i];
    ColumnValue& value = values[i];
    value.is_null = field.null();
    value.text = {};
    value.number = 0;
    if (value.is_null) continue;
    switch (kOrderColumns[i].kind) {
      case ColumnKind::kText:
        value.text = field.bytes();
        break;
      case ColumnKind::kBoolean:
        if (field.size != 1) WrongSize(i, field.size);
        value.number = field.data[0] != 0 ? 1 : 0;
        break;
      case ColumnKind::kInteger:
      case ColumnKind::kTimestamp:
        if (field.size != 8) WrongSize(i, field.size);
        value.number = BigEndianInt64(field.data);
        break;
    }
  }
  sink.OnRow(values);
}

// The filter's values as the settings its SQL reads them from
// (SqlDialect::PostgresSettings): COPY takes no parameters, and values are
// never spliced into SQL. Local to the transaction.
void SetFilterValues(pg::Connection& connection, const std::vector<SqlParam>& values) {
  if (values.empty()) return;
  std::string sql = "SELECT ";
  pg::Params params;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const int n = static_cast<int>(i) + 1;
    if (i > 0) sql += ", ";
    sql += "set_config('" + FilterSettingName(n) + "', $" + std::to_string(n) + ", true)";
    std::visit([&](const auto& value) { params.Add(value); }, values[i]);
  }
  connection.RunOnce(sql, params);
}

// One scan in a REPEATABLE READ READ ONLY transaction, so that the count
// and the rows come from one snapshot (orders merged meanwhile are not half
// seen). The rows come as a binary COPY: the server sends them while the
// sink formats the previous ones, in constant memory, and both sides do
// less per row than for a SELECT's results (measured in the README).
// `delivered` counts the rows handed out so far, for the caller's retry.
std::int64_t Scan(pg::Connection& connection, const SqlWhere& where, OrderRowSink& sink,
                  std::int64_t& delivered) {
  pg::Transaction snapshot(connection, pg::Isolation::kRepeatableRead, /*read_only=*/true);
  // The bytes of the text values as stored, which are UTF-8.
  connection.Exec("SET LOCAL client_encoding = 'UTF8'");
  SetFilterValues(connection, where.params);
  const std::string condition = where.sql.empty() ? "" : " WHERE " + where.sql;
  // The first query takes the snapshot: the count and the rows read the
  // same orders.
  sink.OnTotal(connection.RunOnce("SELECT count(*) FROM orders" + condition).Int64(0, 0));
  // id by bytes, as SQLite's BINARY collation orders it (the column is
  // COLLATE "C" already; saying so keeps the order if that ever changes).
  const std::string copy = "COPY (SELECT " + OrderColumnList() + " FROM orders" + condition +
                           " ORDER BY created_at, id COLLATE \"C\") TO STDOUT (FORMAT binary)";
  ColumnValue values[kOrderColumnCount];
  pg::CopyOut(connection, copy, static_cast<int>(kOrderColumnCount), [&](const pg::CopyField* row) {
    DeliverRow(row, values, sink);
    ++delivered;
  });
  snapshot.Commit();
  return delivered;
}

}  // namespace

std::unique_ptr<OrderImport> PostgresOrderStore::BeginImport() {
  return BeginCopyOrderImport(pool_);
}

std::int64_t PostgresOrderStore::ScanOrders(const filter::Filter& filter, OrderRowSink& sink) {
  const SqlWhere where = CompileOrderFilter(filter, SqlDialect::PostgresSettings());
  for (int attempt = 1;; ++attempt) {
    std::int64_t delivered = 0;
    try {
      pg::Lease lease = pool_.Borrow();
      return Scan(*lease, where, sink, delivered);
    } catch (const pg::PgError& error) {
      // A pooled connection the server dropped (restart, idle timeout)
      // fails before the first row: another one may well work. Once rows
      // are out, the sink has them: the caller must start over.
      const bool lost = error.fault() == StoreFault::kIo;
      if (delivered > 0 || !lost || attempt >= kScanAttempts) throw;
    }
  }
}

std::int64_t PostgresOrderStore::CountOrders() {
  return pg::WithConnection(
      pool_, [](pg::Connection& c) { return c.Run("SELECT count(*) FROM orders").Int64(0, 0); });
}

}  // namespace jobsd::storage
