#include "storage/sqlite/connection_pool.h"

#include <utility>
#include <vector>

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

void ConnectionPool::CloseIdleConnections() {
  std::vector<std::unique_ptr<sqlite::Connection>> closing;
  {
    std::lock_guard lock(mutex_);
    closing.swap(idle_);
    open_count_ -= static_cast<int>(closing.size());
  }
  returned_.notify_all();  // room to open new ones for whoever waits
  // Closed here, outside the lock: a close may wait on the disk.
}

int ConnectionPool::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_count_;
}

}  // namespace jobsd::storage
