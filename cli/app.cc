#include "cli/app.h"

#include "cli/args.h"
#include "engine/order_export.h"

namespace jobsd::cli {

std::unique_ptr<storage::Database> OpenStore(const Settings& settings) {
  try {
    return storage::Database::Open(storage::DatabaseOptions{settings.db});
  } catch (const std::exception& e) {
    throw CommandError("cannot open the store " + settings.db.string() + ": " + e.what());
  }
}

void RegisterBuiltinJobTypes(JobTypeRegistry& registry, storage::Database& db,
                             const Settings& settings) {
  registry.Register("order_export",
                    std::make_unique<OrderExportJob>(db.orders(), settings.min_free_disk));
}

App::App(const Settings& s) : settings(s), db(OpenStore(s)) {
  RegisterBuiltinJobTypes(registry, *db, settings);
  JobServiceOptions options;
  options.retention = settings.retention;
  options.max_active_jobs_per_client = settings.max_active_jobs;
  jobs = std::make_unique<JobService>(db->jobs(), registry, clock, options);
}

}  // namespace jobsd::cli
