// A job as both SQL stores hold it: the columns they read, in one order,
// the status words of their CHECK constraints, and the decoding of a row
// into a Job, written once for SQLite's and PostgreSQL's row types.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "engine/queue/job.h"
#include "engine/store_error.h"

namespace jobsd::storage {

// The columns DecodeJobRow expects, in its order (a macro, so that SQL
// text can be put together from literals at compile time).
#define JOBSD_JOB_COLUMNS                                                                 \
  "id, job_type, status, params, error, attempts, max_attempts, created_at, updated_at, " \
  "run_after, expires_at, claimed_by, lease_expires_at, artifact_key, artifact_token, "   \
  "result, interruptions, artifact_content_type, artifact_name, artifact_size, "          \
  "progress_rows_written, progress_rows_total"
inline constexpr int kJobColumnCount = 22;

// The store's encoding of a status, kept here so that storage does not
// depend on how the engine spells statuses for JSON.
inline std::string_view JobStatusText(JobStatus status) {
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
  return "pending";
}

inline JobStatus JobStatusFromText(std::string_view text) {
  for (JobStatus status : kAllJobStatuses) {
    if (JobStatusText(status) == text) return status;
  }
  throw StoreError("jobs.status holds an unknown value [" + std::string(text) + "]",
                   /*transient=*/false);
}

// `row` reads column i of the current row: String(i), Text(i) (a view),
// OptionalString(i), Int64(i), OptionalInt64(i), IsNull(i).
template <typename Row>
Job DecodeJobRow(const Row& row) {
  Job job;
  job.id = row.String(0);
  job.job_type = row.String(1);
  job.status = JobStatusFromText(row.Text(2));
  job.params = row.String(3);
  job.error = row.OptionalString(4);
  job.attempts = static_cast<int>(row.Int64(5));
  job.max_attempts = static_cast<int>(row.Int64(6));
  job.created_at = row.Int64(7);
  job.updated_at = row.Int64(8);
  job.run_after = row.Int64(9);
  job.expires_at = row.Int64(10);
  job.claimed_by = row.OptionalString(11);
  job.lease_expires_at = row.OptionalInt64(12);
  if (std::optional<std::string> key = row.OptionalString(13)) {
    Artifact artifact;
    artifact.key = std::move(*key);
    artifact.token = row.OptionalString(14).value_or("");
    artifact.content_type = row.OptionalString(17).value_or("");
    artifact.file_name = row.OptionalString(18).value_or("");
    artifact.size = row.OptionalInt64(19);
    job.artifact = std::move(artifact);
  }
  job.result = row.OptionalString(15).value_or("");
  job.interruptions = static_cast<int>(row.Int64(16));
  if (!row.IsNull(20) && !row.IsNull(21)) {
    job.progress = JobProgress{row.Int64(20), row.Int64(21)};
  }
  return job;
}

}  // namespace jobsd::storage
