#include "tests/storage/conformance/backend.h"

#include <stdexcept>

#include "storage/memory/memory_credential_store.h"
#include "storage/memory/memory_job_store.h"
#include "storage/memory/memory_webhook_store.h"
#include "storage/postgres/postgres_store.h"
#include "storage/sqlite/database.h"
#include "tests/support/test_postgres.h"

namespace jobsd::conformance {
namespace {

class SqliteBackend final : public OpenBackend {
 public:
  explicit SqliteBackend(const std::filesystem::path& dir)
      : database_(storage::Database::Open({dir / "jobsd.db"})) {}
  JobStore& jobs() override { return database_->jobs(); }
  CredentialStore& credentials() override { return database_->credentials(); }
  WebhookStore& webhooks() override { return database_->webhooks(); }
  OrderStore& orders() override { return database_->orders(); }

 private:
  std::unique_ptr<storage::Database> database_;
};

class MemoryBackend final : public OpenBackend {
 public:
  JobStore& jobs() override { return jobs_; }
  CredentialStore& credentials() override { return credentials_; }
  WebhookStore& webhooks() override { return webhooks_; }

 private:
  storage::MemoryJobStore jobs_;
  storage::MemoryCredentialStore credentials_;
  storage::MemoryWebhookStore webhooks_;
};

// A schema of the test server per test directory: opening the same
// directory again (another handle, another process) opens the same store.
class PostgresBackend final : public OpenBackend {
 public:
  explicit PostgresBackend(const std::filesystem::path& dir)
      : store_(storage::PostgresStore::Open({testing::PostgresSchemaFor(dir.string())})) {}
  JobStore& jobs() override { return store_->jobs(); }
  CredentialStore& credentials() override { return store_->credentials(); }
  WebhookStore& webhooks() override { return store_->webhooks(); }
  OrderStore& orders() override { return store_->orders(); }

 private:
  std::unique_ptr<storage::PostgresStore> store_;
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

Backend Postgres() {
  return {"Postgres", [](const std::filesystem::path& dir) -> std::unique_ptr<OpenBackend> {
            return std::make_unique<PostgresBackend>(dir);
          }};
}

}  // namespace

OrderStore& OpenBackend::orders() {
  throw std::logic_error("this backend keeps no orders: run order tests over OrderBackends()");
}

std::vector<Backend> AllBackends() { return {Sqlite(), Memory(), Postgres()}; }

std::vector<Backend> SharedBackends() { return {Sqlite(), Postgres()}; }

std::vector<Backend> OrderBackends() { return {Sqlite(), Postgres()}; }

Backend BackendNamed(const std::string& name) {
  for (Backend& backend : AllBackends()) {
    if (backend.name == name) return backend;
  }
  throw std::invalid_argument("no backend named [" + name + "]");
}

}  // namespace jobsd::conformance
