// Runs one claimed job through its handler and decides what it came to:
// success, failed, a retry after a backoff, failed after its last attempt,
// or released (a forced shutdown cut it short). It never writes to the
// store: the decision goes to the completer, which records it.
//
// Thread-safe: every worker thread runs its jobs through the one executor.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "engine/queue/artifact_store.h"
#include "engine/queue/finished_job.h"
#include "engine/queue/job_observer.h"
#include "engine/queue/job_type.h"
#include "engine/queue/retry_policy.h"
#include "engine/time.h"

namespace jobsd {

// What to record for a run that ended with `outcome` after `duration`:
// where the job goes and with which error. A retryable failure on the last
// attempt fails the job saying how many attempts it had; an earlier one
// returns it to pending not before now + retry.Delay (with `unit_random`,
// in [0, 1), picking within the backoff).
FinishedJob DecideOutcome(ClaimedJob claimed, const JobOutcome& outcome, Nanos now, Nanos duration,
                          const RetryPolicy& retry, double unit_random);

struct ExecutorOptions {
  ArtifactStore* artifacts = nullptr;  // required: where jobs write their outputs
  RetryPolicy retry;
};

// What became of one run.
struct Execution {
  enum class Verdict {
    kFinished,  // `finished` holds the decided outcome, for the completer
    kReleased,  // cut short by a forced stop: `finished` releases the job
    kLost,      // the claim was lost while it ran: nothing to record
  };
  Verdict verdict = Verdict::kFinished;
  FinishedJob finished;
  Nanos run_time = 0;  // steady time spent in the handler
};

class Executor {
 public:
  Executor(const JobTypeRegistry& registry, const Clock& clock, ExecutorOptions options,
           JobObserver* observer = nullptr);

  // Runs the job. `lost` is raised by the lease keeper when the claim is
  // lost (or the job cancelled); the handler's stop_requested sees it, and
  // so does ForceStop. `progress` becomes the handler's report_progress.
  Execution Run(ClaimedJob claimed, std::shared_ptr<const std::atomic<bool>> lost,
                ProgressReporter progress = {});

  // Running jobs are asked to stop at once; their retryable outcomes
  // become releases.
  void ForceStop();
  bool forced() const { return forced_.load(); }

  // Waits until no job runs, ForceStop is called, or `timeout` passes.
  void WaitUntilIdle(Nanos timeout);

 private:
  // The handler's outcome, with exceptions turned into failures: the error
  // a client may see, the internals in `detail` for the log.
  JobOutcome RunHandler(const Job& job, const std::shared_ptr<const std::atomic<bool>>& lost,
                        ProgressReporter progress);

  const JobTypeRegistry& registry_;
  const Clock& clock_;
  const ExecutorOptions options_;
  JobObserver* const observer_;

  std::atomic<bool> forced_{false};
  std::mutex mutex_;
  std::condition_variable idle_;  // executing_ dropped, or forced
  int executing_ = 0;             // guarded by mutex_
};

}  // namespace jobsd
