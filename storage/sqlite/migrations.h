// The SQL migrations compiled into the binary (migrations/NNNN_name.sql,
// embedded at build time by cmake/embed_migrations.cmake) and the migrator
// that applies them.
#pragma once

#include <span>
#include <string_view>

#include "storage/sqlite/sqlite.h"

namespace jobsd::storage {

struct Migration {
  int version;            // NNNN of the file name
  std::string_view name;  // the file name, e.g. "0001_initial.sql"
  std::string_view sql;   // the file's contents
};

// In the generated source: every migration, ordered by version.
std::span<const Migration> EmbeddedMigrations();

// The highest version recorded in schema_migrations, 0 for a fresh store.
int CurrentSchemaVersion(sqlite::Connection& connection);

// Applies every migration newer than the store's version, in order, each in
// its own BEGIN IMMEDIATE transaction that re-checks the version, so two
// processes migrating at once never apply one twice. Throws StoreError when
// the store is newer than this binary. Returns the resulting version.
int Migrate(sqlite::Connection& connection);

}  // namespace jobsd::storage
