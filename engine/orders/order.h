// An order as jobsd stores and exports it: the Commerce order resource
// flattened into the columns of the export (docs/export-csv.md and docs/orders-input.md).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/time.h"

namespace jobsd {

struct OrderItem {
  std::string id;
  std::string product_id;
  std::string sku;
  std::string name;
  std::int64_t quantity = 0;
  std::optional<std::int64_t> unit_price_amount;
};

struct Address {
  std::string first_name, last_name, phone_number, company_name, line_1, line_2, city, postcode,
      county, country, region, instructions;
};

// Absent text is stored as "" (filters compare it as the empty string, the
// CSV writes an empty field); absent numbers and booleans stay nullopt.
struct Order {
  std::string id;
  std::string order_number, external_ref, status, payment, shipping;
  std::optional<bool> anonymized;
  std::string customer_id, customer_name, customer_email;
  std::string account_id, account_member_id;
  std::string contact_name, contact_email;
  std::string currency;
  std::optional<std::int64_t> with_tax, without_tax, tax, discount, shipping_amount, balance_owing,
      paid, authorized;
  Address shipping_address;  // instructions used; phone_number used
  Address billing_address;   // instructions and phone_number unused
  Nanos created_at = 0;
  Nanos updated_at = 0;  // equals created_at when the input has none
  std::vector<OrderItem> items;
};

// The CSV columns of docs/export-csv.md, in order. The orders table has a
// column of exactly each name, so the export is a plain SELECT of these.
enum class ColumnKind { kText, kInteger, kBoolean, kTimestamp };

struct OrderColumn {
  std::string_view name;
  ColumnKind kind;
};

inline constexpr std::size_t kOrderColumnCount = 49;
extern const std::array<OrderColumn, kOrderColumnCount> kOrderColumns;

// item_count and product_skus as the export defines them: the sum of item
// quantities, and the distinct SKUs sorted by byte value joined by "|".
std::int64_t ItemCount(const Order& order);
std::string ProductSkus(const Order& order);

}  // namespace jobsd
