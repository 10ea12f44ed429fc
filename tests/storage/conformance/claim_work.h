// A queue drained by many workers at once, as threads of one process or as
// processes of their own: every job must succeed exactly once, none be
// skipped, and no stale token may finish anything.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "engine/queue/job_store.h"

namespace jobsd::conformance {

inline constexpr int kQueuedJobs = 1500;

// Inserts kQueuedJobs pending jobs.
void FillQueue(JobStore& jobs);

struct ClaimTally {
  std::mutex mutex;
  std::map<std::string, int> succeeded;  // job id -> times a finish applied
  std::atomic<int> stale_finishes_applied = 0;
};

// Claims batches of varying size until the queue is empty, finishing each
// job through FinishJobs; every fifth job is first sent back for a retry.
// Each finish is tried a second time with the spent token, which must not
// apply.
void DrainQueue(JobStore& jobs, const std::string& worker, ClaimTally& tally);

// The drained queue: every job succeeded exactly once, the retried ones
// after two claims and the others after one.
void ExpectDrainedOnce(JobStore& jobs, const ClaimTally& tally);

}  // namespace jobsd::conformance
