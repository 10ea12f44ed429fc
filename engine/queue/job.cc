#include "engine/queue/job.h"

namespace jobsd {

std::string_view ToString(JobStatus status) {
  switch (status) {
    case JobStatus::kPending:
      return "pending";
    case JobStatus::kStarted:
      return "started";
    case JobStatus::kSuccess:
      return "success";
    case JobStatus::kFailed:
      return "failed";
  }
  return "unknown";
}

std::optional<JobStatus> ParseJobStatus(std::string_view text) {
  for (JobStatus status : kAllJobStatuses) {
    if (ToString(status) == text) return status;
  }
  return std::nullopt;
}

}  // namespace jobsd
