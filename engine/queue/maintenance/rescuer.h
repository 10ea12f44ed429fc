// Takes back the jobs whose worker is gone, so that they run again: those
// whose lease lapsed (any process, any host), and at start-up those of
// ended jobsd processes on this host (without waiting for their leases).
#pragma once

#include "engine/queue/job_store.h"
#include "engine/time.h"

namespace jobsd {

class Rescuer {
 public:
  explicit Rescuer(JobStore& store);

  // Started jobs whose lease lapsed by `now` go back to pending. Returns
  // how many.
  int RunOnce(Nanos now);

  // Started jobs of jobsd processes on this host that have ended go back
  // to pending. Returns how many.
  int RescueDeadLocalWorkers(Nanos now);

 private:
  JobStore& store_;
};

}  // namespace jobsd
