// The SQLite store: opens (and migrates) one database file and hands out the
// engine's storage ports. Safe to use from any number of threads: each
// thread borrows its own connection from a small pool.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "engine/credential_store.h"
#include "engine/job_store.h"
#include "engine/order_store.h"

namespace jobsd::storage {

struct DatabaseOptions {
  std::filesystem::path path;
  // How long a write waits for another connection's write lock. An import
  // holds it while it merges its staged orders into the store (one
  // transaction, API.md section 7), so job writes made meanwhile (a POST, a
  // claim, `jobs submit`) wait for it rather than fail.
  int busy_timeout_ms = 60'000;
  // Set to true, every wait for the lock gives up at once (shutdown). Open
  // makes one when none is given; Database::AbortLockWaits sets it.
  std::shared_ptr<std::atomic<bool>> abort_waits = nullptr;
};

// What the readiness probe found.
struct StoreHealth {
  bool ok = false;
  std::string problem;  // when not ok: a sentence safe to show clients
  std::string detail;   // for the log: may name files, never shown to clients
};

class Database {
 public:
  // Creates the file and its directory when missing, applies pending
  // migrations, and refuses (StoreError) a store newer than this binary.
  static std::unique_ptr<Database> Open(const DatabaseOptions& options);
  virtual ~Database() = default;

  virtual JobStore& jobs() = 0;
  virtual OrderStore& orders() = 0;
  virtual CredentialStore& credentials() = 0;

  virtual int SchemaVersion() = 0;  // highest migration applied
  virtual bool Ping() = 0;          // the store answers a trivial query

  // Whether the store can be read and written right now: a real round trip
  // at most once a second, the last answer in between (storage/store_probe.h).
  virtual StoreHealth Health() = 0;
  // For `serve` at start-up: throws StoreError with a sentence that says
  // why when this process cannot write the store (read-only file or
  // directory, file gone). A lock held elsewhere is not a reason.
  virtual void CheckWritable() = 0;
  // Every wait for the write lock, now and later, gives up at once
  // (SQLITE_BUSY): shutdown past its grace does not wait out another
  // process's lock.
  virtual void AbortLockWaits() = 0;
};

// The number of the newest migration compiled into this binary.
int LatestSchemaVersion();

}  // namespace jobsd::storage
