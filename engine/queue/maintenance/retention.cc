#include "engine/queue/maintenance/retention.h"

#include <system_error>
#include <vector>

#include "engine/log.h"

namespace jobsd {
namespace {

constexpr int kBatch = 500;

// The job rows are gone: their artifacts go too (a failure is logged, and
// the start-up sweep removes what is left).
void DeleteArtifactsOf(const std::vector<ExpiredJob>& expired, ArtifactStore& artifacts) {
  for (const ExpiredJob& job : expired) {
    if (!job.artifact_key) continue;
    try {
      artifacts.Delete(*job.artifact_key);
    } catch (const std::system_error& e) {
      LogError("worker: cannot delete expired export " + artifacts.Describe(*job.artifact_key) +
               ": " + e.code().message());
    }
  }
}

}  // namespace

Retention::Retention(JobStore& store, ArtifactStore& artifacts)
    : store_(store), artifacts_(artifacts) {}

int Retention::RunOnce(Nanos now) {
  int deleted = 0;
  for (;;) {
    const std::vector<ExpiredJob> expired = store_.DeleteExpiredJobs(now, kBatch);
    DeleteArtifactsOf(expired, artifacts_);
    deleted += static_cast<int>(expired.size());
    if (expired.size() < kBatch) return deleted;
  }
}

}  // namespace jobsd
