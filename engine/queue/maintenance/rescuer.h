// Takes back the jobs whose worker is gone, so that they run again: those
// whose lease lapsed (any process, any host); with a cluster, those of
// nodes that stopped beating (a node's beat lapses in seconds, well before
// the leases of its jobs); and at start-up those of ended jobsd processes
// on this host (without waiting for their leases).
#pragma once

#include "engine/queue/cluster.h"
#include "engine/queue/job_store.h"
#include "engine/time.h"

namespace jobsd {

class Rescuer {
 public:
  // `cluster` may be null (a store of one machine). A node that has not
  // beaten for `node_timeout` is dead.
  Rescuer(JobStore& store, Cluster* cluster = nullptr, Nanos node_timeout = 0);

  // Started jobs whose lease lapsed by `now`, and those held by dead nodes,
  // go back to pending. Returns how many.
  int RunOnce(Nanos now);

  // Started jobs of jobsd processes on this host that have ended go back
  // to pending. Returns how many.
  int RescueDeadLocalWorkers(Nanos now);

 private:
  JobStore& store_;
  Cluster* cluster_;
  Nanos node_timeout_;
};

}  // namespace jobsd
