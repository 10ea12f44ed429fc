// Compiles a parsed filter (engine/filter.h) into an SQL WHERE clause, in
// the dialect of each backend. Values never become SQL text: each one is a
// bound parameter. Both dialects give the same rows for every filter.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "engine/filter.h"

namespace jobsd::storage {

using SqlParam = std::variant<std::int64_t, std::string>;

struct SqlWhere {
  std::string sql;               // "" for an empty filter, else "(...) AND (...)"
  std::vector<SqlParam> params;  // for the placeholders, in order
};

struct SqlDialect {
  enum class Kind {
    // "?" placeholders; LIKE as SQLite has it (ASCII case folding).
    kSqlite,
    // "$n" placeholders numbered from first_placeholder; `like` as
    // lower(x COLLATE "C") LIKE <pattern folded in ASCII>, so that case
    // folds in ASCII only, whatever the database's collation, as on SQLite.
    kPostgres,
    // As kPostgres, but each value is read from a setting of the
    // transaction, (SELECT current_setting('jobsd.filter_<n>')) (n from 1,
    // cast to bigint for numbers), and an `in` list is one setting holding
    // a text array: for statements that take no parameters (COPY). The
    // caller sets them first, with set_config(FilterSettingName(n), value
    // as text, true).
    kPostgresSettings,
  };
  Kind kind = Kind::kSqlite;
  int first_placeholder = 1;  // kPostgres: the number of the first "$n"

  static SqlDialect Sqlite() { return {}; }
  static SqlDialect Postgres(int first_placeholder = 1) {
    return {Kind::kPostgres, first_placeholder};
  }
  static SqlDialect PostgresSettings() { return {Kind::kPostgresSettings, 1}; }
};

// The setting kPostgresSettings reads the n-th value (from 1) from.
std::string FilterSettingName(int n);

// Over the orders table (columns named as in engine/orders/order.h kOrderColumns,
// items in order_items). Text comparisons follow docs/filters.md.
SqlWhere CompileOrderFilter(const filter::Filter& filter,
                            SqlDialect dialect = SqlDialect::Sqlite());

// Over the jobs table (status, job_type, created_at, updated_at).
SqlWhere CompileJobFilter(const filter::Filter& filter, SqlDialect dialect = SqlDialect::Sqlite());

}  // namespace jobsd::storage
