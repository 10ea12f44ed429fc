// The worker pool: the composition of the queue's parts, and the threads
// that drive them.
//
//   claimer        takes pending jobs in batches into a local queue
//   lease keeper   renews the leases of the claims this process holds
//   executor       runs a claimed job, decides its outcome (N workers)
//   completer      records outcomes in batches, fenced (its own thread)
//   maintenance    lease renewal, node heartbeat, rescuer, retention (one
//                  periodic runner; with a cluster, rescue and retention run
//                  only on the node that leads maintenance)
//
// Start sweeps the exports directory and rescues the jobs of ended local
// processes first. Shutdown stops claiming, gives running jobs a grace,
// then forces them, releases queued and running claims, and joins.
//
// Thread-safety: Start, Wake, Shutdown and ForceStop may be called from any
// thread. Shutdown may be called once; ForceStop at any time after it.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/queue/artifact_store.h"
#include "engine/queue/claimer.h"
#include "engine/queue/cluster.h"
#include "engine/queue/completer.h"
#include "engine/queue/executor.h"
#include "engine/queue/job_observer.h"
#include "engine/queue/job_store.h"
#include "engine/queue/job_type.h"
#include "engine/queue/lease_keeper.h"
#include "engine/queue/maintenance/node_heartbeat.h"
#include "engine/queue/maintenance/periodic_runner.h"
#include "engine/queue/maintenance/rescuer.h"
#include "engine/queue/maintenance/retention.h"
#include "engine/queue/maintenance/startup_sweep.h"
#include "engine/queue/retry_policy.h"
#include "engine/time.h"

namespace jobsd {

struct WorkerPoolOptions {
  int workers = 0;  // 0: one per core
  // Required: where jobs write their artifacts, and where retention and the
  // start-up sweep delete them. Outlives the pool.
  ArtifactStore* artifacts = nullptr;
  // The nodes sharing the store (PostgreSQL), or nullptr for a store of one
  // machine. With one: the node beats every `node_beat`, runs rescue and
  // retention only while it leads maintenance (a lead lasts `leader_lease`
  // without a beat; a node silent that long is dead and the leader rescues
  // its claims), and wakes its workers when another node creates a job.
  Cluster* cluster = nullptr;
  Nanos node_beat = 1 * kNanosPerSecond;
  Nanos leader_lease = 5 * kNanosPerSecond;
  Nanos lease = 30 * kNanosPerSecond;
  // How often the leases of held claims are renewed, which is also how soon
  // a run learns that its job was cancelled (docs/jobs.md: within a
  // second, on whichever node) and how fresh its stored progress is (at
  // least once a second). One store transaction per tick for all claims,
  // none while nothing is held.
  Nanos heartbeat = 500'000'000;
  // Jobs created by another process (jobsd jobs submit) are found by polling.
  Nanos poll_interval = 200'000'000;
  Nanos rescue_interval = 1 * kNanosPerSecond;
  Nanos retention_interval = 5 * kNanosPerSecond;
  RetryPolicy retry;
  // The claimer's adaptive batches (claimer.h): short jobs are claimed many
  // per transaction, up to max_claim_batch; jobs longer than `short_job` on
  // average one at a time.
  int max_claim_batch = 256;
  Nanos short_job = 2'000'000;
};

class WorkerPool {
 public:
  WorkerPool(JobStore& store, const JobTypeRegistry& registry, const Clock& clock,
             WorkerPoolOptions options, JobObserver* observer = nullptr);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Sweeps temporary and orphaned export files, takes back the jobs of
  // ended local processes, then starts the threads.
  void Start();

  // A job was created in this process: a sleeping worker claims it now.
  void Wake();

  // A job was cancelled in this process: renew the leases now, so that a
  // run of it here learns at once that its claim is gone.
  void RenewLeasesSoon();

  // Stops claiming, lets running jobs finish for up to `grace`, then asks
  // them to stop and returns their jobs to pending. Joins all threads.
  void Shutdown(Nanos grace);

  // Makes a Shutdown in progress stop waiting: running jobs are asked to
  // stop at once (a second SIGTERM).
  void ForceStop();

  int worker_count() const { return options_.workers; }

 private:
  // The lease renewal's place in maintenance_'s tasks.
  static constexpr std::size_t kRenewLeasesTask = 0;

  static WorkerPoolOptions Resolved(WorkerPoolOptions options);
  void WorkerLoop(int index);

  const Clock& clock_;
  const WorkerPoolOptions options_;
  const std::string worker_prefix_;

  LeaseKeeper leases_;
  Claimer claimer_;
  Executor executor_;
  Completer completer_;
  Rescuer rescuer_;
  Retention retention_;
  StartupSweep startup_sweep_;
  NodeHeartbeat heartbeat_;
  PeriodicRunner maintenance_;
  std::unique_ptr<WakeupSubscription> wakeups_;

  std::vector<std::thread> workers_;
  bool started_ = false;
};

}  // namespace jobsd
