#include "storage/sqlite/group_writer.h"

namespace jobsd::storage {

void GroupWriter::Write(const Work& work, Sync sync) {
  Pending mine;
  mine.work = &work;
  mine.sync = sync;
  std::unique_lock lock(mutex_);
  queue_.push_back(&mine);
  while (!mine.done) {
    if (leader_) {
      done_.wait(lock);
      continue;
    }
    // Nobody is committing: lead a group of everything queued so far.
    leader_ = true;
    std::vector<Pending*> group;
    group.swap(queue_);
    lock.unlock();
    const std::exception_ptr busy = Commit(group);
    lock.lock();
    for (Pending* pending : group) pending->done = true;
    if (busy) {
      // The lock stayed held by another process for the whole wait. The
      // writes queued meanwhile would each wait it out again, one group
      // after another, holding their threads (and clients) for minutes:
      // they get the same answer now (503 + Retry-After for a request).
      for (Pending* pending : queue_) {
        pending->error = busy;
        pending->done = true;
      }
      queue_.clear();
    }
    // Whoever queued meanwhile leads the next group.
    leader_ = false;
    done_.notify_all();
  }
  if (mine.error) std::rethrow_exception(mine.error);
}

std::exception_ptr GroupWriter::Commit(const std::vector<Pending*>& group) {
  Sync sync = Sync::kNormal;
  for (const Pending* pending : group) {
    if (pending->sync == Sync::kFull) sync = Sync::kFull;
  }
  sqlite::Connection* connection = nullptr;
  try {
    if (before_each_) before_each_();
    connection = &Connection();
    SetSync(sync);
    sqlite::Transaction transaction(*connection);
    if (group.size() == 1) {
      (*group.front()->work)(*connection);  // alone: its error is the group's
    } else {
      for (Pending* pending : group) {
        // A savepoint per write: one that fails is undone alone.
        connection->Prepare("SAVEPOINT group_write")->Run();
        try {
          (*pending->work)(*connection);
        } catch (...) {
          // Some errors (I/O, disk full) make SQLite roll back the whole
          // transaction: then nothing of the group is stored.
          if (connection->InAutocommit()) throw;
          pending->error = std::current_exception();
          connection->Prepare("ROLLBACK TO group_write")->Run();
        }
        connection->Prepare("RELEASE group_write")->Run();
      }
    }
    transaction.Commit();
  } catch (...) {
    const std::exception_ptr error = std::current_exception();
    for (Pending* pending : group) pending->error = error;
    // Left inside a transaction it cannot end, the connection is useless:
    // drop it, the next group opens a new one.
    if (connection != nullptr && !connection->InAutocommit()) connection_.reset();
    try {
      throw;
    } catch (const StoreError& e) {
      if (e.fault() == StoreFault::kBusy) return error;
    } catch (...) {
    }
  }
  return nullptr;
}

sqlite::Connection& GroupWriter::Connection() {
  if (connection_ == nullptr) {
    auto opened = open_();
    // A claim updates many rows in one statement under triggers that may
    // abort it, so SQLite keeps a statement journal; past 64 KiB it spills
    // to a temporary file, created and deleted on every claim (seen with
    // strace). Temporary storage in memory keeps it there.
    opened->Exec("PRAGMA temp_store = MEMORY");
    connection_ = std::move(opened);
    connection_sync_.reset();
  }
  return *connection_;
}

void GroupWriter::SetSync(Sync sync) {
  if (sync == connection_sync_) return;
  // Cached statements: groups often alternate (outcomes, then claims).
  connection_
      ->Prepare(sync == Sync::kFull ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
      ->Run();
  connection_sync_ = sync;
}

}  // namespace jobsd::storage
