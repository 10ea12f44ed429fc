// What every command that touches jobs needs: the opened (and migrated)
// store, the artifact store over --exports, the job-type registry with the
// built-in types, a clock and the JobService in front of them.
#pragma once

#include <memory>

#include "cli/settings.h"
#include "engine/queue/artifact_store.h"
#include "engine/queue/job_service.h"
#include "engine/queue/job_type.h"
#include "engine/time.h"
#include "storage/store.h"

namespace jobsd::cli {

// How long a write waits for the lock another process holds. Commands wait
// a minute: an import merges in one transaction, and a `jobs submit` made
// meanwhile should wait for it rather than fail.
inline constexpr int kCommandBusyTimeoutMs = 60'000;

// Opens the store of `settings.db`, migrating it. Failures become
// CommandError with the store's reason (and the location without any
// password).
std::unique_ptr<storage::Store> OpenStore(const Settings& settings,
                                          int busy_timeout_ms = kCommandBusyTimeoutMs,
                                          int max_connections = 4);

// settings.db as it may be shown: a PostgreSQL URI without its password.
std::string StoreLocationForDisplay(const Settings& settings);

// Registers the job types this binary runs (order_export).
void RegisterBuiltinJobTypes(JobTypeRegistry& registry, storage::Store& db);

struct App {
  // `max_connections`: PostgreSQL connections at most (serve sizes it to its
  // workers and HTTP threads; a command needs few).
  explicit App(const Settings& settings, int busy_timeout_ms = kCommandBusyTimeoutMs,
               int max_connections = 4);

  Settings settings;
  std::unique_ptr<storage::Store> db;
  // Jobs' outputs: in the store when it keeps them (PostgreSQL: every node
  // reads every file), else files in --exports, keeping --min-free-disk
  // free when writing. Points into db or local_artifacts.
  ArtifactStore* artifacts = nullptr;
  std::unique_ptr<ArtifactStore> local_artifacts;
  JobTypeRegistry registry;
  SystemClock clock;
  std::unique_ptr<JobService> jobs;
};

}  // namespace jobsd::cli
