// SqliteJobStore against a real store file: every verb of engine/queue/job_store.h.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "engine/filter.h"
#include "storage/sqlite/database.h"
#include "storage/sqlite/sqlite.h"
#include "storage/sqlite/sqlite_job_store.h"
#include "tests/support/temp_dir.h"

namespace jobsd::storage {
namespace {

constexpr Nanos kT0 = 1'700'000'000 * kNanosPerSecond;
constexpr Nanos kRetention = 7 * kNanosPerDay;

// A successful order export's result: {"row_count":rows} and a CSV artifact.
SuccessResult CsvResult(std::string key, std::string token, std::int64_t rows) {
  return SuccessResult{"{\"row_count\":" + std::to_string(rows) + "}",
                       Artifact{std::move(key), std::move(token), "text/csv; charset=utf-8",
                                "orders.csv", 100 + rows}};
}

class JobStoreTest : public ::testing::Test {
 protected:
  JobStoreTest() : database_(Database::Open({dir_ / "jobsd.db"})), jobs_(database_->jobs()) {}

  NewJob MakeJob(std::string id, Nanos created_at, std::string filter = "") {
    NewJob job;
    job.id = std::move(id);
    job.job_type = "order_export";
    job.params = std::move(filter);
    job.created_at = created_at;
    job.expires_at = created_at + kRetention;
    job.max_attempts = 3;
    return job;
  }

  Job Insert(std::string id, Nanos created_at, std::string filter = "") {
    InsertResult result = jobs_.InsertJob(MakeJob(std::move(id), created_at, std::move(filter)));
    EXPECT_TRUE(result.created);
    return result.job;
  }

  ClaimedJob ClaimOne(Nanos now, std::string worker = "w1") {
    auto claimed = jobs_.ClaimJobs({worker, 1, now, now + 30 * kNanosPerSecond});
    EXPECT_EQ(claimed.size(), 1u);
    return claimed.empty() ? ClaimedJob{} : claimed.front();
  }

  Job Get(std::string_view id, Nanos now = kT0) {
    auto job = jobs_.FindJob(id, now);
    EXPECT_TRUE(job.has_value()) << id;
    return job.value_or(Job{});
  }

  filter::Filter JobFilter(std::string_view text) {
    return filter::Parse(text, filter::JobFields());
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> database_;
  JobStore& jobs_;
};

TEST_F(JobStoreTest, InsertThenFindReturnsEveryField) {
  Job inserted = Insert("a", kT0, "eq(payment,paid)");
  Job found = Get("a");
  EXPECT_EQ(found.id, "a");
  EXPECT_EQ(found.job_type, "order_export");
  EXPECT_EQ(found.status, JobStatus::kPending);
  EXPECT_EQ(found.params, "eq(payment,paid)");
  EXPECT_EQ(found.error, std::nullopt);
  EXPECT_EQ(found.attempts, 0);
  EXPECT_EQ(found.max_attempts, 3);
  EXPECT_EQ(found.created_at, kT0);
  EXPECT_EQ(found.updated_at, kT0);  // equal at creation
  EXPECT_EQ(found.run_after, kT0);
  EXPECT_EQ(found.expires_at, kT0 + kRetention);
  EXPECT_EQ(found.claimed_by, std::nullopt);
  EXPECT_EQ(found.artifact, std::nullopt);
  EXPECT_EQ(found.result, "");
  EXPECT_EQ(inserted.created_at, found.created_at);
  EXPECT_EQ(inserted.updated_at, found.updated_at);
  EXPECT_EQ(jobs_.FindJob("missing", kT0), std::nullopt);
}

TEST_F(JobStoreTest, ExpiredJobsAreInvisible) {
  Insert("a", kT0);
  const Nanos expiry = kT0 + kRetention;
  EXPECT_TRUE(jobs_.FindJob("a", expiry - 1).has_value());
  EXPECT_FALSE(jobs_.FindJob("a", expiry).has_value());
  EXPECT_EQ(jobs_.ListJobs({{}, 25, 0, expiry}).total, 0);
  EXPECT_EQ(jobs_.CountByStatus(expiry).at(JobStatus::kPending), 0);
  EXPECT_EQ(jobs_.CountByStatus(expiry - 1).at(JobStatus::kPending), 1);
  EXPECT_TRUE(jobs_.ClaimJobs({"w", 5, expiry, expiry + 1}).empty());  // never claimed
}

TEST_F(JobStoreTest, ListIsNewestFirstWithPagingAndTotal) {
  for (int i = 0; i < 7; ++i) Insert("job-" + std::to_string(i), kT0 + i);
  Insert("same-time-b", kT0 + 100);
  Insert("same-time-a", kT0 + 100);

  JobPage first = jobs_.ListJobs({{}, 3, 0, kT0});
  EXPECT_EQ(first.total, 9);
  ASSERT_EQ(first.jobs.size(), 3u);
  EXPECT_EQ(first.jobs[0].id, "same-time-b");  // same created_at: id descending
  EXPECT_EQ(first.jobs[1].id, "same-time-a");
  EXPECT_EQ(first.jobs[2].id, "job-6");

  JobPage last = jobs_.ListJobs({{}, 3, 6, kT0});
  EXPECT_EQ(last.total, 9);
  ASSERT_EQ(last.jobs.size(), 3u);
  EXPECT_EQ(last.jobs[2].id, "job-0");

  JobPage beyond = jobs_.ListJobs({{}, 3, 9, kT0});
  EXPECT_EQ(beyond.total, 9);
  EXPECT_TRUE(beyond.jobs.empty());
}

// What lets the API keep a rendered page (api/list_cache.h): the version
// moves with every commit, from this store or any other connection, and not
// with reads; a page is valid until the first visible job expires.
TEST_F(JobStoreTest, ChangeVersionMovesWithEveryCommitAndOnlyThen) {
  const std::uint64_t start = jobs_.ChangeVersion();
  EXPECT_EQ(jobs_.ChangeVersion(), start);
  jobs_.ListJobs({{}, 25, 0, kT0});
  EXPECT_TRUE(jobs_.FindJob("none", kT0) == std::nullopt);
  EXPECT_EQ(jobs_.ChangeVersion(), start);

  Insert("a", kT0);
  const std::uint64_t after_insert = jobs_.ChangeVersion();
  EXPECT_NE(after_insert, start);
  ClaimOne(kT0);  // a NORMAL commit counts as well
  const std::uint64_t after_claim = jobs_.ChangeVersion();
  EXPECT_NE(after_claim, after_insert);

  // Another process's commit (here: another connection).
  auto other = sqlite::Connection::Open(dir_ / "jobsd.db");
  other->Exec(
      "PRAGMA busy_timeout = 5000; BEGIN IMMEDIATE; UPDATE jobs SET updated_at = updated_at + 1 "
      "WHERE id = 'a'; COMMIT");
  EXPECT_NE(jobs_.ChangeVersion(), after_claim);
}

TEST_F(JobStoreTest, ListIsValidUntilTheFirstVisibleJobExpires) {
  EXPECT_EQ(jobs_.ListJobs({{}, 25, 0, kT0}).valid_until, JobPage::kNoExpiry);
  Insert("old", kT0);
  Insert("new", kT0 + 5);
  // Whatever the page or filter shows: the total counts every visible job.
  EXPECT_EQ(jobs_.ListJobs({{}, 1, 0, kT0}).valid_until, kT0 + kRetention);
  EXPECT_EQ(jobs_.ListJobs({{}, 25, 0, kT0 + kRetention}).valid_until, kT0 + 5 + kRetention);
}

TEST_F(JobStoreTest, ListAppliesTheJobFilter) {
  Insert("old", kT0);
  Insert("new", kT0 + kNanosPerDay);
  ClaimOne(kT0 + 2 * kNanosPerDay);  // "old" is claimed first: started

  JobPage started = jobs_.ListJobs({JobFilter("eq(status,started)"), 25, 0, kT0});
  EXPECT_EQ(started.total, 1);
  ASSERT_EQ(started.jobs.size(), 1u);
  EXPECT_EQ(started.jobs[0].id, "old");

  JobPage recent = jobs_.ListJobs({JobFilter("gt(created_at,1700000000500)"), 25, 0, kT0});
  ASSERT_EQ(recent.jobs.size(), 1u);
  EXPECT_EQ(recent.jobs[0].id, "new");

  JobPage none =
      jobs_.ListJobs({JobFilter("eq(job_type,order_export):eq(status,failed)"), 25, 0, kT0});
  EXPECT_EQ(none.total, 0);
}

TEST_F(JobStoreTest, IdempotencyKeyReturnsTheEarlierJobOrAConflict) {
  NewJob first = MakeJob("first", kT0);
  first.idempotency_key = "key-1";
  first.request_hash = "hash-a";
  first.idempotency_expires_at = kT0 + kNanosPerDay;
  ASSERT_TRUE(jobs_.InsertJob(first).created);

  NewJob repeat = MakeJob("repeat", kT0 + 10);
  repeat.idempotency_key = "key-1";
  repeat.request_hash = "hash-a";
  repeat.idempotency_expires_at = kT0 + 10 + kNanosPerDay;
  InsertResult same = jobs_.InsertJob(repeat);
  EXPECT_FALSE(same.created);
  EXPECT_FALSE(same.key_conflict);
  EXPECT_EQ(same.job.id, "first");
  EXPECT_FALSE(jobs_.FindJob("repeat", kT0).has_value());

  repeat.request_hash = "hash-b";
  InsertResult conflict = jobs_.InsertJob(repeat);
  EXPECT_FALSE(conflict.created);
  EXPECT_TRUE(conflict.key_conflict);
  EXPECT_EQ(conflict.job.id, "first");

  // After the window the key is free again and names the new job.
  NewJob later = MakeJob("later", kT0 + kNanosPerDay);
  later.idempotency_key = "key-1";
  later.request_hash = "hash-b";
  later.idempotency_expires_at = kT0 + 2 * kNanosPerDay;
  InsertResult fresh = jobs_.InsertJob(later);
  EXPECT_TRUE(fresh.created);
  EXPECT_EQ(fresh.job.id, "later");
  EXPECT_TRUE(jobs_.FindJob("first", kT0 + kNanosPerDay).has_value());  // the old job lives on
  EXPECT_EQ(jobs_.ListJobs({{}, 25, 0, kT0 + kNanosPerDay}).total, 2);
}

TEST_F(JobStoreTest, DuplicateIdIsAStoreError) {
  Insert("a", kT0);
  EXPECT_THROW(jobs_.InsertJob(MakeJob("a", kT0 + 1)), StoreError);
}

TEST_F(JobStoreTest, ClaimTakesTheOldestFirstAndRespectsRunAfter) {
  Insert("c", kT0 + 3);
  Insert("a", kT0 + 1);
  Insert("b", kT0 + 2);

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
  }
  EXPECT_NE(claimed[0].claim_token, claimed[1].claim_token);

  // Retry "a" for later: it is not claimed before its run_after.
  ASSERT_TRUE(jobs_.MarkForRetry("a", claimed[0].claim_token, "try again", kT0 + 500, kT0 + 20));
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
  EXPECT_EQ(retried[0].job.error, "try again");  // the last error is kept while retrying
  EXPECT_EQ(jobs_.NextRunAfter(), std::nullopt);
}

TEST_F(JobStoreTest, FinishingIsCompareAndSetOnTheClaimToken) {
  Insert("a", kT0);
  ClaimedJob claim = ClaimOne(kT0 + 1);

  EXPECT_FALSE(jobs_.MarkSucceeded("a", "wrong-token", CsvResult("/x.csv", "tok", 3), kT0 + 2));
  EXPECT_FALSE(jobs_.MarkFailed("a", "wrong-token", "no", kT0 + 2));
  EXPECT_FALSE(jobs_.RenewLease("a", "wrong-token", kT0 + 99));
  EXPECT_TRUE(jobs_.RenewLease("a", claim.claim_token, kT0 + 99));
  EXPECT_EQ(Get("a").lease_expires_at, kT0 + 99);

  ASSERT_TRUE(jobs_.MarkSucceeded("a", claim.claim_token, CsvResult("/x.csv", "tok", 3), kT0 + 2));
  // Finishing twice, or in another way, is refused.
  EXPECT_FALSE(
      jobs_.MarkSucceeded("a", claim.claim_token, CsvResult("/y.csv", "tok2", 4), kT0 + 3));
  EXPECT_FALSE(jobs_.MarkFailed("a", claim.claim_token, "late", kT0 + 3));
  EXPECT_FALSE(jobs_.MarkForRetry("a", claim.claim_token, "late", kT0, kT0 + 3));
  EXPECT_FALSE(jobs_.RenewLease("a", claim.claim_token, kT0 + 200));

  Job done = Get("a");
  EXPECT_EQ(done.status, JobStatus::kSuccess);
  EXPECT_EQ(done.artifact, CsvResult("/x.csv", "tok", 3).artifact);
  EXPECT_EQ(done.result, "{\"row_count\":3}");
  EXPECT_EQ(done.error, std::nullopt);
  EXPECT_EQ(done.claimed_by, std::nullopt);
  EXPECT_EQ(done.lease_expires_at, std::nullopt);
  EXPECT_EQ(done.updated_at, kT0 + 2);
  EXPECT_EQ(jobs_.FindJobByArtifactToken("tok", kT0)->id, "a");
  EXPECT_EQ(jobs_.FindJobByArtifactToken("tok", kT0 + kRetention), std::nullopt);
  EXPECT_EQ(jobs_.ReferencedArtifacts(), std::vector<std::string>{"/x.csv"});
}

TEST_F(JobStoreTest, UpdatedAtMovesOnEveryStatusChangeEvenIfTheClockDoesNot) {
  Insert("a", kT0);
  ClaimedJob claim = ClaimOne(kT0);  // same instant as creation
  EXPECT_EQ(claim.job.updated_at, kT0 + 1);
  ASSERT_TRUE(jobs_.MarkFailed("a", claim.claim_token, "the filter matched nothing", kT0 - 5));
  Job failed = Get("a");
  EXPECT_EQ(failed.updated_at, kT0 + 2);
  EXPECT_EQ(failed.status, JobStatus::kFailed);
  EXPECT_EQ(failed.error, "the filter matched nothing");
}

TEST_F(JobStoreTest, SuccessClearsAnEarlierRetryError) {
  Insert("a", kT0);
  ClaimedJob first = ClaimOne(kT0 + 1);
  ASSERT_TRUE(jobs_.MarkForRetry("a", first.claim_token, "disk full", kT0 + 2, kT0 + 2));
  ClaimedJob second = ClaimOne(kT0 + 3);
  EXPECT_NE(second.claim_token, first.claim_token);
  EXPECT_FALSE(jobs_.MarkSucceeded("a", first.claim_token, CsvResult("/f", "t", 0), kT0 + 4));
  ASSERT_TRUE(jobs_.MarkSucceeded("a", second.claim_token, CsvResult("/f", "t", 0), kT0 + 4));
  EXPECT_EQ(Get("a").error, std::nullopt);
}

TEST_F(JobStoreTest, RescueRequeuesLapsedLeasesWithoutUsingAnAttempt) {
  Insert("a", kT0);
  Insert("b", kT0 + 1);
  Insert("c", kT0 + 2);
  // "a" has failed twice on its own before.
  for (int attempt = 1; attempt < 3; ++attempt) {
    ClaimedJob claim = ClaimOne(kT0 + 10);
    ASSERT_EQ(claim.job.id, "a");
    ASSERT_TRUE(jobs_.MarkForRetry("a", claim.claim_token, "retry", kT0, kT0 + 10));
  }
  auto claims = jobs_.ClaimJobs({"w1", 2, kT0 + 10, kT0 + 100});  // a, b: lease ends at +100
  ASSERT_EQ(claims.size(), 2u);
  auto c = jobs_.ClaimJobs({"w1", 1, kT0 + 10, kT0 + 500});
  ASSERT_EQ(c.size(), 1u);

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
  // The lost worker cannot finish it any more.
  EXPECT_FALSE(jobs_.MarkSucceeded("b", claims[1].claim_token, CsvResult("/f", "t", 0), kT0 + 101));
  EXPECT_EQ(Get("c").status, JobStatus::kStarted);
}

TEST_F(JobStoreTest, AJobInterruptedTooOftenIsFailedSayingSo) {
  Insert("poison", kT0);
  Nanos now = kT0;
  for (int i = 1; i < kMaxInterruptions; ++i) {
    ASSERT_EQ(ClaimOne(now).job.id, "poison");
    now += 100;
    ASSERT_EQ(jobs_.RescueClaimsOf({"w1"}, now), 1);
    ASSERT_EQ(Get("poison").status, JobStatus::kPending) << i;
  }
  ClaimOne(now);
  ASSERT_EQ(jobs_.RescueClaimsOf({"w1"}, now + 1), 1);
  Job poison = Get("poison");
  EXPECT_EQ(poison.status, JobStatus::kFailed);
  EXPECT_EQ(poison.interruptions, kMaxInterruptions);
  ASSERT_TRUE(poison.error);
  EXPECT_NE(poison.error->find(std::to_string(kMaxInterruptions) + " times"), std::string::npos)
      << *poison.error;
}

TEST_F(JobStoreTest, ReleaseClaimsReturnsOnlyThatWorkersJobsWithoutCountingTheAttempt) {
  Insert("a", kT0);
  Insert("b", kT0 + 1);
  ClaimOne(kT0 + 5, "w1");
  ClaimOne(kT0 + 5, "w2");
  EXPECT_EQ(jobs_.ReleaseClaims("w1", kT0 + 6), 1);
  Job a = Get("a");
  EXPECT_EQ(a.status, JobStatus::kPending);
  EXPECT_EQ(a.attempts, 0);
  EXPECT_EQ(a.run_after, kT0 + 6);
  EXPECT_EQ(a.claimed_by, std::nullopt);
  EXPECT_EQ(Get("b").status, JobStatus::kStarted);
  EXPECT_EQ(jobs_.ReleaseClaims("w1", kT0 + 7), 0);
}

TEST_F(JobStoreTest, ApplyRetentionMakesTheRetentionInForceEveryJobsExpiry) {
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
}

TEST_F(JobStoreTest, DeleteExpiredJobsReturnsTheirFilesInBatches) {
  Insert("a", kT0);
  Insert("b", kT0 + 1);
  Insert("keep", kT0 + kNanosPerDay);
  ClaimedJob claim = ClaimOne(kT0 + 2);
  ASSERT_TRUE(
      jobs_.MarkSucceeded("a", claim.claim_token, CsvResult("/exports/a.csv", "ta", 1), kT0 + 3));

  const Nanos now = kT0 + kRetention + 1;
  auto first = jobs_.DeleteExpiredJobs(now, 1);
  ASSERT_EQ(first.size(), 1u);
  auto second = jobs_.DeleteExpiredJobs(now, 10);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_TRUE(jobs_.DeleteExpiredJobs(now, 10).empty());

  std::map<std::string, std::optional<std::string>> deleted = {
      {first[0].id, first[0].artifact_key}, {second[0].id, second[0].artifact_key}};
  EXPECT_EQ(deleted["a"], "/exports/a.csv");
  EXPECT_EQ(deleted["b"], std::nullopt);
  EXPECT_TRUE(jobs_.FindJob("keep", now).has_value());
  EXPECT_TRUE(jobs_.ReferencedArtifacts().empty());
}

TEST_F(JobStoreTest, CountByStatusCountsEveryStatus) {
  for (int i = 0; i < 5; ++i) Insert("j" + std::to_string(i), kT0 + i);
  auto claims = jobs_.ClaimJobs({"w", 3, kT0 + 10, kT0 + 100});
  ASSERT_EQ(claims.size(), 3u);
  ASSERT_TRUE(jobs_.MarkSucceeded(claims[0].job.id, claims[0].claim_token, CsvResult("/a", "a", 0),
                                  kT0 + 11));
  ASSERT_TRUE(jobs_.MarkFailed(claims[1].job.id, claims[1].claim_token, "x", kT0 + 11));
  auto counts = jobs_.CountByStatus(kT0);
  EXPECT_EQ(counts.at(JobStatus::kPending), 2);
  EXPECT_EQ(counts.at(JobStatus::kStarted), 1);
  EXPECT_EQ(counts.at(JobStatus::kSuccess), 1);
  EXPECT_EQ(counts.at(JobStatus::kFailed), 1);
}

TEST_F(JobStoreTest, AClientsActiveJobsAreLimitedAndFinishedOnesFreeTheirPlace) {
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
  EXPECT_FALSE(jobs_.FindJob("a3", kT0 + 3).has_value()) << "nothing written";
  EXPECT_TRUE(for_client("b1", "bob", kT0 + 4).created) << "other clients are apart";

  // started still counts; failed (or success) does not.
  ClaimedJob claimed = ClaimOne(kT0 + 5);
  ASSERT_EQ(claimed.job.id, "a1");
  EXPECT_TRUE(for_client("a3", "alice", kT0 + 6).active_limit_reached);
  ASSERT_TRUE(jobs_.MarkFailed("a1", claimed.claim_token, "boom", kT0 + 7));
  EXPECT_TRUE(for_client("a3", "alice", kT0 + 8).created);

  // The count reads the partial index, not the table.
  auto connection = sqlite::Connection::Open(dir_ / "jobsd.db");
  auto plan = connection->Prepare(
      "EXPLAIN QUERY PLAN SELECT count(*) FROM jobs WHERE client_id = ?1"
      " AND (status = 'pending' OR status = 'started')");
  ASSERT_TRUE(plan->Step());
  EXPECT_NE(plan->ColumnText(3).find("jobs_active_by_client"), std::string_view::npos)
      << plan->ColumnText(3);
}

TEST_F(JobStoreTest, ConcurrentInsertsAtAClientsLimitLetOnlyTheLimitThrough) {
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

TEST_F(JobStoreTest, ConcurrentInsertsAreGroupCommittedAndEachIsStored) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  std::atomic<int> created{0};
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
        if (jobs_.InsertJob(job).created) ++created;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(created.load(), kThreads * (kPerThread - 1) + 1);
  EXPECT_EQ(jobs_.CountByStatus(kT0)[JobStatus::kPending], kThreads * (kPerThread - 1) + 1);
}

TEST_F(JobStoreTest, AFailingInsertInAGroupFailsAloneAndTheOthersAreStored) {
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

TEST_F(JobStoreTest, InsertJobsStoresABatchInOneTransaction) {
  std::vector<NewJob> batch;
  for (int i = 0; i < 100; ++i) batch.push_back(MakeJob("b" + std::to_string(i), kT0 + i));
  std::vector<InsertResult> results = jobs_.InsertJobs(batch);
  ASSERT_EQ(results.size(), 100u);
  EXPECT_TRUE(results[99].created);
  EXPECT_EQ(jobs_.CountByStatus(kT0)[JobStatus::kPending], 100);

  batch = {MakeJob("c1", kT0), MakeJob("b0", kT0)};  // the second repeats an id
  EXPECT_THROW(jobs_.InsertJobs(batch), StoreError);
  EXPECT_FALSE(jobs_.FindJob("c1", kT0)) << "all or nothing";
}

TEST_F(JobStoreTest, FinishJobsAppliesEachKindAsCompareAndSet) {
  for (const char* id : {"s", "f", "r", "l", "stale"}) Insert(id, kT0);
  std::vector<ClaimedJob> claimed = jobs_.ClaimJobs({"w", 5, kT0, kT0 + 30 * kNanosPerSecond});
  ASSERT_EQ(claimed.size(), 5u);
  std::map<std::string, std::string> token;
  for (const ClaimedJob& c : claimed) token[c.job.id] = c.claim_token;

  using Kind = JobCompletion::Kind;
  std::vector<JobCompletion> completions(5);
  completions[0] = {"s", token["s"], Kind::kSucceeded, CsvResult("/tmp/s.csv", "tok-s", 7), "", 0};
  completions[1] = {"f", token["f"], Kind::kFailed, {}, "broken", 0};
  completions[2] = {"r", token["r"], Kind::kRetry, {}, "later", kT0 + kNanosPerSecond};
  completions[3] = {"l", token["l"], Kind::kRelease, {}, "", 0};
  completions[4] = {
      "stale", "not-the-token", Kind::kSucceeded, CsvResult("/tmp/x.csv", "tok-x", 1), "", 0};
  std::vector<bool> applied = jobs_.FinishJobs(completions, kT0 + 5);
  EXPECT_EQ(applied, (std::vector<bool>{true, true, true, true, false}));

  EXPECT_EQ(Get("s").status, JobStatus::kSuccess);
  EXPECT_EQ(Get("s").result, "{\"row_count\":7}");
  EXPECT_EQ(Get("s").artifact->key, "/tmp/s.csv");
  EXPECT_EQ(Get("f").status, JobStatus::kFailed);
  EXPECT_EQ(Get("f").error, "broken");
  EXPECT_EQ(Get("r").status, JobStatus::kPending);
  EXPECT_EQ(Get("r").run_after, kT0 + kNanosPerSecond);
  EXPECT_EQ(Get("r").attempts, 1);
  EXPECT_EQ(Get("l").status, JobStatus::kPending);
  EXPECT_EQ(Get("l").attempts, 0) << "a release does not count the attempt";
  EXPECT_EQ(Get("stale").status, JobStatus::kStarted);
  // Applying the same completions again changes nothing: the tokens are spent.
  EXPECT_EQ(jobs_.FinishJobs(completions, kT0 + 6), std::vector<bool>(5, false));
}

TEST_F(JobStoreTest, FinishAndClaimRecordsOutcomesThenClaimsTheOldestPending) {
  for (const char* id : {"a", "b", "c", "d"}) Insert(id, kT0 + (id[0] - 'a'));
  std::vector<ClaimedJob> first = jobs_.ClaimJobs({"w", 2, kT0 + 5, kT0 + 30 * kNanosPerSecond});
  ASSERT_EQ(first.size(), 2u);  // a, b

  using Kind = JobCompletion::Kind;
  std::vector<JobCompletion> completions(2);
  completions[0] = {"a", first[0].claim_token, Kind::kFailed, {}, "broken", 0};
  // Released in the same call: pending again before the claim runs, and the
  // oldest, so it is claimed again.
  completions[1] = {"b", first[1].claim_token, Kind::kRelease, {}, "", 0};
  FinishAndClaimResult result =
      jobs_.FinishAndClaim(completions, kT0 + 10, {"w2", 2, kT0 + 10, kT0 + 40 * kNanosPerSecond});
  EXPECT_EQ(result.applied, (std::vector<bool>{true, true}));
  ASSERT_EQ(result.claimed.size(), 2u);
  EXPECT_EQ(result.claimed[0].job.id, "b");
  EXPECT_EQ(result.claimed[1].job.id, "c");
  EXPECT_EQ(result.claimed[0].job.claimed_by, "w2");
  EXPECT_NE(result.claimed[0].claim_token, first[1].claim_token);
  EXPECT_EQ(Get("a").status, JobStatus::kFailed);
  EXPECT_EQ(Get("b").status, JobStatus::kStarted);
  EXPECT_EQ(Get("d").status, JobStatus::kPending);

  // Nothing to record: a plain claim. Nothing to claim: outcomes only.
  EXPECT_EQ(jobs_.FinishAndClaim({}, kT0 + 11, {"w2", 5, kT0 + 11, kT0 + 40 * kNanosPerSecond})
                .claimed.size(),
            1u);  // d
  EXPECT_TRUE(jobs_.FinishAndClaim({}, kT0 + 12, {"w2", 5, kT0 + 12, kT0 + 40 * kNanosPerSecond})
                  .claimed.empty());
  auto counts = jobs_.CountByStatus(kT0 + 12);
  EXPECT_EQ(counts.at(JobStatus::kStarted), 3);
  EXPECT_EQ(counts.at(JobStatus::kFailed), 1);
}

TEST_F(JobStoreTest, DeletingExpiredJobsGivesTheSpaceBack) {
  auto page_count = [&] {
    auto connection = sqlite::Connection::Open(dir_ / "jobsd.db");
    auto statement = connection->Prepare("PRAGMA page_count");
    statement->Step();
    return statement->ColumnInt64(0);
  };
  const std::int64_t before = page_count();
  std::vector<NewJob> batch;
  for (int i = 0; i < 2000; ++i) {
    batch.push_back(MakeJob("big-" + std::to_string(i), kT0, std::string(4000, 'f')));
  }
  jobs_.InsertJobs(batch);
  const std::int64_t grown = page_count();
  ASSERT_GT(grown, before + 1000);
  while (!jobs_.DeleteExpiredJobs(kT0 + kRetention, 500).empty()) {
  }
  EXPECT_LT(page_count(), before + (grown - before) / 4) << "freed pages stayed in the file";
}

TEST_F(JobStoreTest, TotalsFromTheCountTableMatchCountingRows) {
  for (int i = 0; i < 40; ++i) Insert("j" + std::to_string(i), kT0 + i);
  auto claimed = jobs_.ClaimJobs({"w", 30, kT0 + 100, kT0 + 1000});
  std::vector<JobCompletion> completions;
  for (std::size_t i = 0; i < claimed.size(); ++i) {
    JobCompletion c;
    c.id = claimed[i].job.id;
    c.token = claimed[i].claim_token;
    c.kind = i % 3 == 0   ? JobCompletion::Kind::kSucceeded
             : i % 3 == 1 ? JobCompletion::Kind::kFailed
                          : JobCompletion::Kind::kRetry;
    c.success = CsvResult("/f" + std::to_string(i), "t" + std::to_string(i), 1);
    c.error = "e";
    if (i < 25) completions.push_back(c);  // five stay started
  }
  jobs_.FinishJobs(completions, kT0 + 200);
  // The first ten jobs expire (but are not swept yet): they vanish from totals.
  auto connection = sqlite::Connection::Open(dir_ / "jobsd.db");
  connection->Exec("UPDATE jobs SET expires_at = " + std::to_string(kT0 + 300) +
                   " WHERE created_at < " + std::to_string(kT0 + 10));
  const Nanos now = kT0 + 300;
  auto count_rows = [&](const std::string& where) {
    auto statement = connection->Prepare("SELECT count(*) FROM jobs WHERE expires_at > " +
                                         std::to_string(now) + where);
    statement->Step();
    return statement->ColumnInt64(0);
  };
  std::map<JobStatus, std::int64_t> counts = jobs_.CountByStatus(now);
  for (JobStatus status : kAllJobStatuses) {
    EXPECT_EQ(counts[status], count_rows(" AND status = '" + std::string(ToString(status)) + "'"))
        << ToString(status);
  }
  EXPECT_EQ(jobs_.ListJobs({JobFilter(""), 25, 0, now}).total, count_rows(""));
  EXPECT_EQ(jobs_.ListJobs({JobFilter("in(status,success,failed)"), 25, 0, now}).total,
            count_rows(" AND status IN ('success', 'failed')"));
  EXPECT_EQ(jobs_.ListJobs({JobFilter("eq(status,started):in(status,started,pending)"), 25, 0, now})
                .total,
            count_rows(" AND status = 'started'"));
  EXPECT_EQ(jobs_.ListJobs({JobFilter("eq(job_type,order_export)"), 25, 0, now}).total,
            count_rows(""));
  while (!jobs_.DeleteExpiredJobs(now, 3).empty()) {
  }
  EXPECT_EQ(jobs_.ListJobs({JobFilter(""), 25, 0, now}).total, 30);
}

}  // namespace
}  // namespace jobsd::storage
