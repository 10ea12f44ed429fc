// The SQLite store: opens (and migrates) one database file and hands out the
// engine's storage ports. Safe to use from any number of threads: each
// thread borrows its own connection from a small pool.
#pragma once

#include <filesystem>
#include <memory>

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
};

// The number of the newest migration compiled into this binary.
int LatestSchemaVersion();

}  // namespace jobsd::storage
