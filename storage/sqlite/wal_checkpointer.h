// Copies the WAL back into the database file on a thread and connection of
// its own, so that commits do not wait for it.
//
// SQLite's default (wal_autocheckpoint = 1000) checkpoints inside the commit
// that brings the WAL past 1,000 pages: that commit copies every page back
// and fsyncs the database file before it returns. With one writer for the
// whole job store, every POST queued behind that commit waits too. Measured
// with `wrk -c64` POSTs on `jobsd serve` (10 s runs): p99 18.8-22.3 ms with
// checkpoints in the commit, 15.5-15.8 ms with none at all.
//
// Here the writer's commit hook only wakes this thread once the WAL has
// grown by kWakePages; the thread runs a PASSIVE checkpoint, which never
// waits for a lock and lets the writer go on appending. Because the writer
// keeps appending, the WAL seldom ends fully copied at the moment a write
// begins, and SQLite starts it over only then. So once the WAL holds
// kInlinePages the committing writer runs the checkpoint itself, as SQLite
// would: the pages left to copy are the few since the last background pass,
// and the next write starts the WAL over. The WAL file stays near
// kInlinePages pages (32 MiB): a little past it when the inline checkpoint
// finds the thread's pass still running and tries again at the next
// commit. The writer also copies inline when the thread has fallen
// kInlineBacklogPages behind (the cores are busy serving), so that no
// commit has more to copy than a few autocheckpoints' worth.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "storage/sqlite/sqlite.h"

namespace jobsd::storage {

class WalCheckpointer {
 public:
  // Half SQLite's default autocheckpoint (1,000): each pass then copies
  // fewer pages and ends with a shorter fsync of the database file, which
  // the commits' WAL fsyncs queue behind on the disk.
  static constexpr int kWakePages = 500;
  static constexpr int kInlinePages = 8192;
  static constexpr int kInlineBacklogPages = 3000;

  using Opener = std::function<std::unique_ptr<sqlite::Connection>()>;

  // `open` makes the checkpointing connection, on first use and again after
  // a checkpoint failed.
  explicit WalCheckpointer(Opener open);
  ~WalCheckpointer();  // stops the thread; a running checkpoint finishes
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Takes over checkpoints for `writer`'s commits (its commit hook replaces
  // SQLite's autocheckpoint). Call before `writer` first commits; the
  // checkpointer must outlive it.
  void Watch(sqlite::Connection& writer);

  // Closes the thread's connection, at once or when the running checkpoint
  // ends (the next one opens it again): what it holds is of no use idle.
  void ReleaseMemory();

  // Background checkpoints run so far (for tests).
  long background_checkpoints() const { return background_checkpoints_.load(); }

 private:
  static int OnCommit(void* self, sqlite3* db, const char* schema, int pages);
  void Run();

  Opener open_;
  // The WAL's size when the hook last woke the thread: the hook runs on
  // whichever thread commits, one commit at a time.
  std::atomic<int> woken_at_pages_{0};
  // How far into the WAL the last checkpoint copied, as it reported.
  std::atomic<int> copied_pages_{0};
  std::atomic<long> background_checkpoints_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::unique_ptr<sqlite::Connection> connection_;  // guarded by mutex_; null while in use
  bool in_use_ = false;             // guarded by mutex_: a checkpoint holds the connection
  bool release_after_use_ = false;  // guarded by mutex_: set only while in_use_
  bool wanted_ = false;    // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;     // started last, after every member it uses
};

}  // namespace jobsd::storage
