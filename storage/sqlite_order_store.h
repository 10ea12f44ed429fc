// engine/order_store.h on SQLite: a bulk import in one transaction with
// cached statements, and a streaming scan that hands out views into
// SQLite's row buffer (no copies, constant memory).
#pragma once

#include "engine/order_store.h"
#include "storage/connection_pool.h"

namespace jobsd::storage {

class SqliteOrderStore final : public OrderStore {
 public:
  explicit SqliteOrderStore(ConnectionPool& pool) : pool_(pool) {}

  std::unique_ptr<OrderImport> BeginImport() override;
  std::int64_t ScanOrders(const filter::Filter& filter, OrderRowSink& sink) override;
  std::int64_t CountOrders() override;

 private:
  ConnectionPool& pool_;
};

}  // namespace jobsd::storage
