#include "engine/queue/worker_pool.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <iostream>
#include <random>
#include <system_error>

#include "engine/random.h"

namespace jobsd {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::chrono::nanoseconds ToDuration(Nanos n) { return std::chrono::nanoseconds(n); }

double UnitRandom() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

void LogError(const std::string& what) { std::cerr << "jobsd: worker: " << what << '\n'; }

// For outputs nobody will reference: a failure leaves an orphan, which the
// next start-up sweep removes.
bool DeleteArtifactQuietly(ArtifactStore& artifacts, const std::string& key) {
  try {
    return artifacts.Delete(key);
  } catch (const std::system_error&) {
    return false;
  }
}

std::string HostName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return host;
}

// host:pid:random names a process in claimed_by, so a person reading the
// store can tell which process holds a job, and a restarted process with a
// recycled pid is still told apart.
std::string MakeWorkerPrefix() {
  return HostName() + ":" + std::to_string(getpid()) + ":" + RandomHex(3);
}

// True when `worker_id` (host:pid:random:index) names a process on this
// host that no longer exists: its jobs can be taken back at once instead of
// waiting for their leases (a restart after kill -9 resumes in seconds).
bool IsDeadLocalWorker(const std::string& worker_id, const std::string& host) {
  if (worker_id.rfind(host + ":", 0) != 0) return false;
  const std::size_t pid_start = host.size() + 1;
  const std::size_t pid_end = worker_id.find(':', pid_start);
  if (pid_end == std::string::npos || pid_end == pid_start) return false;
  pid_t pid = 0;
  for (std::size_t i = pid_start; i < pid_end; ++i) {
    if (worker_id[i] < '0' || worker_id[i] > '9' || pid > 100'000'000) return false;
    pid = pid * 10 + (worker_id[i] - '0');
  }
  return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace

WorkerPool::WorkerPool(JobStore& store, const JobTypeRegistry& registry, const Clock& clock,
                       WorkerPoolOptions options, JobObserver* observer)
    : store_(store),
      registry_(registry),
      clock_(clock),
      options_(std::move(options)),
      observer_(observer),
      worker_prefix_(MakeWorkerPrefix()) {
  if (options_.workers <= 0) {
    options_.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  if (options_.artifacts == nullptr) {
    throw std::logic_error("a worker pool needs an artifact store");
  }
  options_.max_claim_batch = std::max(1, options_.max_claim_batch);
  // Until runs are measured, assume jobs are long: claim one at a time.
  average_run_.store(options_.short_job * 16);
}

WorkerPool::~WorkerPool() {
  if (!threads_.empty() || completer_.joinable() || maintenance_.joinable()) {
    ForceStop();
    Shutdown(0);
  }
}

void WorkerPool::Start() {
  SweepExportsDirOnce();
  try {
    if (const int rescued = RescueDeadLocalWorkersOnce(); rescued > 0) {
      std::cerr << "jobsd: took back " << rescued << " job(s) of a jobsd process that ended\n";
    }
  } catch (const std::exception& e) {
    LogError(std::string("rescuing jobs of ended processes failed (their leases will expire): ") +
             e.what());
  }
  {
    std::lock_guard lock(mutex_);
    workers_running_ = options_.workers;
  }
  completer_ = std::thread([this] { CompleterLoop(); });
  for (int i = 0; i < options_.workers; ++i) {
    threads_.emplace_back([this, i] { WorkerLoop(i); });
  }
  maintenance_ = std::thread([this] { MaintenanceLoop(); });
}

void WorkerPool::Wake() {
  {
    std::lock_guard lock(mutex_);
    ++wake_generation_;
  }
  wake_.notify_one();
}

bool WorkerPool::TakeQueued(ClaimedJob& out) {
  std::lock_guard lock(mutex_);
  // Once stopping, queued jobs are not started: they go back to pending.
  if (queued_.empty() || stopping_.load()) return false;
  out = std::move(queued_.front());
  queued_.pop_front();
  return true;
}

int WorkerPool::ClaimBatch() const {
  // At least 1 us: a run is never free, and this keeps the division sane.
  const Nanos average = std::max<Nanos>(average_run_.load(), 1000);
  if (average >= options_.short_job) return 1;
  const Nanos work_per_batch = options_.short_job * 16 * options_.workers;
  return static_cast<int>(std::clamp<Nanos>(work_per_batch / average, 1, options_.max_claim_batch));
}

bool WorkerPool::ClaimMore(const std::string& worker_id) {
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
  Enqueue(std::move(claims));
  // More than this worker can take at once: let the idle ones share.
  if (several) wake_.notify_all();
  return true;
}

// Hands claimed jobs to the workers, or back to pending once no worker is
// left to run them (the completer may claim while the pool shuts down).
void WorkerPool::Enqueue(std::vector<ClaimedJob> claims) {
  if (claims.empty()) return;
  std::vector<ClaimedJob> refused;
  {
    std::lock_guard lock(mutex_);
    // Once stopping, the last worker out releases what is queued; after it
    // has gone, nobody would.
    const bool accepting = workers_running_ > 0;
    for (ClaimedJob& claimed : claims) {
      held_[claimed.job.id] = Held{claimed.claim_token, std::make_shared<std::atomic<bool>>(false)};
      if (accepting) {
        queued_.push_back(std::move(claimed));
      } else {
        refused.push_back(std::move(claimed));
      }
    }
  }
  for (ClaimedJob& claimed : refused) Release(std::move(claimed));
}

// How many jobs the completer should claim along with the outcomes it
// records: while short jobs run, enough to refill the local queue once it
// is half empty, so the workers find their next jobs waiting and one
// commit does the work of two. Long jobs are left to the workers, which
// claim them one at a time.
int WorkerPool::PrefetchCount() {
  const int batch = ClaimBatch();
  if (stopping_.load() || batch <= 1) return 0;
  std::lock_guard lock(mutex_);
  const int queued = static_cast<int>(queued_.size());
  if (workers_running_ == 0 || queued > batch / 2) return 0;
  return batch - queued;
}

void WorkerPool::WorkerLoop(int index) {
  const std::string worker_id = worker_prefix_ + ":" + std::to_string(index);
  ClaimedJob claimed;
  while (!stopping_.load()) {
    if (TakeQueued(claimed)) {
      RunClaimed(std::move(claimed));
      continue;
    }
    std::uint64_t generation;
    {
      std::lock_guard lock(mutex_);
      generation = wake_generation_;
    }
    const bool claimed_ok = ClaimMore(worker_id);
    if (TakeQueued(claimed)) {
      RunClaimed(std::move(claimed));
      continue;
    }
    std::unique_lock lock(mutex_);
    if (!claimed_ok) {
      // The store refused: back off, whatever wakes us (a new job would
      // meet the same store), until shutdown.
      wake_.wait_for(lock, claim_delay_, [&] { return stopping_.load(); });
      continue;
    }
    wake_.wait_for(lock, ToDuration(options_.poll_interval), [&] {
      return stopping_.load() || wake_generation_ != generation || !queued_.empty();
    });
  }
  // The last worker out returns what was claimed but never started.
  std::deque<ClaimedJob> leftovers;
  {
    std::lock_guard lock(mutex_);
    if (--workers_running_ == 0) leftovers.swap(queued_);
  }
  for (ClaimedJob& job : leftovers) Release(std::move(job));
}

void WorkerPool::RunClaimed(ClaimedJob claimed) {
  const Job& job = claimed.job;
  std::shared_ptr<std::atomic<bool>> lost;
  {
    std::lock_guard lock(mutex_);
    lost = held_.at(job.id).lost;
    ++executing_;
  }
  if (observer_) observer_->OnJobStarted(job);
  const Nanos started = clock_.Now();
  const auto steady_start = SteadyClock::now();

  JobOutcome outcome;
  JobHandler* handler = registry_.Find(job.job_type);
  if (handler == nullptr) {
    outcome = JobOutcome::Failed("job type [" + job.job_type + "] is not known to this jobsd");
  } else {
    // A job's error is shown to clients: it says what went wrong in words;
    // the internals (store messages, paths) go to the log in `detail`.
    try {
      JobContext context{job, *options_.artifacts,
                         [this, lost] { return forced_.load() || lost->load(); }};
      outcome = handler->Run(context);
    } catch (const StoreError& e) {
      const std::string message =
          "The job could not run: " + std::string(DescribeStoreFault(e.fault()));
      outcome = e.transient() ? JobOutcome::Retry(message) : JobOutcome::Failed(message);
      outcome.detail = e.what();
    } catch (const std::system_error& e) {
      outcome = JobOutcome::Retry("The job could not run: " + e.code().message());
      outcome.detail = e.what();
    } catch (const std::exception& e) {
      outcome = JobOutcome::Failed("The job failed unexpectedly");
      outcome.detail = e.what();
    }
  }
  if (outcome.kind != JobOutcome::Kind::kSuccess && !outcome.detail.empty()) {
    LogError("job " + job.id + ": " + outcome.error + ": " + outcome.detail);
  }
  const Nanos run_time = (SteadyClock::now() - steady_start).count();
  average_run_.store((average_run_.load() * 7 + run_time) / 8);
  {
    std::lock_guard lock(mutex_);
    --executing_;
  }
  idle_.notify_all();

  if (lost->load()) {
    // Another attempt owns the job now; our result must not count.
    if (outcome.kind == JobOutcome::Kind::kSuccess && outcome.artifact) {
      DeleteArtifactQuietly(*options_.artifacts, outcome.artifact->key);
    }
    Forget(job.id);
    return;
  }
  if (forced_.load() && outcome.kind == JobOutcome::Kind::kRetry) {
    // Interrupted by shutdown, not by a fault: back to pending, attempt not
    // counted.
    Release(std::move(claimed));
    return;
  }
  Finished finished = Decide(std::move(claimed), outcome, clock_.Now() - started);
  {
    std::lock_guard lock(finished_mutex_);
    finished_.push_back(std::move(finished));
  }
  finished_ready_.notify_one();
}

WorkerPool::Finished WorkerPool::Decide(ClaimedJob claimed, const JobOutcome& outcome,
                                        Nanos duration) {
  const Job& job = claimed.job;
  Finished finished;
  finished.duration = duration;
  JobCompletion& completion = finished.completion;
  completion.id = job.id;
  completion.token = claimed.claim_token;
  switch (outcome.kind) {
    case JobOutcome::Kind::kSuccess:
      finished.status = JobStatus::kSuccess;
      finished.rows = outcome.rows;
      completion.kind = JobCompletion::Kind::kSucceeded;
      completion.success = SuccessResult{outcome.result, outcome.artifact};
      break;
    case JobOutcome::Kind::kFailed:
      finished.status = JobStatus::kFailed;
      completion.kind = JobCompletion::Kind::kFailed;
      completion.error = outcome.error;
      break;
    case JobOutcome::Kind::kRetry:
      if (job.attempts >= job.max_attempts) {
        finished.status = JobStatus::kFailed;
        completion.kind = JobCompletion::Kind::kFailed;
        completion.error =
            outcome.error + " (gave up after " + std::to_string(job.attempts) + " attempts)";
      } else {
        finished.status = JobStatus::kPending;
        completion.kind = JobCompletion::Kind::kRetry;
        completion.error = outcome.error + " (attempt " + std::to_string(job.attempts) + " of " +
                           std::to_string(job.max_attempts) + "; will retry)";
        completion.run_after = clock_.Now() + options_.retry.Delay(job.attempts, UnitRandom());
      }
      break;
  }
  finished.claimed = std::move(claimed);
  return finished;
}

void WorkerPool::Release(ClaimedJob claimed) {
  Finished finished;
  finished.status = JobStatus::kPending;
  finished.completion.id = claimed.job.id;
  finished.completion.token = claimed.claim_token;
  finished.completion.kind = JobCompletion::Kind::kRelease;
  finished.claimed = std::move(claimed);
  {
    std::lock_guard lock(finished_mutex_);
    finished_.push_back(std::move(finished));
  }
  finished_ready_.notify_one();
}

void WorkerPool::CompleterLoop() {
  std::vector<Finished> batch;
  for (;;) {
    {
      std::unique_lock lock(finished_mutex_);
      finished_ready_.wait(lock, [&] { return !finished_.empty() || completer_stop_; });
      if (finished_.empty()) return;  // stopping, and everything is committed
      batch.swap(finished_);
    }
    Commit(batch);
    batch.clear();
  }
}

// Group commit of outcomes: one transaction (one fsync) for everything the
// workers finished since the last one.
void WorkerPool::Commit(std::vector<Finished>& batch) {
  std::vector<JobCompletion> completions;
  completions.reserve(batch.size());
  for (const Finished& finished : batch) completions.push_back(finished.completion);
  std::vector<bool> applied;
  std::vector<ClaimedJob> claimed;
  const int prefetch = PrefetchCount();
  // A busy store can refuse a write for a moment; a few tries cover it, and
  // if all fail the leases expire and the rescuer runs the jobs again.
  for (int attempt = 0; attempt < 5 && applied.empty(); ++attempt) {
    try {
      const Nanos now = clock_.Now();
      if (prefetch > 0 && attempt == 0) {
        FinishAndClaimResult result = store_.FinishAndClaim(
            completions, now,
            ClaimRequest{worker_prefix_ + ":completer", prefetch, now, now + options_.lease});
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
    const Finished& finished = batch[i];
    const bool done = i < applied.size() && applied[i];
    const JobCompletion& completion = finished.completion;
    if (!done && completion.kind == JobCompletion::Kind::kSucceeded &&
        completion.success.artifact) {
      // Our result was refused: leave no orphan.
      DeleteArtifactQuietly(*options_.artifacts, completion.success.artifact->key);
    }
    if (done && observer_ && completion.kind != JobCompletion::Kind::kRelease) {
      observer_->OnJobFinished(finished.claimed.job, finished.status, finished.duration,
                               finished.rows);
    }
    Forget(completion.id);
  }
  if (!claimed.empty()) {
    Enqueue(std::move(claimed));
    wake_.notify_all();
  }
}

void WorkerPool::Forget(const std::string& job_id) {
  std::lock_guard lock(mutex_);
  held_.erase(job_id);
}

void WorkerPool::MaintenanceLoop() {
  auto next_heartbeat = SteadyClock::now() + ToDuration(options_.heartbeat);
  auto next_rescue = SteadyClock::now();
  auto next_retention = SteadyClock::now();
  while (!stopping_.load() || !forced_.load()) {
    const auto now = SteadyClock::now();
    try {
      if (now >= next_heartbeat) {
        RenewLeases();
        next_heartbeat = now + ToDuration(options_.heartbeat);
      }
      if (!stopping_.load() && now >= next_rescue) {
        RescueOnce();
        next_rescue = now + ToDuration(options_.rescue_interval);
      }
      if (!stopping_.load() && now >= next_retention) {
        DeleteExpiredOnce();
        next_retention = now + ToDuration(options_.retention_interval);
      }
      maintenance_failures_.Succeeded();
    } catch (const std::exception& e) {
      // Whichever task failed left its time in the past: without a delay
      // it would run again at once, and fail, a hundred times a second.
      const auto retry_at = SteadyClock::now() + maintenance_failures_.Failed(e.what());
      if (next_heartbeat <= now) next_heartbeat = retry_at;
      if (next_rescue <= now) next_rescue = retry_at;
      if (next_retention <= now) next_retention = retry_at;
    }
    std::unique_lock lock(mutex_);
    const auto wake_at = std::min({next_heartbeat, next_rescue, next_retention});
    idle_.wait_until(lock, std::max(wake_at, SteadyClock::now() + std::chrono::milliseconds(10)),
                     [&] { return forced_.load(); });
  }
}

void WorkerPool::RenewLeases() {
  std::vector<std::pair<std::string, Held>> snapshot;
  {
    std::lock_guard lock(mutex_);
    snapshot.assign(held_.begin(), held_.end());
  }
  for (const auto& [id, held] : snapshot) {
    const Nanos now = clock_.Now();
    if (!store_.RenewLease(id, held.token, now + options_.lease)) held.lost->store(true);
  }
}

int WorkerPool::RescueOnce() { return store_.RescueExpiredLeases(clock_.Now()); }

int WorkerPool::RescueDeadLocalWorkersOnce() {
  const std::string host = HostName();
  std::vector<std::string> dead;
  for (const std::string& worker : store_.ClaimHolders()) {
    if (IsDeadLocalWorker(worker, host)) dead.push_back(worker);
  }
  return dead.empty() ? 0 : store_.RescueClaimsOf(dead, clock_.Now());
}

int WorkerPool::DeleteExpiredOnce() {
  int deleted = 0;
  for (;;) {
    std::vector<ExpiredJob> expired = store_.DeleteExpiredJobs(clock_.Now(), 500);
    for (const ExpiredJob& job : expired) {
      if (!job.artifact_key) continue;
      try {
        options_.artifacts->Delete(*job.artifact_key);
      } catch (const std::system_error& e) {
        LogError("cannot delete expired export " + options_.artifacts->Describe(*job.artifact_key) +
                 ": " + e.code().message());
      }
    }
    deleted += static_cast<int>(expired.size());
    if (expired.size() < 500) return deleted;
  }
}

int WorkerPool::SweepExportsDirOnce() {
  // A temporary left by a crash mid-export, or an artifact whose job is gone.
  int removed = 0;
  for (const std::string& key : options_.artifacts->ListOrphans(store_.ReferencedArtifacts())) {
    if (DeleteArtifactQuietly(*options_.artifacts, key)) ++removed;
  }
  return removed;
}

void WorkerPool::Shutdown(Nanos grace) {
  stopping_.store(true);
  {
    std::lock_guard lock(mutex_);
    ++wake_generation_;
  }
  wake_.notify_all();
  {
    std::unique_lock lock(mutex_);
    idle_.wait_for(lock, ToDuration(grace), [&] { return executing_ == 0 || forced_.load(); });
  }
  ForceStop();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
  {
    std::lock_guard lock(finished_mutex_);
    completer_stop_ = true;
  }
  finished_ready_.notify_all();
  if (completer_.joinable()) completer_.join();
  if (maintenance_.joinable()) maintenance_.join();
}

void WorkerPool::ForceStop() {
  {
    std::lock_guard lock(mutex_);
    forced_.store(true);
  }
  idle_.notify_all();
  wake_.notify_all();
}

}  // namespace jobsd
