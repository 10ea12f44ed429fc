#include "storage/open_store.h"

#include "storage/postgres/pg.h"
#include "storage/postgres/pg_migrations.h"
#include "storage/postgres/postgres_store.h"
#include "storage/sqlite/database.h"
#include "storage/sqlite/migrations.h"
#include "storage/sqlite/store_file.h"

namespace jobsd::storage {

Backend BackendOf(std::string_view location) {
  if (location.starts_with("postgres://") || location.starts_with("postgresql://")) {
    return Backend::kPostgres;
  }
  return Backend::kSqlite;
}

void CheckWritableBeforeOpening(std::string_view location) {
  if (BackendOf(location) == Backend::kSqlite) CheckStoreFileWritable(std::string(location));
}

std::unique_ptr<Store> OpenStore(const StoreOptions& options) {
  switch (BackendOf(options.location)) {
    case Backend::kSqlite: {
      DatabaseOptions sqlite;
      sqlite.path = options.location;
      sqlite.busy_timeout_ms = options.busy_timeout_ms;
      return Database::Open(sqlite);
    }
    case Backend::kPostgres: {
      PostgresOptions postgres;
      postgres.location = options.location;
      postgres.max_connections = options.max_connections;
      postgres.lock_timeout_ms = options.busy_timeout_ms;
      return PostgresStore::Open(postgres);
    }
  }
  throw StoreError("unknown store backend", /*transient=*/false);
}

std::string DisplayLocation(std::string_view location) {
  return BackendOf(location) == Backend::kPostgres ? pg::RedactPassword(location)
                                                   : std::string(location);
}

int LatestSchemaVersion(Backend backend) {
  return backend == Backend::kSqlite ? LatestSchemaVersion() : pg::LatestSchemaVersion();
}

}  // namespace jobsd::storage
