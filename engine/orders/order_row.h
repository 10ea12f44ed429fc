// An order as the row the orders table keeps: one value per column of
// kOrderColumns (order.h), read from the Order's fields. Which field fills
// which column is written here once; each store's import (storage/sqlite,
// storage/postgres) only writes these values its own way.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/orders/order.h"
#include "engine/orders/order_store.h"

namespace jobsd {

// Built once per imported order and dropped after its row is written. Its
// text values point into the Order (which must outlive it) and into its own
// members, hence neither copyable nor movable.
class OrderRow {
 public:
  explicit OrderRow(const Order& order);
  OrderRow(const OrderRow&) = delete;
  OrderRow& operator=(const OrderRow&) = delete;

  // kOrderColumnCount values in kOrderColumns order: text as text, numbers
  // and timestamps (ns) as numbers, booleans as 0/1; absent ones null.
  const std::array<ColumnValue, kOrderColumnCount>& values() const { return values_; }

  // The column each value of values() is for, as this table names it: the
  // names of kOrderColumns, in order (a test checks it).
  static std::array<std::string_view, kOrderColumnCount> ColumnNames();

  // Values computed from the items (ItemCount, ProductSkus), once per order.
  struct Derived {
    std::int64_t item_count = 0;
    std::string product_skus;
  };

 private:
  Derived derived_;
  std::array<ColumnValue, kOrderColumnCount> values_;
};

}  // namespace jobsd
