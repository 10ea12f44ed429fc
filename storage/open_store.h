// The one place that maps a --db location to a backend. A path (the
// default, ./var/jobsd.db) is a SQLite file; a URI names another backend.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "storage/store.h"

namespace jobsd::storage {

struct StoreOptions {
  std::string location;  // a SQLite file path, or a backend URI
  // How long a write waits for a lock held by another connection or
  // process (an import merging its orders) before it fails as busy.
  int busy_timeout_ms = 60'000;
  // PostgreSQL: connections at most (size it to the workers plus the API's
  // blocking threads). SQLite keeps its own small pool.
  int max_connections = 16;
};

enum class Backend { kSqlite, kPostgres };

// Which backend `location` names: postgres:// and postgresql:// URIs are
// PostgreSQL, anything else a SQLite file path.
Backend BackendOf(std::string_view location);

// Opens the store at `location`, creating and migrating it as needed.
// Throws StoreError (with a sentence for the person who typed the
// location) when it cannot, including for a backend this binary lacks.
std::unique_ptr<Store> OpenStore(const StoreOptions& options);

// Before opening for a long-running writer (serve): throws StoreError
// (StoreFault::kReadOnly) when the store at `location` exists but this
// process could open it only to fail at its first write. SQLite: the file
// and its directory (-wal, -shm); a server's store says so when opened.
void CheckWritableBeforeOpening(std::string_view location);

// `location` as it may be shown in output, logs and errors: a PostgreSQL
// URI without its password; a path as it is.
std::string DisplayLocation(std::string_view location);

// The newest schema version this binary knows for `backend`.
int LatestSchemaVersion(Backend backend);

}  // namespace jobsd::storage
