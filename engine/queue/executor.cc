#include "engine/queue/executor.h"

#include <chrono>
#include <random>
#include <string>
#include <system_error>
#include <utility>

#include "engine/log.h"
#include "engine/store_error.h"

namespace jobsd {
namespace {

double UnitRandom() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

void LogWorkerError(const std::string& what) { LogError("worker: " + what); }

// Another attempt owns the job now: the artifact this run wrote must not
// stay behind (nothing will ever refer to it).
void DiscardOutputOfLostRun(const JobOutcome& outcome, ArtifactStore& artifacts) {
  if (outcome.kind != JobOutcome::Kind::kSuccess || !outcome.artifact) return;
  DeleteUnreferencedArtifact(artifacts, outcome.artifact->key);
}

}  // namespace

FinishedJob DecideOutcome(ClaimedJob claimed, const JobOutcome& outcome, Nanos now, Nanos duration,
                          const RetryPolicy& retry, double unit_random) {
  const Job& job = claimed.job;
  FinishedJob finished;
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
        completion.run_after = now + retry.Delay(job.attempts, unit_random);
      }
      break;
  }
  finished.claimed = std::move(claimed);
  return finished;
}

Executor::Executor(const JobTypeRegistry& registry, const Clock& clock, ExecutorOptions options,
                   JobObserver* observer)
    : registry_(registry), clock_(clock), options_(std::move(options)), observer_(observer) {}

Execution Executor::Run(ClaimedJob claimed, std::shared_ptr<const std::atomic<bool>> lost,
                        ProgressReporter progress) {
  if (lost->load()) {
    // Lost while it waited in the local queue (cancelled, say): nothing to
    // run, nothing to record.
    Execution execution;
    execution.verdict = Execution::Verdict::kLost;
    execution.finished.claimed = std::move(claimed);
    return execution;
  }
  {
    std::lock_guard lock(mutex_);
    ++executing_;
  }
  const Job& job = claimed.job;
  if (observer_) observer_->OnJobStarted(job);
  const Nanos started = clock_.Now();
  const auto steady_start = std::chrono::steady_clock::now();

  const JobOutcome outcome = RunHandler(job, lost, std::move(progress));
  if (outcome.kind != JobOutcome::Kind::kSuccess && !outcome.detail.empty()) {
    LogWorkerError("job " + job.id + ": " + outcome.error + ": " + outcome.detail);
  }
  Execution execution;
  execution.run_time = (std::chrono::steady_clock::now() - steady_start).count();
  {
    std::lock_guard lock(mutex_);
    --executing_;
  }
  idle_.notify_all();

  if (lost->load()) {
    DiscardOutputOfLostRun(outcome, *options_.artifacts);
    execution.verdict = Execution::Verdict::kLost;
    execution.finished.claimed = std::move(claimed);
    return execution;
  }
  if (forced_.load() && outcome.kind == JobOutcome::Kind::kRetry) {
    // Interrupted by shutdown, not by a fault: back to pending, attempt not
    // counted.
    execution.verdict = Execution::Verdict::kReleased;
    execution.finished = FinishedJob::Release(std::move(claimed));
    return execution;
  }
  const Nanos now = clock_.Now();
  execution.verdict = Execution::Verdict::kFinished;
  execution.finished =
      DecideOutcome(std::move(claimed), outcome, now, now - started, options_.retry, UnitRandom());
  return execution;
}

JobOutcome Executor::RunHandler(const Job& job,
                                const std::shared_ptr<const std::atomic<bool>>& lost,
                                ProgressReporter progress) {
  JobHandler* handler = registry_.Find(job.job_type);
  if (handler == nullptr) {
    return JobOutcome::Failed("job type [" + job.job_type + "] is not known to this jobsd");
  }
  // A job's error is shown to clients: it says what went wrong in words;
  // the internals (store messages, paths) go to the log in `detail`.
  JobOutcome outcome;
  try {
    JobContext context{job, *options_.artifacts,
                       [this, lost] { return forced_.load() || lost->load(); },
                       std::move(progress)};
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
  return outcome;
}

void Executor::ForceStop() {
  {
    std::lock_guard lock(mutex_);
    forced_.store(true);
  }
  idle_.notify_all();
}

void Executor::WaitUntilIdle(Nanos timeout) {
  std::unique_lock lock(mutex_);
  idle_.wait_for(lock, std::chrono::nanoseconds(timeout),
                 [&] { return executing_ == 0 || forced_.load(); });
}

}  // namespace jobsd
