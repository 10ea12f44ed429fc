#include "engine/queue/lease_keeper.h"

#include <utility>
#include <vector>

namespace jobsd {

LeaseKeeper::LeaseKeeper(JobStore& store, const Clock& clock, Nanos lease)
    : store_(store), clock_(clock), lease_(lease) {}

void LeaseKeeper::Hold(const ClaimedJob& claimed) {
  std::lock_guard lock(mutex_);
  held_[claimed.job.id] = Held{claimed.claim_token, std::make_shared<std::atomic<bool>>(false)};
}

ClaimLostFlag LeaseKeeper::LostFlag(const std::string& job_id) const {
  std::lock_guard lock(mutex_);
  return held_.at(job_id).lost;
}

void LeaseKeeper::Forget(const std::string& job_id, const std::string& token) {
  std::lock_guard lock(mutex_);
  const auto found = held_.find(job_id);
  if (found != held_.end() && found->second.token == token) held_.erase(found);
}

int LeaseKeeper::RenewOnce() {
  std::vector<std::pair<std::string, Held>> snapshot;
  {
    std::lock_guard lock(mutex_);
    snapshot.assign(held_.begin(), held_.end());
  }
  int lost = 0;
  for (const auto& [id, held] : snapshot) {
    const Nanos now = clock_.Now();
    if (!store_.RenewLease(id, held.token, now + lease_)) {
      held.lost->store(true);
      ++lost;
    }
  }
  return lost;
}

std::size_t LeaseKeeper::held_count() const {
  std::lock_guard lock(mutex_);
  return held_.size();
}

}  // namespace jobsd
