// Opens one connection the way the store's pool does: WAL, synchronous=FULL,
// foreign keys, busy timeout (see database.cc for why each). For tools and
// tests that need a raw connection with the store's exact settings.
#pragma once

#include <memory>

#include "storage/database.h"
#include "storage/sqlite.h"

namespace jobsd::storage {

std::unique_ptr<sqlite::Connection> OpenConnection(const DatabaseOptions& options);

}  // namespace jobsd::storage
