// A store: one backend's implementation of every storage port of the engine
// (jobs, orders, credentials, webhooks), opened and migrated as one unit, plus what
// the service asks of a store as a whole (health, schema version, shutdown).
// storage/open_store.h picks the backend from the --db location.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "engine/credential_store.h"
#include "engine/orders/order_store.h"
#include "engine/queue/artifact_store.h"
#include "engine/queue/cluster.h"
#include "engine/queue/job_store.h"
#include "engine/webhooks/webhook_store.h"

namespace jobsd::storage {

// What the readiness probe found.
struct StoreHealth {
  bool ok = false;
  std::string problem;  // when not ok: a sentence safe to show clients
  std::string detail;   // for the log: may name files, never shown to clients
};

// Thread-safe: every method may be called from any thread.
class Store {
 public:
  virtual ~Store() = default;

  virtual JobStore& jobs() = 0;
  virtual OrderStore& orders() = 0;
  virtual CredentialStore& credentials() = 0;
  virtual WebhookStore& webhooks() = 0;
  // Where job outputs live when the store keeps them itself (PostgreSQL:
  // every node reads every file), or nullptr when they are files beside it
  // (SQLite: the caller keeps them in the --exports directory).
  virtual ArtifactStore* own_artifacts() { return nullptr; }
  // The nodes sharing the store (PostgreSQL), or nullptr when one machine
  // uses it (SQLite): see engine/queue/cluster.h.
  virtual Cluster* cluster() { return nullptr; }

  virtual int SchemaVersion() = 0;  // highest migration applied
  virtual bool Ping() = 0;          // the store answers a trivial query

  // Whether the store can be read and written right now: a real round trip
  // at most once a second, the last answer in between.
  virtual StoreHealth Health() = 0;
  // For `serve` at start-up: throws StoreError with a sentence that says
  // why when this process cannot write the store (read-only, gone). A lock
  // held by another process is not a reason.
  virtual void CheckWritable() = 0;
  // Every wait for a lock, now and later, gives up at once: shutdown past
  // its grace does not wait out another process's lock.
  virtual void AbortLockWaits() = 0;
  // Gives back memory that the store's caches keep from busier times and a
  // quiet process does not need (SQLite: closes the connections not in use,
  // the writer's too, with their page caches and prepared statements; the
  // next queries open them again and read those pages again).
  // Best effort: never throws. Serve calls it once a burst is over.
  virtual void ReleaseCachedMemory() {}
};

}  // namespace jobsd::storage
