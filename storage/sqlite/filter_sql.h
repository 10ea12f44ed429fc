// Compiles a parsed filter (engine/filter.h) into an SQL WHERE clause.
// Values never become SQL text: each one is a bound parameter.
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
  std::vector<SqlParam> params;  // for the "?" placeholders, in order
};

// Over the orders table (columns named as in engine/orders/order.h kOrderColumns,
// items in order_items). Text comparisons follow API.md section 6.
SqlWhere CompileOrderFilter(const filter::Filter& filter);

// Over the jobs table (status, job_type, created_at, updated_at).
SqlWhere CompileJobFilter(const filter::Filter& filter);

}  // namespace jobsd::storage
