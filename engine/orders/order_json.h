// Parses one line of the JSON Lines order input (docs/orders-input.md) into an
// Order. Strict about types, precise about what is wrong: the reason names
// the field and the JSON type that was expected, so a person can fix the
// line without guessing.
#pragma once

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/stream_parser.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "engine/orders/order.h"

namespace jobsd {

struct OrderLineResult {
  std::optional<Order> order;  // set when the line is a valid order
  std::string error;           // why it is not, otherwise
  bool ok() const { return order.has_value(); }
};

// Parses a single line (without its '\n'). Convenient; for many lines use
// OrderLineParser, which reuses its buffers.
OrderLineResult ParseOrderLine(std::string_view line);

// Reusable parser: keeps the JSON parser's buffers between lines so that an
// import of millions of lines does not allocate them again for each one.
class OrderLineParser {
 public:
  OrderLineParser();
  // On success fills `out` (all fields overwritten) and returns true; else
  // sets `error` and returns false (`out` is then unspecified).
  bool Parse(std::string_view line, Order& out, std::string& error);

 private:
  boost::json::stream_parser parser_;
};

}  // namespace jobsd
