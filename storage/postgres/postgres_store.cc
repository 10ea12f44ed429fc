#include "storage/postgres/postgres_store.h"

#include <chrono>
#include <mutex>
#include <string>

#include "storage/postgres/pg_migrations.h"
#include "storage/postgres/pg_pool.h"
#include "storage/postgres/postgres_artifact_store.h"
#include "storage/postgres/postgres_cluster.h"
#include "storage/postgres/postgres_credential_store.h"
#include "storage/postgres/postgres_job_store.h"
#include "storage/postgres/postgres_order_store.h"
#include "storage/postgres/postgres_webhook_store.h"

namespace jobsd::storage {
namespace {

class PostgresStoreImpl final : public PostgresStore {
 public:
  explicit PostgresStoreImpl(const PostgresOptions& options)
      : pool_(options.location, options.max_connections,
              "SET lock_timeout = " + std::to_string(options.lock_timeout_ms)),
        jobs_(pool_),
        orders_(pool_),
        credentials_(pool_),
        webhooks_(pool_),
        artifacts_(pool_),
        cluster_(pool_) {
    auto lease = pool_.Borrow();
    pg::Migrate(*lease);
  }

  JobStore& jobs() override { return jobs_; }
  OrderStore& orders() override { return orders_; }
  CredentialStore& credentials() override { return credentials_; }
  WebhookStore& webhooks() override { return webhooks_; }
  ArtifactStore* own_artifacts() override { return &artifacts_; }
  Cluster* cluster() override { return &cluster_; }

  int SchemaVersion() override {
    return pg::WithConnection(pool_, [](pg::Connection& c) { return pg::CurrentSchemaVersion(c); });
  }

  bool Ping() override {
    try {
      return pg::WithConnection(
          pool_, [](pg::Connection& c) { return c.Run("SELECT 1").Int64(0, 0) == 1; });
    } catch (const StoreError&) {
      return false;
    }
  }

  StoreHealth Health() override {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(health_mutex_);
    if (now - health_checked_at_ < std::chrono::seconds(1) && health_checked_) return health_;
    health_checked_ = true;
    health_checked_at_ = now;
    try {
      CheckWritable();
      health_ = {true, "", ""};
    } catch (const StoreError& e) {
      health_ = {false, std::string(DescribeStoreFault(e.fault())), e.what()};
    }
    return health_;
  }

  void CheckWritable() override {
    pg::WithConnection(pool_, [](pg::Connection& c) {
      const pg::Result result = c.Run(
          "SELECT pg_is_in_recovery(), current_setting('transaction_read_only') = 'on',"
          " has_table_privilege('jobs', 'INSERT, UPDATE, DELETE')");
      if (result.Bool(0, 0) || result.Bool(0, 1)) {
        throw StoreError("the PostgreSQL server is read-only (a standby, or read-only by setting)",
                         /*transient=*/false, StoreFault::kReadOnly);
      }
      if (!result.Bool(0, 2)) {
        throw StoreError("this PostgreSQL user may not write the jobs table",
                         /*transient=*/false, StoreFault::kReadOnly);
      }
    });
  }

  // Lock waits on PostgreSQL end by themselves after lock_timeout; shutdown
  // past its grace closes the process, and with it every connection, which
  // ends the server's side of any wait at once.
  void AbortLockWaits() override {}

 private:
  pg::Pool pool_;
  PostgresJobStore jobs_;
  PostgresOrderStore orders_;
  PostgresCredentialStore credentials_;
  PostgresWebhookStore webhooks_;
  PostgresArtifactStore artifacts_;
  PostgresCluster cluster_;

  std::mutex health_mutex_;
  bool health_checked_ = false;
  std::chrono::steady_clock::time_point health_checked_at_{};
  StoreHealth health_;
};

}  // namespace

std::unique_ptr<PostgresStore> PostgresStore::Open(const PostgresOptions& options) {
  return std::make_unique<PostgresStoreImpl>(options);
}

}  // namespace jobsd::storage
