#include "tests/storage/conformance/backend.h"

#include <stdexcept>

#include "storage/memory/memory_credential_store.h"
#include "storage/memory/memory_job_store.h"
#include "storage/sqlite/database.h"

namespace jobsd::conformance {
namespace {

class SqliteBackend final : public OpenBackend {
 public:
  explicit SqliteBackend(const std::filesystem::path& dir)
      : database_(storage::Database::Open({dir / "jobsd.db"})) {}
  JobStore& jobs() override { return database_->jobs(); }
  CredentialStore& credentials() override { return database_->credentials(); }

 private:
  std::unique_ptr<storage::Database> database_;
};

class MemoryBackend final : public OpenBackend {
 public:
  JobStore& jobs() override { return jobs_; }
  CredentialStore& credentials() override { return credentials_; }

 private:
  storage::MemoryJobStore jobs_;
  storage::MemoryCredentialStore credentials_;
};

Backend Sqlite() {
  return {"Sqlite", [](const std::filesystem::path& dir) -> std::unique_ptr<OpenBackend> {
            return std::make_unique<SqliteBackend>(dir);
          }};
}

Backend Memory() {
  return {"Memory", [](const std::filesystem::path&) -> std::unique_ptr<OpenBackend> {
            return std::make_unique<MemoryBackend>();
          }};
}

}  // namespace

std::vector<Backend> AllBackends() { return {Sqlite(), Memory()}; }

std::vector<Backend> SharedBackends() { return {Sqlite()}; }

Backend BackendNamed(const std::string& name) {
  for (Backend& backend : AllBackends()) {
    if (backend.name == name) return backend;
  }
  throw std::invalid_argument("no backend named [" + name + "]");
}

}  // namespace jobsd::conformance
