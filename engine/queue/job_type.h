// Job types: what a worker runs for a job, and the registry that maps a
// job_type name to it. order_export is registered by the binary; the queue
// benchmark registers a no-op type of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/queue/artifact_store.h"
#include "engine/queue/job.h"

namespace jobsd {

// Where a run reports its progress: units written so far, and in all.
using ProgressReporter = std::function<void(std::int64_t written, std::int64_t total)>;

struct JobContext {
  const Job& job;
  // Where the job writes its downloadable output, if it has one.
  ArtifactStore& artifacts;
  // Polled by long runs so that a forced shutdown, a lost claim or a cancel
  // stops them early.
  std::function<bool()> stop_requested;
  // Reports how far the run has come (docs/jobs.md): units written so
  // far and to be written in all, fixed when the run starts. Cheap (two
  // atomic stores), so a run may call it every few thousand rows; the lease
  // keeper takes it to the store at least once a second, and the first
  // report at once. Empty when nobody listens (tests).
  ProgressReporter report_progress = {};
};

// What running a job came to. Failures say whether a retry might help.
struct JobOutcome {
  enum class Kind { kSuccess, kFailed, kRetry };
  Kind kind = Kind::kSuccess;
  std::string error;                 // kFailed, kRetry: shown to clients, so no paths or internals
  std::string detail;                // kFailed, kRetry: the internals, for the log only
  std::string result;                // kSuccess: a JSON object text ("" when none), Job::result
  std::optional<Artifact> artifact;  // kSuccess: already committed
  std::int64_t rows = 0;             // kSuccess: for the metrics (0 when not counted)

  static JobOutcome Success(std::string result = {}, std::optional<Artifact> artifact = {},
                            std::int64_t rows = 0);
  static JobOutcome Failed(std::string error);
  static JobOutcome Retry(std::string error);
};

class JobHandler {
 public:
  virtual ~JobHandler() = default;
  // Called when a job is submitted: throws filter::FilterError when the
  // parameters are not valid for this type, so a bad one never becomes a job.
  virtual void ValidateParams(std::string_view params) const = 0;
  // Runs the job. Exceptions are caught by the worker and treated as
  // retryable when they are transient StoreErrors or I/O errors.
  virtual JobOutcome Run(const JobContext& context) = 0;
};

class JobTypeRegistry {
 public:
  // Throws std::logic_error on a duplicate name: a start-up mistake.
  void Register(std::string name, std::unique_ptr<JobHandler> handler);
  JobHandler* Find(std::string_view name) const;
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, std::unique_ptr<JobHandler>, std::less<>> handlers_;
};

}  // namespace jobsd
