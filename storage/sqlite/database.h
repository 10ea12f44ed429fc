// The SQLite store: opens (and migrates) one database file and hands out the
// engine's storage ports (storage/store.h). Safe to use from any number of threads: each
// thread borrows its own connection from a small pool.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "storage/store.h"

namespace jobsd::storage {

struct DatabaseOptions {
  std::filesystem::path path;
  // How long a write waits for another connection's write lock. An import
  // holds it while it merges its staged orders into the store (one
  // transaction, docs/orders-input.md), so job writes made meanwhile (a POST, a
  // claim, `jobs submit`) wait for it rather than fail.
  int busy_timeout_ms = 60'000;
  // Set to true, every wait for the lock gives up at once (shutdown). Open
  // makes one when none is given; Database::AbortLockWaits sets it.
  std::shared_ptr<std::atomic<bool>> abort_waits = nullptr;
};

// The SQLite store. Tests that need SQLite itself open it directly;
// everything else goes through storage::OpenStore.
class Database : public Store {
 public:
  // Creates the file and its directory when missing, applies pending
  // migrations, and refuses (StoreError) a store newer than this binary.
  static std::unique_ptr<Database> Open(const DatabaseOptions& options);
};

// The number of the newest migration compiled into this binary.
int LatestSchemaVersion();

}  // namespace jobsd::storage
