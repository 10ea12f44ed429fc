// The job model and its state machine.
//
//   pending  --claim-->            started
//   started  --run done-->         success   (final)
//   started  --permanent error-->  failed    (final)
//   started  --retryable error,
//              lost lease,
//              shutdown-->         pending
//
// IsAllowedTransition below is the one source of this table. The engine's
// parts only ask for the moves it allows (claims pending -> started,
// outcomes started -> success, failed or pending, the rescuer started ->
// pending, or failed after kMaxInterruptions). The store enforces the same
// table with its own check (triggers, or a WHERE on the status), which is
// tested against IsAllowedTransition so that the two cannot drift.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/queue/artifact_store.h"
#include "engine/time.h"

namespace jobsd {

enum class JobStatus {
  // Accepted and durably stored; waits for a worker. Workers claim the
  // oldest pending job whose run_after has come.
  kPending,
  // Claimed by a worker that holds a lease on it. The worker renews the
  // lease while it runs; the rescuer returns it to pending when the lease
  // lapses (worker crashed or was killed).
  kStarted,
  // Finished; its result recorded, its artifact (if any) published. Final.
  kSuccess,
  // Finished with an error a person can act on. Final.
  kFailed,
};

inline constexpr std::array<JobStatus, 4> kAllJobStatuses = {
    JobStatus::kPending, JobStatus::kStarted, JobStatus::kSuccess, JobStatus::kFailed};

std::string_view ToString(JobStatus status);
std::optional<JobStatus> ParseJobStatus(std::string_view text);

// The transition table of the comment above.
constexpr bool IsAllowedTransition(JobStatus from, JobStatus to) {
  switch (from) {
    case JobStatus::kPending:
      return to == JobStatus::kStarted;
    case JobStatus::kStarted:
      return to == JobStatus::kSuccess || to == JobStatus::kFailed || to == JobStatus::kPending;
    case JobStatus::kSuccess:
    case JobStatus::kFailed:
      return false;
  }
  return false;
}

// A job whose runs were cut short this many times (its worker killed or
// lost each time) is failed: it is probably what kills the worker.
inline constexpr int kMaxInterruptions = 25;

constexpr bool IsFinal(JobStatus status) {
  return status == JobStatus::kSuccess || status == JobStatus::kFailed;
}

// How far a started run has come, as its job type reports it: rows (or
// whatever units the type counts) written so far and to be written in all.
// The queue stores the two numbers and knows nothing else of them.
struct JobProgress {
  std::int64_t rows_written = 0;
  std::int64_t rows_total = 0;
  bool operator==(const JobProgress&) const = default;
};

// The error of a job cancelled through the API or the command line
// (docs/jobs.md).
inline constexpr std::string_view kCancelledError = "Cancelled by request";

struct Job {
  std::string id;        // UUID v4, lowercase
  std::string job_type;  // a registered type, e.g. "order_export"
  JobStatus status = JobStatus::kPending;
  // The job type's parameters as submitted, opaque to the queue
  // (order_export: its filter; "" means every order).
  std::string params;
  std::optional<std::string> error;  // set when failed (and last error while retrying)
  int attempts = 0;                  // runs that counted (not interrupted)
  int max_attempts = 5;
  int interruptions = 0;  // runs cut short by a lost worker
  Nanos created_at = 0;
  Nanos updated_at = 0;
  Nanos run_after = 0;                    // not claimed before this (retry backoff)
  Nanos expires_at = 0;                   // created_at + retention
  std::optional<std::string> claimed_by;  // worker id while started
  std::optional<Nanos> lease_expires_at;
  // On success, what the job type reports: the members of a JSON object
  // (order_export: {"row_count":N}), spliced into the job's `meta` by the
  // API. "" when none.
  std::string result;
  std::optional<Artifact> artifact;  // the downloadable output, on success
  // The run's last reported progress: only while started, and only once the
  // run reported some; every move out of started clears it.
  std::optional<JobProgress> progress;
};

}  // namespace jobsd
