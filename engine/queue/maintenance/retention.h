// Deletes the jobs whose retention has passed, and their artifacts.
#pragma once

#include "engine/queue/artifact_store.h"
#include "engine/queue/job_store.h"
#include "engine/time.h"

namespace jobsd {

class Retention {
 public:
  Retention(JobStore& store, ArtifactStore& artifacts);

  // Deletes every job with expires_at <= now, in batches, and the
  // artifacts they refer to. Returns how many jobs.
  int RunOnce(Nanos now);

 private:
  JobStore& store_;
  ArtifactStore& artifacts_;
};

}  // namespace jobsd
