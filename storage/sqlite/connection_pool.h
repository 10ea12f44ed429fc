// A pool of SQLite connections to one database file. SQLite connections
// must not be used by two threads at once; the pool lends each thread its
// own for the length of a scope and takes it back afterwards.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "storage/sqlite/sqlite.h"

namespace jobsd::storage {

class ConnectionPool;

// A connection on loan; returned to the pool when the lease ends.
class ConnectionLease {
 public:
  ConnectionLease(ConnectionPool& pool, std::unique_ptr<sqlite::Connection> connection)
      : pool_(&pool), connection_(std::move(connection)) {}
  ~ConnectionLease();
  ConnectionLease(ConnectionLease&& other) noexcept = default;
  ConnectionLease& operator=(ConnectionLease&&) = delete;
  ConnectionLease(const ConnectionLease&) = delete;
  ConnectionLease& operator=(const ConnectionLease&) = delete;

  sqlite::Connection& operator*() const { return *connection_; }
  sqlite::Connection* operator->() const { return connection_.get(); }

 private:
  ConnectionPool* pool_;
  std::unique_ptr<sqlite::Connection> connection_;
};

class ConnectionPool {
 public:
  // `open` makes a new, fully configured connection (PRAGMAs applied).
  using Opener = std::function<std::unique_ptr<sqlite::Connection>()>;

  ConnectionPool(Opener open, int max_connections);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection, a new one while fewer than max_connections exist,
  // or else waits until one is returned.
  ConnectionLease Borrow();

  // A new connection configured like the pool's, owned by the caller and not
  // counted against max_connections (the job store's writer keeps one).
  std::unique_ptr<sqlite::Connection> OpenDetached() { return open_(); }

  // Hands an already opened connection to the pool (the one the migrator used).
  void Adopt(std::unique_ptr<sqlite::Connection> connection);

  int open_connections() const;

  // Closes the connections not on loan now, and with them all SQLite holds
  // for each (page cache, schema, prepared statements); those on loan stay.
  // The next Borrow opens a new one. For a quiet process giving memory back:
  // emptying the page caches alone left the statements that a burst had
  // prepared spread over the heap, pinning the pages around them.
  void CloseIdleConnections();

 private:
  friend class ConnectionLease;
  void Return(std::unique_ptr<sqlite::Connection> connection);

  Opener open_;
  const int max_connections_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<sqlite::Connection>> idle_;
  int open_count_ = 0;
};

}  // namespace jobsd::storage
