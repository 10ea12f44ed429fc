// The filter language of docs/filters.md, parsed into an AST.
//
// The parser knows the fields of a catalog (orders for order_export, jobs for
// GET /v2/jobs) and checks operators and values against it; it knows nothing
// of SQL. storage/filter_sql.h compiles the AST into a WHERE clause with bound
// parameters only.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/time.h"

namespace jobsd::filter {

enum class Op { kEq, kLike, kIn, kGt, kGe, kLt, kLe };

std::string_view ToString(Op op);

// What kind of value a field holds; decides how values are checked.
enum class ValueKind {
  kEnum,      // one of FieldSpec::allowed_values, case-sensitive
  kText,      // any text
  kAmount,    // integer in minor units
  kCurrency,  // three uppercase ASCII letters
  kTime,      // date, RFC 3339 or epoch milliseconds
};

struct FieldSpec {
  std::string_view name;
  ValueKind kind;
  std::vector<Op> ops;
  std::vector<std::string_view> allowed_values;  // for kEnum
};

using FieldCatalog = std::vector<FieldSpec>;

// Fields of orders (order_export filters) and of jobs (GET /v2/jobs).
const FieldCatalog& OrderFields();
const FieldCatalog& JobFields();

// kTime values keep their form: `eq` on a bare date means the whole UTC day.
struct TimeValue {
  Nanos at = 0;
  bool whole_day = false;
};

// Text for kEnum/kText/kCurrency (for `like` the raw pattern with its `*`),
// int64 for kAmount, TimeValue for kTime.
using Value = std::variant<std::string, std::int64_t, TimeValue>;

struct Condition {
  std::string field;
  ValueKind kind = ValueKind::kText;
  Op op = Op::kEq;
  std::vector<Value> values;  // exactly one, except for `in`
};

struct Filter {
  std::vector<Condition> conditions;  // joined by AND
  bool empty() const { return conditions.empty(); }
};

inline constexpr std::size_t kMaxConditions = 10;
inline constexpr std::size_t kMaxFilterBytes = 8 * 1024;

// Thrown for any filter that is not accepted. what() is the specific reason,
// e.g. "unknown field [colour]; allowed fields are status, payment, ...".
class FilterError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses `text` against `catalog`. Empty or blank text gives an empty filter.
// Throws FilterError with a specific reason.
Filter Parse(std::string_view text, const FieldCatalog& catalog);

}  // namespace jobsd::filter
