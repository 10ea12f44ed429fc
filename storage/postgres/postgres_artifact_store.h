// ArtifactStore on PostgreSQL: export files kept in the database as rows of
// fixed-size bytea chunks, so that every node streams every file (ranges
// included) and nodes keep nothing on their own disks.
#pragma once

#include "engine/queue/artifact_store.h"
#include "storage/postgres/pg_pool.h"

namespace jobsd::storage {

class PostgresArtifactStore final : public ArtifactStore {
 public:
  explicit PostgresArtifactStore(pg::Pool& pool) : pool_(pool) {}

  std::unique_ptr<ArtifactWriter> Begin(const ArtifactSpec& spec) override;
  std::unique_ptr<ArtifactReader> Open(std::string_view key) override;
  bool Delete(std::string_view key) override;
  std::vector<std::string> ListOrphans(const std::vector<std::string>& referenced) override;
  std::string Location() const override;
  std::string Describe(std::string_view key) const override;

 private:
  pg::Pool& pool_;
};

}  // namespace jobsd::storage
