// The worker pool: N threads that claim pending jobs, run them through the
// job-type registry and record the outcome, plus one maintenance thread
// that renews leases (heartbeats), rescues jobs whose worker vanished, and
// deletes expired jobs with their artifacts.
//
// Thread-safety: Start, Wake, Shutdown and ForceStop may be called from any
// thread. Shutdown may be called once; ForceStop at any time after it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/queue/artifact_store.h"
#include "engine/queue/failure_episode.h"
#include "engine/queue/job_store.h"
#include "engine/queue/job_type.h"
#include "engine/queue/retry_policy.h"
#include "engine/time.h"

namespace jobsd {

// Told about every run; the service's metrics implement it.
class JobObserver {
 public:
  virtual ~JobObserver() = default;
  virtual void OnJobStarted(const Job& job) = 0;
  // `status` is where the job went: success, failed, or pending (retry).
  virtual void OnJobFinished(const Job& job, JobStatus status, Nanos duration,
                             std::int64_t rows) = 0;
};

struct WorkerPoolOptions {
  int workers = 0;  // 0: one per core
  // Required: where jobs write their artifacts, and where retention and the
  // start-up sweep delete them. Outlives the pool.
  ArtifactStore* artifacts = nullptr;
  Nanos lease = 30 * kNanosPerSecond;
  Nanos heartbeat = 10 * kNanosPerSecond;
  // Jobs created by another process (jobsd jobs submit) are found by polling.
  Nanos poll_interval = 200'000'000;
  Nanos rescue_interval = 1 * kNanosPerSecond;
  Nanos retention_interval = 5 * kNanosPerSecond;
  RetryPolicy retry;
  // Short jobs are claimed many per transaction and shared by the workers
  // through a local queue: about 16 x short_job of work per worker, at most
  // max_claim_batch, so tiny jobs share transactions in large numbers while
  // none waits long as "started" behind the others. Jobs that take longer
  // than `short_job` on average are claimed one at a time, so none waits
  // behind a long one. While short jobs run, the completer tops the queue up
  // in the transaction that records their outcomes.
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

  // Sweeps temporary and orphaned artifacts, takes back the jobs of
  // ended local processes, then starts the threads.
  void Start();

  // A job was created in this process: a sleeping worker claims it now.
  void Wake();

  // Stops claiming, lets running jobs finish for up to `grace`, then asks
  // them to stop and returns their jobs to pending. Joins all threads.
  void Shutdown(Nanos grace);

  // Makes a Shutdown in progress stop waiting: running jobs are asked to
  // stop at once (a second SIGTERM).
  void ForceStop();

  int worker_count() const { return options_.workers; }

  // One pass of each maintenance task, for tests with a manual clock.
  int RescueOnce();
  // Started jobs of jobsd processes on this host that have ended.
  int RescueDeadLocalWorkersOnce();
  int DeleteExpiredOnce();
  int SweepExportsDirOnce();

 private:
  // A claim this process holds: queued, running, or awaiting the commit of
  // its outcome. Its lease is renewed until that commit.
  struct Held {
    std::string token;
    std::shared_ptr<std::atomic<bool>> lost;  // the lease was taken away
  };
  // An outcome waiting for the completer's next transaction.
  struct Finished {
    ClaimedJob claimed;
    JobCompletion completion;
    JobStatus status;  // where the job goes
    Nanos duration = 0;
    std::int64_t rows = 0;
  };

  void WorkerLoop(int index);
  bool TakeQueued(ClaimedJob& out);
  // False when the claim failed: the caller waits claim_failures_'s delay.
  bool ClaimMore(const std::string& worker_id);
  void Enqueue(std::vector<ClaimedJob> claims);
  int PrefetchCount();
  int ClaimBatch() const;
  void RunClaimed(ClaimedJob claimed);
  Finished Decide(ClaimedJob claimed, const JobOutcome& outcome, Nanos duration);
  void Release(ClaimedJob claimed);
  void CompleterLoop();
  void Commit(std::vector<Finished>& batch);
  void MaintenanceLoop();
  void RenewLeases();
  void Forget(const std::string& job_id);

  JobStore& store_;
  const JobTypeRegistry& registry_;
  const Clock& clock_;
  WorkerPoolOptions options_;
  JobObserver* observer_;
  std::string worker_prefix_;

  std::vector<std::thread> threads_;
  std::thread completer_;
  std::thread maintenance_;

  std::atomic<bool> stopping_{false};  // no new claims
  std::atomic<bool> forced_{false};    // running jobs should stop now
  std::atomic<Nanos> average_run_{0};  // moving average of run time

  // A store that stays locked, read-only or full fails every try: logged
  // once per episode, retried with backoff.
  FailureEpisode claim_failures_{"claiming jobs", std::chrono::milliseconds(200),
                                 std::chrono::seconds(5)};
  FailureEpisode outcome_failures_{"recording job outcomes", std::chrono::milliseconds(50),
                                   std::chrono::seconds(1)};
  FailureEpisode maintenance_failures_{"maintenance (leases, rescue, retention)",
                                       std::chrono::seconds(1), std::chrono::seconds(30)};
  std::chrono::milliseconds claim_delay_{0};  // guarded by mutex_: after a failed claim

  std::mutex mutex_;
  std::condition_variable wake_;       // work to claim or queued
  std::uint64_t wake_generation_ = 0;  // guarded by mutex_
  std::condition_variable idle_;       // executing_ dropped (Shutdown waits)
  std::deque<ClaimedJob> queued_;      // guarded by mutex_: claimed, not yet run
  std::map<std::string, Held> held_;   // guarded by mutex_, by job id
  int executing_ = 0;                  // guarded by mutex_
  int workers_running_ = 0;            // guarded by mutex_

  std::mutex finished_mutex_;
  std::condition_variable finished_ready_;
  std::vector<Finished> finished_;  // guarded by finished_mutex_
  bool completer_stop_ = false;     // guarded by finished_mutex_
};

}  // namespace jobsd
