#include "storage/memory/memory_order_store.h"

#include "engine/orders/order_row.h"
#include "storage/memory/order_filter_match.h"

namespace jobsd::storage {

class MemoryOrderStore::Import final : public OrderImport {
 public:
  explicit Import(MemoryOrderStore& store) : store_(store) {}

  void Put(const Order& order) override { batch_.insert_or_assign(order.id, order); }
  void Commit() override {
    store_.Commit(batch_);
    batch_.clear();
  }

 private:
  MemoryOrderStore& store_;
  std::unordered_map<std::string, Order> batch_;  // by id: the last put wins
};

MemoryOrderStore::MemoryOrderStore() : orders_(std::make_shared<const Orders>()) {}

std::unique_ptr<OrderImport> MemoryOrderStore::BeginImport() {
  return std::make_unique<Import>(*this);
}

std::shared_ptr<const MemoryOrderStore::Orders> MemoryOrderStore::Snapshot() {
  std::lock_guard lock(mutex_);
  return orders_;
}

void MemoryOrderStore::Commit(const std::unordered_map<std::string, Order>& batch) {
  if (batch.empty()) return;
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<Orders>(*orders_);
  for (const auto& [id, order] : batch) {
    // A re-imported order replaces the old one whole, items included.
    if (auto old = next->created_at_of.find(id); old != next->created_at_of.end()) {
      next->by_time.erase({old->second, id});
    }
    next->created_at_of[id] = order.created_at;
    next->by_time.insert_or_assign({order.created_at, id}, order);
  }
  orders_ = std::move(next);
}

std::int64_t MemoryOrderStore::ScanOrders(const filter::Filter& filter, OrderRowSink& sink) {
  const std::shared_ptr<const Orders> orders = Snapshot();
  std::int64_t total = 0;
  for (const auto& [key, order] : orders->by_time) total += MatchesOrderFilter(filter, order);
  sink.OnTotal(total);
  for (const auto& [key, order] : orders->by_time) {
    if (!MatchesOrderFilter(filter, order)) continue;
    const OrderRow row(order);
    sink.OnRow(row.values().data());
  }
  return total;
}

std::int64_t MemoryOrderStore::CountOrders() {
  return static_cast<std::int64_t>(Snapshot()->by_time.size());
}

}  // namespace jobsd::storage
