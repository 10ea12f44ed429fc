// Records the outcomes the executor decided, in batches: one transaction
// (one fsync) for everything the workers finished since the last one. Each
// outcome is fenced by its claim token, so a claim that was lost records
// nothing. While short jobs run, the same transaction claims the next jobs
// for the workers (the claimer's prefetch).
//
// Thread-safe: Submit from any thread; one thread of its own commits.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/queue/artifact_store.h"
#include "engine/queue/claimer.h"
#include "engine/queue/failure_episode.h"
#include "engine/queue/finished_job.h"
#include "engine/queue/job_observer.h"
#include "engine/queue/job_store.h"
#include "engine/queue/lease_keeper.h"
#include "engine/time.h"

namespace jobsd {

class Completer {
 public:
  // `claimer_id` names the completer in claimed_by when it prefetches;
  // `artifacts` is where the outputs of successes the store refuses are
  // deleted.
  Completer(JobStore& store, ArtifactStore& artifacts, const Clock& clock, Claimer& claimer,
            LeaseKeeper& leases, std::string claimer_id, Nanos lease,
            JobObserver* observer = nullptr);
  ~Completer();
  Completer(const Completer&) = delete;
  Completer& operator=(const Completer&) = delete;

  void Start();

  // Queues an outcome for the next transaction.
  void Submit(FinishedJob finished);
  // Queues the release of a claim that was never run, or cut short.
  void Release(ClaimedJob claimed);

  // Commits everything submitted so far (and anything it releases on the
  // way), then ends the thread. Submit nothing after it.
  void FlushAndStop();

 private:
  void Loop();
  void Commit(std::vector<FinishedJob>& batch);

  JobStore& store_;
  ArtifactStore& artifacts_;
  const Clock& clock_;
  Claimer& claimer_;
  LeaseKeeper& leases_;
  const std::string claimer_id_;
  const Nanos lease_;
  JobObserver* const observer_;

  FailureEpisode outcome_failures_{"recording job outcomes", std::chrono::milliseconds(50),
                                   std::chrono::seconds(1)};

  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<FinishedJob> finished_;  // guarded by mutex_
  bool stop_ = false;                  // guarded by mutex_
};

}  // namespace jobsd
