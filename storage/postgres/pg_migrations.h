// The PostgreSQL migrations compiled into the binary (migrations/postgres/
// NNNN_name.sql, embedded at build time by cmake/embed_migrations.cmake) and
// the migrator that applies them.
#pragma once

#include <span>
#include <string_view>

#include "storage/postgres/pg.h"

namespace jobsd::storage::pg {

struct Migration {
  int version;            // NNNN of the file name
  std::string_view name;  // the file name, e.g. "0001_jobs.sql"
  std::string_view sql;   // the file's contents
};

// In the generated source: every migration, ordered by version.
std::span<const Migration> EmbeddedMigrations();

// The number of the newest migration compiled into this binary.
int LatestSchemaVersion();

// The highest version recorded in schema_migrations of the connection's
// schema (the first of its search_path), 0 for an empty one.
int CurrentSchemaVersion(Connection& connection);

// Applies every migration newer than the schema's version, in order, in one
// transaction that first takes an advisory lock on the schema: several
// nodes migrating at once apply each migration exactly once, the others
// wait and find nothing to do. Throws StoreError when the schema is newer
// than this binary. Returns the resulting version.
int Migrate(Connection& connection);

}  // namespace jobsd::storage::pg
