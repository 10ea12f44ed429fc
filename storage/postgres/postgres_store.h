// The PostgreSQL store: one database (schema) shared by any number of jobsd
// nodes. Opens a connection pool, migrates, and hands out the engine's
// storage ports (storage/store.h), including own_artifacts(): export files
// kept in the database, so that nodes keep nothing of their own.
#pragma once

#include <memory>
#include <string>

#include "engine/queue/artifact_store.h"
#include "storage/store.h"

namespace jobsd::storage {

struct PostgresOptions {
  std::string location;  // a postgresql:// URI or libpq key=value string
  // Connections at most: the workers, the API's blocking threads and the
  // maintenance services each hold one while they work.
  int max_connections = 16;
  // How long a statement waits for a row lock before failing as busy.
  int lock_timeout_ms = 60'000;
};

class PostgresStore : public Store {
 public:
  // Connects, applies pending migrations (safe when several nodes start at
  // once) and refuses a schema newer than this binary. Throws StoreError
  // with a sentence naming the location without its password.
  static std::unique_ptr<PostgresStore> Open(const PostgresOptions& options);
};

}  // namespace jobsd::storage
