// The order store held in memory (engine/orders/order_store.h), for engine
// tests that need orders without SQLite; it passes the order conformance
// suite. Each import's commit replaces the whole set of orders with a new
// immutable one, so a scan reads the snapshot it started from while
// imports commit. Fine for tests; no store for a million orders.
//
// Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "engine/orders/order_store.h"

namespace jobsd::storage {

class MemoryOrderStore final : public OrderStore {
 public:
  MemoryOrderStore();

  std::unique_ptr<OrderImport> BeginImport() override;
  std::int64_t ScanOrders(const filter::Filter& filter, OrderRowSink& sink) override;
  std::int64_t CountOrders() override;

 private:
  class Import;
  // Every order, in the scan's order (created_at, then id by bytes), and
  // where each id is in it.
  struct Orders {
    std::map<std::pair<Nanos, std::string>, Order> by_time;
    std::unordered_map<std::string, Nanos> created_at_of;
  };

  std::shared_ptr<const Orders> Snapshot();
  // Puts `batch` (by id, the last put of each) in one step.
  void Commit(const std::unordered_map<std::string, Order>& batch);

  std::mutex mutex_;
  std::shared_ptr<const Orders> orders_;  // guarded by mutex_; never changed once published
};

}  // namespace jobsd::storage
