// Job types: what a worker runs for a job, and the registry that maps a
// job_type name to it. order_export is registered by the binary; the queue
// benchmark registers a no-op type of its own.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/queue/job.h"

namespace jobsd {

struct JobContext {
  const Job& job;
  std::filesystem::path exports_dir;
  // Polled by long runs so that a forced shutdown stops them early.
  std::function<bool()> stop_requested;
};

// What running a job came to. Failures say whether a retry might help.
struct JobOutcome {
  enum class Kind { kSuccess, kFailed, kRetry };
  Kind kind = Kind::kSuccess;
  std::string error;       // kFailed, kRetry: shown to clients, so no paths or internals
  std::string detail;      // kFailed, kRetry: the internals, for the log only
  std::string file_path;   // kSuccess: the file, already renamed into place
  std::string file_token;  // kSuccess: the secret part of its public URL
  std::int64_t row_count = 0;

  static JobOutcome Success(std::string file_path, std::string file_token, std::int64_t rows);
  static JobOutcome Failed(std::string error);
  static JobOutcome Retry(std::string error);
};

class JobHandler {
 public:
  virtual ~JobHandler() = default;
  // Called when a job is submitted: throws filter::FilterError when the
  // filter is not valid for this type, so a bad filter never becomes a job.
  virtual void ValidateFilter(std::string_view filter) const = 0;
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
