#include "storage/sqlite/store_probe.h"

#include <sys/statvfs.h>

#include <cstdio>

#include "engine/log.h"
#include "storage/sqlite/sqlite.h"

namespace jobsd::storage {
namespace {

constexpr auto kCacheFor = std::chrono::seconds(1);
// A busy probe must not make a probe wait: the lock is held for a commit
// (an fsync) at a time by this process; longer means another process.
constexpr auto kProbeLockWait = std::chrono::milliseconds(250);
// Less than this on the store's file system is a full disk for a store
// whose every commit appends a few pages to the WAL.
constexpr unsigned long long kMinFreeBytes = 256 * 1024;

StoreHealth Healthy() { return StoreHealth{true, "", ""}; }

StoreHealth Broken(StoreFault fault, std::string detail) {
  return StoreHealth{false, std::string(DescribeStoreFault(fault)), std::move(detail)};
}

std::optional<StoreHealth> CheckFreeSpace(const std::filesystem::path& store) {
  std::filesystem::path dir = store.parent_path();
  if (dir.empty()) dir = ".";
  struct statvfs info {};
  if (::statvfs(dir.c_str(), &info) != 0) return std::nullopt;  // the round trip will tell
  const unsigned long long free_bytes =
      static_cast<unsigned long long>(info.f_bavail) * info.f_frsize;
  if (free_bytes >= kMinFreeBytes) return std::nullopt;
  return Broken(StoreFault::kDiskFull, std::to_string(free_bytes) +
                                           " bytes free on the file "
                                           "system of " +
                                           store.string());
}

}  // namespace

StoreProbe::StoreProbe(DatabaseOptions options, const StoreFileWatch& watch)
    : options_(std::move(options)), watch_(watch) {}

StoreHealth StoreProbe::Check() {
  std::unique_lock probing(probe_mutex_, std::defer_lock);
  {
    std::lock_guard lock(result_mutex_);
    if (last_ && std::chrono::steady_clock::now() - last_at_ < kCacheFor) return *last_;
    // Someone is probing: their answer is at most a probe old.
    if (!probing.try_lock() && last_) return *last_;
  }
  if (!probing.owns_lock()) probing.lock();  // the very first answer
  {
    std::lock_guard lock(result_mutex_);
    if (last_ && std::chrono::steady_clock::now() - last_at_ < kCacheFor) return *last_;
  }
  StoreHealth health = ProbeNow(kProbeLockWait);
  std::lock_guard lock(result_mutex_);
  // Logged once per episode: when the answer changes, not every second.
  if (!health.ok && (!last_ || last_->ok || last_->problem != health.problem)) {
    LogError("store: not ready: " + health.problem + " (" + health.detail + ")");
  } else if (health.ok && last_ && !last_->ok) {
    LogInfo("store: ready again");
  }
  last_ = health;
  last_at_ = std::chrono::steady_clock::now();
  return health;
}

StoreHealth StoreProbe::ProbeNow(std::chrono::milliseconds wait) {
  if (auto problem = watch_.Problem()) return Broken(StoreFault::kMoved, *problem);
  if (auto full = CheckFreeSpace(options_.path)) return *full;
  try {
    // Not created when missing: a missing file is a broken store, not a new one.
    auto connection = sqlite::Connection::OpenExisting(options_.path);
    connection->SetBusyWait(wait, options_.abort_waits);
    if (connection->ReadOnly()) {
      return Broken(StoreFault::kReadOnly,
                    "the file " + options_.path.string() + " is not writable by this process");
    }
    connection->Exec("BEGIN IMMEDIATE");
    auto read = connection->PrepareUncached("SELECT count(*) FROM (SELECT 1 FROM jobs LIMIT 1)");
    read.Step();
    connection->Exec("ROLLBACK");
    return Healthy();
  } catch (const StoreError& e) {
    if (e.fault() == StoreFault::kOther) {
      // The round trip is plain SQL on a known table: what fails it is the
      // file (truncated, damaged, or another program's database).
      return StoreHealth{false,
                         "the job store cannot be read (its file is damaged, truncated or not a "
                         "jobsd store)",
                         e.what()};
    }
    return Broken(e.fault(), e.what());
  }
}

}  // namespace jobsd::storage
