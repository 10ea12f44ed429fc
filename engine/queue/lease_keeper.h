// The claims this process holds (queued, running, or awaiting the commit of
// their outcome) and the renewal of their leases, the heartbeat that keeps
// the rescuer away from a job that is still being worked on. The renewal
// also carries each run's progress to the store, and tells a run that its
// job was cancelled: one transaction per tick for every claim
// (JobStore::RenewLeases), none while nothing is held.
//
// When a renewal is refused the claim is lost (the lease lapsed and the job
// was rescued, maybe claimed again elsewhere, or the job was cancelled): its
// flag is raised so that the run's stop_requested sees it and its result is
// dropped.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "engine/queue/job_store.h"
#include "engine/queue/job_type.h"
#include "engine/time.h"

namespace jobsd {

// Raised once a claim is lost; never lowered.
using ClaimLostFlag = std::shared_ptr<std::atomic<bool>>;

class LeaseKeeper {
 public:
  // A claim held for less than `fresh_for` and without a progress report
  // is skipped by a renewal: its claim set its lease a moment ago. Short
  // jobs are then finished before any renewal touches them, which the
  // completer would otherwise wait for, row by row (and, on PostgreSQL,
  // recheck every row the renewal changed under it).
  LeaseKeeper(JobStore& store, const Clock& clock, Nanos lease, Nanos fresh_for = 0);

  // Called (from the reporting thread) when a held run reports progress for
  // the first time, so that the renewal carrying it can come at once rather
  // than at the next tick. Set before any claim is held.
  void SetOnFirstProgress(std::function<void()> callback) {
    on_first_progress_ = std::move(callback);
  }

  // Renews `claimed` from now on, until Forget.
  void Hold(const ClaimedJob& claimed);

  // The flag of a held claim. REQUIRES: the job is held (throws
  // std::out_of_range otherwise: a claim the pool forgot to hold).
  ClaimLostFlag LostFlag(const std::string& job_id) const;

  // Where the run of a held claim reports its progress; the next renewal
  // stores the latest report. REQUIRES: the job is held, as LostFlag.
  ProgressReporter Reporter(const std::string& job_id) const;

  // The run of claim `token` is over and its outcome waits for the
  // completer's commit, which updates the same row: renewals leave it alone
  // (a renewal and a commit of the same rows wait for each other) unless
  // the commit takes more than half a lease. A newer claim is left alone.
  void Finishing(const std::string& job_id, const std::string& token);

  // Stops renewing the claim `token` on the job (its outcome is committed,
  // or it was lost). A newer claim of the same job is left alone.
  void Forget(const std::string& job_id, const std::string& token);

  // The next renewal includes the fresh claims too: a job was cancelled in
  // this process, and a run of it must learn so at once, however young.
  void RenewAllNext() { renew_all_next_.store(true); }

  // Renews every held lease but the fresh and the finishing ones to now +
  // lease in one store call, with the progress each run reported. Returns
  // how many claims were found lost. Throws StoreError when the store fails.
  int RenewOnce();

  std::size_t held_count() const;

 private:
  // The latest report of one run; rows_total < 0 until the first.
  struct Progress {
    std::atomic<std::int64_t> written{0};
    std::atomic<std::int64_t> total{-1};
  };
  struct Held {
    std::string token;
    Nanos held_since;
    ClaimLostFlag lost;
    std::shared_ptr<Progress> progress;
    std::optional<Nanos> finishing_since;  // when Finishing was called
  };

  JobStore& store_;
  const Clock& clock_;
  const Nanos lease_;
  const Nanos fresh_for_;
  std::atomic<bool> renew_all_next_{false};
  std::function<void()> on_first_progress_;
  mutable std::mutex mutex_;
  std::map<std::string, Held> held_;  // guarded by mutex_, by job id
};

}  // namespace jobsd
