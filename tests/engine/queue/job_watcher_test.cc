// JobWatcher on the in-memory store: polls driven by hand (RunOnce), reads
// counted, so "one read per change, whatever the number of subscribers" is
// a count, not a timing.
#include "engine/queue/job_watcher.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <vector>

#include "storage/memory/memory_job_store.h"
#include "tests/support/manual_clock.h"

namespace jobsd {
namespace {

class NoopJob final : public JobHandler {
 public:
  void ValidateParams(std::string_view) const override {}
  JobOutcome Run(const JobContext&) override { return JobOutcome::Failed("not run here"); }
};

// What the subscribers see of a job: its status and updated_at (a lease
// renewal changes neither).
std::string Render(const Job& job) {
  return std::string(ToString(job.status)) + " " + std::to_string(job.updated_at);
}

// The calls one subscriber got; thread-safe (the watcher's thread calls).
struct Calls {
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<std::shared_ptr<const JobSnapshot>> snapshots;

  JobWatcher::Callback Callback() {
    return [this](std::shared_ptr<const JobSnapshot> snapshot) {
      std::lock_guard lock(mutex);
      snapshots.push_back(std::move(snapshot));
      arrived.notify_all();
    };
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return snapshots.size();
  }
  bool WaitFor(std::size_t count) {
    std::unique_lock lock(mutex);
    return arrived.wait_for(lock, std::chrono::seconds(10),
                            [&] { return snapshots.size() >= count; });
  }
};

class JobWatcherTest : public ::testing::Test {
 protected:
  JobWatcherTest() : service_(store_, registry_, clock_, JobServiceOptions{}) {
    registry_.Register("noop", std::make_unique<NoopJob>());
  }

  Job Create() { return service_.Create({"noop", "", std::nullopt}).job; }
  // Moves the oldest pending job to started.
  Job Claim() {
    clock_.Advance(kNanosPerSecond);
    std::vector<ClaimedJob> claimed =
        store_.ClaimJobs({"worker-1", 1, clock_.Now(), clock_.Now() + 60 * kNanosPerSecond});
    EXPECT_EQ(claimed.size(), 1u);
    token_ = claimed.at(0).claim_token;
    return claimed.at(0).job;
  }

  testing::ManualClock clock_;
  JobTypeRegistry registry_;
  storage::MemoryJobStore store_;
  JobService service_;
  std::string token_;
};

TEST_F(JobWatcherTest, ManySubscribersOfOneJobCostOneReadPerChange) {
  const Job job = Create();
  JobWatcher watcher(service_, Render, {.manual = true});
  std::vector<Calls> calls(50);
  std::vector<std::unique_ptr<JobWatcher::Subscription>> subscriptions;
  for (Calls& each : calls) {
    subscriptions.push_back(watcher.Subscribe(job.id, Render(job), each.Callback()));
  }
  EXPECT_EQ(watcher.subscriber_count(), 50u);

  watcher.RunOnce();  // the new subscriptions: read once, nothing changed
  EXPECT_EQ(watcher.job_reads(), 1u);
  watcher.RunOnce();  // the store did not move: nothing read
  EXPECT_EQ(watcher.job_reads(), 1u);
  for (Calls& each : calls) EXPECT_EQ(each.size(), 0u);

  const Job started = Claim();
  watcher.RunOnce();
  EXPECT_EQ(watcher.job_reads(), 2u);
  for (Calls& each : calls) {
    ASSERT_EQ(each.size(), 1u);
    EXPECT_EQ(each.snapshots[0]->job.status, JobStatus::kStarted);
    EXPECT_EQ(each.snapshots[0]->view, Render(started));
    // One snapshot, shared by every subscriber.
    EXPECT_EQ(each.snapshots[0], calls[0].snapshots[0]);
  }
}

TEST_F(JobWatcherTest, AChangeBeforeSubscribingIsNotLost) {
  const Job job = Create();
  const std::string seen = Render(job);  // what the caller read and showed
  Claim();                               // then the job moved on
  JobWatcher watcher(service_, Render, {.manual = true});
  Calls calls;
  auto subscription = watcher.Subscribe(job.id, seen, calls.Callback());
  watcher.RunOnce();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls.snapshots[0]->job.status, JobStatus::kStarted);
}

TEST_F(JobWatcherTest, AWriteThatChangesNothingShownNotifiesNobody) {
  const Job job = Create();
  const Job started = Claim();
  JobWatcher watcher(service_, Render, {.manual = true});
  Calls calls;
  auto subscription = watcher.Subscribe(job.id, Render(started), calls.Callback());
  watcher.RunOnce();
  const std::uint64_t reads = watcher.job_reads();
  ASSERT_EQ(
      store_.RenewLeases({{job.id, token_, std::nullopt}}, clock_.Now() + 120 * kNanosPerSecond),
      std::vector<bool>{true});
  watcher.RunOnce();
  EXPECT_EQ(watcher.job_reads(), reads + 1) << "the store moved, so the job was read";
  EXPECT_EQ(calls.size(), 0u) << "but what is shown did not change";
}

TEST_F(JobWatcherTest, ASubscriberWhoseJobIsGoneGetsNullAndNothingMore) {
  const Job job = Create();
  JobWatcher watcher(service_, Render, {.manual = true});
  Calls calls;
  auto subscription = watcher.Subscribe(job.id, Render(job), calls.Callback());
  watcher.RunOnce();
  clock_.Advance(8 * kNanosPerDay);  // past the retention: the job is expired
  Create();                          // any write moves the store's version
  watcher.RunOnce();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls.snapshots[0], nullptr);
  EXPECT_EQ(watcher.subscriber_count(), 0u);
  Create();
  watcher.RunOnce();
  EXPECT_EQ(calls.size(), 1u);
}

TEST_F(JobWatcherTest, AnEndedSubscriptionIsNeverCalled) {
  const Job job = Create();
  JobWatcher watcher(service_, Render, {.manual = true});
  Calls kept, dropped;
  auto keep = watcher.Subscribe(job.id, Render(job), kept.Callback());
  auto drop = watcher.Subscribe(job.id, Render(job), dropped.Callback());
  drop.reset();
  EXPECT_EQ(watcher.subscriber_count(), 1u);
  Claim();
  watcher.RunOnce();
  EXPECT_EQ(kept.size(), 1u);
  EXPECT_EQ(dropped.size(), 0u);
}

TEST_F(JobWatcherTest, StopCallsEverySubscriberBackWithNull) {
  const Job job = Create();
  JobWatcher watcher(service_, Render, {.manual = true});
  Calls first, second;
  auto a = watcher.Subscribe(job.id, Render(job), first.Callback());
  auto b = watcher.Subscribe(job.id, Render(job), second.Callback());
  watcher.Stop();
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(first.snapshots[0], nullptr);
  Calls late;
  auto c = watcher.Subscribe(job.id, Render(job), late.Callback());
  ASSERT_EQ(late.size(), 1u) << "a subscription after Stop ends at once";
  EXPECT_EQ(late.snapshots[0], nullptr);
}

TEST_F(JobWatcherTest, ItsThreadNotifiesAChangeWithoutBeingAsked) {
  const Job job = Create();
  JobWatcher watcher(service_, Render, {.poll_interval = std::chrono::milliseconds(10)});
  Calls calls;
  auto subscription = watcher.Subscribe(job.id, Render(job), calls.Callback());
  Claim();
  ASSERT_TRUE(calls.WaitFor(1));
  EXPECT_EQ(calls.snapshots[0]->job.status, JobStatus::kStarted);
}

}  // namespace
}  // namespace jobsd
