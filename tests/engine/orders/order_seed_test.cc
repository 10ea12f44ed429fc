#include "engine/orders/order_seed.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "engine/orders/order.h"
#include "tests/engine/engine_stores.h"
#include "tests/support/temp_dir.h"

namespace jobsd {
namespace {

// Every field of an order, so that two orders compare equal only when all
// their fields do.
std::string Describe(const Order& o) {
  std::string out;
  auto add = [&](std::string_view s) {
    out.append(s);
    out.push_back('\x1f');
  };
  auto num = [&](const std::optional<std::int64_t>& n) { add(n ? std::to_string(*n) : "-"); };
  auto address = [&](const Address& a) {
    for (const std::string* s :
         {&a.first_name, &a.last_name, &a.phone_number, &a.company_name, &a.line_1, &a.line_2,
          &a.city, &a.postcode, &a.county, &a.country, &a.region, &a.instructions}) {
      add(*s);
    }
  };
  for (const std::string* s :
       {&o.id, &o.order_number, &o.external_ref, &o.status, &o.payment, &o.shipping, &o.customer_id,
        &o.customer_name, &o.customer_email, &o.account_id, &o.account_member_id, &o.contact_name,
        &o.contact_email, &o.currency}) {
    add(*s);
  }
  add(o.anonymized ? (*o.anonymized ? "true" : "false") : "-");
  for (const auto* n : {&o.with_tax, &o.without_tax, &o.tax, &o.discount, &o.shipping_amount,
                        &o.balance_owing, &o.paid, &o.authorized}) {
    num(*n);
  }
  address(o.shipping_address);
  address(o.billing_address);
  add(std::to_string(o.created_at));
  add(std::to_string(o.updated_at));
  for (const OrderItem& i : o.items) {
    add(i.id);
    add(i.product_id);
    add(i.sku);
    add(i.name);
    add(std::to_string(i.quantity));
    num(i.unit_price_amount);
  }
  return out;
}

TEST(OrderSeedTest, SameSeedSameOrders) {
  OrderGenerator a(42), b(42), c(43);
  Order reused;
  int differing = 0;
  for (int i = 0; i < 5000; ++i) {
    const Order x = a.Next();
    b.Next(reused);  // the reusing overload gives the same orders
    ASSERT_EQ(Describe(x), Describe(reused)) << "order " << i;
    if (Describe(c.Next()) != Describe(x)) ++differing;
  }
  EXPECT_EQ(differing, 5000);
}

TEST(OrderSeedTest, OrdersAreRealisticAndCoverTheEnums) {
  constexpr int kCount = 20'000;
  OrderGenerator generator(7, kCount);
  std::set<std::string> statuses, payments, shippings, currencies, ids;
  std::map<std::string, int> orders_per_sku;
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  const std::regex uuid_v7("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  bool comma = false, quote = false, apostrophe = false, non_ascii = false, newline = false;
  std::set<char> formula_starts;
  int with_account = 0, without_customer_id = 0, without_amounts = 0, decreasing = 0;
  std::size_t max_items = 0;
  Nanos first = 0, last = 0, previous = 0;
  for (int i = 0; i < kCount; ++i) {
    const Order o = generator.Next();
    // Order ids are UUIDv7: version 7, and the first 48 bits are the Unix
    // milliseconds of created_at (so ids sort by creation time).
    ASSERT_TRUE(std::regex_match(o.id, uuid_v7)) << o.id;
    const std::string millis_hex = o.id.substr(0, 8) + o.id.substr(9, 4);
    ASSERT_EQ(std::stoull(millis_hex, nullptr, 16),
              static_cast<unsigned long long>(o.created_at / 1'000'000))
        << o.id;
    ids.insert(o.id);
    statuses.insert(o.status);
    payments.insert(o.payment);
    shippings.insert(o.shipping);
    if (!o.currency.empty()) currencies.insert(o.currency);
    if (!o.account_id.empty()) {
      ++with_account;
      EXPECT_FALSE(o.contact_email.empty());
      EXPECT_TRUE(std::regex_match(o.account_member_id, uuid));
    }
    if (o.customer_id.empty()) ++without_customer_id;
    if (!o.with_tax) ++without_amounts;
    EXPECT_NE(o.customer_email.find('@'), std::string::npos);
    for (const std::string* text :
         {&o.customer_name, &o.external_ref, &o.shipping_address.company_name,
          &o.shipping_address.line_1, &o.shipping_address.line_2, &o.shipping_address.city,
          &o.shipping_address.instructions, &o.shipping_address.phone_number}) {
      comma |= text->find(',') != std::string::npos;
      quote |= text->find('"') != std::string::npos;
      apostrophe |= text->find('\'') != std::string::npos;
      newline |= text->find('\n') != std::string::npos;
      non_ascii |= std::any_of(text->begin(), text->end(), [](char c) { return c & 0x80; });
      if (!text->empty() && std::string_view("=+-@").find(text->front()) != std::string::npos) {
        formula_starts.insert(text->front());
      }
    }
    max_items = std::max(max_items, o.items.size());
    for (const std::string& sku : [&] {
           std::set<std::string> skus;
           for (const OrderItem& item : o.items) skus.insert(item.sku);
           return skus;
         }()) {
      ++orders_per_sku[sku];
    }
    if (o.with_tax && o.without_tax && o.tax) {
      EXPECT_EQ(*o.with_tax, *o.without_tax + *o.tax);
    }
    EXPECT_GE(o.updated_at, o.created_at);
    if (i == 0) first = o.created_at;
    if (i > 0 && o.created_at < previous) ++decreasing;
    previous = o.created_at;
    last = o.created_at;
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kCount));
  EXPECT_EQ(statuses, (std::set<std::string>{"incomplete", "processing", "complete", "cancelled"}));
  EXPECT_EQ(payments, (std::set<std::string>{"unpaid", "authorized", "partially_authorized", "paid",
                                             "partially_paid", "refunded"}));
  EXPECT_EQ(shippings, (std::set<std::string>{"unfulfilled", "fulfilled"}));
  EXPECT_GE(currencies.size(), 4u);
  EXPECT_TRUE(currencies.contains("JPY"));
  EXPECT_TRUE(comma && quote && apostrophe && non_ascii && newline);
  EXPECT_EQ(formula_starts, (std::set<char>{'=', '+', '-', '@'}));
  EXPECT_GT(with_account, kCount / 5);
  EXPECT_LT(with_account, kCount / 2);
  EXPECT_GT(without_customer_id, 0);
  EXPECT_GT(without_amounts, 0);
  EXPECT_EQ(max_items, 4u);
  // A shared SKU pool: the popular SKUs are in many orders.
  EXPECT_GE(orders_per_sku.size(), 10u);
  for (const auto& [sku, orders] : orders_per_sku) EXPECT_GT(orders, kCount / 40) << sku;
  // About two years, increasing with some jitter.
  EXPECT_GT(last - first, 600 * kNanosPerDay);
  EXPECT_LT(last - first, 800 * kNanosPerDay);
  EXPECT_GT(decreasing, 0);
  EXPECT_LT(decreasing, kCount / 2);
}

// On the memory order store and on SQLite's.
class OrderSeedStoreTest : public ::testing::TestWithParam<testing::StoreKind> {
 protected:
  testing::TempDir dir_;
  testing::EngineStores stores_{GetParam(), dir_.path()};
};

TEST_P(OrderSeedStoreTest, SeedOrdersWritesChunkedTransactions) {
  OrderStore& orders = stores_.orders();
  const SeedReport report = SeedOrders(orders, 2'005, 3, /*chunk=*/1'000);
  EXPECT_EQ(report.written, 2'005);
  EXPECT_EQ(report.transactions, 3);
  EXPECT_EQ(orders.CountOrders(), 2'005);
  // Seeding again with the same seed and count replaces the same ids (their
  // time part comes from created_at, which the count spreads): no new orders.
  EXPECT_EQ(SeedOrders(orders, 2'005, 3).transactions, 1);
  EXPECT_EQ(orders.CountOrders(), 2'005);
  EXPECT_EQ(SeedOrders(orders, 0, 3).written, 0);
}

INSTANTIATE_TEST_SUITE_P(Stores, OrderSeedStoreTest, testing::kEngineStoreKinds,
                         testing::StoreKindName);

}  // namespace
}  // namespace jobsd
