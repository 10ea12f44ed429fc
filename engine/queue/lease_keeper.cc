#include "engine/queue/lease_keeper.h"

#include <utility>
#include <vector>

namespace jobsd {

LeaseKeeper::LeaseKeeper(JobStore& store, const Clock& clock, Nanos lease, Nanos fresh_for)
    : store_(store), clock_(clock), lease_(lease), fresh_for_(fresh_for) {}

void LeaseKeeper::Hold(const ClaimedJob& claimed) {
  const Nanos now = clock_.Now();
  std::lock_guard lock(mutex_);
  held_[claimed.job.id] = Held{claimed.claim_token, now, std::make_shared<std::atomic<bool>>(false),
                               std::make_shared<Progress>(), std::nullopt};
}

ClaimLostFlag LeaseKeeper::LostFlag(const std::string& job_id) const {
  std::lock_guard lock(mutex_);
  return held_.at(job_id).lost;
}

ProgressReporter LeaseKeeper::Reporter(const std::string& job_id) const {
  std::shared_ptr<Progress> progress;
  {
    std::lock_guard lock(mutex_);
    progress = held_.at(job_id).progress;
  }
  return [progress, this](std::int64_t written, std::int64_t total) {
    progress->written.store(written, std::memory_order_relaxed);
    // The total goes last: a renewal that sees it sees a written count of
    // this report or a later one.
    const std::int64_t before = progress->total.exchange(total, std::memory_order_release);
    if (before < 0 && on_first_progress_) on_first_progress_();
  };
}

void LeaseKeeper::Finishing(const std::string& job_id, const std::string& token) {
  const Nanos now = clock_.Now();
  std::lock_guard lock(mutex_);
  const auto found = held_.find(job_id);
  if (found != held_.end() && found->second.token == token) found->second.finishing_since = now;
}

void LeaseKeeper::Forget(const std::string& job_id, const std::string& token) {
  std::lock_guard lock(mutex_);
  const auto found = held_.find(job_id);
  if (found != held_.end() && found->second.token == token) held_.erase(found);
}

int LeaseKeeper::RenewOnce() {
  std::vector<LeaseRenewal> renewals;
  std::vector<ClaimLostFlag> flags;
  const Nanos now = clock_.Now();
  const Nanos fresh_since = renew_all_next_.exchange(false) ? now : now - fresh_for_;
  const Nanos finishing_too_long_since = now - lease_ / 2;
  {
    std::lock_guard lock(mutex_);
    renewals.reserve(held_.size());
    flags.reserve(held_.size());
    for (const auto& [id, held] : held_) {
      if (held.finishing_since && *held.finishing_since > finishing_too_long_since) {
        continue;  // the completer's now
      }
      LeaseRenewal renewal{id, held.token, std::nullopt};
      const std::int64_t total = held.progress->total.load(std::memory_order_acquire);
      if (total >= 0) {
        renewal.progress =
            JobProgress{held.progress->written.load(std::memory_order_relaxed), total};
      } else if (held.held_since > fresh_since) {
        continue;  // fresh, nothing to report: its lease is as new as a renewal's
      }
      renewals.push_back(std::move(renewal));
      flags.push_back(held.lost);
    }
  }
  if (renewals.empty()) return 0;
  const std::vector<bool> held = store_.RenewLeases(renewals, now + lease_);
  int lost = 0;
  for (std::size_t i = 0; i < flags.size(); ++i) {
    if (i < held.size() && held[i]) continue;
    flags[i]->store(true);
    ++lost;
  }
  return lost;
}

std::size_t LeaseKeeper::held_count() const {
  std::lock_guard lock(mutex_);
  return held_.size();
}

}  // namespace jobsd
