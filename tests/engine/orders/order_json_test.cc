#include "engine/orders/order_json.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "engine/time.h"
#include "tests/support/temp_dir.h"

namespace jobsd {
namespace {

// A minimal valid order; tests splice fields into it.
std::string Line(const std::string& extra = "") {
  std::string line = R"({"id":"o-1","meta":{"timestamps":{"created_at":"2024-01-02T03:04:05Z"}}})";
  if (!extra.empty()) line.insert(line.size() - 1, "," + extra);
  return line;
}

// A valid order whose meta.display_price is `prices`.
std::string WithPrices(const std::string& prices) {
  return R"({"id":"o-1","meta":{"display_price":)" + prices +
         R"(,"timestamps":{"created_at":"2024-01-02T03:04:05Z"}}})";
}

std::vector<Order> ReadReferenceOrders() {
  std::ifstream in(testing::TestDataFile("orders.example.jsonl"));
  std::vector<Order> orders;
  std::string line;
  while (std::getline(in, line)) {
    OrderLineResult r = ParseOrderLine(line);
    EXPECT_TRUE(r.ok()) << r.error;
    if (r.ok()) orders.push_back(*r.order);
  }
  return orders;
}

TEST(OrderJsonTest, ParsesTheTestDataFile) {
  std::vector<Order> orders = ReadReferenceOrders();
  ASSERT_EQ(orders.size(), 3u);

  const Order& andy = orders[0];
  EXPECT_EQ(andy.id, "9ac74c41-7d64-45b6-b8e6-7e41e557b176");
  EXPECT_EQ(andy.order_number, "1001");
  EXPECT_EQ(andy.status, "complete");
  EXPECT_EQ(andy.payment, "paid");
  EXPECT_EQ(andy.shipping, "fulfilled");
  EXPECT_EQ(andy.anonymized, false);
  EXPECT_EQ(andy.customer_id, "");  // empty customer.id and no relationship
  EXPECT_EQ(andy.customer_name, "Andy Dwyer");
  EXPECT_EQ(andy.customer_email, "andy@example.com");
  EXPECT_EQ(andy.currency, "USD");
  EXPECT_EQ(andy.with_tax, 80700);
  EXPECT_EQ(andy.without_tax, 80700);
  EXPECT_EQ(andy.tax, 0);
  EXPECT_EQ(andy.paid, 80700);
  EXPECT_EQ(andy.shipping_amount, 700);
  EXPECT_EQ(andy.shipping_address.instructions, "Leave at the back door, by the \"blue\" gate");
  EXPECT_EQ(andy.shipping_address.county, "Orange");
  EXPECT_EQ(andy.billing_address.line_1, "1 Sunny Street");
  EXPECT_EQ(andy.created_at, *ParseRfc3339("2023-07-11T21:25:18Z", nullptr));
  EXPECT_EQ(andy.updated_at, *ParseRfc3339("2023-07-12T08:00:00Z", nullptr));
  ASSERT_EQ(andy.items.size(), 1u);
  EXPECT_EQ(andy.items[0].sku, "deck-shoe-001");
  EXPECT_EQ(andy.items[0].product_id, "6837058c-ae42-46db-b3c6-7f01e0c34b40");
  EXPECT_EQ(andy.items[0].quantity, 2);
  EXPECT_EQ(andy.items[0].unit_price_amount, 40000);
  EXPECT_EQ(ItemCount(andy), 2);
  EXPECT_EQ(ProductSkus(andy), "deck-shoe-001");

  const Order& zoe = orders[1];
  EXPECT_EQ(zoe.customer_name, "Zoë O'Brien, Jr.");
  EXPECT_EQ(zoe.shipping_address.first_name, "Zoë");
  EXPECT_EQ(zoe.shipping_address.last_name, "O'Brien, Jr.");
  EXPECT_EQ(zoe.shipping_address.city, "Köln");
  EXPECT_EQ(zoe.billing_address.line_1, "Hauptstraße 5");
  EXPECT_EQ(zoe.currency, "EUR");
  EXPECT_EQ(zoe.with_tax, 12345);
  // 2024-02-29T23:59:59.5Z: a leap day and half a second.
  EXPECT_EQ(zoe.created_at, 1709251199 * kNanosPerSecond + 500'000'000);
  EXPECT_EQ(FormatRfc3339Nano(zoe.created_at), "2024-02-29T23:59:59.5Z");
  EXPECT_EQ(zoe.items[0].name, "Mug, large");

  const Order& mallory = orders[2];
  EXPECT_EQ(mallory.order_number, "=1+1");
  EXPECT_EQ(mallory.customer_name, "@Mallory Eve");
  EXPECT_TRUE(mallory.items.empty());
  EXPECT_EQ(ItemCount(mallory), 0);
  EXPECT_EQ(ProductSkus(mallory), "");
  EXPECT_EQ(FormatRfc3339Nano(mallory.updated_at), "2025-01-02T10:30:00.123Z");
}

TEST(OrderJsonTest, MinimalOrderDefaults) {
  OrderLineResult r = ParseOrderLine(Line());
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.order->id, "o-1");
  EXPECT_EQ(r.order->updated_at, r.order->created_at);  // defaults to created_at
  EXPECT_FALSE(r.order->with_tax.has_value());
  EXPECT_FALSE(r.order->anonymized.has_value());
  EXPECT_EQ(r.order->customer_id, "");
  EXPECT_EQ(r.order->currency, "");
}

TEST(OrderJsonTest, CustomerIdFallsBackToRelationship) {
  const std::string rel =
      R"("relationships":{"customer":{"data":{"type":"customer","id":"c-rel"}},)"
      R"("account":{"data":{"id":"a-1"}},"account_member":{"data":{"id":"m-1"}}})";
  struct Case {
    std::string customer;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"", "c-rel"},                              // no customer object
      {R"("customer":{"id":""})", "c-rel"},       // empty id falls back
      {R"("customer":{"id":null})", "c-rel"},     // null is absent
      {R"("customer":{"id":"c-own"})", "c-own"},  // customer.id wins
  };
  for (const Case& c : cases) {
    std::string extra = c.customer.empty() ? rel : c.customer + "," + rel;
    OrderLineResult r = ParseOrderLine(Line(extra));
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.order->customer_id, c.expected) << c.customer;
    EXPECT_EQ(r.order->account_id, "a-1");
    EXPECT_EQ(r.order->account_member_id, "m-1");
  }
}

TEST(OrderJsonTest, ReadsContactAmountsAndTimestampOffsets) {
  OrderLineResult r = ParseOrderLine(
      R"({"id":"x","contact":{"name":"Ann Perkins","email":"ann@example.com"},)"
      R"("anonymized":true,"external_ref":"ref-9",)"
      R"("meta":{"display_price":{"with_tax":{"amount":-5,"currency":"GBP"},"discount":{"amount":null},)"
      R"("authorized":{"amount":7},"balance_owing":{"amount":0}},)"
      R"("timestamps":{"created_at":"2024-01-01T01:00:00+01:00","updated_at":null}}})");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.order->contact_name, "Ann Perkins");
  EXPECT_EQ(r.order->contact_email, "ann@example.com");
  EXPECT_EQ(r.order->anonymized, true);
  EXPECT_EQ(r.order->external_ref, "ref-9");
  EXPECT_EQ(r.order->with_tax, -5);
  EXPECT_EQ(r.order->currency, "GBP");
  EXPECT_FALSE(r.order->discount.has_value());
  EXPECT_EQ(r.order->authorized, 7);
  EXPECT_EQ(r.order->balance_owing, 0);
  EXPECT_FALSE(r.order->paid.has_value());
  EXPECT_EQ(FormatRfc3339Nano(r.order->created_at), "2024-01-01T00:00:00Z");
  EXPECT_EQ(r.order->updated_at, r.order->created_at);
}

TEST(OrderJsonTest, ProductSkusAreDistinctSortedByByteValue) {
  Order order;
  for (const char* sku : {"b", "a", "", "b", "Z", "é", "a-1"}) {
    order.items.push_back(OrderItem{.id = "",
                                    .product_id = "",
                                    .sku = sku,
                                    .name = "",
                                    .quantity = 2,
                                    .unit_price_amount = std::nullopt});
  }
  EXPECT_EQ(ProductSkus(order), "Z|a|a-1|b|é");  // é (0xC3...) sorts after ASCII
  EXPECT_EQ(ItemCount(order), 14);
}

TEST(OrderJsonTest, RejectsBadLinesWithTheReason) {
  struct Case {
    std::string line;
    std::string reason;
  };
  const std::string ts = R"("meta":{"timestamps":{"created_at":"2024-01-02T03:04:05Z"}})";
  const std::vector<Case> cases = {
      {"", "invalid JSON: "},
      {"not json", "invalid JSON: "},
      {R"({"id":"x",)", "invalid JSON: "},
      {R"({"id":"x"} {})", "invalid JSON: "},
      {"[1,2]", "not a JSON object (got array)"},
      {"42", "not a JSON object (got integer)"},
      {R"("order")", "not a JSON object (got string)"},
      {"null", "not a JSON object (got null)"},
      {"{" + ts + "}", "missing field id"},
      {R"({"id":null,)" + ts + "}", "missing field id"},
      {R"({"id":7,)" + ts + "}", "field id: expected a string, got integer"},
      {R"({"id":"",)" + ts + "}", "field id: must not be empty"},
      {R"({"id":"x"})", "missing field meta.timestamps.created_at"},
      {R"({"id":"x","meta":{}})", "missing field meta.timestamps.created_at"},
      {R"({"id":"x","meta":{"timestamps":{"created_at":null}}})",
       "missing field meta.timestamps.created_at"},
      {R"({"id":"x","meta":[]})", "field meta: expected an object, got array"},
      {R"({"id":"x","meta":{"timestamps":{"created_at":5}}})",
       "field meta.timestamps.created_at: expected a string, got integer"},
      {R"({"id":"x","meta":{"timestamps":{"created_at":"yesterday"}}})",
       "field meta.timestamps.created_at: invalid timestamp \"yesterday\": "},
      {R"({"id":"x","meta":{"timestamps":{"created_at":"2024-02-30T00:00:00Z"}}})",
       "field meta.timestamps.created_at: invalid timestamp \"2024-02-30T00:00:00Z\": "},
      {R"({"id":"x","meta":{"timestamps":{"created_at":"2024-01-01T00:00:00Z",)"
       R"("updated_at":"2024-01-01"}}})",
       "field meta.timestamps.updated_at: invalid timestamp \"2024-01-01\": "},
      {Line(R"("status":1)"), "field status: expected a string, got integer"},
      {Line(R"("anonymized":"no")"), "field anonymized: expected a boolean, got string"},
      {Line(R"("customer":"c-1")"), "field customer: expected an object, got string"},
      {Line(R"("customer":{"name":["A"]})"), "field customer.name: expected a string, got array"},
      {Line(R"("contact":{"email":false})"), "field contact.email: expected a string, got boolean"},
      {Line(R"("relationships":{"account":{"data":{"id":3}}})"),
       "field relationships.account.data.id: expected a string, got integer"},
      {Line(R"("relationships":{"customer":{"data":[]}})"),
       "field relationships.customer.data: expected an object, got array"},
      {Line(R"("shipping_address":{"postcode":92802})"),
       "field shipping_address.postcode: expected a string, got integer"},
      {Line(R"("billing_address":true)"), "field billing_address: expected an object, got boolean"},
      {Line(R"("items":{})"), "field items: expected an array, got object"},
      {Line(R"("items":[1])"), "field items[0]: expected an object, got integer"},
      {Line(R"("items":[{"sku":"a"},{"quantity":"2"}])"),
       "field items[1].quantity: expected an integer, got string"},
      {Line(R"("items":[{"quantity":1.5}])"),
       "field items[0].quantity: expected an integer, got number"},
      {Line(R"("items":[{"unit_price":{"amount":1e2}}])"),
       "field items[0].unit_price.amount: expected an integer, got number"},
      {Line(R"("items":[{"sku":5}])"), "field items[0].sku: expected a string, got integer"},
      {WithPrices(R"({"with_tax":{"amount":"100"}})"),
       "field meta.display_price.with_tax.amount: expected an integer, got string"},
      {WithPrices(R"({"tax":{"amount":1.5}})"),
       "field meta.display_price.tax.amount: expected an integer, got number"},
      {WithPrices(R"({"shipping":{"amount":18446744073709551615}})"),
       "field meta.display_price.shipping.amount: integer out of range"},
      {WithPrices(R"({"with_tax":{"amount":1,"currency":840}})"),
       "field meta.display_price.with_tax.currency: expected a string, got integer"},
      {WithPrices(R"({"paid":5})"),
       "field meta.display_price.paid: expected an object, got integer"},
      {"{\"id\":\"\xff\"}", "invalid JSON: "},  // not UTF-8
  };
  for (const Case& c : cases) {
    OrderLineResult r = ParseOrderLine(c.line);
    EXPECT_FALSE(r.ok()) << c.line;
    // Reasons ending in ": " continue with the JSON or time parser's words.
    if (c.reason.ends_with(": ")) {
      EXPECT_TRUE(r.error.starts_with(c.reason)) << c.line << " -> " << r.error;
      EXPECT_GT(r.error.size(), c.reason.size()) << c.line;
    } else {
      EXPECT_EQ(r.error, c.reason) << c.line;
    }
  }
}

TEST(OrderJsonTest, ReusedParserResetsEveryField) {
  OrderLineParser parser;
  Order order;
  std::string error;
  ASSERT_TRUE(
      parser.Parse(Line(R"("status":"complete","items":[{"sku":"a","quantity":1}])"), order, error))
      << error;
  EXPECT_FALSE(parser.Parse("{broken", order, error));
  ASSERT_TRUE(parser.Parse(Line(), order, error)) << error;
  EXPECT_EQ(order.status, "");
  EXPECT_TRUE(order.items.empty());
}

}  // namespace
}  // namespace jobsd
