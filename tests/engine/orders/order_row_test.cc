#include "engine/orders/order_row.h"

#include <gtest/gtest.h>

#include <string>

namespace jobsd {
namespace {

std::size_t ColumnOf(std::string_view name) {
  for (std::size_t i = 0; i < kOrderColumnCount; ++i) {
    if (kOrderColumns[i].name == name) return i;
  }
  ADD_FAILURE() << "no column " << name;
  return 0;
}

TEST(OrderRowTest, FillsTheColumnsOfTheExportInTheirOrder) {
  const auto names = OrderRow::ColumnNames();
  for (std::size_t i = 0; i < kOrderColumnCount; ++i) {
    EXPECT_EQ(names[i], kOrderColumns[i].name) << "column " << i;
  }
}

TEST(OrderRowTest, ReadsEachColumnFromItsFieldAndDerivesTheItemColumns) {
  Order order;
  order.id = "o-1";
  order.status = "complete";
  order.anonymized = false;
  order.with_tax = 1250;
  order.shipping_address.line_1 = "1 Ship St";
  order.billing_address.line_1 = "2 Bill Rd";
  order.created_at = 7;
  order.updated_at = 8;
  order.items = {{"i1", "p1", "sku-b", "B", 2, 100}, {"i2", "p2", "sku-a", "A", 3, std::nullopt}};
  const OrderRow row(order);
  auto text = [&](std::string_view column) {
    const ColumnValue& value = row.values()[ColumnOf(column)];
    EXPECT_FALSE(value.is_null) << column;
    return std::string(value.text);
  };
  auto number = [&](std::string_view column) {
    const ColumnValue& value = row.values()[ColumnOf(column)];
    EXPECT_FALSE(value.is_null) << column;
    return value.number;
  };
  EXPECT_EQ(text("id"), "o-1");
  EXPECT_EQ(text("status"), "complete");
  EXPECT_EQ(text("shipping_line_1"), "1 Ship St");
  EXPECT_EQ(text("billing_line_1"), "2 Bill Rd");
  EXPECT_EQ(text("order_number"), "");  // absent text is empty, not null
  EXPECT_EQ(number("anonymized"), 0);
  EXPECT_EQ(number("with_tax"), 1250);
  EXPECT_EQ(number("item_count"), 5);
  EXPECT_EQ(text("product_skus"), "sku-a|sku-b");
  EXPECT_EQ(number("created_at"), 7);
  EXPECT_EQ(number("updated_at"), 8);
  EXPECT_TRUE(row.values()[ColumnOf("tax")].is_null);  // absent numbers stay null
  order.anonymized.reset();
  EXPECT_TRUE(OrderRow(order).values()[ColumnOf("anonymized")].is_null);
  order.anonymized = true;
  EXPECT_EQ(OrderRow(order).values()[ColumnOf("anonymized")].number, 1);
}

}  // namespace
}  // namespace jobsd
