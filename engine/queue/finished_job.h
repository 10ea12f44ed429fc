// A claimed job whose outcome is decided, on its way from the executor to
// the completer, which records it.
#pragma once

#include <cstdint>
#include <utility>

#include "engine/queue/job.h"
#include "engine/queue/job_store.h"
#include "engine/time.h"

namespace jobsd {

struct FinishedJob {
  ClaimedJob claimed;
  JobCompletion completion;
  JobStatus status = JobStatus::kPending;  // where the job goes
  Nanos duration = 0;
  std::int64_t rows = 0;

  // Back to pending at once, the attempt not counted: shutdown, not a fault.
  static FinishedJob Release(ClaimedJob claimed) {
    FinishedJob finished;
    finished.status = JobStatus::kPending;
    finished.completion.id = claimed.job.id;
    finished.completion.token = claimed.claim_token;
    finished.completion.kind = JobCompletion::Kind::kRelease;
    finished.claimed = std::move(claimed);
    return finished;
  }
};

}  // namespace jobsd
