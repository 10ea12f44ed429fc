#include "storage/postgres/postgres_order_store.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"
// PLACEHOLDER: replaced by the real implementation before this lands.
namespace jobsd::storage {
namespace {
[[noreturn]] void NotYet() { throw StoreError("PostgreSQL store: not implemented yet", false); }
}  // namespace

std::unique_ptr<OrderImport> PostgresOrderStore::BeginImport() { NotYet(); }
std::int64_t PostgresOrderStore::ScanOrders(const filter::Filter& filter, OrderRowSink& sink) { NotYet(); }
std::int64_t PostgresOrderStore::CountOrders() { NotYet(); }

}  // namespace jobsd::storage
