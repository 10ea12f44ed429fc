// Every verb of engine/queue/job_store.h, against every backend built
// (backend.h): what the port promises, checked the same way for each. A
// backend is trusted once it passes this suite.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/filter.h"
#include "tests/storage/conformance/backend.h"
#include "tests/storage/conformance/success_result.h"
#include "tests/storage/store_test_data.h"
#include "tests/support/temp_dir.h"

namespace jobsd::conformance {
namespace {

constexpr Nanos kT0 = 1'700'000'000 * kNanosPerSecond;  // 2023-11-14T22:13:20Z
constexpr Nanos kRetention = testing::kTestJobRetention;
constexpr Nanos kLease = 30 * kNanosPerSecond;

using Kind = JobCompletion::Kind;

class JobStoreConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  JobStoreConformanceTest() : store_(GetParam().open(dir_.path())), jobs_(store_->jobs()) {}

  static NewJob MakeJob(std::string id, Nanos created_at, std::string filter = "") {
    return testing::MakeTestJob(std::move(id), created_at, std::move(filter));
  }

  Job Insert(std::string id, Nanos created_at, std::string filter = "") {
    InsertResult result = jobs_.InsertJob(MakeJob(std::move(id), created_at, std::move(filter)));
    EXPECT_TRUE(result.created);
    return result.job;
  }

  ClaimedJob ClaimOne(Nanos now, std::string worker = "w1") {
    auto claimed = jobs_.ClaimJobs({std::move(worker), 1, now, now + kLease});
    EXPECT_EQ(claimed.size(), 1u);
    return claimed.empty() ? ClaimedJob{} : claimed.front();
  }

  Job Get(std::string_view id, Nanos now = kT0) {
    auto job = jobs_.FindJob(id, now);
    EXPECT_TRUE(job.has_value()) << id;
    return job.value_or(Job{});
  }

  // One renewal through the batch verb.
  bool Renew(std::string id, std::string token, Nanos lease_until) {
    return jobs_
        .RenewLeases({LeaseRenewal{std::move(id), std::move(token), std::nullopt}}, lease_until)
        .front();
  }

  bool Finish(JobCompletion completion, Nanos now) {
    return jobs_.FinishJobs({std::move(completion)}, now).front();
  }
  bool Succeed(const ClaimedJob& claim, const std::string& name, Nanos now) {
    return Finish(Succeeded(claim, name), now);
  }
  bool Fail(std::string id, std::string token, std::string error, Nanos now) {
    return Finish({std::move(id), std::move(token), Kind::kFailed, {}, std::move(error), 0}, now);
  }
  bool Retry(std::string id, std::string token, std::string error, Nanos run_after, Nanos now) {
    return Finish({std::move(id), std::move(token), Kind::kRetry, {}, std::move(error), run_after},
                  now);
  }
  bool Release(std::string id, std::string token, Nanos now) {
    return Finish({std::move(id), std::move(token), Kind::kRelease, {}, "", 0}, now);
  }

  std::vector<std::string> ListIds(std::string_view filter_text, Nanos now = kT0) {
    return IdsOf(jobs_.ListJobs({filter::Parse(filter_text, filter::JobFields()), 100, 0, now}));
  }
  static std::vector<std::string> IdsOf(const JobPage& page) {
    std::vector<std::string> ids;
    for (const Job& job : page.jobs) ids.push_back(job.id);
    return ids;
  }

  testing::TempDir dir_;
  std::unique_ptr<OpenBackend> store_;
  JobStore& jobs_;
};

using Ids = std::vector<std::string>;

TEST_P(JobStoreConformanceTest, InsertThenFindReturnsEveryField) {
  Job inserted = Insert("a", kT0, "eq(payment,paid)");
  Job found = Get("a");
  EXPECT_EQ(found.id, "a");
  EXPECT_EQ(found.job_type, "order_export");
  EXPECT_EQ(found.status, JobStatus::kPending);
  EXPECT_EQ(found.params, "eq(payment,paid)");
  EXPECT_EQ(found.error, std::nullopt);
  EXPECT_EQ(found.attempts, 0);
  EXPECT_EQ(found.max_attempts, 3);
  EXPECT_EQ(found.interruptions, 0);
  EXPECT_EQ(found.created_at, kT0);
  EXPECT_EQ(found.updated_at, kT0);  // equal at creation
  EXPECT_EQ(found.run_after, kT0);
  EXPECT_EQ(found.expires_at, kT0 + kRetention);
  EXPECT_EQ(found.claimed_by, std::nullopt);
  EXPECT_EQ(found.lease_expires_at, std::nullopt);
  ExpectNoResult(found);
  EXPECT_EQ(inserted.id, found.id);
  EXPECT_EQ(inserted.status, found.status);
  EXPECT_EQ(inserted.created_at, found.created_at);
  EXPECT_EQ(inserted.updated_at, found.updated_at);
  EXPECT_EQ(inserted.run_after, found.run_after);
  EXPECT_EQ(inserted.expires_at, found.expires_at);
  EXPECT_EQ(jobs_.FindJob("missing", kT0), std::nullopt);
}

TEST_P(JobStoreConformanceTest, ExpiredJobsAreInvisibleAndNeverClaimed) {
  Insert("a", kT0);
  const Nanos expiry = kT0 + kRetention;
  EXPECT_TRUE(jobs_.FindJob("a", expiry - 1).has_value());
  EXPECT_FALSE(jobs_.FindJob("a", expiry).has_value());
  EXPECT_EQ(jobs_.ListJobs({{}, 25, 0, expiry}).total, 0);
  EXPECT_EQ(jobs_.ListJobs({{}, 25, 0, expiry - 1}).total, 1);
  EXPECT_EQ(jobs_.CountByStatus(expiry).at(JobStatus::kPending), 0);
  EXPECT_EQ(jobs_.CountByStatus(expiry - 1).at(JobStatus::kPending), 1);
  EXPECT_TRUE(jobs_.ClaimJobs({"w", 5, expiry, expiry + 1}).empty());
}

TEST_P(JobStoreConformanceTest, DuplicateIdIsAStoreErrorAndWritesNothing) {
  Insert("a", kT0, "first");
  EXPECT_THROW(jobs_.InsertJob(MakeJob("a", kT0 + 1, "second")), StoreError);
  EXPECT_EQ(Get("a").params, "first");
  EXPECT_EQ(jobs_.ListJobs({{}, 25, 0, kT0}).total, 1);
  // SQLite's insert is INSERT OR FAIL (no statement journal, 0012): the
  // refused row must not have bumped the per-status counts either.
  EXPECT_EQ(jobs_.CountByStatus(kT0)[JobStatus::kPending], 1);
}

TEST_P(JobStoreConformanceTest, IdempotencyKeyReturnsTheEarlierJobOrAConflict) {
  NewJob first = MakeJob("first", kT0);
  first.idempotency_key = "key-1";
  first.request_hash = "hash-a";
  first.idempotency_expires_at = kT0 + kNanosPerDay;
  ASSERT_TRUE(jobs_.InsertJob(first).created);

  // Same key, same request: the earlier job, nothing written.
  NewJob repeat = MakeJob("repeat", kT0 + 10);
  repeat.idempotency_key = "key-1";
  repeat.request_hash = "hash-a";
  repeat.idempotency_expires_at = kT0 + 10 + kNanosPerDay;
  InsertResult same = jobs_.InsertJob(repeat);
  EXPECT_FALSE(same.created);
  EXPECT_FALSE(same.key_conflict);
  EXPECT_FALSE(same.active_limit_reached);
  EXPECT_EQ(same.job.id, "first");
  EXPECT_EQ(same.job.created_at, kT0);
  EXPECT_FALSE(jobs_.FindJob("repeat", kT0).has_value());

  // Same key, another request: a conflict naming the earlier job.
  repeat.request_hash = "hash-b";
  InsertResult conflict = jobs_.InsertJob(repeat);
  EXPECT_FALSE(conflict.created);
  EXPECT_TRUE(conflict.key_conflict);
  EXPECT_EQ(conflict.job.id, "first");
  EXPECT_FALSE(jobs_.FindJob("repeat", kT0).has_value());
  EXPECT_EQ(jobs_.ListJobs({{}, 25, 0, kT0}).total, 1);

  // After the key's window it is free again and names the new job; the
  // old job lives on without it.
  NewJob later = MakeJob("later", kT0 + kNanosPerDay);
  later.idempotency_key = "key-1";
  later.request_hash = "hash-b";
  later.idempotency_expires_at = kT0 + 2 * kNanosPerDay;
  InsertResult fresh = jobs_.InsertJob(later);
  EXPECT_TRUE(fresh.created);
  EXPECT_EQ(fresh.job.id, "later");
  EXPECT_TRUE(jobs_.FindJob("first", kT0 + kNanosPerDay).has_value());
  EXPECT_EQ(jobs_.ListJobs({{}, 25, 0, kT0 + kNanosPerDay}).total, 2);
  NewJob again = MakeJob("again", kT0 + kNanosPerDay + 1);
  again.idempotency_key = "key-1";
  again.request_hash = "hash-b";
  again.idempotency_expires_at = kT0 + 2 * kNanosPerDay;
  EXPECT_EQ(jobs_.InsertJob(again).job.id, "later");
}

TEST_P(JobStoreConformanceTest, AKeyWhoseJobExpiredIsFreeAgain) {
  NewJob first = MakeJob("first", kT0);
  first.expires_at = kT0 + 100;
  first.idempotency_key = "key";
  first.request_hash = "h";
  first.idempotency_expires_at = kT0 + kNanosPerDay;  // outlives the job
  ASSERT_TRUE(jobs_.InsertJob(first).created);
  NewJob second = MakeJob("second", kT0 + 100);
  second.idempotency_key = "key";
  second.request_hash = "h";
  second.idempotency_expires_at = kT0 + kNanosPerDay;
  InsertResult result = jobs_.InsertJob(second);
  EXPECT_TRUE(result.created);
  EXPECT_EQ(result.job.id, "second");
}

TEST_P(JobStoreConformanceTest, AClientsActiveJobsAreLimitedAndFinishedOnesFreeTheirPlace) {
  auto for_client = [&](std::string id, std::string client, Nanos at) {
    NewJob job = MakeJob(std::move(id), at);
    job.client_id = std::move(client);
    job.max_active_for_client = 2;
    return jobs_.InsertJob(job);
  };
  EXPECT_TRUE(for_client("a1", "alice", kT0).created);
  EXPECT_TRUE(for_client("a2", "alice", kT0 + 1).created);
  Insert("cli", kT0 + 2);  // no client: never counted
  InsertResult refused = for_client("a3", "alice", kT0 + 3);
  EXPECT_FALSE(refused.created);
  EXPECT_TRUE(refused.active_limit_reached);
  EXPECT_TRUE(refused.job.id.empty());
  EXPECT_FALSE(jobs_.FindJob("a3", kT0 + 3).has_value()) << "nothing written";
  EXPECT_TRUE(for_client("b1", "bob", kT0 + 4).created) << "other clients are apart";

  // started still counts; failed (or success) does not.
  ClaimedJob claimed = ClaimOne(kT0 + 5);
  ASSERT_EQ(claimed.job.id, "a1");
  EXPECT_TRUE(for_client("a3", "alice", kT0 + 6).active_limit_reached);
  ASSERT_TRUE(Fail("a1", claimed.claim_token, "boom", kT0 + 7));
  EXPECT_TRUE(for_client("a3", "alice", kT0 + 8).created);
}

// InsertJobAsync answers what InsertJob would, once per call, by the time
// the job can be read back; SQLite's answers come from its committing
// thread, the other stores' from the caller's.
TEST_P(JobStoreConformanceTest, InsertJobAsyncAnswersAsInsertJobDoesOncePerCall) {
  // The error is looked at on the thread that got it: an exception object
  // handed across threads trips ThreadSanitizer (api/router.h, PostedJob).
  struct Answer {
    bool failed = false;
    bool store_error = false;
    InsertResult result;
  };
  auto insert_async = [&](NewJob job) {
    auto answer = std::make_shared<std::promise<Answer>>();
    jobs_.InsertJobAsync(std::move(job), [answer](std::exception_ptr error, InsertResult result) {
      Answer got{static_cast<bool>(error), false, std::move(result)};
      try {
        if (error) std::rethrow_exception(error);
      } catch (const StoreError&) {
        got.store_error = true;
      } catch (...) {
      }
      answer->set_value(std::move(got));
    });
    return answer->get_future().get();
  };
  const Answer created = insert_async(MakeJob("a", kT0, "first"));
  ASSERT_FALSE(created.failed);
  EXPECT_TRUE(created.result.created);
  EXPECT_EQ(created.result.job.id, "a");
  EXPECT_EQ(created.result.job.status, JobStatus::kPending);
  EXPECT_EQ(Get("a").params, "first");

  const Answer duplicate = insert_async(MakeJob("a", kT0 + 1, "second"));
  ASSERT_TRUE(duplicate.failed);
  EXPECT_TRUE(duplicate.store_error);
  EXPECT_EQ(Get("a").params, "first");

  NewJob keyed = MakeJob("keyed", kT0 + 2);
  keyed.idempotency_key = "key";
  keyed.request_hash = "h1";
  keyed.idempotency_expires_at = kT0 + kNanosPerDay;
  EXPECT_TRUE(insert_async(keyed).result.created);
  keyed.id = "repeat";
  const Answer repeat = insert_async(keyed);
  EXPECT_FALSE(repeat.result.created);
  EXPECT_EQ(repeat.result.job.id, "keyed");
  keyed.request_hash = "h2";
  EXPECT_TRUE(insert_async(keyed).result.key_conflict);

  NewJob limited = MakeJob("c1", kT0 + 3);
  limited.client_id = "carol";
  limited.max_active_for_client = 1;
  EXPECT_TRUE(insert_async(limited).result.created);
  limited.id = "c2";
  EXPECT_TRUE(insert_async(limited).result.active_limit_reached);

  // A burst from several threads: every call answered exactly once.
  constexpr int kThreads = 4, kEach = 50;
  std::mutex mutex;
  std::condition_variable answered;
  std::map<std::string, int> answers;  // guarded by mutex
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string id = "burst-" + std::to_string(t) + "-" + std::to_string(i);
        jobs_.InsertJobAsync(MakeJob(id, kT0 + 10 + i),
                             [&, id](std::exception_ptr error, InsertResult result) {
                               EXPECT_FALSE(error);
                               EXPECT_EQ(result.job.id, id);
                               std::lock_guard lock(mutex);
                               ++answers[id];
                               answered.notify_one();
                             });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::unique_lock lock(mutex);
  answered.wait(lock, [&] { return answers.size() == std::size_t{kThreads * kEach}; });
  for (const auto& [id, count] : answers) EXPECT_EQ(count, 1) << id;
  lock.unlock();
  EXPECT_EQ(jobs_.ListJobs({{}, 25, 0, kT0 + 100}).total, 3 + kThreads * kEach);
}

TEST_P(JobStoreConformanceTest, ConcurrentInsertsAtAClientsLimitLetOnlyTheLimitThrough) {
  std::vector<std::thread> threads;
  std::atomic<int> created{0}, refused{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        NewJob job = MakeJob("job-" + std::to_string(t) + "-" + std::to_string(i), kT0 + i);
        job.client_id = "alice";
        job.max_active_for_client = 7;
        InsertResult result = jobs_.InsertJob(job);
        (result.created ? created : refused)++;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(created.load(), 7);
  EXPECT_EQ(refused.load(), 33);
}

TEST_P(JobStoreConformanceTest, ConcurrentInsertsAreEachStoredAndAKeyOwnedOnce) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  std::atomic<int> created{0};
  std::mutex owners_mutex;
  std::set<std::string> owners;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        NewJob job = MakeJob("job-" + std::to_string(t) + "-" + std::to_string(i), kT0 + i);
        // Every thread also repeats one shared key: only one job may own it.
        if (i == 0) {
          job.idempotency_key = "shared-key";
          job.request_hash = "same";
          job.idempotency_expires_at = kT0 + kNanosPerDay;
        }
        InsertResult result = jobs_.InsertJob(job);
        if (result.created) ++created;
        if (i == 0) {
          std::lock_guard lock(owners_mutex);
          owners.insert(result.job.id);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(created.load(), kThreads * (kPerThread - 1) + 1);
  EXPECT_EQ(owners.size(), 1u);
  EXPECT_EQ(jobs_.CountByStatus(kT0)[JobStatus::kPending], kThreads * (kPerThread - 1) + 1);
}

TEST_P(JobStoreConformanceTest, AFailingConcurrentInsertFailsAloneAndTheOthersAreStored) {
  Insert("taken", kT0);
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      try {
        jobs_.InsertJob(MakeJob(t == 0 ? "taken" : "free-" + std::to_string(t), kT0 + 1));
      } catch (const StoreError&) {
        ++errors;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 1);
  for (int t = 1; t < 6; ++t) Get("free-" + std::to_string(t));
}

TEST_P(JobStoreConformanceTest, InsertJobsStoresABatchAllOrNothing) {
  std::vector<NewJob> batch;
  for (int i = 0; i < 100; ++i) batch.push_back(MakeJob("b" + std::to_string(i), kT0 + i));
  std::vector<InsertResult> results = jobs_.InsertJobs(batch);
  ASSERT_EQ(results.size(), 100u);
  EXPECT_TRUE(results[99].created);
  EXPECT_EQ(results[99].job.id, "b99");
  EXPECT_EQ(jobs_.CountByStatus(kT0)[JobStatus::kPending], 100);

  // The second repeats an id: the first, and the key it takes, go too.
  NewJob keyed = MakeJob("c1", kT0);
  keyed.idempotency_key = "k";
  keyed.request_hash = "h";
  keyed.idempotency_expires_at = kT0 + kNanosPerDay;
  batch = {keyed, MakeJob("b0", kT0)};
  EXPECT_THROW(jobs_.InsertJobs(batch), StoreError);
  EXPECT_FALSE(jobs_.FindJob("c1", kT0)) << "all or nothing";
  EXPECT_EQ(jobs_.CountByStatus(kT0)[JobStatus::kPending], 100);
  keyed.id = "c2";
  EXPECT_TRUE(jobs_.InsertJob(keyed).created) << "the key was not kept either";
}

// SQLite writes runs of plain jobs (no key, no limit) many rows per
// statement: every job of a long mixed batch must come back as it went in,
// whichever statement carried it, and a failure inside such a run must
// still undo the whole batch.
TEST_P(JobStoreConformanceTest, InsertJobsKeepsEveryJobOfALongMixedBatch) {
  std::vector<NewJob> batch;
  for (int i = 0; i < 77; ++i) {
    NewJob job = MakeJob("m" + std::to_string(i), kT0 + i, "eq(status,s" + std::to_string(i) + ")");
    if (i % 3 == 0) job.client_id = "client-" + std::to_string(i);
    if (i == 40) {
      job.idempotency_key = "key-40";
      job.request_hash = "h";
      job.idempotency_expires_at = kT0 + kNanosPerDay;
    }
    batch.push_back(std::move(job));
  }
  std::vector<InsertResult> results = jobs_.InsertJobs(batch);
  ASSERT_EQ(results.size(), batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(results[i].job.id, batch[i].id);
    EXPECT_TRUE(results[i].created);
    const Job stored = Get(batch[i].id, kT0 + 100);
    EXPECT_EQ(stored.params, batch[i].params);
    EXPECT_EQ(stored.created_at, batch[i].created_at);
    EXPECT_EQ(stored.expires_at, batch[i].expires_at);
    EXPECT_EQ(stored.max_attempts, 3);
    EXPECT_EQ(stored.status, JobStatus::kPending);
  }
  EXPECT_EQ(jobs_.CountByStatus(kT0 + 100)[JobStatus::kPending], 77);
  EXPECT_EQ(jobs_.ListJobs({{}, 1, 0, kT0 + 100}).jobs.front().id, "m76") << "newest first";
  // The client ids went in with their rows: each client's limit sees its job.
  for (int i : {3, 39, 42, 75}) {
    NewJob more = MakeJob("more-" + std::to_string(i), kT0 + 100);
    more.client_id = "client-" + std::to_string(i);
    more.max_active_for_client = 1;
    EXPECT_TRUE(jobs_.InsertJob(more).active_limit_reached) << i;
  }

  // A repeated id deep inside the second run of plain jobs: nothing stays.
  std::vector<NewJob> failing;
  for (int i = 0; i < 70; ++i) failing.push_back(MakeJob("f" + std::to_string(i), kT0 + i));
  failing[50].id = "m3";
  EXPECT_THROW(jobs_.InsertJobs(failing), StoreError);
  EXPECT_FALSE(jobs_.FindJob("f0", kT0)) << "all or nothing";
  EXPECT_FALSE(jobs_.FindJob("f69", kT0));
  EXPECT_EQ(jobs_.CountByStatus(kT0 + 100)[JobStatus::kPending], 77);
}

TEST_P(JobStoreConformanceTest, ListIsNewestFirstWithPagingAndTotal) {
  for (int i = 0; i < 7; ++i) Insert("job-" + std::to_string(i), kT0 + i);
  Insert("same-time-b", kT0 + 100);
  Insert("same-time-a", kT0 + 100);

  JobPage first = jobs_.ListJobs({{}, 3, 0, kT0});
  EXPECT_EQ(first.total, 9);
  // Ties of created_at: the later insert first (seq, not id: "a" < "b").
  EXPECT_EQ(IdsOf(first), (Ids{"same-time-a", "same-time-b", "job-6"}));
  JobPage middle = jobs_.ListJobs({{}, 3, 3, kT0});
  EXPECT_EQ(IdsOf(middle), (Ids{"job-5", "job-4", "job-3"}));
  JobPage last = jobs_.ListJobs({{}, 4, 6, kT0});
  EXPECT_EQ(last.total, 9);
  EXPECT_EQ(IdsOf(last), (Ids{"job-2", "job-1", "job-0"}));
  JobPage beyond = jobs_.ListJobs({{}, 3, 9, kT0});
  EXPECT_EQ(beyond.total, 9);
  EXPECT_TRUE(beyond.jobs.empty());
}

TEST_P(JobStoreConformanceTest, ListIsValidUntilTheFirstVisibleJobExpires) {
  EXPECT_EQ(jobs_.ListJobs({{}, 25, 0, kT0}).valid_until, JobPage::kNoExpiry);
  Insert("old", kT0);
  Insert("new", kT0 + 5);
  // Whatever the page or the filter shows.
  EXPECT_EQ(jobs_.ListJobs({{}, 1, 0, kT0}).valid_until, kT0 + kRetention);
  EXPECT_EQ(jobs_.ListJobs({filter::Parse("eq(status,failed)", filter::JobFields()), 1, 0, kT0})
                .valid_until,
            kT0 + kRetention);
  EXPECT_EQ(jobs_.ListJobs({{}, 25, 0, kT0 + kRetention}).valid_until, kT0 + 5 + kRetention);
  EXPECT_EQ(jobs_.ListJobs({{}, 25, 0, kT0 + 5 + kRetention}).valid_until, JobPage::kNoExpiry);
}

TEST_P(JobStoreConformanceTest, ListAppliesTheJobFilter) {
  constexpr Nanos kDay = kNanosPerDay;
  const Nanos midnight = kT0 - kT0 % kDay;  // 2023-11-14T00:00:00Z
  Insert("old", midnight);                  // first instant of the 14th
  Insert("late", midnight + kDay - 1);      // last instant of the 14th
  Insert("next", midnight + kDay);          // the 15th
  NewJob other = MakeJob("other", midnight + kDay + 5);
  other.job_type = "Report_Build";
  jobs_.InsertJob(other);
  ClaimedJob claim = ClaimOne(midnight + 2 * kDay);  // "old" is claimed first: started
  ASSERT_EQ(claim.job.id, "old");

  EXPECT_EQ(ListIds("eq(status,started)"), (Ids{"old"}));
  EXPECT_EQ(ListIds("in(status,pending,failed)"), (Ids{"other", "next", "late"}));
  EXPECT_EQ(ListIds("eq(job_type,order_export)"), (Ids{"next", "late", "old"}));
  EXPECT_EQ(ListIds("eq(job_type,report_build)"), Ids{}) << "eq is exact, case included";
  EXPECT_EQ(ListIds("in(job_type,Report_Build,none)"), (Ids{"other"}));
  // A bare date under eq is the whole UTC day; other operators take its
  // first instant.
  EXPECT_EQ(ListIds("eq(created_at,2023-11-14)"), (Ids{"late", "old"}));
  EXPECT_EQ(ListIds("eq(created_at,2023-11-15)"), (Ids{"other", "next"}));
  EXPECT_EQ(ListIds("gt(created_at,2023-11-14)"), (Ids{"other", "next", "late"}));
  EXPECT_EQ(ListIds("ge(created_at,2023-11-15)"), (Ids{"other", "next"}));
  EXPECT_EQ(ListIds("lt(created_at,2023-11-15)"), (Ids{"late", "old"}));
  EXPECT_EQ(ListIds("le(created_at,2023-11-15)"), (Ids{"next", "late", "old"}));
  // Epoch milliseconds; updated_at moved for the claimed job only.
  EXPECT_EQ(ListIds("ge(updated_at," + std::to_string((midnight + 2 * kDay) / 1'000'000) + ")"),
            (Ids{"old"}));
  EXPECT_EQ(ListIds("eq(status,pending):eq(created_at,2023-11-14)"), (Ids{"late"}));
  EXPECT_EQ(ListIds("eq(job_type,order_export):eq(status,failed)"), Ids{});
  EXPECT_EQ(
      jobs_.ListJobs({filter::Parse("eq(status,pending)", filter::JobFields()), 1, 0, kT0}).total,
      3);
}

// No job field takes `like` through the API today, but the stores agree on
// what it means, so a field that does later behaves alike on every backend.
TEST_P(JobStoreConformanceTest, ListMatchesLikeAsSqliteDoes) {
  for (const char* type : {"order_export", "ORDER_import", "my_order", "order%x", "orderzexport"}) {
    NewJob job = MakeJob(type, kT0);
    job.job_type = type;
    jobs_.InsertJob(job);
  }
  auto like = [&](std::string pattern) {
    filter::Filter filter;
    filter.conditions.push_back(
        {"job_type", filter::ValueKind::kText, filter::Op::kLike, {std::move(pattern)}});
    Ids ids = IdsOf(jobs_.ListJobs({filter, 100, 0, kT0}));
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  EXPECT_EQ(like("order*"), (Ids{"ORDER_import", "order%x", "order_export", "orderzexport"}));
  EXPECT_EQ(like("*order"), (Ids{"my_order"}));
  EXPECT_EQ(like("*ORDER*"),
            (Ids{"ORDER_import", "my_order", "order%x", "order_export", "orderzexport"}));
  EXPECT_EQ(like("order_export"), (Ids{"order_export"})) << "_ is no wildcard";
  EXPECT_EQ(like("order%*"), (Ids{"order%x"})) << "% is no wildcard";
  EXPECT_EQ(like("ord*export"), Ids{}) << "only a leading or trailing * is one";
}

TEST_P(JobStoreConformanceTest, ChangeVersionMovesWithEveryWriteAndNotWithReads) {
  const std::uint64_t start = jobs_.ChangeVersion();
  EXPECT_EQ(jobs_.ChangeVersion(), start);
  jobs_.ListJobs({{}, 25, 0, kT0});
  EXPECT_FALSE(jobs_.FindJob("none", kT0).has_value());
  jobs_.CountByStatus(kT0);
  EXPECT_EQ(jobs_.ChangeVersion(), start) << "reads commit nothing";

  std::uint64_t last = start;
  auto expect_moved = [&](const char* what) {
    const std::uint64_t now = jobs_.ChangeVersion();
    EXPECT_NE(now, last) << what;
    last = now;
  };
  Insert("a", kT0);
  expect_moved("insert");
  Insert("b", kT0 + 1);
  expect_moved("insert");
  ClaimedJob claim = ClaimOne(kT0 + 2);
  expect_moved("claim");
  ASSERT_TRUE(Renew("a", claim.claim_token, kT0 + kLease + 5));
  expect_moved("renewal");
  ASSERT_TRUE(Succeed(claim, "a", kT0 + 3));
  expect_moved("finish");
  ASSERT_EQ(jobs_.ApplyRetention(kNanosPerDay), 2);
  expect_moved("retention");
  ASSERT_EQ(jobs_.DeleteExpiredJobs(kT0 + kNanosPerDay, 10).size(), 1u);
  expect_moved("delete");
}

TEST_P(JobStoreConformanceTest, ClaimTakesTheOldestFirstAndRespectsRunAfter) {
  Insert("c", kT0 + 3);
  Insert("a", kT0 + 1);
  Insert("b", kT0 + 2);
  EXPECT_TRUE(jobs_.ClaimJobs({"w1", 0, kT0 + 10, kT0 + 1000}).empty());
  EXPECT_TRUE(jobs_.ClaimJobs({"w1", 5, kT0, kT0 + 1000}).empty()) << "none may run yet";

  auto claimed = jobs_.ClaimJobs({"w1", 2, kT0 + 10, kT0 + 1000});
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].job.id, "a");
  EXPECT_EQ(claimed[1].job.id, "b");
  for (const ClaimedJob& c : claimed) {
    EXPECT_EQ(c.job.status, JobStatus::kStarted);
    EXPECT_EQ(c.job.attempts, 1);
    EXPECT_EQ(c.job.claimed_by, "w1");
    EXPECT_EQ(c.job.lease_expires_at, kT0 + 1000);
    EXPECT_EQ(c.job.updated_at, kT0 + 10);
    EXPECT_GE(c.claim_token.size(), 32u);
    EXPECT_EQ(Get(c.job.id).status, JobStatus::kStarted);
  }
  EXPECT_NE(claimed[0].claim_token, claimed[1].claim_token);

  // Retry "a" for later: it is not claimed before its run_after, and its
  // error is kept while it waits.
  ASSERT_TRUE(Retry("a", claimed[0].claim_token, "try again", kT0 + 500, kT0 + 20));
  Job waiting = Get("a");
  EXPECT_EQ(waiting.status, JobStatus::kPending);
  EXPECT_EQ(waiting.run_after, kT0 + 500);
  EXPECT_EQ(waiting.error, "try again");
  EXPECT_EQ(waiting.claimed_by, std::nullopt);
  EXPECT_EQ(waiting.lease_expires_at, std::nullopt);
  EXPECT_EQ(jobs_.NextRunAfter(), kT0 + 3);  // "c" still pending since its creation
  auto next = jobs_.ClaimJobs({"w2", 5, kT0 + 30, kT0 + 1000});
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].job.id, "c");
  EXPECT_EQ(jobs_.NextRunAfter(), kT0 + 500);
  EXPECT_TRUE(jobs_.ClaimJobs({"w2", 5, kT0 + 499, kT0 + 1000}).empty());
  auto retried = jobs_.ClaimJobs({"w2", 5, kT0 + 500, kT0 + 1000});
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_EQ(retried[0].job.id, "a");
  EXPECT_EQ(retried[0].job.attempts, 2);
  EXPECT_EQ(retried[0].job.error, "try again");
  EXPECT_EQ(jobs_.NextRunAfter(), std::nullopt);
}

// Jobs created at the same instant (several nodes, or one batch with one
// time) are claimed in the order they were inserted and listed the other way
// round, whatever their ids say, alone or in a batch, in one claim or several.
TEST_P(JobStoreConformanceTest, TiesOfCreatedAtAreClaimedInInsertOrderAndListedNewestInsertFirst) {
  Insert("tie-m", kT0 + 5);
  std::vector<NewJob> batch;
  for (const char* id : {"tie-z", "tie-a", "tie-q"}) batch.push_back(MakeJob(id, kT0 + 5));
  jobs_.InsertJobs(batch);
  Insert("tie-c", kT0 + 5);
  Insert("older", kT0 + 4);

  EXPECT_EQ(IdsOf(jobs_.ListJobs({{}, 10, 0, kT0})),
            (Ids{"tie-c", "tie-q", "tie-a", "tie-z", "tie-m", "older"}));
  EXPECT_EQ(IdsOf(jobs_.ListJobs({{}, 2, 2, kT0})), (Ids{"tie-a", "tie-z"}));

  std::vector<std::string> order;
  for (int max : {2, 1, 5}) {
    for (const ClaimedJob& c : jobs_.ClaimJobs({"w1", max, kT0 + 10, kT0 + 1000})) {
      order.push_back(c.job.id);
    }
  }
  EXPECT_EQ(order,
            (std::vector<std::string>{"older", "tie-m", "tie-z", "tie-a", "tie-q", "tie-c"}));
}

TEST_P(JobStoreConformanceTest, FinishingAndRenewingAreFencedByTheClaimToken) {
  Insert("a", kT0);
  ClaimedJob claim = ClaimOne(kT0 + 1);
  ClaimedJob stale = claim;
  stale.claim_token = "wrong-token";

  EXPECT_FALSE(Succeed(stale, "a", kT0 + 2));
  EXPECT_FALSE(Fail("a", "wrong-token", "no", kT0 + 2));
  EXPECT_FALSE(Retry("a", "wrong-token", "no", kT0, kT0 + 2));
  EXPECT_FALSE(Release("a", "wrong-token", kT0 + 2));
  EXPECT_FALSE(Renew("a", "wrong-token", kT0 + 99));
  EXPECT_FALSE(Renew("missing", claim.claim_token, kT0 + 99));
  EXPECT_EQ(Get("a").lease_expires_at, kT0 + 1 + kLease) << "a refused renewal changes nothing";
  EXPECT_EQ(Get("a").status, JobStatus::kStarted);
  EXPECT_TRUE(Renew("a", claim.claim_token, kT0 + 99));
  EXPECT_EQ(Get("a").lease_expires_at, kT0 + 99);
  EXPECT_EQ(Get("a").updated_at, kT0 + 1) << "a renewal is no status change";

  ASSERT_TRUE(Succeed(claim, "a", kT0 + 2));
  // Finishing twice, or in another way, is refused.
  EXPECT_FALSE(Succeed(claim, "a-again", kT0 + 3));
  EXPECT_FALSE(Fail("a", claim.claim_token, "late", kT0 + 3));
  EXPECT_FALSE(Retry("a", claim.claim_token, "late", kT0, kT0 + 3));
  EXPECT_FALSE(Release("a", claim.claim_token, kT0 + 3));
  EXPECT_FALSE(Renew("a", claim.claim_token, kT0 + 200));

  Job done = Get("a");
  EXPECT_EQ(done.status, JobStatus::kSuccess);
  ExpectResultNamed(done, "a");
  EXPECT_EQ(done.error, std::nullopt);
  EXPECT_EQ(done.claimed_by, std::nullopt);
  EXPECT_EQ(done.lease_expires_at, std::nullopt);
  EXPECT_EQ(done.updated_at, kT0 + 2);
  EXPECT_EQ(done.attempts, 1);
  ASSERT_TRUE(FindByResult(jobs_, "a", kT0).has_value());
  EXPECT_EQ(FindByResult(jobs_, "a", kT0)->id, "a");
  EXPECT_EQ(FindByResult(jobs_, "a", kT0 + kRetention), std::nullopt);
  EXPECT_EQ(FindByResult(jobs_, "other", kT0), std::nullopt);
  EXPECT_EQ(ReferencedArtifacts(jobs_), std::vector<std::string>{*ArtifactNamed("a")});
}

TEST_P(JobStoreConformanceTest, UpdatedAtMovesOnEveryStatusChangeEvenIfTheClockDoesNot) {
  Insert("a", kT0);
  ClaimedJob claim = ClaimOne(kT0);  // same instant as creation
  EXPECT_EQ(claim.job.updated_at, kT0 + 1);
  ASSERT_TRUE(Fail("a", claim.claim_token, "the filter matched nothing", kT0 - 5));
  Job failed = Get("a");
  EXPECT_EQ(failed.updated_at, kT0 + 2);
  EXPECT_EQ(failed.status, JobStatus::kFailed);
  EXPECT_EQ(failed.error, "the filter matched nothing");
}

TEST_P(JobStoreConformanceTest, SuccessClearsAnEarlierRetryErrorAndOldTokensDie) {
  Insert("a", kT0);
  ClaimedJob first = ClaimOne(kT0 + 1);
  ASSERT_TRUE(Retry("a", first.claim_token, "disk full", kT0 + 2, kT0 + 2));
  ClaimedJob second = ClaimOne(kT0 + 3);
  EXPECT_NE(second.claim_token, first.claim_token);
  EXPECT_FALSE(Succeed(first, "a", kT0 + 4));
  EXPECT_FALSE(Renew("a", first.claim_token, kT0 + 99));
  ASSERT_TRUE(Succeed(second, "a", kT0 + 4));
  EXPECT_EQ(Get("a").error, std::nullopt);
  EXPECT_EQ(Get("a").attempts, 2);
}

TEST_P(JobStoreConformanceTest, ReleaseReturnsTheJobAtOnceWithoutCountingTheAttempt) {
  Insert("a", kT0);
  Insert("b", kT0 + 1);
  ClaimedJob a = ClaimOne(kT0 + 5, "w1");
  ClaimOne(kT0 + 5, "w2");
  ASSERT_TRUE(Release("a", a.claim_token, kT0 + 6));
  Job released = Get("a");
  EXPECT_EQ(released.status, JobStatus::kPending);
  EXPECT_EQ(released.attempts, 0);
  EXPECT_EQ(released.run_after, kT0 + 6);
  EXPECT_EQ(released.claimed_by, std::nullopt);
  EXPECT_EQ(released.error, std::nullopt);
  EXPECT_EQ(Get("b").status, JobStatus::kStarted);
  EXPECT_EQ(ClaimOne(kT0 + 6, "w3").job.id, "a") << "claimable at once";
}

TEST_P(JobStoreConformanceTest, FinishJobsAppliesEachKindAsCompareAndSet) {
  for (const char* id : {"s", "f", "r", "l", "stale"}) Insert(id, kT0);
  std::vector<ClaimedJob> claimed = jobs_.ClaimJobs({"w", 5, kT0, kT0 + kLease});
  ASSERT_EQ(claimed.size(), 5u);
  std::map<std::string, ClaimedJob> claim;
  for (const ClaimedJob& c : claimed) claim[c.job.id] = c;
  ClaimedJob stale = claim["stale"];
  stale.claim_token = "not-the-token";

  std::vector<JobCompletion> completions = {
      Succeeded(claim["s"], "s", 7),
      {"f", claim["f"].claim_token, Kind::kFailed, {}, "broken", 0},
      {"r", claim["r"].claim_token, Kind::kRetry, {}, "later", kT0 + kNanosPerSecond},
      {"l", claim["l"].claim_token, Kind::kRelease, {}, "", 0},
      Succeeded(stale, "stale"),
  };
  std::vector<bool> applied = jobs_.FinishJobs(completions, kT0 + 5);
  EXPECT_EQ(applied, (std::vector<bool>{true, true, true, true, false}));

  EXPECT_EQ(Get("s").status, JobStatus::kSuccess);
  ExpectResultNamed(Get("s"), "s", 7);
  EXPECT_EQ(Get("f").status, JobStatus::kFailed);
  EXPECT_EQ(Get("f").error, "broken");
  ExpectNoResult(Get("f"));
  EXPECT_EQ(Get("r").status, JobStatus::kPending);
  EXPECT_EQ(Get("r").run_after, kT0 + kNanosPerSecond);
  EXPECT_EQ(Get("r").attempts, 1);
  EXPECT_EQ(Get("l").status, JobStatus::kPending);
  EXPECT_EQ(Get("l").attempts, 0) << "a release does not count the attempt";
  EXPECT_EQ(Get("stale").status, JobStatus::kStarted);
  ExpectNoResult(Get("stale"));
  // Applying the same completions again changes nothing: the tokens are spent.
  EXPECT_EQ(jobs_.FinishJobs(completions, kT0 + 6), std::vector<bool>(5, false));
  EXPECT_TRUE(jobs_.FinishJobs({}, kT0 + 6).empty());
}

TEST_P(JobStoreConformanceTest, FinishAndClaimRecordsOutcomesThenClaimsTheOldestPending) {
  for (const char* id : {"a", "b", "c", "d"}) Insert(id, kT0 + (id[0] - 'a'));
  std::vector<ClaimedJob> first = jobs_.ClaimJobs({"w", 2, kT0 + 5, kT0 + kLease});
  ASSERT_EQ(first.size(), 2u);  // a, b

  std::vector<JobCompletion> completions = {
      {"a", first[0].claim_token, Kind::kFailed, {}, "broken", 0},
      // Released in the same call: pending again before the claim runs, and
      // the oldest, so it is claimed again.
      {"b", first[1].claim_token, Kind::kRelease, {}, "", 0},
  };
  FinishAndClaimResult result =
      jobs_.FinishAndClaim(completions, kT0 + 10, {"w2", 2, kT0 + 10, kT0 + 2 * kLease});
  EXPECT_EQ(result.applied, (std::vector<bool>{true, true}));
  ASSERT_EQ(result.claimed.size(), 2u);
  EXPECT_EQ(result.claimed[0].job.id, "b");
  EXPECT_EQ(result.claimed[1].job.id, "c");
  EXPECT_EQ(result.claimed[0].job.claimed_by, "w2");
  EXPECT_EQ(result.claimed[0].job.attempts, 1) << "the released run did not count";
  EXPECT_NE(result.claimed[0].claim_token, first[1].claim_token);
  EXPECT_EQ(Get("a").status, JobStatus::kFailed);
  EXPECT_EQ(Get("b").status, JobStatus::kStarted);
  EXPECT_EQ(Get("d").status, JobStatus::kPending);

  // Nothing to record: a plain claim. Nothing to claim: outcomes only.
  EXPECT_EQ(
      jobs_.FinishAndClaim({}, kT0 + 11, {"w2", 5, kT0 + 11, kT0 + 2 * kLease}).claimed.size(),
      1u);  // d
  FinishAndClaimResult outcomes_only = jobs_.FinishAndClaim(
      {Succeeded(result.claimed[1], "c")}, kT0 + 12, {"w2", 5, kT0 + 12, kT0 + 2 * kLease});
  EXPECT_EQ(outcomes_only.applied, std::vector<bool>{true});
  EXPECT_TRUE(outcomes_only.claimed.empty());
  auto counts = jobs_.CountByStatus(kT0 + 12);
  EXPECT_EQ(counts.at(JobStatus::kStarted), 2);
  EXPECT_EQ(counts.at(JobStatus::kSuccess), 1);
  EXPECT_EQ(counts.at(JobStatus::kFailed), 1);
}

TEST_P(JobStoreConformanceTest, RescueRequeuesLapsedLeasesWithoutUsingAnAttempt) {
  Insert("a", kT0);
  Insert("b", kT0 + 1);
  Insert("c", kT0 + 2);
  // "a" has been retried twice on its own before.
  for (int attempt = 1; attempt < 3; ++attempt) {
    ClaimedJob claim = ClaimOne(kT0 + 10);
    ASSERT_EQ(claim.job.id, "a");
    ASSERT_TRUE(Retry("a", claim.claim_token, "retry", kT0, kT0 + 10));
  }
  auto claims = jobs_.ClaimJobs({"w1", 2, kT0 + 10, kT0 + 100});  // a, b: lease ends at +100
  ASSERT_EQ(claims.size(), 2u);
  auto c = jobs_.ClaimJobs({"w1", 1, kT0 + 10, kT0 + 500});
  ASSERT_EQ(c.size(), 1u);
  ASSERT_TRUE(Renew("c", c[0].claim_token, kT0 + 600));

  EXPECT_EQ(jobs_.RescueExpiredLeases(kT0 + 99), 0);
  EXPECT_EQ(jobs_.RescueExpiredLeases(kT0 + 100), 2);

  Job a = Get("a");
  EXPECT_EQ(a.status, JobStatus::kPending) << "an interruption is not the job's failure";
  EXPECT_EQ(a.attempts, 2);
  EXPECT_EQ(a.interruptions, 1);

  Job b = Get("b");
  EXPECT_EQ(b.status, JobStatus::kPending);
  EXPECT_EQ(b.run_after, kT0 + 100);
  EXPECT_EQ(b.attempts, 0);
  EXPECT_EQ(b.interruptions, 1);
  EXPECT_EQ(b.error, "the worker running this job stopped responding (lease expired)");
  EXPECT_EQ(b.claimed_by, std::nullopt);
  EXPECT_EQ(b.lease_expires_at, std::nullopt);
  // The lost worker cannot finish or renew it any more.
  EXPECT_FALSE(Succeed(claims[1], "b", kT0 + 101));
  EXPECT_FALSE(Renew("b", claims[1].claim_token, kT0 + 1000));
  EXPECT_EQ(Get("c").status, JobStatus::kStarted) << "a renewed lease is kept";
  EXPECT_EQ(jobs_.RescueExpiredLeases(kT0 + 599), 0);
  EXPECT_EQ(ClaimOne(kT0 + 101).job.id, "a") << "rescued jobs are claimable at once";
}

TEST_P(JobStoreConformanceTest, DeadWorkersClaimsAreRescuedWithoutWaitingForTheirLeases) {
  Insert("a", kT0);
  Insert("b", kT0 + 1);
  Insert("c", kT0 + 2);
  EXPECT_TRUE(jobs_.ClaimHolders().empty());
  ClaimedJob a = ClaimOne(kT0 + 5, "dead");
  ClaimOne(kT0 + 5, "dead");
  ClaimOne(kT0 + 5, "alive");
  std::vector<std::string> holders = jobs_.ClaimHolders();
  std::sort(holders.begin(), holders.end());
  EXPECT_EQ(holders, (std::vector<std::string>{"alive", "dead"}));

  EXPECT_EQ(jobs_.RescueClaimsOf({"nobody"}, kT0 + 6), 0);
  EXPECT_EQ(jobs_.RescueClaimsOf({"dead"}, kT0 + 6), 2);
  Job rescued = Get("a");
  EXPECT_EQ(rescued.status, JobStatus::kPending);
  EXPECT_EQ(rescued.attempts, 0);
  EXPECT_EQ(rescued.interruptions, 1);
  EXPECT_EQ(rescued.run_after, kT0 + 6);
  EXPECT_EQ(rescued.error, "the process running this job ended before it finished");
  EXPECT_EQ(Get("c").status, JobStatus::kStarted);
  EXPECT_EQ(jobs_.ClaimHolders(), std::vector<std::string>{"alive"});
  EXPECT_FALSE(Succeed(a, "a", kT0 + 7));
}

TEST_P(JobStoreConformanceTest, AJobInterruptedTooOftenIsFailedSayingSo) {
  Insert("poison", kT0);
  Nanos now = kT0;
  for (int i = 1; i < kMaxInterruptions; ++i) {
    ASSERT_EQ(ClaimOne(now).job.id, "poison");
    now += 100;
    ASSERT_EQ(jobs_.RescueClaimsOf({"w1"}, now), 1);
    ASSERT_EQ(Get("poison").status, JobStatus::kPending) << i;
  }
  ClaimOne(now);
  ASSERT_EQ(jobs_.RescueExpiredLeases(now + kLease), 1);
  Job poison = Get("poison");
  EXPECT_EQ(poison.status, JobStatus::kFailed);
  EXPECT_EQ(poison.interruptions, kMaxInterruptions);
  EXPECT_EQ(poison.claimed_by, std::nullopt);
  ASSERT_TRUE(poison.error);
  EXPECT_EQ(*poison.error,
            "the worker running this job stopped responding (lease expired); its runs were cut "
            "short " +
                std::to_string(kMaxInterruptions) +
                " times, so it is not run again (it may be what stops the worker); submit it "
                "again to retry");
  EXPECT_TRUE(jobs_.ClaimJobs({"w1", 1, now + kLease, now + 2 * kLease}).empty());
}

TEST_P(JobStoreConformanceTest, ApplyRetentionMakesTheRetentionInForceEveryJobsExpiry) {
  Insert("old", kT0);                     // expires kT0 + 7d
  Insert("new", kT0 + 2 * kNanosPerDay);  // expires kT0 + 9d
  const Nanos now = kT0 + 2 * kNanosPerDay + kNanosPerDay / 2;

  // Shorter: the job older than a day expires at once, the newer one later.
  EXPECT_EQ(jobs_.ApplyRetention(kNanosPerDay), 2);
  EXPECT_EQ(jobs_.FindJob("old", now), std::nullopt);
  EXPECT_EQ(Get("new", now).expires_at, kT0 + 3 * kNanosPerDay);
  EXPECT_EQ(jobs_.ListJobs({filter::Filter{}, 25, 0, now}).total, 1);
  auto expired = jobs_.DeleteExpiredJobs(now, 10);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].id, "old");

  // Longer: jobs not yet deleted are kept longer; the same retention again
  // changes nothing.
  Insert("kept", now);
  EXPECT_EQ(jobs_.ApplyRetention(30 * kNanosPerDay), 2);
  EXPECT_EQ(Get("kept", now).expires_at, now + 30 * kNanosPerDay);
  EXPECT_EQ(Get("new", now).expires_at, kT0 + 32 * kNanosPerDay);
  EXPECT_EQ(jobs_.ApplyRetention(30 * kNanosPerDay), 0);

  // An expiry past the last storable instant is clamped, not wrapped into
  // the past.
  EXPECT_EQ(jobs_.ApplyRetention(kLatestTime - kT0), 2);
  EXPECT_EQ(Get("kept", now).expires_at, kLatestTime);
  EXPECT_EQ(Get("new", now).expires_at, kLatestTime);
}

// Jobs kept for different times (a store between a change of retention and
// the next start, or jobs given their own expiry): expiry order is not
// creation order, and the list, the counts and the sweep follow expiry.
TEST_P(JobStoreConformanceTest, JobsOfDifferentRetentionsExpireInTheirOwnOrder) {
  auto insert = [&](std::string id, Nanos created_at, Nanos retention) {
    NewJob job = MakeJob(std::move(id), created_at);
    job.expires_at = created_at + retention;
    ASSERT_TRUE(jobs_.InsertJob(job).created);
  };
  insert("long", kT0, 10 * kNanosPerDay);
  insert("short", kT0 + 1, kNanosPerDay);
  insert("middle", kT0 + 2, 5 * kNanosPerDay);
  insert("usual", kT0 + 3, kRetention);
  ClaimedJob claim = ClaimOne(kT0 + 4);
  ASSERT_EQ(claim.job.id, "long");
  ASSERT_TRUE(Succeed(claim, "long", kT0 + 5));

  EXPECT_EQ(jobs_.ListJobs({{}, 1, 0, kT0}).valid_until, kT0 + 1 + kNanosPerDay);
  const Nanos now = kT0 + 6 * kNanosPerDay;  // "short" and "middle" have expired
  JobPage page = jobs_.ListJobs({{}, 25, 0, now});
  EXPECT_EQ(page.total, 2);
  EXPECT_EQ(IdsOf(page), (Ids{"usual", "long"}));
  EXPECT_EQ(page.valid_until, kT0 + 3 + kRetention);
  EXPECT_EQ(jobs_.CountByStatus(now).at(JobStatus::kPending), 1);
  EXPECT_EQ(jobs_.CountByStatus(now).at(JobStatus::kSuccess), 1);

  auto first = jobs_.DeleteExpiredJobs(now, 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].id, "short");
  auto second = jobs_.DeleteExpiredJobs(now, 10);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].id, "middle");
  EXPECT_TRUE(jobs_.DeleteExpiredJobs(now, 10).empty());

  // Past "usual" (7 days), before "long" (10): the older job outlives it.
  const Nanos later = kT0 + 8 * kNanosPerDay;
  EXPECT_EQ(IdsOf(jobs_.ListJobs({{}, 25, 0, later})), (Ids{"long"}));
  EXPECT_EQ(jobs_.ListJobs({{}, 25, 0, later}).valid_until, kT0 + 10 * kNanosPerDay);
  auto third = jobs_.DeleteExpiredJobs(later, 10);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].id, "usual");
  EXPECT_TRUE(jobs_.FindJob("long", later).has_value());
}

TEST_P(JobStoreConformanceTest, DeleteExpiredJobsReturnsTheirArtifactsSoonestExpiredFirst) {
  Insert("a", kT0);
  Insert("b", kT0 + 1);
  Insert("keep", kT0 + kNanosPerDay);
  ClaimedJob claim = ClaimOne(kT0 + 2);
  ASSERT_TRUE(Succeed(claim, "a", kT0 + 3));
  EXPECT_TRUE(jobs_.DeleteExpiredJobs(kT0 + kRetention, 0).empty());

  const Nanos now = kT0 + kRetention + 1;
  auto first = jobs_.DeleteExpiredJobs(now, 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].id, "a");
  EXPECT_EQ(ArtifactOf(first[0]), ArtifactNamed("a"));
  auto second = jobs_.DeleteExpiredJobs(now, 10);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].id, "b");
  EXPECT_EQ(ArtifactOf(second[0]), std::nullopt);
  EXPECT_TRUE(jobs_.DeleteExpiredJobs(now, 10).empty());

  EXPECT_TRUE(jobs_.FindJob("keep", now).has_value());
  EXPECT_FALSE(jobs_.FindJob("a", kT0).has_value()) << "deleted, not merely invisible";
  EXPECT_TRUE(ReferencedArtifacts(jobs_).empty());
  EXPECT_EQ(jobs_.CountByStatus(kT0).at(JobStatus::kSuccess), 0);
}

TEST_P(JobStoreConformanceTest, CountByStatusCountsEveryStatus) {
  auto empty = jobs_.CountByStatus(kT0);
  for (JobStatus status : kAllJobStatuses) EXPECT_EQ(empty.at(status), 0) << ToString(status);
  for (int i = 0; i < 5; ++i) Insert("j" + std::to_string(i), kT0 + i);
  auto claims = jobs_.ClaimJobs({"w", 3, kT0 + 10, kT0 + 100});
  ASSERT_EQ(claims.size(), 3u);
  ASSERT_TRUE(Succeed(claims[0], "j0", kT0 + 11));
  ASSERT_TRUE(Fail(claims[1].job.id, claims[1].claim_token, "x", kT0 + 11));
  auto counts = jobs_.CountByStatus(kT0);
  EXPECT_EQ(counts.at(JobStatus::kPending), 2);
  EXPECT_EQ(counts.at(JobStatus::kStarted), 1);
  EXPECT_EQ(counts.at(JobStatus::kSuccess), 1);
  EXPECT_EQ(counts.at(JobStatus::kFailed), 1);
}

TEST_P(JobStoreConformanceTest, NextRunAfterIsTheEarliestPendingRunAfter) {
  EXPECT_EQ(jobs_.NextRunAfter(), std::nullopt);
  Insert("a", kT0 + 5);
  Insert("b", kT0 + 9);
  EXPECT_EQ(jobs_.NextRunAfter(), kT0 + 5);
  ClaimedJob a = ClaimOne(kT0 + 10);
  EXPECT_EQ(jobs_.NextRunAfter(), kT0 + 9) << "started jobs do not count";
  ASSERT_TRUE(Retry("a", a.claim_token, "later", kT0 + 7, kT0 + 10));
  EXPECT_EQ(jobs_.NextRunAfter(), kT0 + 7);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, JobStoreConformanceTest, ::testing::ValuesIn(AllBackends()),
                         BackendName);

// Only for backends that several processes share: what one handle (one
// process) writes, another sees, and its ChangeVersion moves.
class SharedJobStoreConformanceTest : public JobStoreConformanceTest {};

TEST_P(SharedJobStoreConformanceTest, AnotherHandlesWritesAreSeenAndMoveTheChangeVersion) {
  auto other = GetParam().open(dir_.path());
  const std::uint64_t before = jobs_.ChangeVersion();
  ASSERT_TRUE(other->jobs().InsertJob(MakeJob("theirs", kT0)).created);
  EXPECT_NE(jobs_.ChangeVersion(), before);
  EXPECT_TRUE(jobs_.FindJob("theirs", kT0).has_value());

  const std::uint64_t after_insert = jobs_.ChangeVersion();
  ClaimedJob claim = ClaimOne(kT0 + 1);
  EXPECT_EQ(other->jobs().FindJob("theirs", kT0)->status, JobStatus::kStarted);
  EXPECT_NE(jobs_.ChangeVersion(), after_insert);
  // The other handle cannot finish it without the token; with it, it can.
  ClaimedJob stale = claim;
  stale.claim_token += "x";
  EXPECT_FALSE(other->jobs().FinishJobs({Succeeded(stale, "theirs")}, kT0 + 2).front());
  EXPECT_TRUE(other->jobs().FinishJobs({Succeeded(claim, "theirs")}, kT0 + 2).front());
  EXPECT_EQ(Get("theirs").status, JobStatus::kSuccess);
}

INSTANTIATE_TEST_SUITE_P(SharedBackends, SharedJobStoreConformanceTest,
                         ::testing::ValuesIn(SharedBackends()), BackendName);

}  // namespace
}  // namespace jobsd::conformance
