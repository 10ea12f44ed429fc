// engine/order_import's write session on SQLite, in two phases so that the
// store's write lock is held only for the second:
//
//  1. Staging. Every Put goes into a private temporary SQLite database
//     (tables copied from the store's own schema, so constraints apply as
//     they will in the store). Reading, parsing and validating the input,
//     which can take as long as the input takes to arrive (`curl … |
//     jobsd orders import -`), happen here, and the store is not locked at
//     all: jobs are created, claimed and finished meanwhile. An import
//     abandoned here (bad lines, an error, kill -9) never touched the store;
//     SQLite deletes the temporary file itself, even after kill -9, because
//     it unlinks it as soon as it is opened.
//  2. Merge, at Commit: one IMMEDIATE transaction on the store that moves the
//     staged orders and items in with set-based INSERT … SELECT statements.
//     All or nothing, as docs/orders-input.md requires, and as short as the
//     store's index maintenance and one fsync allow.
#pragma once

#include <memory>

#include "engine/orders/order_store.h"
#include "storage/sqlite/database.h"

namespace jobsd::storage {

std::unique_ptr<OrderImport> BeginStagedOrderImport(const DatabaseOptions& store);

}  // namespace jobsd::storage
