#include "engine/filter.h"

#include <algorithm>
#include <limits>
#include <optional>

namespace jobsd::filter {
namespace {

constexpr Op kAllOps[] = {Op::kEq, Op::kLike, Op::kIn, Op::kGt, Op::kGe, Op::kLt, Op::kLe};

// A condition as written, before it is checked against a catalog. Parsing in
// two passes lets "too many conditions" win over a bad field in condition 11.
struct RawCondition {
  std::string op;
  std::string field;
  std::vector<std::string> values;
  std::size_t position = 0;  // 1-based, for messages
};

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string JoinNames(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string JoinOps(const std::vector<Op>& ops) {
  std::vector<std::string_view> names;
  for (Op op : ops) names.push_back(ToString(op));
  return JoinNames(names);
}

// Control characters of the quoted text become visible (\x00): a NUL kept
// as it is would cut the reason short wherever it is read as a C string
// (what() is one), and the others would hide what the client sent.
std::string WithVisibleControls(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

[[noreturn]] void Fail(const std::string& reason) {
  throw FilterError(WithVisibleControls(reason));
}

std::string At(std::size_t position) { return " in condition " + std::to_string(position); }

// Splits the text into raw conditions, checking only the syntax.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  std::vector<RawCondition> ScanAll() {
    std::vector<RawCondition> conditions;
    for (std::size_t position = 1;; ++position) {
      conditions.push_back(ScanCondition(position));
      SkipBlanks();
      if (AtEnd()) return conditions;
      if (text_[pos_] != ':') {
        Fail("expected ':' between conditions after condition " + std::to_string(position) +
             ", found [" + std::string(text_.substr(pos_, CharacterLength())) + "]");
      }
      ++pos_;
    }
  }

 private:
  // The bytes of the UTF-8 character at pos_ (one for ASCII or a stray
  // byte), so that a reason never quotes half a character.
  std::size_t CharacterLength() const {
    const auto lead = static_cast<unsigned char>(text_[pos_]);
    std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    length = std::min(length, text_.size() - pos_);
    for (std::size_t i = 1; i < length; ++i) {
      if ((static_cast<unsigned char>(text_[pos_ + i]) & 0xC0) != 0x80) return 1;
    }
    return length;
  }

  bool AtEnd() const { return pos_ >= text_.size(); }

  void SkipBlanks() {
    while (!AtEnd() && IsBlank(text_[pos_])) ++pos_;
  }

  // Reads up to (not including) any of `stops`, trimming blanks at the end.
  std::string ReadUntil(std::string_view stops) {
    const std::size_t start = pos_;
    while (!AtEnd() && stops.find(text_[pos_]) == std::string_view::npos) ++pos_;
    std::size_t end = pos_;
    while (end > start && IsBlank(text_[end - 1])) --end;
    return std::string(text_.substr(start, end - start));
  }

  RawCondition ScanCondition(std::size_t position) {
    RawCondition raw;
    raw.position = position;
    SkipBlanks();
    if (AtEnd() || text_[pos_] == ':') {
      Fail("empty condition " + std::to_string(position) +
           (position > 1 ? " (a ':' must be followed by a condition)" : ""));
    }
    raw.op = ReadUntil("(: \t),");
    if (raw.op.empty()) Fail("missing operator" + At(position));
    SkipBlanks();
    if (AtEnd() || text_[pos_] != '(') {
      Fail("expected '(' after operator [" + raw.op + "]" + At(position));
    }
    ++pos_;
    SkipBlanks();
    raw.field = ReadUntil(",)");
    if (raw.field.empty()) Fail("missing field" + At(position));
    if (AtEnd()) Fail("missing ')' to close condition " + std::to_string(position));
    if (text_[pos_] == ')') {
      Fail("expected ',' and a value after field [" + raw.field + "]" + At(position));
    }
    ++pos_;  // the ','
    for (;;) {
      raw.values.push_back(ScanValue(position));
      SkipBlanks();
      if (AtEnd()) Fail("missing ')' to close condition " + std::to_string(position));
      if (text_[pos_] == ')') break;
      ++pos_;  // the ',' of a list; the operator decides later whether lists are allowed
    }
    ++pos_;  // the ')'
    return raw;
  }

  std::string ScanValue(std::size_t position) {
    SkipBlanks();
    if (!AtEnd() && (text_[pos_] == '"' || text_[pos_] == '\'')) return ScanQuoted(position);
    std::string value = ReadUntil(",)");
    if (value.empty()) {
      Fail("empty value" + At(position) + " (write \"\" for the empty string)");
    }
    if (value.find_first_of("(\"'\\") != std::string::npos) {
      Fail("bare value [" + value + "]" + At(position) +
           " may not contain '(', quotes or backslashes; quote it with \" or '");
    }
    return value;
  }

  std::string ScanQuoted(std::size_t position) {
    const char quote = text_[pos_++];
    std::string value;
    for (;;) {
      if (AtEnd()) Fail("unbalanced quotes" + At(position));
      const char c = text_[pos_++];
      if (c == quote) break;
      if (c == '\\') {
        if (AtEnd()) Fail("unbalanced quotes" + At(position));
        const char escaped = text_[pos_++];
        if (escaped != quote && escaped != '\\') {
          Fail("invalid escape [\\" + std::string(1, escaped) + "]" + At(position) +
               "; a backslash may only escape the quote character or a backslash");
        }
        value += escaped;
        continue;
      }
      value += c;
    }
    SkipBlanks();
    if (!AtEnd() && text_[pos_] != ',' && text_[pos_] != ')') {
      Fail("unexpected text after quoted value" + At(position));
    }
    return value;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

std::optional<Op> ParseOp(std::string_view name) {
  for (Op op : kAllOps) {
    if (ToString(op) == name) return op;
  }
  return std::nullopt;
}

const FieldSpec& FindField(const std::string& name, const FieldCatalog& catalog) {
  for (const FieldSpec& spec : catalog) {
    if (spec.name == name) return spec;
  }
  std::vector<std::string_view> names;
  for (const FieldSpec& spec : catalog) names.push_back(spec.name);
  Fail("unknown field [" + name + "]; allowed fields are " + JoinNames(names));
}

std::int64_t ParseAmount(const std::string& text, const FieldSpec& spec) {
  const bool negative = !text.empty() && text[0] == '-';
  const std::size_t start = negative ? 1 : 0;
  if (start == text.size()) {
    Fail("invalid amount [" + text + "] for field [" + std::string(spec.name) +
         "]: expected a whole number in minor units");
  }
  // Accumulate negatively so that the most negative int64 is reachable.
  std::int64_t value = 0;
  for (std::size_t i = start; i < text.size(); ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') {
      Fail("invalid amount [" + text + "] for field [" + std::string(spec.name) +
           "]: expected a whole number in minor units");
    }
    const int d = c - '0';
    if (value < (std::numeric_limits<std::int64_t>::min() + d) / 10) {
      Fail("amount [" + text + "] for field [" + std::string(spec.name) + "] is out of range");
    }
    value = value * 10 - d;
  }
  if (!negative) {
    if (value == std::numeric_limits<std::int64_t>::min()) {
      Fail("amount [" + text + "] for field [" + std::string(spec.name) + "] is out of range");
    }
    value = -value;
  }
  return value;
}

Value CheckValue(const std::string& text, const FieldSpec& spec, Op op) {
  switch (spec.kind) {
    case ValueKind::kEnum:
      for (std::string_view allowed : spec.allowed_values) {
        if (allowed == text) return text;
      }
      Fail("invalid value [" + text + "] for field [" + std::string(spec.name) +
           "]; allowed values are " + JoinNames(spec.allowed_values));
    case ValueKind::kText:
      return text;
    case ValueKind::kAmount:
      return ParseAmount(text, spec);
    case ValueKind::kCurrency: {
      bool ok = text.size() == 3;
      for (char c : text) ok = ok && c >= 'A' && c <= 'Z';
      if (!ok) {
        Fail("invalid currency [" + text + "] for field [" + std::string(spec.name) +
             "]: expected an ISO 4217 code of three uppercase letters");
      }
      return text;
    }
    case ValueKind::kTime: {
      std::string reason;
      const std::optional<ParsedTime> parsed = ParseFilterTime(text, &reason);
      if (!parsed) {
        Fail("malformed date [" + text + "] for field [" + std::string(spec.name) + "]: " + reason);
      }
      return TimeValue{parsed->at, op == Op::kEq && parsed->form == TimeForm::kDate};
    }
  }
  Fail("unsupported value kind for field [" + std::string(spec.name) + "]");
}

Condition Check(const RawCondition& raw, const FieldCatalog& catalog) {
  const std::optional<Op> op = ParseOp(raw.op);
  if (!op) {
    Fail("unknown operator [" + raw.op + "]; operators are " +
         JoinOps({std::begin(kAllOps), std::end(kAllOps)}));
  }
  const FieldSpec& spec = FindField(raw.field, catalog);
  bool allowed = false;
  for (Op candidate : spec.ops) allowed = allowed || candidate == *op;
  if (!allowed) {
    Fail("operator [" + raw.op + "] is not allowed on field [" + raw.field +
         "]; allowed operators are " + JoinOps(spec.ops));
  }
  if (*op != Op::kIn && raw.values.size() != 1) {
    Fail("operator [" + raw.op + "] takes exactly one value, got " +
         std::to_string(raw.values.size()) + At(raw.position) + " (only in takes a list)");
  }
  Condition condition;
  condition.field = raw.field;
  condition.kind = spec.kind;
  condition.op = *op;
  for (const std::string& text : raw.values) {
    condition.values.push_back(CheckValue(text, spec, *op));
  }
  return condition;
}

FieldSpec Field(std::string_view name, ValueKind kind, std::vector<Op> ops,
                std::vector<std::string_view> allowed = {}) {
  return FieldSpec{name, kind, std::move(ops), std::move(allowed)};
}

}  // namespace

std::string_view ToString(Op op) {
  switch (op) {
    case Op::kEq:
      return "eq";
    case Op::kLike:
      return "like";
    case Op::kIn:
      return "in";
    case Op::kGt:
      return "gt";
    case Op::kGe:
      return "ge";
    case Op::kLt:
      return "lt";
    case Op::kLe:
      return "le";
  }
  return "?";
}

const FieldCatalog& OrderFields() {
  static const FieldCatalog* const kFields = [] {
    using enum Op;
    const std::vector<Op> choice = {kEq, kIn};
    const std::vector<Op> text = {kEq, kLike, kIn};
    const std::vector<Op> text_no_list = {kEq, kLike};
    const std::vector<Op> ordered = {kEq, kGt, kGe, kLt, kLe};
    return new FieldCatalog{
        Field("status", ValueKind::kEnum, choice,
              {"incomplete", "processing", "complete", "cancelled"}),
        Field(
            "payment", ValueKind::kEnum, choice,
            {"unpaid", "authorized", "partially_authorized", "paid", "partially_paid", "refunded"}),
        Field("shipping", ValueKind::kEnum, choice, {"unfulfilled", "fulfilled"}),
        Field("name", ValueKind::kText, text),
        Field("email", ValueKind::kText, text),
        Field("customer_id", ValueKind::kText, text),
        Field("account_id", ValueKind::kText, text),
        Field("account_member_id", ValueKind::kText, text),
        Field("contact.name", ValueKind::kText, text_no_list),
        Field("contact.email", ValueKind::kText, text_no_list),
        Field("shipping_name", ValueKind::kText, text_no_list),
        Field("billing_name", ValueKind::kText, text_no_list),
        Field("shipping_postcode", ValueKind::kText, text),
        Field("billing_postcode", ValueKind::kText, text),
        Field("with_tax", ValueKind::kAmount, ordered),
        Field("without_tax", ValueKind::kAmount, ordered),
        Field("currency", ValueKind::kCurrency, choice),
        Field("product_id", ValueKind::kText, choice),
        Field("product_sku", ValueKind::kText, choice),
        Field("created_at", ValueKind::kTime, ordered),
        Field("updated_at", ValueKind::kTime, ordered),
        Field("external_ref", ValueKind::kText, text),
        Field("order_number", ValueKind::kText, text),
    };
  }();
  return *kFields;
}

const FieldCatalog& JobFields() {
  static const FieldCatalog* const kFields = [] {
    using enum Op;
    const std::vector<Op> ordered = {kEq, kGt, kGe, kLt, kLe};
    return new FieldCatalog{
        Field("status", ValueKind::kEnum, {kEq, kIn}, {"pending", "started", "success", "failed"}),
        Field("job_type", ValueKind::kText, {kEq, kIn}),
        Field("created_at", ValueKind::kTime, ordered),
        Field("updated_at", ValueKind::kTime, ordered),
    };
  }();
  return *kFields;
}

Filter Parse(std::string_view text, const FieldCatalog& catalog) {
  if (text.size() > kMaxFilterBytes) {
    Fail("filter is too long: " + std::to_string(text.size()) + " bytes (at most " +
         std::to_string(kMaxFilterBytes) + ")");
  }
  // No store keeps a NUL byte as text the same way (PostgreSQL refuses it),
  // and no order field holds one: refused for every store alike.
  if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
    Fail("the NUL character is not allowed in a filter (at byte " + std::to_string(nul + 1) + ")");
  }
  Filter filter;
  if (text.find_first_not_of(" \t") == std::string_view::npos) return filter;
  const std::vector<RawCondition> raw = Scanner(text).ScanAll();
  if (raw.size() > kMaxConditions) {
    Fail("too many conditions: " + std::to_string(raw.size()) + " (at most " +
         std::to_string(kMaxConditions) + ")");
  }
  for (const RawCondition& condition : raw) filter.conditions.push_back(Check(condition, catalog));
  return filter;
}

}  // namespace jobsd::filter
