// engine/orders/order_store.h's write session on PostgreSQL, in two phases
// so that the orders tables are written only in the second:
//
//  1. Staging. Every Put becomes COPY text rows in a client-side buffer;
//     each full buffer (a few MiB) goes with COPY ... FROM STDIN into two
//     temporary tables of the import's own connection. Temporary tables are
//     private to that connection and not WAL-logged; each COPY commits on
//     its own, so no transaction stays open while the input is read (it can
//     take as long as `curl … | jobsd orders import -` takes) and nothing
//     holds back vacuum. An import abandoned here (bad lines, an error,
//     kill -9) never touched the orders tables: the staging tables are
//     dropped, or die with the connection.
//  2. Merge, at Commit: one transaction that moves the staged rows in with
//     set-based statements (items of re-imported orders replaced, orders
//     upserted by id). All or nothing, as docs/orders-input.md requires. It
//     touches only orders and order_items, never jobs: job creation, claims
//     and completions go on meanwhile, and exports keep reading their
//     snapshot.
#pragma once

#include <memory>

#include "engine/orders/order_store.h"
#include "storage/postgres/pg_pool.h"

namespace jobsd::storage {

std::unique_ptr<OrderImport> BeginCopyOrderImport(pg::Pool& pool);

}  // namespace jobsd::storage
