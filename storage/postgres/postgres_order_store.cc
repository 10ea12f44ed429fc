#include "storage/postgres/postgres_order_store.h"

#include <libpq-fe.h>

#include <cstdint>
#include <string>
#include <variant>

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
// (most drifts: an 8-byte type other than int8 would pass; the single-row
// path checks the type OIDs of its first row, and the CSV identity test
// runs both paths).
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

// Hands every row of `result` to `sink`; views point into `result`.
std::int64_t DeliverRows(const PGresult* result, ColumnValue* values, OrderRowSink& sink) {
  const int rows = PQntuples(result);
  for (int row = 0; row < rows; ++row) {
    for (std::size_t i = 0; i < kOrderColumnCount; ++i) {
      const int column = static_cast<int>(i);
      const bool null = PQgetisnull(result, row, column) != 0;
      DecodeValue(i, PQgetvalue(result, row, column), null ? -1 : PQgetlength(result, row, column),
                  values[i]);
    }
    sink.OnRow(values);
  }
  return rows;
}

// One COPY row to `sink`; views point into the row.
void DeliverCopyRow(const pg::CopyField* row, ColumnValue* values, OrderRowSink& sink) {
  for (std::size_t i = 0; i < kOrderColumnCount; ++i)
    DecodeValue(i, row[i].data, row[i].size, values[i]);
  sink.OnRow(values);
}

pg::Params ToParams(const std::vector<SqlParam>& params) {
  pg::Params out;
  for (const SqlParam& param : params) {
    std::visit([&](const auto& value) { out.Add(value); }, param);
  }
  return out;
}

// One scan in a REPEATABLE READ READ ONLY transaction, so that the count
// and the rows come from one snapshot (orders merged meanwhile are not half
// seen). The rows come in binary (no text parsing of numbers) while the sink
// formats the previous ones, in constant memory: as a binary COPY when the
// filter has no values (each row one buffer), else in libpq's single-row
// mode (COPY takes no parameters, and values are never spliced into SQL;
// each row is then a whole PGresult, about a third more of jobsd's CPU).
// `delivered` counts the rows handed out so far, for the caller's retry.
std::int64_t Scan(pg::Connection& connection, const std::string& count, const std::string& select,
                  const pg::Params& params, OrderRowSink& sink, std::int64_t& delivered) {
  pg::Transaction snapshot(connection, pg::Isolation::kRepeatableRead, /*read_only=*/true);
  // The bytes of the text values as stored, which are UTF-8.
  connection.Exec("SET LOCAL client_encoding = 'UTF8'");
  // The first query takes the snapshot: the count and the rows read the
  // same orders.
  sink.OnTotal(connection.RunOnce(count, params).Int64(0, 0));
  ColumnValue values[kOrderColumnCount];
  if (params.size() == 0) {
    pg::CopyOut(connection, "COPY (" + select + ") TO STDOUT (FORMAT binary)",
                static_cast<int>(kOrderColumnCount), [&](const pg::CopyField* row) {
                  DeliverCopyRow(row, values, sink);
                  ++delivered;
                });
    snapshot.Commit();
    return delivered;
  }
  bool checked = false;
  connection.Stream(select, params, pg::ResultFormat::kBinary, [&](const pg::Result& row) {
    if (!checked) {
      CheckColumnTypes(row.get());
      checked = true;
    }
    delivered += DeliverRows(row.get(), values, sink);
  });
  snapshot.Commit();
  return delivered;
}

}  // namespace

std::unique_ptr<OrderImport> PostgresOrderStore::BeginImport() {
  return BeginCopyOrderImport(pool_);
}

std::int64_t PostgresOrderStore::ScanOrders(const filter::Filter& filter, OrderRowSink& sink) {
  const SqlWhere where = CompileOrderFilter(filter, SqlDialect::Postgres(1));
  // Filtered SQL varies, so it is sent unprepared.
  std::string select = "SELECT " + OrderColumnList() + " FROM orders";
  if (!where.sql.empty()) select += " WHERE " + where.sql;
  // id by bytes, as SQLite's BINARY collation orders it (the column is
  // COLLATE "C" already; saying so keeps the order if that ever changes).
  select += " ORDER BY created_at, id COLLATE \"C\"";
  std::string count = "SELECT count(*) FROM orders";
  if (!where.sql.empty()) count += " WHERE " + where.sql;
  const pg::Params params = ToParams(where.params);

  for (int attempt = 1;; ++attempt) {
    std::int64_t delivered = 0;
    try {
      pg::Lease lease = pool_.Borrow();
      return Scan(*lease, count, select, params, sink, delivered);
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
