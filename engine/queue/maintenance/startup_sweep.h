// At start-up, removes from the artifact store the temporaries a crash left
// mid-write and the artifacts no job refers to any more (what the store
// counts as its own: the local adapter leaves other files alone).
#pragma once

#include "engine/queue/artifact_store.h"
#include "engine/queue/job_store.h"

namespace jobsd {

class StartupSweep {
 public:
  StartupSweep(JobStore& store, ArtifactStore& artifacts);

  // Returns how many were removed. The sweep depends on no time: it
  // compares the artifact store with the job store.
  int RunOnce();

 private:
  JobStore& store_;
  ArtifactStore& artifacts_;
};

}  // namespace jobsd
