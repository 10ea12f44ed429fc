#include "tests/support/store_reader.h"

#include <gtest/gtest.h>

#include <chrono>

#include "storage/files/local_artifact_store.h"
#include "storage/open_store.h"
#include "storage/postgres/pg_pool.h"
#include "storage/postgres/postgres_artifact_store.h"

namespace jobsd::testing {

StoreReader::StoreReader(const std::string& location, const std::filesystem::path& exports) {
  storage::StoreOptions options;
  options.location = location;
  options.max_connections = 2;
  store_ = storage::OpenStore(options);
  artifacts_ = store_->own_artifacts();
  if (artifacts_ == nullptr) {
    local_ = std::make_unique<storage::LocalArtifactStore>(exports, /*min_free_disk=*/0);
    artifacts_ = local_.get();
    return;
  }
  // The store's own sweep spares what is younger than its grace period;
  // the same files seen with none show what a crash left.
  storage::PostgresArtifactOptions no_grace;
  no_grace.stale_after = std::chrono::milliseconds(0);
  no_grace.deleted_kept_for = std::chrono::milliseconds(0);
  pool_ = std::make_unique<storage::pg::Pool>(location, 1);
  ungraced_ = std::make_unique<storage::PostgresArtifactStore>(*pool_, no_grace);
}

StoreReader::~StoreReader() = default;

std::vector<Job> StoreReader::Jobs() {
  std::vector<Job> jobs;
  JobQuery query;
  query.limit = 1000;
  query.now = 0;  // expired jobs too
  for (;; query.offset += query.limit) {
    JobPage page = store_->jobs().ListJobs(query);
    for (Job& job : page.jobs) jobs.push_back(std::move(job));
    if (page.jobs.size() < static_cast<std::size_t>(query.limit)) break;
  }
  return jobs;
}

std::optional<Job> StoreReader::Find(const std::string& id) {
  return store_->jobs().FindJob(id, /*now=*/0);
}

std::optional<std::string> StoreReader::Read(const std::string& key) {
  std::unique_ptr<ArtifactReader> reader = artifacts_->Open(key);
  if (reader == nullptr) return std::nullopt;
  std::string bytes(reader->size(), '\0');
  std::size_t at = 0;
  while (at < bytes.size()) {
    const std::size_t read = reader->ReadAt(at, bytes.data() + at, bytes.size() - at);
    if (read == 0) break;
    at += read;
  }
  EXPECT_EQ(at, bytes.size()) << key << " ended before its size";
  bytes.resize(at);
  return bytes;
}

std::vector<std::string> StoreReader::Leftovers() {
  const std::vector<std::string> referenced = store_->jobs().ReferencedArtifacts();
  return (ungraced_ != nullptr ? *ungraced_ : *artifacts_).ListOrphans(referenced);
}

}  // namespace jobsd::testing
