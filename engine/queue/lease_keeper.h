// The claims this process holds (queued, running, or awaiting the commit of
// their outcome) and the renewal of their leases, the heartbeat that keeps
// the rescuer away from a job that is still being worked on.
//
// When a renewal is refused the claim is lost (the lease lapsed and the job
// was rescued, maybe claimed again elsewhere): its flag is raised so that
// the run's stop_requested sees it and its result is dropped.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "engine/queue/job_store.h"
#include "engine/time.h"

namespace jobsd {

// Raised once a claim is lost; never lowered.
using ClaimLostFlag = std::shared_ptr<std::atomic<bool>>;

class LeaseKeeper {
 public:
  LeaseKeeper(JobStore& store, const Clock& clock, Nanos lease);

  // Renews `claimed` from now on, until Forget.
  void Hold(const ClaimedJob& claimed);

  // The flag of a held claim. REQUIRES: the job is held (throws
  // std::out_of_range otherwise: a claim the pool forgot to hold).
  ClaimLostFlag LostFlag(const std::string& job_id) const;

  // Stops renewing the claim `token` on the job (its outcome is committed,
  // or it was lost). A newer claim of the same job is left alone.
  void Forget(const std::string& job_id, const std::string& token);

  // Renews every held lease to now + lease. Returns how many claims were
  // found lost. Throws StoreError when the store fails.
  int RenewOnce();

  std::size_t held_count() const;

 private:
  struct Held {
    std::string token;
    ClaimLostFlag lost;
  };

  JobStore& store_;
  const Clock& clock_;
  const Nanos lease_;
  mutable std::mutex mutex_;
  std::map<std::string, Held> held_;  // guarded by mutex_, by job id
};

}  // namespace jobsd
