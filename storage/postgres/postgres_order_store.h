// OrderStore on PostgreSQL: imports stream through COPY into a staging
// table and merge in one transaction; exports read one consistent snapshot
// through a cursor, in constant memory.
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
  pg::Pool& pool_;
};

}  // namespace jobsd::storage
