// OrderStore on PostgreSQL: imports stream through COPY into staging
// tables and merge in one transaction (postgres_order_import.h); exports
// read one consistent snapshot, streamed in binary, in constant memory. Filters and ordering give
// the rows SQLite gives, byte for byte (migrations/postgres/0002_orders.sql: text columns are
// COLLATE "C").
#pragma once

#include "engine/orders/order_store.h"
#include "storage/postgres/pg_pool.h"

namespace jobsd::storage {

class PostgresOrderStore final : public OrderStore {
 public:
  explicit PostgresOrderStore(pg::Pool& pool) : pool_(pool) {}

  std::unique_ptr<OrderImport> BeginImport() override;
  std::int64_t ScanOrders(const filter::Filter& filter, OrderRowSink& sink) override;
  std::int64_t CountOrders() override;

 private:
  // A scan whose connection turns out dead before its first row tries
  // again on another, this many times in all.
  static constexpr int kScanAttempts = 3;

  pg::Pool& pool_;
};

}  // namespace jobsd::storage
