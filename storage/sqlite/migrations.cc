#include "storage/sqlite/migrations.h"

#include <stdexcept>
#include <string>

#include "storage/sqlite/database.h"

namespace jobsd::storage {
namespace {

constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL)";

// The embedded list must be strictly increasing: a gap in numbering is
// allowed, a duplicate or an out-of-order file is a build mistake.
void CheckOrdered(std::span<const Migration> migrations) {
  int previous = 0;
  for (const Migration& m : migrations) {
    if (m.version <= previous) {
      throw std::logic_error("migrations out of order or duplicated at " + std::string(m.name));
    }
    previous = m.version;
  }
}

int ReadVersion(sqlite::Connection& connection) {
  auto statement = connection.Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
  statement->Step();
  return static_cast<int>(statement->ColumnInt64(0));
}

void RefuseNewerStore(int store_version) {
  int latest = LatestSchemaVersion();
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

int CurrentSchemaVersion(sqlite::Connection& connection) {
  auto exists = connection.Prepare(
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  exists->Step();
  if (exists->ColumnInt64(0) == 0) return 0;
  return ReadVersion(connection);
}

int Migrate(sqlite::Connection& connection) {
  auto migrations = EmbeddedMigrations();
  CheckOrdered(migrations);

  // Cheap check without the write lock: most opens find nothing to do, and
  // a newer store is refused before we write anything to it.
  int version = CurrentSchemaVersion(connection);
  RefuseNewerStore(version);
  if (version == LatestSchemaVersion()) return version;

  for (const Migration& migration : migrations) {
    if (migration.version <= version) continue;
    // BEGIN IMMEDIATE takes the write lock, then we look again: another
    // process may have applied this migration while we waited.
    sqlite::Transaction transaction(connection, sqlite::TransactionKind::kImmediate);
    connection.Exec(kCreateMigrationsTable);
    version = ReadVersion(connection);
    RefuseNewerStore(version);
    if (migration.version <= version) continue;  // someone else did it

    connection.Exec(migration.sql);
    auto record = connection.Prepare(
        "INSERT INTO schema_migrations (version, name, applied_at)"
        " VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
    record->BindInt64(1, migration.version).BindText(2, migration.name);
    record->Run();
    transaction.Commit();
    version = migration.version;
  }
  return version;
}

}  // namespace jobsd::storage
