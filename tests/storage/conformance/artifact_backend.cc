#include "tests/storage/conformance/artifact_backend.h"

#include "storage/files/local_artifact_store.h"
#include "storage/postgres/pg_migrations.h"
#include "storage/postgres/pg_pool.h"
#include "storage/postgres/postgres_artifact_store.h"
#include "tests/support/test_postgres.h"

namespace jobsd::conformance {
namespace {

class LocalArtifactBackend final : public OpenArtifactBackend {
 public:
  explicit LocalArtifactBackend(const std::filesystem::path& dir)
      : store_(dir / "exports", /*min_free_disk=*/0) {}
  ArtifactStore& artifacts() override { return store_; }

 private:
  storage::LocalArtifactStore store_;
};

// A schema of the test server per test directory, migrated: the same
// directory again is the same store, as another node sees it.
class PostgresArtifactBackend final : public OpenArtifactBackend {
 public:
  PostgresArtifactBackend(const std::filesystem::path& dir, Grace grace)
      : pool_(testing::PostgresSchemaFor(dir.string()), 4), store_(pool_, OptionsFor(grace)) {
    auto lease = pool_.Borrow();
    storage::pg::Migrate(*lease);
  }
  ArtifactStore& artifacts() override { return store_; }

 private:
  static storage::PostgresArtifactOptions OptionsFor(Grace grace) {
    storage::PostgresArtifactOptions options;
    options.chunk_bytes = kTestChunkBytes;
    if (grace == Grace::kNone) {
      options.stale_after = std::chrono::milliseconds(0);
      options.deleted_kept_for = std::chrono::milliseconds(0);
    }
    return options;
  }

  storage::pg::Pool pool_;
  storage::PostgresArtifactStore store_;
};

}  // namespace

std::vector<ArtifactBackend> ArtifactBackends() {
  return {
      {"Local",
       [](const std::filesystem::path& dir, Grace) -> std::unique_ptr<OpenArtifactBackend> {
         return std::make_unique<LocalArtifactBackend>(dir);
       },
       /*orphans_wait_for_grace=*/false},
      {"Postgres",
       [](const std::filesystem::path& dir, Grace grace) -> std::unique_ptr<OpenArtifactBackend> {
         return std::make_unique<PostgresArtifactBackend>(dir, grace);
       },
       /*orphans_wait_for_grace=*/true},
  };
}

}  // namespace jobsd::conformance
