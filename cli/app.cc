#include "cli/app.h"

#include "cli/args.h"
#include "engine/orders/order_export.h"
#include "storage/files/local_artifact_store.h"
#include "storage/open_store.h"

namespace jobsd::cli {

std::string StoreLocationForDisplay(const Settings& settings) {
  return storage::DisplayLocation(settings.db.string());
}

std::unique_ptr<storage::Store> OpenStore(const Settings& settings, int busy_timeout_ms,
                                          int max_connections) {
  try {
    storage::StoreOptions options;
    options.location = settings.db.string();
    options.busy_timeout_ms = busy_timeout_ms;
    options.max_connections = max_connections;
    return storage::OpenStore(options);
  } catch (const std::exception& e) {
    throw CommandError("cannot open the store " + StoreLocationForDisplay(settings) + ": " +
                       e.what());
  }
}

void RegisterBuiltinJobTypes(JobTypeRegistry& registry, storage::Store& db) {
  registry.Register("order_export", std::make_unique<OrderExportJob>(db.orders()));
}

App::App(const Settings& s, int busy_timeout_ms, int max_connections)
    : settings(s), db(OpenStore(s, busy_timeout_ms, max_connections)) {
  artifacts = db->own_artifacts();
  if (artifacts == nullptr) {
    local_artifacts = std::make_unique<storage::LocalArtifactStore>(s.exports, s.min_free_disk);
    artifacts = local_artifacts.get();
  }
  RegisterBuiltinJobTypes(registry, *db);
  JobServiceOptions options;
  options.retention = settings.retention;
  options.max_active_jobs_per_client = settings.max_active_jobs;
  jobs = std::make_unique<JobService>(db->jobs(), registry, clock, options);
}

}  // namespace jobsd::cli
