// The storage port for jobs: domain verbs, no SQL. storage/sqlite_job_store
// implements it for SQLite; a PostgreSQL backend would sit beside it.
//
// Every state change is compare-and-set on the claim token, so a job can
// never be finished twice or by a worker whose lease was taken away.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/filter.h"
#include "engine/queue/job.h"
#include "engine/store_error.h"
#include "engine/time.h"

namespace jobsd {

struct NewJob {
  std::string id;
  std::string job_type;
  std::string params;
  Nanos created_at = 0;
  Nanos expires_at = 0;
  int max_attempts = 5;
  // Idempotency: a second insert with the same key (not yet expired)
  // returns the first job; with a different request_hash it is a conflict.
  std::optional<std::string> idempotency_key;
  std::string request_hash;
  Nanos idempotency_expires_at = 0;
  // The API client creating the job (nullopt: the command line). With
  // max_active_for_client > 0 the insert is refused when that client
  // already has so many jobs pending or started; the count and the insert
  // are one write transaction, so concurrent inserts cannot both pass.
  std::optional<std::string> client_id;
  int max_active_for_client = 0;
};

struct InsertResult {
  Job job;
  bool created = true;                // false: an earlier job with the same key
  bool key_conflict = false;          // same key, different request: job is the earlier one
  bool active_limit_reached = false;  // nothing written; job is empty
};

struct JobQuery {
  filter::Filter filter;  // over JobFields()
  int limit = 25;
  std::int64_t offset = 0;
  Nanos now = 0;  // jobs with expires_at <= now are invisible
};

struct JobPage {
  std::vector<Job> jobs;
  std::int64_t total = 0;  // all matching jobs, not just this page
  // The first instant at which a job still visible now expires (leaves
  // every page), or kNoExpiry: until then, and until the store changes
  // (ChangeVersion), the same query gives the same page.
  Nanos valid_until = kNoExpiry;
  static constexpr Nanos kNoExpiry = std::numeric_limits<Nanos>::max();
};

struct ClaimRequest {
  std::string worker_id;
  int max_jobs = 1;
  Nanos now = 0;
  Nanos lease_until = 0;
};

struct ClaimedJob {
  Job job;  // already `started`, attempts counted
  std::string claim_token;
};

struct SuccessResult {
  std::string result;                // Job::result
  std::optional<Artifact> artifact;  // Job::artifact
};

// The outcome of one claimed job, for FinishJobs.
struct JobCompletion {
  enum class Kind {
    kSucceeded,  // -> success with `success`
    kFailed,     // -> failed with `error`
    kRetry,      // -> pending, not before `run_after`, keeping `error`
    kRelease,    // -> pending at once, attempt not counted (shutdown)
  };
  std::string id;
  std::string token;
  Kind kind = Kind::kSucceeded;
  SuccessResult success;
  std::string error;
  Nanos run_after = 0;
};

// What FinishAndClaim did: per completion whether it applied, and the
// jobs it claimed.
struct FinishAndClaimResult {
  std::vector<bool> applied;
  std::vector<ClaimedJob> claimed;
};

struct ExpiredJob {
  std::string id;
  std::optional<std::string> artifact_key;
};

class JobStore {
 public:
  virtual ~JobStore() = default;

  virtual InsertResult InsertJob(const NewJob& job) = 0;

  // Jobs past expires_at are treated as absent.
  virtual std::optional<Job> FindJob(std::string_view id, Nanos now) = 0;
  virtual std::optional<Job> FindJobByArtifactToken(std::string_view token, Nanos now) = 0;

  // Newest first (created_at, then id, descending).
  virtual JobPage ListJobs(const JobQuery& query) = 0;

  // A number that changes whenever anything may have been committed to the
  // store since the last call, by this process or any other. Equal numbers
  // mean nothing was; with JobPage::valid_until it lets a caller reuse a
  // page it already has.
  virtual std::uint64_t ChangeVersion() = 0;

  // Moves up to max_jobs pending jobs (oldest first, run_after <= now) to
  // started in one atomic statement and returns them with fresh tokens.
  virtual std::vector<ClaimedJob> ClaimJobs(const ClaimRequest& request) = 0;

  // Each of these matches id + claim token + status started; false means
  // the claim was lost (rescued, or finished by someone else).
  virtual bool RenewLease(std::string_view id, std::string_view token, Nanos lease_until) = 0;
  virtual bool MarkSucceeded(std::string_view id, std::string_view token,
                             const SuccessResult& result, Nanos now) = 0;
  virtual bool MarkFailed(std::string_view id, std::string_view token, std::string_view error,
                          Nanos now) = 0;
  // started -> pending, to run again not before run_after.
  virtual bool MarkForRetry(std::string_view id, std::string_view token, std::string_view error,
                            Nanos run_after, Nanos now) = 0;

  // Applies many completions in one transaction, each compare-and-set like
  // the Mark* verbs. Returns, per completion, whether it applied.
  virtual std::vector<bool> FinishJobs(const std::vector<JobCompletion>& completions,
                                       Nanos now) = 0;

  // FinishJobs(completions, now) then ClaimJobs(next) in one transaction,
  // so one commit records outcomes and takes the next jobs. Either both
  // happen or neither.
  virtual FinishAndClaimResult FinishAndClaim(const std::vector<JobCompletion>& completions,
                                              Nanos now, const ClaimRequest& next) = 0;

  // Inserts many jobs in one transaction (all or none).
  virtual std::vector<InsertResult> InsertJobs(const std::vector<NewJob>& jobs) = 0;

  // started jobs whose lease lapsed go back to pending; the cut-short run
  // counts as an interruption, not an attempt, and a job interrupted
  // kMaxInterruptions times is failed. Returns how many were moved.
  virtual int RescueExpiredLeases(Nanos now) = 0;

  // The workers that hold started jobs now (claimed_by values).
  virtual std::vector<std::string> ClaimHolders() = 0;

  // Like RescueExpiredLeases, for the started jobs of workers known to be
  // dead (their process is gone), without waiting for their leases.
  virtual int RescueClaimsOf(const std::vector<std::string>& dead_workers, Nanos now) = 0;

  // Returns this worker's started jobs to pending without counting the
  // attempt (graceful shutdown). Returns how many.
  virtual int ReleaseClaims(std::string_view worker_id, Nanos now) = 0;

  // Deletes up to `limit` jobs with expires_at <= now and returns them, so
  // the caller can delete their files.
  virtual std::vector<ExpiredJob> DeleteExpiredJobs(Nanos now, int limit) = 0;

  // Makes `retention` the one in force for every job, whoever created it
  // and with whatever retention: each job's expiry becomes created_at +
  // retention (AddClamped). A shorter retention than before expires older
  // jobs at once (DeleteExpiredJobs then removes them and their files), a
  // longer one keeps them longer (API.md section 1). One transaction;
  // returns how many jobs changed. REQUIRES: retention > 0.
  virtual std::int64_t ApplyRetention(Nanos retention) = 0;

  // The keys of every artifact still referenced by a job (start-up sweep of
  // orphans).
  virtual std::vector<std::string> ReferencedArtifacts() = 0;

  virtual std::map<JobStatus, std::int64_t> CountByStatus(Nanos now) = 0;

  // The earliest run_after among pending jobs, to sleep just long enough.
  virtual std::optional<Nanos> NextRunAfter() = 0;
};

}  // namespace jobsd
