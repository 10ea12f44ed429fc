#include "storage/postgres/postgres_artifact_store.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"
// PLACEHOLDER: replaced by the real implementation before this lands.
namespace jobsd::storage {
namespace {
[[noreturn]] void NotYet() { throw StoreError("PostgreSQL store: not implemented yet", false); }
}  // namespace

std::unique_ptr<ArtifactWriter> PostgresArtifactStore::Begin(const ArtifactSpec& spec) { NotYet(); }
std::unique_ptr<ArtifactReader> PostgresArtifactStore::Open(std::string_view key) { NotYet(); }
bool PostgresArtifactStore::Delete(std::string_view key) { NotYet(); }
std::vector<std::string> PostgresArtifactStore::ListOrphans(const std::vector<std::string>& referenced) { NotYet(); }
std::string PostgresArtifactStore::Location() const { NotYet(); }
std::string PostgresArtifactStore::Describe(std::string_view key) const { NotYet(); }

}  // namespace jobsd::storage
