#include "storage/postgres/postgres_order_store.h"

#include <libpq-fe.h>

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

// Type OIDs of the binary results (pg_type.dat): what each ColumnKind must
// arrive as for the decoding below to be right.
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;

Oid ExpectedType(ColumnKind kind) {
  switch (kind) {
    case ColumnKind::kText:
      return kTextOid;
    case ColumnKind::kBoolean:
      return kBoolOid;
    case ColumnKind::kInteger:
    case ColumnKind::kTimestamp:
      break;
  }
  return kInt8Oid;
}

// A binary int8: 8 bytes, most significant first.
std::int64_t BigEndianInt64(const char* bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return static_cast<std::int64_t>(value);
}

// A schema that drifted from kOrderColumns would be decoded as garbage:
// checked on the first row of every scan.
void CheckColumnTypes(const PGresult* result) {
  for (std::size_t i = 0; i < kOrderColumnCount; ++i) {
    const Oid type = PQftype(result, static_cast<int>(i));
    if (type != ExpectedType(kOrderColumns[i].kind)) {
      throw StoreError("orders column " + std::string(kOrderColumns[i].name) + " has type OID " +
                           std::to_string(type) + ", expected " +
                           std::to_string(ExpectedType(kOrderColumns[i].kind)),
                       /*transient=*/false);
    }
  }
}

// Binary COPY says nothing of types, so each value is checked for the size
// its ColumnKind must arrive in (int8: 8 bytes, bool: 1): a schema that
// drifted from kOrderColumns fails instead of being decoded as garbage
// (most drifts: an 8-byte type other than int8 would pass; every scan
// checks the type OIDs first).
[[noreturn]] void WrongSize(std::size_t column, std::int32_t size) {
  throw StoreError("orders column " + std::string(kOrderColumns[column].name) + " came as " +
                       std::to_string(size) + " bytes, not as its type",
                   /*transient=*/false);
}

// Column `column`'s binary value (`size` bytes at `data`, -1 for NULL) as
// the sink takes it; a text view points into `data`.
void DecodeValue(std::size_t column, const char* data, std::int32_t size, ColumnValue& value) {
  value.is_null = size < 0;
  value.text = {};
  value.number = 0;
  if (value.is_null) return;
  switch (kOrderColumns[column].kind) {
    case ColumnKind::kText:
      value.text = {data, static_cast<std::size_t>(size)};
      break;
    case ColumnKind::kBoolean:
      if (size != 1) WrongSize(column, size);
      value.number = data[0] != 0 ? 1 : 0;
      break;
    case ColumnKind::kInteger:
    case ColumnKind::kTimestamp:
      if (size != 8) WrongSize(column, size);
      value.number = BigEndianInt64(data);
      break;
  }
}

// One COPY row to `sink`; views point into the row.
void DeliverCopyRow(const pg::CopyField* row, ColumnValue* values, OrderRowSink& sink) {
  for (std::size_t i = 0; i < kOrderColumnCount; ++i)
    DecodeValue(i, row[i].data, row[i].size, values[i]);
  sink.OnRow(values);
}

// The filter's values, as the transaction's settings its SQL reads
// (SqlDialect::PostgresSettings): COPY takes no parameters, and values are
// never spliced into SQL. One SELECT sets them all: a filter has at most 10
// conditions of at most two values each (an `in` list is one array), far
// from the 1,664 columns a SELECT may have.
void SetFilterValues(pg::Connection& connection, const std::vector<SqlParam>& params) {
  if (params.empty()) return;
  std::string sql = "SELECT ";
  pg::Params values;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int n = static_cast<int>(i) + 1;
    if (i > 0) sql += ", ";
    sql += "set_config('" + FilterSettingName(n) + "', $" + std::to_string(n) + ", true)";
    if (const auto* number = std::get_if<std::int64_t>(&params[i])) {
      values.Add(std::to_string(*number));
    } else {
      values.Add(std::get<std::string>(params[i]));
    }
  }
  connection.RunOnce(sql, values);
}

// One scan in a REPEATABLE READ READ ONLY transaction, so that the count
// and the rows come from one snapshot (orders merged meanwhile are not half
// seen). The rows come as a binary COPY (no text parsing of numbers, each
// row one buffer) while the sink formats the previous ones, in constant
// memory; a filter's values reach it as settings of the transaction.
// `delivered` counts the rows handed out so far, for the caller's retry.
std::int64_t Scan(pg::Connection& connection, const SqlWhere& where, OrderRowSink& sink,
                  std::int64_t& delivered) {
  pg::Transaction snapshot(connection, pg::Isolation::kRepeatableRead, /*read_only=*/true);
  // The bytes of the text values as stored, which are UTF-8.
  connection.Exec("SET LOCAL client_encoding = 'UTF8'");
  SetFilterValues(connection, where.params);
  // Binary COPY says nothing of types: a schema that drifted from
  // kOrderColumns fails here rather than be decoded as garbage.
  CheckColumnTypes(connection
                       .Run("SELECT " + OrderColumnList() + " FROM orders LIMIT 0", {},
                            pg::ResultFormat::kBinary)
                       .get());
  const std::string where_clause = where.sql.empty() ? "" : " WHERE " + where.sql;
  sink.OnTotal(connection.RunOnce("SELECT count(*) FROM orders" + where_clause).Int64(0, 0));
  ColumnValue values[kOrderColumnCount];
  // id by bytes, as SQLite's BINARY collation orders it (the column is
  // COLLATE "C" already; saying so keeps the order if that ever changes).
  pg::CopyOut(connection,
              "COPY (SELECT " + OrderColumnList() + " FROM orders" + where_clause +
                  " ORDER BY created_at, id COLLATE \"C\") TO STDOUT (FORMAT binary)",
              static_cast<int>(kOrderColumnCount), [&](const pg::CopyField* row) {
                DeliverCopyRow(row, values, sink);
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
