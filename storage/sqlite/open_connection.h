// Opens one connection the way the store's pool does: WAL, synchronous=FULL,
// foreign keys, busy timeout (see database.cc for why each). For tools and
// tests that need a raw connection with the store's exact settings.
#pragma once

#include <memory>

#include "storage/sqlite/database.h"
#include "storage/sqlite/sqlite.h"

namespace jobsd::storage {

// With `create` false the store's file must exist already: the pool opens
// its later connections so, and a store deleted under a running serve then
// fails to open instead of coming back as an empty file at the same path.
std::unique_ptr<sqlite::Connection> OpenConnection(const DatabaseOptions& options,
                                                   bool create = true);

}  // namespace jobsd::storage
