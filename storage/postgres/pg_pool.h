// A pool of PostgreSQL connections to one store. A libpq connection must not
// be used by two threads at once; the pool lends each caller its own for the
// length of a scope. Lost connections are dropped and replaced on demand.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "storage/postgres/pg.h"

namespace jobsd::storage::pg {

class Pool;

// A connection on loan; returned to the pool when the lease ends.
class Lease {
 public:
  Lease(Pool& pool, std::unique_ptr<Connection> connection)
      : pool_(&pool), connection_(std::move(connection)) {}
  ~Lease();
  Lease(Lease&& other) noexcept = default;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  Connection& operator*() const { return *connection_; }
  Connection* operator->() const { return connection_.get(); }

 private:
  Pool* pool_;
  std::unique_ptr<Connection> connection_;
};

class Pool {
 public:
  // `location` as for Connection::Open; at most `max_connections` at once
  // (callers beyond that wait for a connection to come back). `setup` (SQL,
  // may be empty) runs on every new connection: session settings.
  Pool(std::string location, int max_connections, std::string setup = {});
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  Lease Borrow();
  // A new connection owned by the caller, not counted (the LISTEN one).
  std::unique_ptr<Connection> OpenDetached() const;
  const std::string& location() const { return location_; }
  int open_connections() const;

 private:
  friend class Lease;
  void Return(std::unique_ptr<Connection> connection);

  const std::string location_;
  const int max_connections_;
  const std::string setup_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_count_ = 0;
};

// Runs `work(connection)` on a pooled connection, again (up to `attempts`
// times in all) when it fails by a conflict with another transaction
// (serialization failure, deadlock) or because the connection was lost
// before the work began: both leave nothing written. `work` must be one
// transaction, safe to repeat.
template <typename Work>
auto WithConnection(Pool& pool, Work&& work, int attempts = 5) {
  for (int attempt = 1;; ++attempt) {
    Lease lease = pool.Borrow();
    try {
      return work(*lease);
    } catch (const PgError& error) {
      const bool lost = !lease->healthy() && error.fault() == StoreFault::kIo;
      if (attempt >= attempts || !(error.conflict() || lost)) throw;
    }
  }
}

}  // namespace jobsd::storage::pg
