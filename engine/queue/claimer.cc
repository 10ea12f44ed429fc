#include "engine/queue/claimer.h"

#include <algorithm>
#include <utility>

namespace jobsd {

Claimer::Claimer(JobStore& store, const Clock& clock, LeaseKeeper& leases, ClaimerOptions options)
    : store_(store), clock_(clock), leases_(leases), options_([&] {
        options.workers = std::max(1, options.workers);
        options.max_claim_batch = std::max(1, options.max_claim_batch);
        return options;
      }()) {
  // Until runs are measured, assume jobs are long: claim one at a time
  // until six runs in a row have come in short (an average starting at
  // 2 x short_job falls below short_job after the sixth). Fewer is too
  // little evidence to hold a batch of jobs that may be long; many more kept
  // a node that joins a backlog of tiny jobs at one claim per job while the
  // others, already batching, load the store (each single claim took 8-290
  // ms during a three-node drain).
  average_run_.store(options_.short_job * 2);
}

void Claimer::OpenFor(int workers) {
  std::lock_guard lock(mutex_);
  workers_running_ = workers;
}

void Claimer::Wake() {
  {
    std::lock_guard lock(mutex_);
    ++wake_generation_;
  }
  wake_.notify_one();
}

void Claimer::Stop() {
  stopping_.store(true);
  {
    std::lock_guard lock(mutex_);
    ++wake_generation_;
  }
  wake_.notify_all();
}

bool Claimer::Next(const std::string& worker_id, ClaimedJob& out) {
  while (!stopping_.load()) {
    if (TakeQueued(out)) return true;
    std::uint64_t generation;
    {
      std::lock_guard lock(mutex_);
      generation = wake_generation_;
    }
    const bool claimed_ok = ClaimMore(worker_id);
    if (TakeQueued(out)) return true;
    std::unique_lock lock(mutex_);
    if (!claimed_ok) {
      // The store refused: back off, whatever wakes us (a new job would
      // meet the same store), until shutdown.
      wake_.wait_for(lock, claim_delay_, [&] { return stopping_.load(); });
      continue;
    }
    wake_.wait_for(lock, std::chrono::nanoseconds(options_.poll_interval), [&] {
      return stopping_.load() || wake_generation_ != generation || !queued_.empty();
    });
  }
  return false;
}

std::vector<ClaimedJob> Claimer::WorkerExited() {
  std::deque<ClaimedJob> leftovers;
  {
    std::lock_guard lock(mutex_);
    if (--workers_running_ == 0) leftovers.swap(queued_);
  }
  return {std::make_move_iterator(leftovers.begin()), std::make_move_iterator(leftovers.end())};
}

bool Claimer::TakeQueued(ClaimedJob& out) {
  std::lock_guard lock(mutex_);
  // Once stopping, queued jobs are not started: they go back to pending.
  if (queued_.empty() || stopping_.load()) return false;
  out = std::move(queued_.front());
  queued_.pop_front();
  return true;
}

void Claimer::RecordRunTime(Nanos run_time) {
  average_run_.store((average_run_.load() * 7 + run_time) / 8);
}

int Claimer::ClaimBatch() const {
  // At least 1 us: a run is never free, and this keeps the division sane.
  const Nanos average = std::max<Nanos>(average_run_.load(), 1000);
  if (average >= options_.short_job) return 1;
  const Nanos work_per_batch = options_.short_job * 16 * options_.workers;
  return static_cast<int>(std::clamp<Nanos>(work_per_batch / average, 1, options_.max_claim_batch));
}

bool Claimer::ClaimMore(const std::string& worker_id) {
  const int batch = ClaimBatch();
  std::vector<ClaimedJob> claims;
  try {
    const Nanos now = clock_.Now();
    claims = store_.ClaimJobs(ClaimRequest{worker_id, batch, now, now + options_.lease});
  } catch (const std::exception& e) {
    const auto delay = claim_failures_.Failed(e.what());
    std::lock_guard lock(mutex_);
    claim_delay_ = delay;
    return false;
  }
  claim_failures_.Succeeded();
  const bool several = claims.size() > 1;
  // The claiming worker is still in Next, so these are always queued: it
  // takes the first itself.
  for (const ClaimedJob& claimed : claims) leases_.Hold(claimed);
  {
    std::lock_guard lock(mutex_);
    for (ClaimedJob& claimed : claims) queued_.push_back(std::move(claimed));
  }
  // More than this worker can take at once: let the idle ones share.
  if (several) wake_.notify_all();
  return true;
}

// While short jobs run, enough to refill the local queue once it is half
// empty, so the workers find their next jobs waiting and one commit does
// the work of two. Long jobs are left to the workers, which claim them one
// at a time.
int Claimer::PrefetchCount() {
  const int batch = ClaimBatch();
  if (stopping_.load() || batch <= 1) return 0;
  std::lock_guard lock(mutex_);
  const int queued = static_cast<int>(queued_.size());
  if (workers_running_ == 0 || queued > batch / 2) return 0;
  return batch - queued;
}

// Once no worker is left to run them (the completer may claim while the
// pool shuts down) returns them instead.
std::vector<ClaimedJob> Claimer::AddPrefetched(std::vector<ClaimedJob> claims) {
  std::vector<ClaimedJob> refused;
  if (claims.empty()) return refused;
  // Held before any worker can take it: a run looks up its claim's flag.
  for (const ClaimedJob& claimed : claims) leases_.Hold(claimed);
  {
    std::lock_guard lock(mutex_);
    // Once stopping, the last worker out releases what is queued; after it
    // has gone, nobody would.
    const bool accepting = workers_running_ > 0;
    for (ClaimedJob& claimed : claims) {
      if (accepting) {
        queued_.push_back(std::move(claimed));
      } else {
        refused.push_back(std::move(claimed));
      }
    }
  }
  wake_.notify_all();
  return refused;
}

}  // namespace jobsd
