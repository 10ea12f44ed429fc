#include "engine/orders/order_row.h"

#include <optional>
#include <stdexcept>

namespace jobsd {
namespace {

ColumnValue Text(std::string_view text) { return {false, text, 0}; }
ColumnValue Number(std::int64_t number) { return {false, {}, number}; }
ColumnValue Number(const std::optional<std::int64_t>& number) {
  return number ? Number(*number) : ColumnValue{};
}

using Reader = ColumnValue (*)(const Order&, const OrderRow::Derived&);
struct Field {
  std::string_view column;
  Reader read;
};

// clang-format off
#define JOBSD_TEXT(field) \
  {#field, [](const Order& o, const OrderRow::Derived&) { return Text(o.field); }}
#define JOBSD_NUMBER(field) \
  {#field, [](const Order& o, const OrderRow::Derived&) { return Number(o.field); }}
#define JOBSD_ADDRESS(address, field)                                 \
  {#address "_" #field, [](const Order& o, const OrderRow::Derived&) { \
     return Text(o.address##_address.field);                          \
   }}
// clang-format on

// In kOrderColumns order; Fields() proves the two lists agree.
const Field kFields[] = {
    JOBSD_TEXT(id),
    JOBSD_TEXT(order_number),
    JOBSD_TEXT(external_ref),
    JOBSD_TEXT(status),
    JOBSD_TEXT(payment),
    JOBSD_TEXT(shipping),
    {"anonymized",
     [](const Order& o, const OrderRow::Derived&) {
       return o.anonymized ? Number(*o.anonymized ? 1 : 0) : ColumnValue{};
     }},
    JOBSD_TEXT(customer_id),
    JOBSD_TEXT(customer_name),
    JOBSD_TEXT(customer_email),
    JOBSD_TEXT(account_id),
    JOBSD_TEXT(account_member_id),
    JOBSD_TEXT(contact_name),
    JOBSD_TEXT(contact_email),
    JOBSD_TEXT(currency),
    JOBSD_NUMBER(with_tax),
    JOBSD_NUMBER(without_tax),
    JOBSD_NUMBER(tax),
    JOBSD_NUMBER(discount),
    JOBSD_NUMBER(shipping_amount),
    JOBSD_NUMBER(balance_owing),
    JOBSD_NUMBER(paid),
    JOBSD_NUMBER(authorized),
    {"item_count", [](const Order&, const OrderRow::Derived& d) { return Number(d.item_count); }},
    {"product_skus", [](const Order&, const OrderRow::Derived& d) { return Text(d.product_skus); }},
    JOBSD_ADDRESS(shipping, first_name),
    JOBSD_ADDRESS(shipping, last_name),
    JOBSD_ADDRESS(shipping, phone_number),
    JOBSD_ADDRESS(shipping, company_name),
    JOBSD_ADDRESS(shipping, line_1),
    JOBSD_ADDRESS(shipping, line_2),
    JOBSD_ADDRESS(shipping, city),
    JOBSD_ADDRESS(shipping, postcode),
    JOBSD_ADDRESS(shipping, county),
    JOBSD_ADDRESS(shipping, country),
    JOBSD_ADDRESS(shipping, region),
    JOBSD_ADDRESS(shipping, instructions),
    JOBSD_ADDRESS(billing, first_name),
    JOBSD_ADDRESS(billing, last_name),
    JOBSD_ADDRESS(billing, company_name),
    JOBSD_ADDRESS(billing, line_1),
    JOBSD_ADDRESS(billing, line_2),
    JOBSD_ADDRESS(billing, city),
    JOBSD_ADDRESS(billing, postcode),
    JOBSD_ADDRESS(billing, county),
    JOBSD_ADDRESS(billing, country),
    JOBSD_ADDRESS(billing, region),
    JOBSD_NUMBER(created_at),
    JOBSD_NUMBER(updated_at),
};

#undef JOBSD_TEXT
#undef JOBSD_NUMBER
#undef JOBSD_ADDRESS

static_assert(std::size(kFields) == kOrderColumnCount);

// kFields, once checked against kOrderColumns: a column filled from the
// wrong field would import silently wrong data.
const Field* Fields() {
  static const Field* checked = [] {
    for (std::size_t i = 0; i < kOrderColumnCount; ++i) {
      if (kFields[i].column != kOrderColumns[i].name) {
        throw std::logic_error("order column " + std::to_string(i) + " is " +
                               std::string(kOrderColumns[i].name) + " but the row fills " +
                               std::string(kFields[i].column));
      }
    }
    return kFields;
  }();
  return checked;
}

}  // namespace

OrderRow::OrderRow(const Order& order) : derived_{ItemCount(order), ProductSkus(order)} {
  const Field* fields = Fields();
  for (std::size_t i = 0; i < kOrderColumnCount; ++i) values_[i] = fields[i].read(order, derived_);
}

std::array<std::string_view, kOrderColumnCount> OrderRow::ColumnNames() {
  std::array<std::string_view, kOrderColumnCount> names;
  for (std::size_t i = 0; i < kOrderColumnCount; ++i) names[i] = kFields[i].column;
  return names;
}

}  // namespace jobsd
