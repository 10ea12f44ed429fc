#include "storage/sqlite/connection_pool.h"

#include <utility>

namespace jobsd::storage {

ConnectionLease::~ConnectionLease() {
  if (connection_ != nullptr) pool_->Return(std::move(connection_));
}

ConnectionPool::ConnectionPool(Opener open, int max_connections)
    : open_(std::move(open)), max_connections_(max_connections < 1 ? 1 : max_connections) {}

ConnectionLease ConnectionPool::Borrow() {
  std::unique_lock lock(mutex_);
  returned_.wait(lock, [&] { return !idle_.empty() || open_count_ < max_connections_; });
  if (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return ConnectionLease(*this, std::move(connection));
  }
  // Open outside the lock: it touches the disk and may wait on busy_timeout.
  ++open_count_;
  lock.unlock();
  try {
    return ConnectionLease(*this, open_());
  } catch (...) {
    lock.lock();
    --open_count_;
    returned_.notify_one();
    throw;
  }
}

void ConnectionPool::Adopt(std::unique_ptr<sqlite::Connection> connection) {
  std::lock_guard lock(mutex_);
  ++open_count_;
  idle_.push_back(std::move(connection));
  returned_.notify_one();
}

void ConnectionPool::Return(std::unique_ptr<sqlite::Connection> connection) {
  // A lease that ended in the middle of a transaction (an exception between
  // BEGIN and the Transaction object, say) must not leak it to the next user.
  if (!connection->InAutocommit()) {
    try {
      connection->Exec("ROLLBACK");
    } catch (...) {
      connection.reset();  // unusable: drop it, a new one will be opened
    }
  }
  std::lock_guard lock(mutex_);
  if (connection != nullptr) {
    idle_.push_back(std::move(connection));
  } else {
    --open_count_;
  }
  returned_.notify_one();
}

void ConnectionPool::ReleaseIdleMemory() {
  // Under the lock, so that no connection is lent while it shrinks; a shrink
  // only frees clean pages, a few microseconds per connection.
  std::lock_guard lock(mutex_);
  for (const std::unique_ptr<sqlite::Connection>& connection : idle_) {
    try {
      connection->Exec("PRAGMA shrink_memory");
    } catch (...) {
      // Only memory is at stake; the connection stays as it was.
    }
  }
}

int ConnectionPool::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_count_;
}

}  // namespace jobsd::storage
