#include "engine/orders/order.h"

#include <algorithm>

namespace jobsd {

namespace {
constexpr ColumnKind kT = ColumnKind::kText;
constexpr ColumnKind kI = ColumnKind::kInteger;
}  // namespace

// The order is the contract of docs/export-csv.md; the storage schema and the
// CSV header are both derived from this table, so they cannot drift apart.
const std::array<OrderColumn, kOrderColumnCount> kOrderColumns = {{
    {"id", kT},
    {"order_number", kT},
    {"external_ref", kT},
    {"status", kT},
    {"payment", kT},
    {"shipping", kT},
    {"anonymized", ColumnKind::kBoolean},
    {"customer_id", kT},
    {"customer_name", kT},
    {"customer_email", kT},
    {"account_id", kT},
    {"account_member_id", kT},
    {"contact_name", kT},
    {"contact_email", kT},
    {"currency", kT},
    {"with_tax", kI},
    {"without_tax", kI},
    {"tax", kI},
    {"discount", kI},
    {"shipping_amount", kI},
    {"balance_owing", kI},
    {"paid", kI},
    {"authorized", kI},
    {"item_count", kI},
    {"product_skus", kT},
    {"shipping_first_name", kT},
    {"shipping_last_name", kT},
    {"shipping_phone_number", kT},
    {"shipping_company_name", kT},
    {"shipping_line_1", kT},
    {"shipping_line_2", kT},
    {"shipping_city", kT},
    {"shipping_postcode", kT},
    {"shipping_county", kT},
    {"shipping_country", kT},
    {"shipping_region", kT},
    {"shipping_instructions", kT},
    {"billing_first_name", kT},
    {"billing_last_name", kT},
    {"billing_company_name", kT},
    {"billing_line_1", kT},
    {"billing_line_2", kT},
    {"billing_city", kT},
    {"billing_postcode", kT},
    {"billing_county", kT},
    {"billing_country", kT},
    {"billing_region", kT},
    {"created_at", ColumnKind::kTimestamp},
    {"updated_at", ColumnKind::kTimestamp},
}};

std::int64_t ItemCount(const Order& order) {
  std::int64_t total = 0;
  for (const OrderItem& item : order.items) total += item.quantity;
  return total;
}

std::string ProductSkus(const Order& order) {
  std::vector<std::string_view> skus;
  skus.reserve(order.items.size());
  for (const OrderItem& item : order.items) {
    if (!item.sku.empty()) skus.push_back(item.sku);
  }
  // std::string_view compares with char_traits<char>, i.e. by unsigned byte
  // value (memcmp), which is the "sorted by byte value" of the contract.
  std::sort(skus.begin(), skus.end());
  skus.erase(std::unique(skus.begin(), skus.end()), skus.end());
  std::string out;
  for (std::string_view sku : skus) {
    if (!out.empty()) out.push_back('|');
    out.append(sku);
  }
  return out;
}

}  // namespace jobsd
