#include "engine/queue/completer.h"

#include <system_error>
#include <utility>

namespace jobsd {
namespace {

// The store refused this success (the claim was lost before the commit):
// the artifact it wrote would be an orphan nothing refers to.
void DiscardOutputOfRefusedSuccess(const JobCompletion& completion, ArtifactStore& artifacts) {
  if (completion.kind != JobCompletion::Kind::kSucceeded || !completion.success.artifact) return;
  DeleteUnreferencedArtifact(artifacts, completion.success.artifact->key);
}

}  // namespace

Completer::Completer(JobStore& store, ArtifactStore& artifacts, const Clock& clock,
                     Claimer& claimer, LeaseKeeper& leases, std::string claimer_id, Nanos lease,
                     JobObserver* observer)
    : store_(store),
      artifacts_(artifacts),
      clock_(clock),
      claimer_(claimer),
      leases_(leases),
      claimer_id_(std::move(claimer_id)),
      lease_(lease),
      observer_(observer) {}

Completer::~Completer() {
  if (thread_.joinable()) FlushAndStop();
}

void Completer::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Completer::Submit(FinishedJob finished) {
  leases_.Finishing(finished.completion.id, finished.completion.token);
  {
    std::lock_guard lock(mutex_);
    finished_.push_back(std::move(finished));
  }
  ready_.notify_one();
}

void Completer::Release(ClaimedJob claimed) { Submit(FinishedJob::Release(std::move(claimed))); }

void Completer::FlushAndStop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  ready_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Completer::Loop() {
  std::vector<FinishedJob> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return !finished_.empty() || stop_; });
      if (finished_.empty()) return;  // stopping, and everything is committed
      batch.swap(finished_);
    }
    Commit(batch);
    batch.clear();
  }
}

void Completer::Commit(std::vector<FinishedJob>& batch) {
  std::vector<JobCompletion> completions;
  completions.reserve(batch.size());
  for (const FinishedJob& finished : batch) completions.push_back(finished.completion);
  std::vector<bool> applied;
  std::vector<ClaimedJob> claimed;
  const int prefetch = claimer_.PrefetchCount();
  // A busy store can refuse a write for a moment; a few tries cover it, and
  // if all fail the leases expire and the rescuer runs the jobs again.
  for (int attempt = 0; attempt < 5 && applied.empty(); ++attempt) {
    try {
      const Nanos now = clock_.Now();
      if (prefetch > 0 && attempt == 0) {
        FinishAndClaimResult result = store_.FinishAndClaim(
            completions, now, ClaimRequest{claimer_id_, prefetch, now, now + lease_});
        applied = std::move(result.applied);
        claimed = std::move(result.claimed);
      } else {
        applied = store_.FinishJobs(completions, now);
      }
      outcome_failures_.Succeeded();
    } catch (const std::exception& e) {
      std::this_thread::sleep_for(outcome_failures_.Failed(
          e.what() + std::string(" (their leases will expire and the jobs run again)")));
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const FinishedJob& finished = batch[i];
    const bool done = i < applied.size() && applied[i];
    const JobCompletion& completion = finished.completion;
    if (!done) DiscardOutputOfRefusedSuccess(completion, artifacts_);
    if (done && observer_ && completion.kind != JobCompletion::Kind::kRelease) {
      observer_->OnJobFinished(finished.claimed.job, finished.status, finished.duration,
                               finished.rows);
    }
    leases_.Forget(completion.id, completion.token);
  }
  // Claimed while no worker is left to run them: straight back to pending.
  for (ClaimedJob& refused : claimer_.AddPrefetched(std::move(claimed))) {
    Release(std::move(refused));
  }
}

}  // namespace jobsd
