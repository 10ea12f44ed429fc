// Takes pending jobs from the store for the workers of this process: in
// adaptive batches, on a wake-up or a poll, backing off while the store
// refuses, and keeps the local queue of claimed jobs the workers take from.
//
// Short jobs are claimed many per transaction and shared by the workers
// through the local queue: about 16 x short_job of work per worker, at most
// max_claim_batch, so tiny jobs share transactions in large numbers while
// none waits long as "started" behind the others. Jobs that take longer
// than `short_job` on average are claimed one at a time, so none waits
// behind a long one. While short jobs run, the completer tops the queue up
// in the transaction that records their outcomes (PrefetchCount).
//
// Every claim is handed to the lease keeper before a worker can see it.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "engine/queue/failure_episode.h"
#include "engine/queue/job_store.h"
#include "engine/queue/lease_keeper.h"
#include "engine/time.h"

namespace jobsd {

struct ClaimerOptions {
  int workers = 1;
  Nanos lease = 30 * kNanosPerSecond;
  // Jobs created by another process (jobsd jobs submit) are found by polling.
  Nanos poll_interval = 200'000'000;
  int max_claim_batch = 256;
  Nanos short_job = 2'000'000;
};

class Claimer {
 public:
  Claimer(JobStore& store, const Clock& clock, LeaseKeeper& leases, ClaimerOptions options);

  // `workers` threads will call Next until it returns false; claims are
  // queued for them only while at least one is left (see WorkerExited).
  void OpenFor(int workers);

  // For a worker: the next job to run, claimed now or taken from the local
  // queue; waits for one (a Wake, a poll, the end of a back-off). False
  // once Stop was called: nothing more is handed out.
  bool Next(const std::string& worker_id, ClaimedJob& out);

  // A worker has left (Next returned false). Returns what the last one out
  // must release: the jobs claimed but never started.
  std::vector<ClaimedJob> WorkerExited();

  // A job was created in this process: a sleeping worker claims it now.
  void Wake();

  // No more claims; Next returns false to every worker.
  void Stop();
  bool stopping() const { return stopping_.load(); }

  // A job ran for `run_time`: feeds the moving average the batch sizes
  // follow.
  void RecordRunTime(Nanos run_time);

  // How many jobs one claim takes now (1 while jobs are long).
  int ClaimBatch() const;

  // How many jobs the completer should claim along with the outcomes it
  // records (0: none).
  int PrefetchCount();

  // Queues jobs the completer claimed for the workers and wakes them.
  // Returns those no worker is left to run: the caller releases them.
  std::vector<ClaimedJob> AddPrefetched(std::vector<ClaimedJob> claims);

 private:
  bool TakeQueued(ClaimedJob& out);
  // False when the claim failed: the caller waits claim_delay_.
  bool ClaimMore(const std::string& worker_id);

  JobStore& store_;
  const Clock& clock_;
  LeaseKeeper& leases_;
  const ClaimerOptions options_;

  std::atomic<bool> stopping_{false};
  std::atomic<Nanos> average_run_{0};  // moving average of run time

  // A store that stays locked, read-only or full fails every try: logged
  // once per episode, retried with backoff.
  FailureEpisode claim_failures_{"claiming jobs", std::chrono::milliseconds(200),
                                 std::chrono::seconds(5)};

  std::mutex mutex_;
  std::condition_variable wake_;              // work to claim or queued
  std::uint64_t wake_generation_ = 0;         // guarded by mutex_
  std::chrono::milliseconds claim_delay_{0};  // guarded by mutex_: after a failed claim
  std::deque<ClaimedJob> queued_;             // guarded by mutex_: claimed, not yet run
  int workers_running_ = 0;                   // guarded by mutex_
};

}  // namespace jobsd
