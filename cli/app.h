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
// CommandError with the store's reason.
std::unique_ptr<storage::Store> OpenStore(const Settings& settings,
                                          int busy_timeout_ms = kCommandBusyTimeoutMs);

// Registers the job types this binary runs (order_export).
void RegisterBuiltinJobTypes(JobTypeRegistry& registry, storage::Store& db);

struct App {
  explicit App(const Settings& settings, int busy_timeout_ms = kCommandBusyTimeoutMs);

  Settings settings;
  std::unique_ptr<storage::Store> db;
  // Jobs' outputs, in --exports; keeps --min-free-disk free when writing.
  std::unique_ptr<ArtifactStore> artifacts;
  JobTypeRegistry registry;
  SystemClock clock;
  std::unique_ptr<JobService> jobs;
};

}  // namespace jobsd::cli
