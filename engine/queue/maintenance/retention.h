// Deletes the jobs whose retention has passed, and their files.
#pragma once

#include "engine/queue/job_store.h"
#include "engine/time.h"

namespace jobsd {

class Retention {
 public:
  explicit Retention(JobStore& store);

  // Deletes every job with expires_at <= now, in batches, and the files
  // they refer to. Returns how many jobs.
  int RunOnce(Nanos now);

 private:
  JobStore& store_;
};

}  // namespace jobsd
