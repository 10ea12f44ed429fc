#include "storage/memory/filter_match.h"

#include <stdexcept>
#include <string>

namespace jobsd::storage {
namespace {

using filter::Op;
using filter::TimeValue;
using filter::Value;

char FoldAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualFoldingAscii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (FoldAscii(a[i]) != FoldAscii(b[i])) return false;
  }
  return true;
}

// SQLite's LIKE on the pattern filter_sql.cc builds: '%' only at the ends,
// every other character literal.
bool Like(std::string_view text, std::string_view raw) {
  const bool leading = !raw.empty() && raw.front() == '*';
  if (leading) raw.remove_prefix(1);
  const bool trailing = !raw.empty() && raw.back() == '*';
  if (trailing) raw.remove_suffix(1);
  if (leading && trailing) {
    if (raw.size() > text.size()) return false;
    for (std::size_t at = 0; at + raw.size() <= text.size(); ++at) {
      if (EqualFoldingAscii(text.substr(at, raw.size()), raw)) return true;
    }
    return false;
  }
  if (leading) {
    return text.size() >= raw.size() &&
           EqualFoldingAscii(text.substr(text.size() - raw.size()), raw);
  }
  if (trailing) {
    return text.size() >= raw.size() && EqualFoldingAscii(text.substr(0, raw.size()), raw);
  }
  return EqualFoldingAscii(text, raw);
}

// std::string_view compares as unsigned bytes, as SQLite's BINARY collation.
template <typename T>
bool Compare(const T& left, Op op, const T& right) {
  switch (op) {
    case Op::kEq:
    case Op::kIn:
      return left == right;
    case Op::kGt:
      return left > right;
    case Op::kGe:
      return left >= right;
    case Op::kLt:
      return left < right;
    case Op::kLe:
      return left <= right;
    case Op::kLike:
      break;
  }
  throw std::invalid_argument("no plain comparison for operator like");
}

bool MatchesValue(const FieldValue& field, Op op, const Value& value) {
  if (std::holds_alternative<std::monostate>(field)) return false;  // NULL
  if (const auto* text = std::get_if<std::string_view>(&field)) {
    const auto* wanted = std::get_if<std::string>(&value);
    if (wanted == nullptr) throw std::invalid_argument("text field compared with a non-text value");
    if (op == Op::kLike) return Like(*text, *wanted);
    return Compare(*text, op, std::string_view(*wanted));
  }
  const std::int64_t number = std::get<std::int64_t>(field);
  if (const auto* time = std::get_if<TimeValue>(&value)) {
    if (time->whole_day && op == Op::kEq) {
      return number >= time->at && number < time->at + kNanosPerDay;
    }
    return Compare(number, op, time->at);
  }
  if (const auto* wanted = std::get_if<std::int64_t>(&value)) return Compare(number, op, *wanted);
  throw std::invalid_argument("number field compared with a text value");
}

}  // namespace

bool MatchesCondition(const FieldValue& value, const filter::Condition& condition) {
  if (condition.values.empty()) throw std::invalid_argument("condition without a value");
  if (condition.op == Op::kIn) {
    for (const Value& wanted : condition.values) {
      if (MatchesValue(value, Op::kIn, wanted)) return true;
    }
    return false;
  }
  return MatchesValue(value, condition.op, condition.values.front());
}

}  // namespace jobsd::storage
