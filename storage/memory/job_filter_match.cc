#include "storage/memory/job_filter_match.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

namespace jobsd::storage {
namespace {

using filter::Condition;
using filter::Op;
using filter::TimeValue;
using filter::Value;

// A job field's value: text or an instant, as the SQLite columns hold them.
using FieldValue = std::variant<std::string_view, Nanos>;

FieldValue FieldOf(const Job& job, const std::string& field) {
  if (field == "status") return ToString(job.status);
  if (field == "job_type") return std::string_view(job.job_type);
  if (field == "created_at") return job.created_at;
  if (field == "updated_at") return job.updated_at;
  // Parse() only yields catalog fields, so this is a programming error.
  throw std::invalid_argument("job filter field [" + field + "] has no in-memory mapping");
}

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
  if (const auto* text = std::get_if<std::string_view>(&field)) {
    const auto* wanted = std::get_if<std::string>(&value);
    if (wanted == nullptr) throw std::invalid_argument("text field compared with a non-text value");
    if (op == Op::kLike) return Like(*text, *wanted);
    return Compare(*text, op, std::string_view(*wanted));
  }
  const Nanos at = std::get<Nanos>(field);
  if (const auto* time = std::get_if<TimeValue>(&value)) {
    if (time->whole_day && op == Op::kEq) return at >= time->at && at < time->at + kNanosPerDay;
    return Compare(at, op, time->at);
  }
  if (const auto* number = std::get_if<std::int64_t>(&value)) return Compare(at, op, *number);
  throw std::invalid_argument("time field compared with a text value");
}

bool Matches(const Condition& condition, const Job& job) {
  if (condition.values.empty()) throw std::invalid_argument("condition without a value");
  const FieldValue field = FieldOf(job, condition.field);
  if (condition.op == Op::kIn) {
    for (const Value& value : condition.values) {
      if (MatchesValue(field, Op::kIn, value)) return true;
    }
    return false;
  }
  return MatchesValue(field, condition.op, condition.values.front());
}

}  // namespace

bool MatchesJobFilter(const filter::Filter& filter, const Job& job) {
  for (const Condition& condition : filter.conditions) {
    if (!Matches(condition, job)) return false;
  }
  return true;
}

}  // namespace jobsd::storage
