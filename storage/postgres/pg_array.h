// Array parameters for PostgreSQL, in the text form of an array literal
// ({"a","b",NULL}, {1,2}), so that one statement can take many rows at once:
// `... FROM unnest($1::text[], $2::bigint[]) AS c(id, at)`. The literal is
// still one bound parameter: values never become SQL text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jobsd::storage::pg {

// Builds one array literal element by element.
class ArrayLiteral {
 public:
  // Every element is quoted, with '"' and '\' escaped: no element can
  // be mistaken for NULL, a separator or a nested array.
  ArrayLiteral& Add(std::string_view text) {
    Separate();
    literal_ += '"';
    for (char c : text) {
      if (c == '"' || c == '\\') literal_ += '\\';
      literal_ += c;
    }
    literal_ += '"';
    return *this;
  }
  ArrayLiteral& Add(const std::string& text) { return Add(std::string_view(text)); }
  ArrayLiteral& Add(const char* text) { return Add(std::string_view(text)); }
  ArrayLiteral& Add(std::int64_t number) {
    Separate();
    literal_ += std::to_string(number);
    return *this;
  }
  ArrayLiteral& AddNull() {
    Separate();
    literal_ += "NULL";
    return *this;
  }
  ArrayLiteral& Add(const std::optional<std::string>& text) {
    return text ? Add(std::string_view(*text)) : AddNull();
  }
  ArrayLiteral& Add(const std::optional<std::int64_t>& number) {
    return number ? Add(*number) : AddNull();
  }

  std::string str() const { return literal_ + '}'; }

 private:
  void Separate() {
    if (literal_.size() > 1) literal_ += ',';
  }
  std::string literal_ = "{";
};

template <typename T>
std::string ToArrayLiteral(const std::vector<T>& values) {
  ArrayLiteral literal;
  for (const T& value : values) literal.Add(value);
  return literal.str();
}

}  // namespace jobsd::storage::pg
