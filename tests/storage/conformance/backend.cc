#include "tests/storage/conformance/backend.h"

#include <stdexcept>
#include <string_view>

#include "storage/memory/memory_credential_store.h"
#include "storage/memory/memory_job_store.h"
#include "storage/memory/memory_order_store.h"
#include "storage/memory/memory_webhook_store.h"
#include "storage/postgres/pg.h"
#include "storage/postgres/postgres_store.h"
#include "storage/sqlite/database.h"
#include "storage/sqlite/sqlite.h"
#include "tests/support/test_postgres.h"

namespace jobsd::conformance {
namespace {

// The claim columns that the jobs table's CHECK asks of a job in `status`:
// a started job holds a claim, no other job does.
constexpr std::string_view kSetClaimed =
    "claimed_by = 'w', claim_token = 't', lease_expires_at = 1";
constexpr std::string_view kSetUnclaimed =
    "claimed_by = NULL, claim_token = NULL, lease_expires_at = NULL";

std::string SetClaimFor(JobStatus status) {
  return std::string(status == JobStatus::kStarted ? kSetClaimed : kSetUnclaimed);
}

std::string ClaimValuesFor(JobStatus status) {
  return status == JobStatus::kStarted ? "'w', 't', 1" : "NULL, NULL, NULL";
}

// Both schemas name the columns alike; only the placeholders differ.
std::string InsertSql(JobStatus status, std::string_view id_param, std::string_view status_param) {
  return "INSERT INTO jobs (id, job_type, status, max_attempts, created_at, updated_at, run_after,"
         " expires_at, claimed_by, claim_token, lease_expires_at) VALUES (" +
         std::string(id_param) + ", 'order_export', " + std::string(status_param) +
         ", 1, 1, 1, 1, 9, " + ClaimValuesFor(status) + ")";
}

class SqliteRawJobRows final : public RawJobRows {
 public:
  explicit SqliteRawJobRows(const std::filesystem::path& file)
      : connection_(storage::sqlite::Connection::Open(file)) {}

  void Insert(const std::string& id, JobStatus status) override {
    auto insert = connection_->PrepareUncached(InsertSql(status, "?", "?"));
    insert.BindText(1, id).BindText(2, ToString(status));
    insert.Run();
  }
  void SetStatus(const std::string& id, JobStatus status) override {
    auto update = connection_->PrepareUncached("UPDATE jobs SET status = ?, " +
                                               SetClaimFor(status) + " WHERE id = ?");
    update.BindText(1, ToString(status)).BindText(2, id);
    update.Run();
  }
  JobStatus Status(const std::string& id) override {
    auto select = connection_->PrepareUncached("SELECT status FROM jobs WHERE id = ?");
    select.BindText(1, id);
    if (!select.Step()) throw std::logic_error("no job " + id);
    return ParseJobStatus(select.ColumnString(0)).value();
  }
  bool RefusesJobsNotBornPending() const override { return false; }

 private:
  std::unique_ptr<storage::sqlite::Connection> connection_;
};

class PostgresRawJobRows final : public RawJobRows {
 public:
  explicit PostgresRawJobRows(const std::string& location)
      : connection_(storage::pg::Connection::Open(location)) {}

  void Insert(const std::string& id, JobStatus status) override {
    connection_->RunOnce(InsertSql(status, "$1", "$2"),
                         storage::pg::Params().Add(id).Add(ToString(status)));
  }
  void SetStatus(const std::string& id, JobStatus status) override {
    connection_->RunOnce("UPDATE jobs SET status = $1, " + SetClaimFor(status) + " WHERE id = $2",
                         storage::pg::Params().Add(ToString(status)).Add(id));
  }
  JobStatus Status(const std::string& id) override {
    const storage::pg::Result row = connection_->RunOnce("SELECT status FROM jobs WHERE id = $1",
                                                         storage::pg::Params().Add(id));
    if (row.rows() != 1) throw std::logic_error("no job " + id);
    return ParseJobStatus(row.String(0, 0)).value();
  }

 private:
  std::unique_ptr<storage::pg::Connection> connection_;
};

class SqliteBackend final : public OpenBackend {
 public:
  explicit SqliteBackend(const std::filesystem::path& dir)
      : file_(dir / "jobsd.db"), database_(storage::Database::Open({file_})) {}
  JobStore& jobs() override { return database_->jobs(); }
  CredentialStore& credentials() override { return database_->credentials(); }
  WebhookStore& webhooks() override { return database_->webhooks(); }
  OrderStore& orders() override { return database_->orders(); }
  std::unique_ptr<RawJobRows> raw_rows() override {
    return std::make_unique<SqliteRawJobRows>(file_);
  }

 private:
  std::filesystem::path file_;
  std::unique_ptr<storage::Database> database_;
};

class MemoryBackend final : public OpenBackend {
 public:
  JobStore& jobs() override { return jobs_; }
  CredentialStore& credentials() override { return credentials_; }
  WebhookStore& webhooks() override { return webhooks_; }
  OrderStore& orders() override { return orders_; }

 private:
  // The job store queues its finished jobs' deliveries in the webhook store.
  storage::MemoryWebhookStore webhooks_;
  storage::MemoryOrderStore orders_;
  storage::MemoryJobStore jobs_{&webhooks_};
  storage::MemoryCredentialStore credentials_;
};

// A schema of the test server per test directory: opening the same
// directory again (another handle, another process) opens the same store.
class PostgresBackend final : public OpenBackend {
 public:
  explicit PostgresBackend(const std::filesystem::path& dir)
      : location_(testing::PostgresSchemaFor(dir.string())),
        store_(storage::PostgresStore::Open({location_})) {}
  JobStore& jobs() override { return store_->jobs(); }
  CredentialStore& credentials() override { return store_->credentials(); }
  WebhookStore& webhooks() override { return store_->webhooks(); }
  OrderStore& orders() override { return store_->orders(); }
  std::unique_ptr<RawJobRows> raw_rows() override {
    return std::make_unique<PostgresRawJobRows>(location_);
  }

 private:
  std::string location_;
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

std::unique_ptr<RawJobRows> OpenBackend::raw_rows() {
  throw std::logic_error(
      "this backend has no rows to write around its verbs: use RawRowBackends()");
}

std::vector<Backend> AllBackends() { return {Sqlite(), Memory(), Postgres()}; }

std::vector<Backend> SharedBackends() { return {Sqlite(), Postgres()}; }

std::vector<Backend> RawRowBackends() { return {Sqlite(), Postgres()}; }

Backend BackendNamed(const std::string& name) {
  for (Backend& backend : AllBackends()) {
    if (backend.name == name) return backend;
  }
  throw std::invalid_argument("no backend named [" + name + "]");
}

}  // namespace jobsd::conformance
