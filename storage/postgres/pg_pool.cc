#include "storage/postgres/pg_pool.h"

namespace jobsd::storage::pg {

Lease::~Lease() {
  if (connection_ != nullptr) pool_->Return(std::move(connection_));
}

Pool::Pool(std::string location, int max_connections, std::string setup)
    : location_(std::move(location)),
      max_connections_(max_connections < 1 ? 1 : max_connections),
      setup_(std::move(setup)) {}

std::unique_ptr<Connection> Pool::OpenDetached() const {
  auto connection = Connection::Open(location_);
  if (!setup_.empty()) connection->Exec(setup_);
  return connection;
}

Lease Pool::Borrow() {
  std::unique_lock lock(mutex_);
  returned_.wait(lock, [&] { return !idle_.empty() || open_count_ < max_connections_; });
  if (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(connection));
  }
  ++open_count_;
  lock.unlock();  // connecting is a network round trip or several
  try {
    return Lease(*this, OpenDetached());
  } catch (...) {
    lock.lock();
    --open_count_;
    returned_.notify_one();
    throw;
  }
}

void Pool::Return(std::unique_ptr<Connection> connection) {
  // A lease that ended inside a transaction must not hand it to the next
  // user; a lost connection is dropped and replaced on demand.
  if (connection->healthy() && connection->InTransaction()) {
    try {
      connection->Exec("ROLLBACK");
    } catch (...) {
      connection.reset();
    }
  }
  if (connection != nullptr && !connection->healthy()) connection.reset();
  std::lock_guard lock(mutex_);
  if (connection != nullptr) {
    idle_.push_back(std::move(connection));
  } else {
    --open_count_;
  }
  returned_.notify_one();
}

int Pool::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_count_;
}

}  // namespace jobsd::storage::pg
