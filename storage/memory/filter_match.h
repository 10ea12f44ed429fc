// One filter condition (engine/filter.h) tested against a value held in
// memory, with the meaning storage/filter_sql.cc gives it in SQL: `eq`,
// `in` and the orderings compare bytes or numbers; `like` is SQLite's LIKE
// (ASCII letters match either case; only a leading and/or trailing `*` is
// a wildcard); `eq` on a bare date is the half-open UTC day; an absent
// value (SQL NULL) satisfies no condition. The memory stores' job and
// order filters are built on it.
#pragma once

#include <cstdint>
#include <string_view>
#include <variant>

#include "engine/filter.h"

namespace jobsd::storage {

// A field's value as the SQL stores keep it: absent, text, or a number
// (amounts in minor units, instants in nanoseconds).
using FieldValue = std::variant<std::monostate, std::string_view, std::int64_t>;

bool MatchesCondition(const FieldValue& value, const filter::Condition& condition);

}  // namespace jobsd::storage
