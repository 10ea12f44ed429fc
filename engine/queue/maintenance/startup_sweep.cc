#include "engine/queue/maintenance/startup_sweep.h"

#include <string>

namespace jobsd {

StartupSweep::StartupSweep(JobStore& store, ArtifactStore& artifacts)
    : store_(store), artifacts_(artifacts) {}

int StartupSweep::RunOnce() {
  int removed = 0;
  for (const std::string& key : artifacts_.ListOrphans(store_.ReferencedArtifacts())) {
    if (DeleteUnreferencedArtifact(artifacts_, key)) ++removed;
  }
  return removed;
}

}  // namespace jobsd
