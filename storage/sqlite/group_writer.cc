#include "storage/sqlite/group_writer.h"

namespace jobsd::storage {

void GroupWriter::Write(const Work& work, Sync sync, Undo undo) {
  auto mine = std::make_shared<Pending>();
  mine->work = &work;
  mine->sync = sync;
  mine->undo = undo;
  bool lead = false;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(mine);
    if (!leader_) lead = leader_ = true;  // nobody is committing: lead at once
  }
  if (!lead) {
    mine->state.wait(Pending::kQueued, std::memory_order_acquire);
    lead = mine->state.load(std::memory_order_acquire) == Pending::kLead;
  }
  if (lead) Lead();
  if (mine->error) std::rethrow_exception(mine->error);
}

GroupWriter::~GroupWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  committer_wake_.notify_all();
  if (committer_.joinable()) committer_.join();
}

void GroupWriter::Submit(Work work, Sync sync, Undo undo, Done done) {
  auto mine = std::make_shared<Pending>();
  mine->owned_work = std::move(work);
  mine->work = &mine->owned_work;
  mine->sync = sync;
  mine->undo = undo;
  mine->done = std::move(done);
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (!committer_.joinable()) committer_ = std::thread([this] { RunCommitter(); });
    queue_.push_back(std::move(mine));
    if (!leader_) wake = leader_ = committer_leads_ = true;
  }
  if (wake) committer_wake_.notify_one();
}

void GroupWriter::RunCommitter() {
  std::unique_lock lock(mutex_);
  for (;;) {
    // Stopping, it still commits what was handed to it: the destructor
    // runs once no Write is in flight, so the lead can only be its own.
    committer_wake_.wait(lock, [this] { return committer_leads_ || (stopping_ && !leader_); });
    if (!committer_leads_) return;
    committer_leads_ = false;
    lock.unlock();
    Lead();
    lock.lock();
  }
}

void GroupWriter::Lead() {
  std::vector<PendingRef> group;
  {
    std::lock_guard lock(mutex_);
    group.swap(queue_);  // this leader's own write is the first
  }
  const std::exception_ptr busy = Commit(group);
  std::vector<PendingRef> refused;
  PendingRef next;
  bool wake_committer = false;
  {
    std::lock_guard lock(mutex_);
    if (busy) {
      // The lock stayed held by another process for the whole wait. The
      // writes queued meanwhile would each wait it out again, one group
      // after another, holding their threads (and clients) for minutes:
      // they get the same answer now (503 + Retry-After for a request).
      refused.swap(queue_);
    }
    if (queue_.empty()) {
      leader_ = false;
    } else if (queue_.front()->done) {
      // A submitted write has no thread waiting to lead its group.
      wake_committer = committer_leads_ = true;
    } else {
      next = queue_.front();  // leads the next group; the others wait on
    }
  }
  // The next group starts committing while this one's writers wake.
  if (wake_committer) committer_wake_.notify_one();
  if (next) {
    next->state.store(Pending::kLead, std::memory_order_release);
    next->state.notify_one();
  }
  for (const PendingRef& pending : refused) pending->error = busy;
  for (auto* done : {&group, &refused}) {
    for (const PendingRef& pending : *done) {
      if (pending->done) {
        try {
          pending->done(pending->error);
        } catch (...) {
          // Submit's contract: `done` does not throw. Had it, the other
          // writes of the group must still learn their outcome.
        }
        continue;
      }
      pending->state.store(Pending::kDone, std::memory_order_release);
      pending->state.notify_one();
    }
  }
}

std::exception_ptr GroupWriter::Commit(const std::vector<PendingRef>& group) {
  Sync sync = Sync::kNormal;
  for (const PendingRef& pending : group) {
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
      if (after_each_) after_each_(*connection);
    } else {
      for (const PendingRef& pending : group) {
        // A savepoint per write (unless it needs none): one that fails is
        // undone alone.
        const bool savepoint = pending->undo == Undo::kSavepoint;
        if (savepoint) connection->Prepare("SAVEPOINT group_write")->Run();
        bool wrote = false;
        try {
          (*pending->work)(*connection);
          wrote = true;
        } catch (...) {
          // Some errors (I/O, disk full) make SQLite roll back the whole
          // transaction: then nothing of the group is stored.
          if (connection->InAutocommit()) throw;
          pending->error = std::current_exception();
          if (savepoint) connection->Prepare("ROLLBACK TO group_write")->Run();
        }
        if (savepoint) connection->Prepare("RELEASE group_write")->Run();
        // Outside the savepoint: a failure here fails the whole group.
        if (wrote && after_each_) after_each_(*connection);
      }
    }
    transaction.Commit();
    if (close_after_commit_) {
      close_after_commit_ = false;
      connection_.reset();
    }
  } catch (...) {
    close_after_commit_ = false;  // its caller hears of the failure
    const std::exception_ptr error = std::current_exception();
    for (const PendingRef& pending : group) pending->error = error;
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

void GroupWriter::OpenEarly(const std::function<void(sqlite::Connection&)>& prepare) {
  try {
    prepare(Connection());
  } catch (...) {
    connection_.reset();  // the first write tries again, and tells
  }
}

void GroupWriter::CloseConnection() {
  // The flag is set and read by the leader alone, on the connection's side
  // of the lead hand-over; the empty transaction around it costs no fsync.
  Write([this](sqlite::Connection&) { close_after_commit_ = true; }, Sync::kNormal,
        Undo::kNothingWritten);
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
