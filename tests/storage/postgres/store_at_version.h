// A PostgreSQL store as an older release left it: the embedded migrations
// up to `version` applied by hand and recorded, as that release did.
#pragma once

#include <memory>
#include <string>

#include "storage/postgres/pg.h"
#include "storage/postgres/pg_migrations.h"

namespace jobsd::testing {

inline std::unique_ptr<storage::pg::Connection> OpenPostgresStoreAtVersion(
    const std::string& location, int version) {
  auto connection = storage::pg::Connection::Open(location);
  connection->Exec(
      "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now())");
  for (const storage::pg::Migration& migration : storage::pg::EmbeddedMigrations()) {
    if (migration.version > version) continue;
    connection->Exec(migration.sql);
    connection->Run("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    storage::pg::Params().Add(migration.version).Add(migration.name));
  }
  return connection;
}

}  // namespace jobsd::testing
