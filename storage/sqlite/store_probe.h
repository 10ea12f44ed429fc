// The readiness check of the store (the README's "Security and limits"): can it be read and
// written right now? Answered by a real round trip, at most once a second.
//
// A round trip on a fresh connection (so nothing comes from a page cache):
// BEGIN IMMEDIATE takes the write lock, which fails on a read-only file or
// directory and while another process holds the lock; a SELECT reads a
// real page of the jobs table, which fails on a truncated or damaged file;
// ROLLBACK leaves no trace, so the probe adds nothing to the WAL, however
// long jobsd runs. What a rollback cannot show, a full disk, is read from
// statvfs(2), and a deleted or replaced file from StoreFileWatch.
//
// Thread-safe. A caller that comes while a probe runs gets the last answer
// instead of waiting for it.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "storage/sqlite/database.h"
#include "storage/sqlite/store_file.h"

namespace jobsd::storage {

class StoreProbe {
 public:
  StoreProbe(DatabaseOptions options, const StoreFileWatch& watch);

  // The last answer if it is under a second old, else a new one.
  StoreHealth Check();
  // A new answer now, without the cache; `wait` is how long to wait for
  // the write lock.
  StoreHealth ProbeNow(std::chrono::milliseconds wait);

 private:
  DatabaseOptions options_;
  const StoreFileWatch& watch_;
  std::mutex probe_mutex_;  // one probe at a time
  std::mutex result_mutex_;
  std::optional<StoreHealth> last_;                // guarded by result_mutex_
  std::chrono::steady_clock::time_point last_at_;  // guarded by result_mutex_
};

}  // namespace jobsd::storage
