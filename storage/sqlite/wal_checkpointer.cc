#include "storage/sqlite/wal_checkpointer.h"

#include <sqlite3.h>

#include <utility>

namespace jobsd::storage {

WalCheckpointer::WalCheckpointer(Opener open)
    : open_(std::move(open)), thread_([this] { Run(); }) {}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void WalCheckpointer::Watch(sqlite::Connection& writer) {
  sqlite3_wal_hook(writer.get(), &WalCheckpointer::OnCommit, this);
}

int WalCheckpointer::OnCommit(void* self, sqlite3* db, const char* schema, int pages) {
  auto& checkpointer = *static_cast<WalCheckpointer*>(self);
  int woken_at = checkpointer.woken_at_pages_.load(std::memory_order_relaxed);
  int copied = checkpointer.copied_pages_.load(std::memory_order_relaxed);
  if (pages < woken_at || pages < copied) {  // the WAL was started over
    woken_at = copied = 0;
    checkpointer.woken_at_pages_.store(0, std::memory_order_relaxed);
    // Else a stale count would hide a backlog once the new WAL outgrows it.
    checkpointer.copied_pages_.store(0, std::memory_order_relaxed);
  }
  // Inline, as SQLite's autocheckpoint would: when the WAL is full, and
  // when the thread has fallen behind (it shares the cores with the
  // requests), so that no commit ever has more than a few thousand pages
  // to copy.
  if (pages >= kInlinePages || pages - copied >= kInlineBacklogPages) {
    int log = 0, done = 0;
    if (sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, &log, &done) ==
        SQLITE_OK) {
      checkpointer.copied_pages_.store(done, std::memory_order_relaxed);
    }
    // A busy or failed checkpoint does not matter to the commit, which is
    // done: it is tried again at the next one.
    checkpointer.woken_at_pages_.store(pages, std::memory_order_relaxed);
    return SQLITE_OK;
  }
  if (pages - woken_at >= kWakePages) {
    checkpointer.woken_at_pages_.store(pages, std::memory_order_relaxed);
    {
      std::lock_guard lock(checkpointer.mutex_);
      checkpointer.wanted_ = true;
    }
    checkpointer.wake_.notify_one();
  }
  return SQLITE_OK;
}

void WalCheckpointer::ReleaseMemory() {
  std::unique_ptr<sqlite::Connection> idle;
  std::lock_guard lock(mutex_);
  if (in_use_) {
    release_after_use_ = true;  // closed when the running checkpoint ends
  } else {
    idle = std::move(connection_);
  }
}

void WalCheckpointer::Run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return wanted_ || stopping_; });
    if (stopping_) return;
    wanted_ = false;
    in_use_ = true;
    std::unique_ptr<sqlite::Connection> connection = std::move(connection_);
    lock.unlock();
    try {
      if (connection == nullptr) connection = open_();
      // PASSIVE: copies what no reader still needs, never waits for a lock.
      int log = 0, done = 0;
      const int code = sqlite3_wal_checkpoint_v2(connection->get(), nullptr,
                                                 SQLITE_CHECKPOINT_PASSIVE, &log, &done);
      if (code == SQLITE_OK) copied_pages_.store(done, std::memory_order_relaxed);
      // SQLITE_BUSY: another checkpoint (the writer's, another process's)
      // is running, which does the same work.
      if (code != SQLITE_OK && code != SQLITE_BUSY) connection.reset();
      background_checkpoints_.fetch_add(1);
    } catch (...) {
      // Could not open the store (deleted, unreadable): the writer meets
      // the same error and reports it; checkpoints wait for the next wake.
      connection.reset();
    }
    lock.lock();
    in_use_ = false;
    if (release_after_use_) {
      release_after_use_ = false;
      lock.unlock();
      connection.reset();
      lock.lock();
    } else {
      connection_ = std::move(connection);
    }
  }
}

}  // namespace jobsd::storage
