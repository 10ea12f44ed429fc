#include "engine/queue/worker_pool.h"

#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "engine/log.h"
#include "engine/queue/worker_id.h"

namespace jobsd {
namespace {

NodeBeat ThisNode(const std::string& worker_prefix, Nanos now) {
  return NodeBeat{worker_prefix, HostName(), static_cast<std::int64_t>(::getpid()), now};
}

}  // namespace

WorkerPoolOptions WorkerPool::Resolved(WorkerPoolOptions options) {
  if (options.workers <= 0) {
    options.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  if (options.artifacts == nullptr) {
    throw std::logic_error("a worker pool needs an artifact store");
  }
  options.max_claim_batch = std::max(1, options.max_claim_batch);
  return options;
}

WorkerPool::WorkerPool(JobStore& store, const JobTypeRegistry& registry, const Clock& clock,
                       WorkerPoolOptions options, JobObserver* observer)
    : clock_(clock),
      options_(Resolved(std::move(options))),
      worker_prefix_(MakeWorkerPrefix()),
      // Fresh for half a tick: a claim is renewed at most a tick and a half
      // after it was made, so a cancel still reaches its run within a second.
      leases_(store, clock, options_.lease, options_.heartbeat / 2),
      claimer_(store, clock, leases_,
               ClaimerOptions{options_.workers, options_.lease, options_.poll_interval,
                              options_.max_claim_batch, options_.short_job}),
      executor_(registry, clock, ExecutorOptions{options_.artifacts, options_.retry}, observer),
      completer_(store, *options_.artifacts, clock, claimer_, leases_,
                 worker_prefix_ + ":completer", options_.lease, observer),
      rescuer_(store, options_.cluster, options_.leader_lease),
      retention_(store, *options_.artifacts),
      startup_sweep_(store, *options_.artifacts),
      heartbeat_(options_.cluster, ThisNode(worker_prefix_, clock_.Now()), options_.leader_lease),
      maintenance_("maintenance (leases, node heartbeat, rescue, retention)",
                   {
                       // kRenewLeasesTask
                       PeriodicTask{options_.heartbeat, /*runs_at_start=*/false,
                                    /*runs_while_draining=*/true, [this] { leases_.RenewOnce(); }},
                       // Beats on while draining: the node still holds claims.
                       PeriodicTask{options_.node_beat, /*runs_at_start=*/false,
                                    /*runs_while_draining=*/true,
                                    [this] { heartbeat_.RunOnce(clock_.Now()); }},
                       PeriodicTask{options_.rescue_interval, true, false,
                                    [this] {
                                      if (heartbeat_.leading()) rescuer_.RunOnce(clock_.Now());
                                    }},
                       PeriodicTask{options_.retention_interval, true, false,
                                    [this] {
                                      if (heartbeat_.leading()) retention_.RunOnce(clock_.Now());
                                    }},
                   }) {
  // A run's first progress report (its total now known) reaches the store
  // at once, so a started job shows meta.progress almost as it starts.
  leases_.SetOnFirstProgress([this] { maintenance_.RunSoon(kRenewLeasesTask); });
}

WorkerPool::~WorkerPool() {
  if (started_) {
    ForceStop();
    Shutdown(0);
  }
}

void WorkerPool::Start() {
  startup_sweep_.RunOnce();
  try {
    if (const int rescued = rescuer_.RescueDeadLocalWorkers(clock_.Now()); rescued > 0) {
      LogInfo("took back " + std::to_string(rescued) + " job(s) of a jobsd process that ended");
    }
  } catch (const std::exception& e) {
    LogError(std::string("worker: rescuing jobs of ended processes failed (their leases will "
                         "expire): ") +
             e.what());
  }
  started_ = true;
  if (options_.cluster != nullptr) {
    // Beat before the first claim: the leader rescues the claims of nodes
    // it does not see beating.
    try {
      heartbeat_.RunOnce(clock_.Now());
    } catch (const std::exception& e) {
      LogError(std::string("worker: the first node heartbeat failed (retrying): ") + e.what());
    }
    // A job created through another node wakes a sleeping worker here;
    // polling (poll_interval) stays as the fallback for lost wake-ups.
    wakeups_ = options_.cluster->SubscribeWakeups([this] { claimer_.Wake(); });
  }
  claimer_.OpenFor(options_.workers);
  completer_.Start();
  for (int i = 0; i < options_.workers; ++i) {
    workers_.emplace_back([this, i] { WorkerLoop(i); });
  }
  maintenance_.Start();
}

void WorkerPool::Wake() { claimer_.Wake(); }

void WorkerPool::RenewLeasesSoon() {
  leases_.RenewAllNext();
  maintenance_.RunSoon(kRenewLeasesTask);
}

void WorkerPool::WorkerLoop(int index) {
  const std::string worker_id = worker_prefix_ + ":" + std::to_string(index);
  ClaimedJob claimed;
  while (claimer_.Next(worker_id, claimed)) {
    ClaimLostFlag lost = leases_.LostFlag(claimed.job.id);
    ProgressReporter progress = leases_.Reporter(claimed.job.id);
    Execution run = executor_.Run(std::move(claimed), std::move(lost), std::move(progress));
    claimer_.RecordRunTime(run.run_time);
    if (run.verdict == Execution::Verdict::kLost) {
      // Another attempt owns the job now; our result must not count.
      leases_.Forget(run.finished.claimed.job.id, run.finished.claimed.claim_token);
    } else {
      completer_.Submit(std::move(run.finished));
    }
  }
  // The last worker out returns what was claimed but never started.
  for (ClaimedJob& job : claimer_.WorkerExited()) completer_.Release(std::move(job));
}

void WorkerPool::Shutdown(Nanos grace) {
  claimer_.Stop();
  wakeups_.reset();
  heartbeat_.StepDown();
  maintenance_.Drain();  // leases are still renewed while jobs finish
  executor_.WaitUntilIdle(grace);
  ForceStop();
  for (std::thread& thread : workers_) {
    if (thread.joinable()) thread.join();
  }
  workers_.clear();
  completer_.FlushAndStop();
  maintenance_.Join();
  heartbeat_.Leave();
  started_ = false;
}

void WorkerPool::ForceStop() {
  executor_.ForceStop();
  // A forced pool renews no more leases: what still runs is being stopped.
  if (claimer_.stopping()) maintenance_.Stop();
}

}  // namespace jobsd
