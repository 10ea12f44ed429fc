// engine/orders/order_store.h on SQLite: a bulk import that holds the store's write
// lock only for its final merge (sqlite_order_import.h), and a streaming
// scan that hands out views into SQLite's row buffer (no copies, constant
// memory).
#pragma once

#include <utility>

#include "engine/orders/order_store.h"
#include "storage/sqlite/connection_pool.h"
#include "storage/sqlite/database.h"

namespace jobsd::storage {

class SqliteOrderStore final : public OrderStore {
 public:
  // `options` locate the store for the import, which works on its own
  // connection (see sqlite_order_import.h).
  SqliteOrderStore(ConnectionPool& pool, DatabaseOptions options)
      : pool_(pool), options_(std::move(options)) {}

  std::unique_ptr<OrderImport> BeginImport() override;
  std::int64_t ScanOrders(const filter::Filter& filter, OrderRowSink& sink) override;
  std::int64_t CountOrders() override;

 private:
  ConnectionPool& pool_;
  DatabaseOptions options_;
};

}  // namespace jobsd::storage
