#include "engine/queue/maintenance/rescuer.h"

#include <string>
#include <vector>

#include "engine/queue/worker_id.h"

namespace jobsd {

Rescuer::Rescuer(JobStore& store) : store_(store) {}

int Rescuer::RunOnce(Nanos now) { return store_.RescueExpiredLeases(now); }

int Rescuer::RescueDeadLocalWorkers(Nanos now) {
  const std::string host = HostName();
  std::vector<std::string> dead;
  for (const std::string& worker : store_.ClaimHolders()) {
    if (IsDeadLocalWorker(worker, host)) dead.push_back(worker);
  }
  return dead.empty() ? 0 : store_.RescueClaimsOf(dead, now);
}

}  // namespace jobsd
