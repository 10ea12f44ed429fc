// Told about every run of a job; the service's metrics implement it.
#pragma once

#include <cstdint>

#include "engine/queue/job.h"
#include "engine/time.h"

namespace jobsd {

class JobObserver {
 public:
  virtual ~JobObserver() = default;
  virtual void OnJobStarted(const Job& job) = 0;
  // `status` is where the job went: success, failed, or pending (retry).
  virtual void OnJobFinished(const Job& job, JobStatus status, Nanos duration,
                             std::int64_t rows) = 0;
};

}  // namespace jobsd
