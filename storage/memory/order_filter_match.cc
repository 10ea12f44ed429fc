#include "storage/memory/order_filter_match.h"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>

#include "storage/memory/filter_match.h"

namespace jobsd::storage {
namespace {

FieldValue Amount(const std::optional<std::int64_t>& amount) {
  if (!amount) return std::monostate{};
  return *amount;
}

// An order field's value, as the SQL stores' columns hold it (absent text
// is ""). `joined` keeps a name built from two columns alive for the call.
FieldValue FieldOf(const Order& order, const std::string& field, std::string& joined) {
  if (field == "status") return std::string_view(order.status);
  if (field == "payment") return std::string_view(order.payment);
  if (field == "shipping") return std::string_view(order.shipping);
  if (field == "name") return std::string_view(order.customer_name);
  if (field == "email") return std::string_view(order.customer_email);
  if (field == "customer_id") return std::string_view(order.customer_id);
  if (field == "account_id") return std::string_view(order.account_id);
  if (field == "account_member_id") return std::string_view(order.account_member_id);
  if (field == "contact.name") return std::string_view(order.contact_name);
  if (field == "contact.email") return std::string_view(order.contact_email);
  if (field == "shipping_name" || field == "billing_name") {
    const Address& address =
        field == "shipping_name" ? order.shipping_address : order.billing_address;
    joined = address.first_name + ' ' + address.last_name;
    return std::string_view(joined);
  }
  if (field == "shipping_postcode") return std::string_view(order.shipping_address.postcode);
  if (field == "billing_postcode") return std::string_view(order.billing_address.postcode);
  if (field == "with_tax") return Amount(order.with_tax);
  if (field == "without_tax") return Amount(order.without_tax);
  if (field == "currency") return std::string_view(order.currency);
  if (field == "created_at") return order.created_at;
  if (field == "updated_at") return order.updated_at;
  if (field == "external_ref") return std::string_view(order.external_ref);
  if (field == "order_number") return std::string_view(order.order_number);
  // Parse() only yields catalog fields, so this is a programming error.
  throw std::invalid_argument("order filter field [" + field + "] has no in-memory mapping");
}

bool Matches(const filter::Condition& condition, const Order& order) {
  const bool product_id = condition.field == "product_id";
  if (product_id || condition.field == "product_sku") {
    const std::vector<OrderItem>& items = order.items;
    for (std::size_t i = 0; i < items.size(); ++i) {
      // The SQL stores keep one row per item id, the last put.
      const auto later = [&](const OrderItem& other) { return other.id == items[i].id; };
      if (std::any_of(items.begin() + static_cast<std::ptrdiff_t>(i) + 1, items.end(), later)) {
        continue;
      }
      const OrderItem& item = items[i];
      const std::string_view value = product_id ? item.product_id : item.sku;
      if (MatchesCondition(value, condition)) return true;
    }
    return false;
  }
  std::string joined;
  return MatchesCondition(FieldOf(order, condition.field, joined), condition);
}

}  // namespace

bool MatchesOrderFilter(const filter::Filter& filter, const Order& order) {
  for (const filter::Condition& condition : filter.conditions) {
    if (!Matches(condition, order)) return false;
  }
  return true;
}

}  // namespace jobsd::storage
