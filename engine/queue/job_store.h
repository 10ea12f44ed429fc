// The storage port for jobs: domain verbs, no SQL. storage/sqlite/ implements
// it on SQLite, storage/memory/ in memory (the reference, for tests); a
// PostgreSQL backend would sit beside them.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
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

// The job a store holds right after inserting `job`: pending, runnable at
// once, not yet updated. Every store's InsertJob(s) answers with it.
inline Job StoredJob(const NewJob& job) {
  Job stored;
  stored.id = job.id;
  stored.job_type = job.job_type;
  stored.status = JobStatus::kPending;
  stored.params = job.params;
  stored.max_attempts = job.max_attempts;
  stored.created_at = job.created_at;
  stored.updated_at = job.created_at;
  stored.run_after = job.created_at;
  stored.expires_at = job.expires_at;
  return stored;
}

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

// One held claim for RenewLeases, with the progress its run reported
// (nullopt: none yet, the stored progress is left as it is).
struct LeaseRenewal {
  std::string id;
  std::string token;
  std::optional<JobProgress> progress;
};

// What CancelJob did.
struct CancelResult {
  enum class Kind {
    kCancelled,        // was pending or started, is failed now; job as it is now
    kAlreadyFinished,  // success or failed already, unchanged; job as it is
    kNotFound,         // absent or expired; job empty
  };
  Kind kind = Kind::kNotFound;
  Job job;
};

struct ExpiredJob {
  std::string id;
  std::optional<std::string> artifact_key;
};

// What every backend promises, and what tests/storage/conformance checks of
// each one (a backend is trusted by passing that suite, nothing else):
//
// - Atomicity: each call is one transaction. It happens wholly or not at
//   all; a call that throws StoreError wrote nothing (InsertJobs and
//   FinishAndClaim included: all or none).
// - Visibility: once a write returns, every later call sees it, from any
//   thread of this process and, for a backend shared across processes (the
//   SQLite file), from any process. A read sees one committed state, never a
//   half-done write.
// - Fencing: a claim hands out a token no other claim ever had. Every verb
//   that acts on a started job (RenewLeases, the completions of FinishJobs
//   and FinishAndClaim) applies only while the job is started under that
//   very token; otherwise it changes nothing and says so (false). A worker
//   whose job was rescued, or finished once already, can change nothing.
// - Ordering: claims take the oldest claimable job first (created_at, then
//   id); listings show the newest first (created_at, then id, descending).
// - Expiry: a job whose expires_at <= now is absent to every read and is
//   never claimed, even before DeleteExpiredJobs removes it.
// - The state machine: no verb moves a job along a transition that
//   IsAllowedTransition (engine/queue/job.h) refuses; updated_at grows on
//   every status change even when the clock has not moved.
//
// Every method may be called from any thread at once.
class JobStore {
 public:
  virtual ~JobStore() = default;

  // Stores a pending job (run_after = updated_at = created_at, attempts 0),
  // or returns without writing anything:
  // - an earlier job holding the same idempotency_key, while both the key
  //   (idempotency_expires_at) and that job are unexpired: created = false,
  //   key_conflict = (request_hash differs). A lapsed key is freed and the
  //   new job takes it; the earlier job lives on without it.
  // - client_id already has max_active_for_client jobs pending or started
  //   (when that is > 0): active_limit_reached, job empty. The count and
  //   the insert are one transaction: concurrent inserts never both pass.
  // An id already stored is a StoreError. With MakesJobIds(), an empty
  // job.id asks the store for a new random UUID v4 of its own making, which
  // the result carries.
  virtual InsertResult InsertJob(const NewJob& job) = 0;

  // Whether the store makes new jobs' ids itself (see InsertJob): SQLite
  // derives them from its sequence numbers, to find jobs without an index
  // on their random ids. Otherwise the caller draws them (NewUuidV4).
  virtual bool MakesJobIds() const { return false; }

  // InsertJob for each, in order, in one transaction (all or none).
  virtual std::vector<InsertResult> InsertJobs(const std::vector<NewJob>& jobs) = 0;

  // InsertJob's answer (error null), or the error it would throw (result
  // empty).
  using InsertDone = std::function<void(std::exception_ptr error, InsertResult result)>;
  // InsertJob, answering through `done`, called exactly once, on any thread
  // (maybe before this returns); `done` must not throw. A store whose
  // InsertsWithoutWaiting() is true returns at once and calls `done` from
  // its own thread once the job is durable (or refused), so that the
  // caller's thread never waits for storage: the HTTP server then creates
  // jobs from its I/O threads. Otherwise InsertJob runs on this thread.
  virtual void InsertJobAsync(NewJob job, InsertDone done) {
    InsertResult result;
    try {
      result = InsertJob(job);
    } catch (...) {
      done(std::current_exception(), {});
      return;
    }
    done(nullptr, std::move(result));
  }
  virtual bool InsertsWithoutWaiting() const { return false; }

  // The job, unless absent or expired at `now`.
  virtual std::optional<Job> FindJob(std::string_view id, Nanos now) = 0;
  virtual std::optional<Job> FindJobByArtifactToken(std::string_view token, Nanos now) = 0;

  // One page of the unexpired jobs matching query.filter (JobFields(), with
  // the semantics of docs/filters.md: `eq` on a bare date is that whole
  // UTC day), newest first (created_at, then id, descending), from
  // query.offset, at most query.limit; total counts every match. Page and
  // total come from the same committed state.
  virtual JobPage ListJobs(const JobQuery& query) = 0;

  // A number that differs from every earlier answer once anyone (this
  // process or another sharing the store) has committed a write since. Equal
  // answers mean nothing was committed in between; a different answer may
  // also come without any change (callers then merely do the work again).
  // With JobPage::valid_until it lets a caller reuse a page it already has.
  virtual std::uint64_t ChangeVersion() = 0;
  // True when ChangeVersion answers from this host's memory or files,
  // without a network round trip (SQLite's shared-memory index, the memory
  // store): then a thread that must not block on I/O (the HTTP server's)
  // may ask it. False for a store across a network.
  virtual bool ChangeVersionIsLocal() const = 0;

  // Moves up to max_jobs pending, unexpired jobs whose run_after <= now to
  // started (attempts + 1, claimed_by = worker_id, lease until
  // lease_until), oldest first, and returns them oldest first, each with a
  // fresh token. Concurrent claims, from threads or processes, never return
  // the same job; a job pending and claimable when a claim starts is
  // skipped only if another claim took it.
  virtual std::vector<ClaimedJob> ClaimJobs(const ClaimRequest& request) = 0;

  // For each renewal whose job is started under its token: extends the
  // lease to lease_until and, when the renewal carries progress, stores it
  // (Job::progress). All in one transaction, whatever their number; returns
  // per renewal whether the claim is still held (false: the claim is gone,
  // rescued, finished or cancelled, and nothing of it changed). A renewal
  // moves no status and leaves updated_at alone.
  virtual std::vector<bool> RenewLeases(const std::vector<LeaseRenewal>& renewals,
                                        Nanos lease_until) = 0;

  // Cancels the job `id` in one transaction (docs/jobs.md):
  // - pending or started: failed with error kCancelledError, its claim
  //   dropped (the token dies: a renewal of it answers false, a completion
  //   with it applies nothing) and its progress cleared; updated_at grows.
  //   A pending job gets there by way of started within the transaction, so
  //   the state machine is not widened; nobody ever sees that step.
  //   kCancelled with the job as it is now.
  // - success or failed: unchanged; kAlreadyFinished with the job.
  // - absent or expired at `now`: kNotFound.
  virtual CancelResult CancelJob(std::string_view id, Nanos now) = 0;

  // Applies each completion whose job is started under its token, in order,
  // in one transaction; returns per completion whether it applied. Each
  // moves the job out of started and drops its claim:
  //   kSucceeded -> success with the result, error cleared;
  //   kFailed    -> failed with the error;
  //   kRetry     -> pending, claimable from run_after, error kept;
  //   kRelease   -> pending, claimable now, the attempt not counted.
  virtual std::vector<bool> FinishJobs(const std::vector<JobCompletion>& completions,
                                       Nanos now) = 0;

  // FinishJobs(completions, now) then ClaimJobs(next) in one transaction,
  // so one commit records outcomes and takes the next jobs (a job released
  // here may be claimed again at once). Either both happen or neither.
  virtual FinishAndClaimResult FinishAndClaim(const std::vector<JobCompletion>& completions,
                                              Nanos now, const ClaimRequest& next) = 0;

  // Started jobs whose lease_expires_at <= now go back to pending,
  // claimable at once; the cut-short run counts as an interruption, not an
  // attempt, and a job interrupted kMaxInterruptions times is failed
  // instead, saying so. Their tokens die. Returns how many moved.
  virtual int RescueExpiredLeases(Nanos now) = 0;

  // The workers that hold started jobs now (distinct claimed_by values).
  virtual std::vector<std::string> ClaimHolders() = 0;

  // Like RescueExpiredLeases, for every started job of workers known to be
  // dead (their process is gone), without waiting for their leases.
  virtual int RescueClaimsOf(const std::vector<std::string>& dead_workers, Nanos now) = 0;

  // Deletes up to `limit` jobs with expires_at <= now, soonest expired
  // first, and returns them, so the caller can delete their files.
  virtual std::vector<ExpiredJob> DeleteExpiredJobs(Nanos now, int limit) = 0;

  // Makes `retention` the one in force for every job, whoever created it
  // and with whatever retention: each job's expiry becomes created_at +
  // retention (AddClamped). A shorter retention than before expires older
  // jobs at once (DeleteExpiredJobs then removes them and their files), a
  // longer one keeps them longer (docs/jobs.md). One transaction;
  // returns how many jobs changed. REQUIRES: retention > 0.
  virtual std::int64_t ApplyRetention(Nanos retention) = 0;

  // The keys of every artifact still referenced by a job (start-up sweep of
  // orphans).
  virtual std::vector<std::string> ReferencedArtifacts() = 0;

  // Unexpired jobs per status; every status is present.
  virtual std::map<JobStatus, std::int64_t> CountByStatus(Nanos now) = 0;

  // The earliest run_after among pending jobs (nullopt: none), to sleep
  // just long enough.
  virtual std::optional<Nanos> NextRunAfter() = 0;
};

}  // namespace jobsd
