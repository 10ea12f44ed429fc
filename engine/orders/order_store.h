// The storage port for orders: bulk import and the streaming scan that the
// export reads. No SQL here.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "engine/filter.h"
#include "engine/orders/order.h"

namespace jobsd {

// One value of an exported row. Views point into the store's row buffer and
// are valid only during the OrderRowSink call.
struct ColumnValue {
  bool is_null = true;
  std::string_view text;    // kText
  std::int64_t number = 0;  // kInteger, kBoolean (0/1), kTimestamp (ns)
};

class OrderRowSink {
 public:
  virtual ~OrderRowSink() = default;
  // Called once, before the first row, with the number of rows the scan
  // will deliver, counted from the very snapshot the rows come from.
  virtual void OnTotal(std::int64_t rows) { (void)rows; }
  // `values` has kOrderColumnCount entries, in kOrderColumns order.
  virtual void OnRow(const ColumnValue* values) = 0;
};

// A write session: everything put is committed together or not at all.
// Destroying it without Commit() rolls back.
class OrderImport {
 public:
  virtual ~OrderImport() = default;
  virtual void Put(const Order& order) = 0;  // replaces an order with the same id
  virtual void Commit() = 0;
};

class OrderStore {
 public:
  virtual ~OrderStore() = default;

  virtual std::unique_ptr<OrderImport> BeginImport() = 0;

  // Streams every order matching `filter` (over OrderFields()) ordered by
  // created_at then id, after telling the sink how many there are
  // (OnTotal, from the same snapshot: one read transaction). Returns the
  // number of rows. Constant memory.
  virtual std::int64_t ScanOrders(const filter::Filter& filter, OrderRowSink& sink) = 0;

  virtual std::int64_t CountOrders() = 0;
};

}  // namespace jobsd
