// A jobsd store read from outside the processes that serve it, through the
// storage ports only (storage/open_store.h), so that the tests of the real
// binary check the same things on a SQLite file with its --exports
// directory and on a PostgreSQL schema that keeps the files itself: every
// job as stored (interruptions included, which no route shows), every file
// byte for byte, and what a crash may have left behind.
//
// Not thread-safe: one reader per thread.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/queue/artifact_store.h"
#include "engine/queue/job.h"

namespace jobsd::storage {
class Store;
namespace pg {
class Pool;
}
}  // namespace jobsd::storage

namespace jobsd::testing {

class StoreReader {
 public:
  // `location` as --db; `exports` as --exports (used when the store keeps
  // no files of its own). The store must exist (a command ran on it).
  StoreReader(const std::string& location, const std::filesystem::path& exports);
  ~StoreReader();

  // Every job, expired ones included, newest first.
  std::vector<Job> Jobs();
  std::optional<Job> Find(const std::string& id);

  // The whole artifact under `key`; nullopt when none can be opened (never
  // published, or deleted).
  std::optional<std::string> Read(const std::string& key);

  // What a start-up sweep without any grace period would delete: the
  // temporaries of writes cut short and published files that no job
  // references.
  std::vector<std::string> Leftovers();

  // Whether the store's own sweep leaves leftovers younger than a grace
  // period (PostgreSQL: other nodes may be writing them), rather than
  // removing them all at start-up (SQLite: one machine's directory).
  bool SweepKeepsRecentLeftovers() const { return ungraced_ != nullptr; }

 private:
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<ArtifactStore> local_;     // the --exports directory (SQLite)
  ArtifactStore* artifacts_ = nullptr;       // where the files are
  std::unique_ptr<storage::pg::Pool> pool_;  // PostgreSQL: ungraced_'s connections
  std::unique_ptr<ArtifactStore> ungraced_;  // PostgreSQL: the store's files, no grace
};

}  // namespace jobsd::testing
