// The engine's front door for the API and the command line: create, find
// and list jobs. Validates before anything is stored, and wakes the workers
// when a job is created in this process.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/limits.h"
#include "engine/queue/job_store.h"
#include "engine/queue/job_type.h"
#include "engine/time.h"

namespace jobsd {

// Input a client got wrong. `detail` is the sentence for the client;
// `reason` (may be empty) the specifics, e.g. of a filter rejection.
class InvalidRequest : public std::runtime_error {
 public:
  InvalidRequest(std::string detail, std::string reason = {})
      : std::runtime_error(detail), reason_(std::move(reason)) {}
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

// An Idempotency-Key reused within its window for a different request.
// The API answers 409 Conflict.
class IdempotencyConflict : public InvalidRequest {
 public:
  using InvalidRequest::InvalidRequest;
};

inline constexpr std::string_view kBadFilterDetail = "Could not parse the supplied filter";

struct CreateJobRequest {
  std::string job_type;
  std::string params;  // the type's parameters (order_export: the filter)
  std::optional<std::string> idempotency_key;
  // The API client asking (nullopt: the command line, which no limit counts).
  std::optional<std::string> client_id = {};
};

struct CreateJobResult {
  Job job;
  bool created = true;
};

struct ListJobsRequest {
  std::string filter;  // over job fields; "" means all
  int limit = 25;
  std::int64_t offset = 0;
};

struct JobServiceOptions {
  Nanos retention = 7 * kNanosPerDay;
  int max_attempts = 5;
  Nanos idempotency_window = kNanosPerDay;
  // Jobs pending or started at once per API client; 0: no limit.
  int max_active_jobs_per_client = kDefaultMaxActiveJobs;
};

class JobService {
 public:
  JobService(JobStore& store, const JobTypeRegistry& registry, const Clock& clock,
             JobServiceOptions options);

  // Throws InvalidRequest for an unknown type, a bad filter (detail
  // kBadFilterDetail, reason the parser's) or an idempotency key reused with
  // another request, and LimitReached when the client already has
  // max_active_jobs_per_client jobs pending or started (a repeat of an
  // Idempotency-Key is not a new job and is never refused for it). Returns
  // once the job is durably stored.
  CreateJobResult Create(const CreateJobRequest& request);

  // Create's answer (error null), or what it would throw (result empty).
  using CreateDone = std::function<void(std::exception_ptr error, CreateJobResult result)>;
  // Create, without waiting for the store when it need not
  // (CreatesWithoutWaiting): validates on this thread and throws as Create
  // does for a request it refuses, then returns; `done` gets Create's
  // answer or exception exactly once, once the job is durable, on the
  // store's thread (or on this one, before returning, when the store
  // cannot do otherwise). `done` must be quick and must not throw.
  void CreateAsync(const CreateJobRequest& request, const CreateDone& done);
  // True when CreateAsync returns before the store has written (SQLite's
  // group writer): a thread that must not block may call it.
  bool CreatesWithoutWaiting() const { return store_.InsertsWithoutWaiting(); }

  // Creates many jobs in one transaction (all or none), after validating
  // every request. Idempotency keys are not taken here.
  std::vector<Job> CreateMany(const std::vector<CreateJobRequest>& requests);

  std::optional<Job> Get(std::string_view id) const;
  // Cancels the job (JobStore::CancelJob, docs/jobs.md); after a
  // cancel that applied, calls the on-cancelled callback, so that a run of
  // the job in this process stops at once rather than at its next renewal.
  CancelResult Cancel(std::string_view id);
  // The successful job whose artifact has this token.
  std::optional<Job> GetByArtifactToken(std::string_view token) const;
  // Throws InvalidRequest for a bad filter.
  JobPage List(const ListJobsRequest& request) const;
  // JobStore::ChangeVersion: read it before List, and a page listed then
  // stays right while the version is the same and the clock is before the
  // page's valid_until.
  std::uint64_t ListVersion() const { return store_.ChangeVersion(); }
  // Whether ListVersion may be asked on a thread that must not wait for a
  // network (JobStore::ChangeVersionIsLocal).
  bool ListVersionIsLocal() const { return store_.ChangeVersionIsLocal(); }
  std::map<JobStatus, std::int64_t> CountByStatus() const;

  // Called after each successful Create (the worker pool's wake-up).
  // Makes this service's retention the one in force for every job in the
  // store (JobStore::ApplyRetention); returns how many jobs changed.
  std::int64_t ApplyRetention() { return store_.ApplyRetention(options_.retention); }

  void SetOnCreated(std::function<void()> callback) { on_created_ = std::move(callback); }
  // Called after each cancel that applied (the worker pool's renewal).
  void SetOnCancelled(std::function<void()> callback) { on_cancelled_ = std::move(callback); }

  const Clock& clock() const { return clock_; }

 private:
  void Validate(const CreateJobRequest& request) const;
  NewJob MakeNewJob(const CreateJobRequest& request, std::string id) const;
  std::string NewJobId() const;
  // What Create answers for the store's answer to its insert: the job, or
  // LimitReached / IdempotencyConflict; wakes the workers for a new job.
  CreateJobResult Answer(InsertResult inserted);

  JobStore& store_;
  const JobTypeRegistry& registry_;
  const Clock& clock_;
  JobServiceOptions options_;
  std::function<void()> on_created_;
  std::function<void()> on_cancelled_;
};

}  // namespace jobsd
