// Fuzzes the filter language (engine/filter.h) and its SQL compiler
// (storage/filter_sql.h) over both catalogs. The input is the filter text.
//
// Properties, beyond "does not crash":
//  - a rejection is a FilterError with a reason; nothing else escapes Parse;
//  - an accepted filter keeps the limits (8 KiB, 10 conditions) and only holds
//    fields, operators and values its catalog allows;
//  - the SQL has exactly one '?' per parameter, and one parameter per value;
//  - values never become SQL text: the SQL is made only of a fixed vocabulary
//    (schema names, keywords, punctuation and the two fixed literals ' ' and
//    '\'), compiling the filter with every value changed gives byte-identical
//    SQL, and the SQL prepares and runs on the real schema with the
//    parameters bound.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "engine/filter.h"
#include "engine/orders/order.h"
#include "storage/filter_sql.h"
#include "storage/sqlite/migrations.h"
#include "storage/sqlite/sqlite.h"

namespace {

using jobsd::filter::Condition;
using jobsd::filter::FieldCatalog;
using jobsd::filter::FieldSpec;
using jobsd::filter::Filter;
using jobsd::filter::FilterError;
using jobsd::filter::Op;
using jobsd::filter::TimeValue;
using jobsd::filter::Value;
using jobsd::filter::ValueKind;
using jobsd::storage::SqlParam;
using jobsd::storage::SqlWhere;

[[noreturn]] void Violation(const char* what, std::string_view detail) {
  std::fprintf(stderr, "filter_fuzz: %s: [%.*s]\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

void Check(bool ok, const char* what, std::string_view detail) {
  if (!ok) Violation(what, detail);
}

// Every word the compiler may write: the schema's column names, the item
// table and its alias, and the SQL keywords it uses.
const std::set<std::string, std::less<>>& Vocabulary() {
  static const auto* words = [] {
    auto* set = new std::set<std::string, std::less<>>{
        "AND",          "IN",     "LIKE",        "ESCAPE",     "EXISTS",     "SELECT",    "FROM",
        "WHERE",        "1",      "order_items", "i",          "i.order_id", "orders.id", "i.sku",
        "i.product_id", "status", "job_type",    "created_at", "updated_at"};
    for (const jobsd::OrderColumn& column : jobsd::kOrderColumns) set->emplace(column.name);
    return set;
  }();
  return *words;
}

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.';
}

// The SQL tokenised: every word is in the vocabulary, every quote opens one
// of the two fixed literals, and nothing else but operators and spaces.
void CheckVocabulary(std::string_view sql) {
  constexpr std::string_view kPunctuation = " ()=<>?,|";
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'') {
      const std::string_view literal = sql.substr(i, 3);
      Check(literal == "' '" || literal == "'\\'", "a quote outside the fixed literals", sql);
      i += 3;
    } else if (IsWordChar(c)) {
      std::size_t end = i;
      while (end < sql.size() && IsWordChar(sql[end])) ++end;
      const std::string_view word = sql.substr(i, end - i);
      Check(Vocabulary().contains(word), "a word outside the SQL vocabulary", word);
      i = end;
    } else {
      Check(kPunctuation.find(c) != std::string_view::npos, "a character outside the SQL set",
            sql.substr(i, 1));
      ++i;
    }
  }
}

// Every value changed (same kind, same shape): the SQL must not move.
Filter WithOtherValues(Filter filter) {
  for (Condition& condition : filter.conditions) {
    for (Value& value : condition.values) {
      if (auto* text = std::get_if<std::string>(&value)) {
        *text = *text == "x" ? "y" : "x";
      } else if (auto* number = std::get_if<std::int64_t>(&value)) {
        *number ^= 1;
      } else {
        std::get<TimeValue>(value).at ^= 1;
      }
    }
  }
  return filter;
}

std::size_t ExpectedParams(const Filter& filter) {
  std::size_t count = 0;
  for (const Condition& condition : filter.conditions) {
    const auto* time = std::get_if<TimeValue>(&condition.values.front());
    const bool whole_day = condition.op == Op::kEq && time != nullptr && time->whole_day;
    count += whole_day ? 2 : condition.values.size();
  }
  return count;
}

const FieldSpec* FindField(const FieldCatalog& catalog, std::string_view name) {
  for (const FieldSpec& spec : catalog) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

bool Contains(const auto& range, const auto& wanted) {
  for (const auto& item : range) {
    if (item == wanted) return true;
  }
  return false;
}

bool HoldsKind(const Value& value, ValueKind kind) {
  switch (kind) {
    case ValueKind::kAmount:
      return std::holds_alternative<std::int64_t>(value);
    case ValueKind::kTime:
      return std::holds_alternative<TimeValue>(value);
    default:
      return std::holds_alternative<std::string>(value);
  }
}

// What the parser accepted is what the catalog allows.
void CheckAgainstCatalog(const Filter& filter, const FieldCatalog& catalog) {
  for (const Condition& condition : filter.conditions) {
    const FieldSpec* spec = FindField(catalog, condition.field);
    Check(spec != nullptr, "accepted an unknown field", condition.field);
    Check(condition.kind == spec->kind, "condition kind differs from the catalog", spec->name);
    Check(Contains(spec->ops, condition.op), "accepted an operator not allowed on the field",
          spec->name);
    Check(!condition.values.empty(), "accepted a condition without a value", spec->name);
    Check(condition.op == Op::kIn || condition.values.size() == 1,
          "accepted several values for a single-value operator", spec->name);
    for (const Value& value : condition.values) {
      Check(HoldsKind(value, spec->kind), "value of the wrong type", spec->name);
      if (spec->kind == ValueKind::kEnum) {
        Check(Contains(spec->allowed_values, std::string_view(std::get<std::string>(value))),
              "accepted a value outside the field's values", std::get<std::string>(value));
      }
      if (spec->kind == ValueKind::kCurrency) {
        const std::string& code = std::get<std::string>(value);
        Check(code.size() == 3 && code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' &&
                  code[1] <= 'Z' && code[2] >= 'A' && code[2] <= 'Z',
              "accepted a currency that is not three uppercase letters", code);
      }
    }
  }
}

// The real schema in memory, to prepare and run the compiled SQL on.
jobsd::storage::sqlite::Connection& Schema() {
  static auto* connection = [] {
    auto opened = jobsd::storage::sqlite::Connection::Open(":memory:");
    jobsd::storage::Migrate(*opened);
    return opened.release();
  }();
  return *connection;
}

void CheckRuns(std::string_view table, const SqlWhere& where) {
  const std::string sql = "SELECT count(*) FROM " + std::string(table) + " WHERE " + where.sql;
  jobsd::storage::sqlite::Statement statement = Schema().PrepareUncached(sql);
  Check(statement.ParameterCount() == static_cast<int>(where.params.size()),
        "SQLite counts other parameters", where.sql);
  for (std::size_t i = 0; i < where.params.size(); ++i) {
    std::visit([&](const auto& param) { statement.Bind(static_cast<int>(i + 1), param); },
               where.params[i]);
  }
  Check(statement.Step(), "count(*) gave no row", where.sql);
  Check(statement.ColumnInt64(0) == 0, "an empty table matched rows", where.sql);
}

void FuzzCatalog(std::string_view text, const FieldCatalog& catalog,
                 SqlWhere (*compile)(const Filter&), std::string_view table) {
  Filter filter;
  try {
    filter = jobsd::filter::Parse(text, catalog);
  } catch (const FilterError& error) {
    Check(error.what()[0] != '\0', "a rejection without a reason", text);
    return;
  }
  // Any other exception escapes and libFuzzer reports it as a crash.
  Check(text.size() <= jobsd::filter::kMaxFilterBytes, "accepted more than 8 KiB", text);
  Check(filter.conditions.size() <= jobsd::filter::kMaxConditions,
        "accepted more than 10 conditions", text);
  CheckAgainstCatalog(filter, catalog);

  const SqlWhere where = compile(filter);
  Check(filter.empty() == where.sql.empty(), "SQL for an empty filter, or none for conditions",
        where.sql);
  if (filter.empty()) {
    Check(where.params.empty(), "parameters without SQL", text);
    return;
  }
  const auto placeholders =
      static_cast<std::size_t>(std::count(where.sql.begin(), where.sql.end(), '?'));
  Check(placeholders == where.params.size(), "placeholder count differs from params", where.sql);
  Check(where.params.size() == ExpectedParams(filter), "a value without its parameter", where.sql);
  CheckVocabulary(where.sql);
  Check(compile(WithOtherValues(filter)).sql == where.sql, "the SQL depends on the values",
        where.sql);
  CheckRuns(table, where);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // The SQLite dialect: CheckRuns runs each statement on a real SQLite table.
  FuzzCatalog(
      text, jobsd::filter::OrderFields(),
      [](const Filter& filter) { return jobsd::storage::CompileOrderFilter(filter); }, "orders");
  FuzzCatalog(
      text, jobsd::filter::JobFields(),
      [](const Filter& filter) { return jobsd::storage::CompileJobFilter(filter); }, "jobs");
  return 0;
}
