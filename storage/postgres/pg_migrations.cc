#include "storage/postgres/pg_migrations.h"

#include <stdexcept>
#include <string>

namespace jobsd::storage::pg {
namespace {

constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

void CheckOrdered(std::span<const Migration> migrations) {
  int previous = 0;
  for (const Migration& m : migrations) {
    if (m.version <= previous) {
      throw std::logic_error("migrations out of order or duplicated at " + std::string(m.name));
    }
    previous = m.version;
  }
}

void RefuseNewerStore(int store_version) {
  const int latest = LatestSchemaVersion();
  if (store_version > latest) {
    throw StoreError("the store's schema version " + std::to_string(store_version) +
                         " is newer than the latest this jobsd knows (" + std::to_string(latest) +
                         "); upgrade jobsd to open it",
                     /*transient=*/false);
  }
}

}  // namespace

int LatestSchemaVersion() {
  auto migrations = EmbeddedMigrations();
  return migrations.empty() ? 0 : migrations.back().version;
}

int CurrentSchemaVersion(Connection& connection) {
  const Result exists = connection.Run("SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (!exists.Bool(0, 0)) return 0;
  const Result version = connection.Run("SELECT coalesce(max(version), 0) FROM schema_migrations");
  return static_cast<int>(version.Int64(0, 0));
}

int Migrate(Connection& connection) {
  auto migrations = EmbeddedMigrations();
  CheckOrdered(migrations);

  // Without the lock first: most opens find nothing to do, and a newer
  // schema is refused before anything is written.
  int version = CurrentSchemaVersion(connection);
  RefuseNewerStore(version);
  if (version == LatestSchemaVersion()) return version;

  Transaction transaction(connection);
  // One lock per schema: two stores in two schemas of one database migrate
  // independently. Released with the transaction.
  connection.Run("SELECT pg_advisory_xact_lock(hashtext('jobsd.migrate.' || current_schema()))");
  connection.Exec(kCreateMigrationsTable);
  version = CurrentSchemaVersion(connection);  // another node may have done it meanwhile
  RefuseNewerStore(version);
  for (const Migration& migration : migrations) {
    if (migration.version <= version) continue;
    connection.Exec(migration.sql);
    connection.Run("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                   Params().Add(migration.version).Add(migration.name));
    version = migration.version;
  }
  transaction.Commit();
  return version;
}

}  // namespace jobsd::storage::pg
