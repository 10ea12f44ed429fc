// The stores an engine test runs on: the memory ones (the engine on its
// own, no SQLite: a failure there is the engine's) and SQLite's on a real
// file (the store production runs). Suites parameterised over
// kEngineStoreKinds run on each.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "storage/memory/memory_credential_store.h"
#include "storage/memory/memory_job_store.h"
#include "storage/memory/memory_order_store.h"
#include "storage/sqlite/database.h"

namespace jobsd::testing {

enum class StoreKind { kMemory, kSqlite };

inline const auto kEngineStoreKinds = ::testing::Values(StoreKind::kMemory, StoreKind::kSqlite);

inline std::string StoreKindName(const ::testing::TestParamInfo<StoreKind>& info) {
  return info.param == StoreKind::kMemory ? "Memory" : "Sqlite";
}

class EngineStores {
 public:
  // SQLite's store is the file dir/jobsd.db.
  EngineStores(StoreKind kind, const std::filesystem::path& dir) {
    if (kind == StoreKind::kSqlite) database_ = storage::Database::Open({.path = dir / "jobsd.db"});
  }

  JobStore& jobs() { return database_ ? database_->jobs() : memory_jobs_; }
  OrderStore& orders() { return database_ ? database_->orders() : memory_orders_; }
  CredentialStore& credentials() {
    return database_ ? database_->credentials() : memory_credentials_;
  }

 private:
  std::unique_ptr<storage::Database> database_;
  storage::MemoryJobStore memory_jobs_;
  storage::MemoryOrderStore memory_orders_;
  storage::MemoryCredentialStore memory_credentials_;
};

}  // namespace jobsd::testing
