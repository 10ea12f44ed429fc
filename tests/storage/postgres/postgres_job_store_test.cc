// What the conformance suite cannot say about the PostgreSQL job store: two
// stores kept in two schemas of one database are apart, and handles that
// each hold their own pool (as nodes do) agree on keys and limits.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/postgres/pg.h"
#include "storage/postgres/pg_array.h"
#include "storage/postgres/postgres_job_statements.h"
#include "storage/postgres/postgres_store.h"
#include "tests/storage/store_test_data.h"
#include "tests/support/test_postgres.h"

namespace jobsd::storage {
namespace {

constexpr Nanos kT0 = 1'700'000'000 * kNanosPerSecond;

NewJob MakeJob(std::string id, std::string params = "") {
  return testing::MakeTestJob(std::move(id), kT0, std::move(params));
}

std::unique_ptr<PostgresStore> Open(const std::string& location, int connections = 4) {
  return PostgresStore::Open({location, connections});
}

TEST(PostgresJobStoreTest, TwoStoresInOneDatabaseDoNotSeeEachOther) {
  auto ours = Open(testing::FreshPostgresSchema());
  auto theirs = Open(testing::FreshPostgresSchema());
  JobStore& a = ours->jobs();
  JobStore& b = theirs->jobs();

  // The same id in both: no clash, each keeps its own.
  ASSERT_TRUE(a.InsertJob(MakeJob("same-id", "ours")).created);
  const std::uint64_t their_version = b.ChangeVersion();
  ASSERT_TRUE(b.InsertJob(MakeJob("same-id", "theirs")).created);
  ASSERT_TRUE(a.InsertJob(MakeJob("only-ours")).created);
  EXPECT_EQ(a.FindJob("same-id", kT0)->params, "ours");
  EXPECT_EQ(b.FindJob("same-id", kT0)->params, "theirs");
  EXPECT_FALSE(b.FindJob("only-ours", kT0).has_value());
  EXPECT_EQ(a.ListJobs({{}, 25, 0, kT0}).total, 2);
  EXPECT_EQ(b.ListJobs({{}, 25, 0, kT0}).total, 1);

  // Their claims take only their jobs; our writes leave their version alone.
  const std::uint64_t before = b.ChangeVersion();
  EXPECT_NE(before, their_version);
  auto claimed = a.ClaimJobs({"w", 10, kT0, kT0 + kNanosPerSecond});
  EXPECT_EQ(claimed.size(), 2u);
  EXPECT_EQ(b.ChangeVersion(), before);
  EXPECT_EQ(b.FindJob("same-id", kT0)->status, JobStatus::kPending);
  EXPECT_EQ(b.CountByStatus(kT0).at(JobStatus::kStarted), 0);
  EXPECT_TRUE(b.ClaimHolders().empty());
  // Their rescue cannot touch our claims.
  EXPECT_EQ(b.RescueClaimsOf({"w"}, kT0 + 1), 0);
  EXPECT_EQ(b.RescueExpiredLeases(kT0 + 10 * kNanosPerSecond), 0);
  EXPECT_EQ(a.ClaimHolders(), std::vector<std::string>{"w"});

  // Credentials too.
  ours->credentials().InsertClient({"client", "00", "11", kT0});
  EXPECT_FALSE(theirs->credentials().FindClient("client").has_value());
  theirs->credentials().InsertClient({"client", "22", "33", kT0});
  EXPECT_EQ(ours->credentials().FindClient("client")->secret_hash, "11");
}

// jobs_listing is ascending (0012) so that new jobs append to it: it fills
// its pages like jobs_claim, which holds the same keys while jobs are pending.
// Split at the front, it took about twice as many.
TEST(PostgresJobStoreTest, NewJobsFillTheListingIndexsPages) {
  const std::string location = testing::FreshPostgresSchema();
  auto store = Open(location);
  testing::InsertJobsOneAfterAnother(store->jobs(), 5000, kT0);
  auto connection = pg::Connection::Open(location);
  auto size = [&](const char* index) {
    return connection
        ->Run("SELECT pg_relation_size($1::regclass)", pg::Params().Add(std::string(index)))
        .Int64(0, 0);
  };
  EXPECT_LE(size("jobs_listing"), size("jobs_claim") * 11 / 10);
  EXPECT_EQ(store->jobs().ListJobs({{}, 3, 0, kT0}).jobs.front().id, "j-104999");
}

// Renewals and completions name their jobs by id and token: their plans
// read the primary key, whatever the statistics say. With a status
// condition as well, statistics taken while no job was started let the
// planner read the rows through jobs_lease instead, a partial index over
// started jobs that keeps an entry for every job started since the last
// vacuum, and compare each row with every id of the batch: a drain of
// 40,000 jobs went at half speed.
TEST(PostgresJobStoreTest, RenewalsAndCompletionsReadThePrimaryKeyWhateverTheStatistics) {
  const std::string location = testing::FreshPostgresSchema();
  auto store = Open(location);
  testing::InsertJobsOneAfterAnother(store->jobs(), 3000, kT0);
  auto connection = pg::Connection::Open(location);
  connection->Exec("ANALYZE jobs");  // no job started yet
  std::vector<ClaimedJob> claimed;
  while (claimed.size() < 2000) {
    auto batch = store->jobs().ClaimJobs({"w", 250, kT0 + 5000, kT0 + kNanosPerDay});
    ASSERT_FALSE(batch.empty());
    for (ClaimedJob& job : batch) claimed.push_back(std::move(job));
  }
  pg::ArrayLiteral ids, tokens, texts, numbers;
  for (std::size_t i = 0; i < 50; ++i) {
    ids.Add(claimed[i * 40].job.id);
    tokens.Add(claimed[i * 40].claim_token);
    texts.AddNull();
    numbers.AddNull();
  }
  const auto plan = [&](const std::string& statement, pg::Params params) {
    std::string text;
    const pg::Result rows = connection->RunOnce("EXPLAIN " + statement, params);
    for (int row = 0; row < rows.rows(); ++row) text += rows.String(row, 0) + "\n";
    return text;
  };
  const auto common = [&](std::int64_t first) {
    return pg::Params().Add(first).Add(ids.str()).Add(tokens.str());
  };
  const std::string renew = plan(RenewLeasesStatement(),
                                 common(kT0 + kNanosPerDay).Add(numbers.str()).Add(numbers.str()));
  const std::string fail =
      plan(CompletionStatement(JobCompletion::Kind::kFailed), common(kT0 + 6000).Add(texts.str()));
  const std::string release =
      plan(CompletionStatement(JobCompletion::Kind::kRelease), common(kT0 + 6000));
  for (const std::string* text : {&renew, &fail, &release}) {
    EXPECT_EQ(text->find("jobs_lease"), std::string::npos) << *text;
    EXPECT_NE(text->find("jobs_pkey"), std::string::npos) << *text;
  }
}

// Several handles on one store, each with its own pool: what nodes are.
TEST(PostgresJobStoreTest, NodesSendingOneKeyAtOnceCreateOneJob) {
  const std::string location = testing::FreshPostgresSchema();
  constexpr int kNodes = 6;
  std::vector<std::unique_ptr<PostgresStore>> nodes;
  for (int n = 0; n < kNodes; ++n) nodes.push_back(Open(location, 2));
  for (int round = 0; round < 10; ++round) {
    std::atomic<int> ready{0}, created{0};
    std::vector<std::string> owners(kNodes);
    std::vector<std::thread> threads;
    for (int n = 0; n < kNodes; ++n) {
      threads.emplace_back([&, n] {
        NewJob job = MakeJob("r" + std::to_string(round) + "-n" + std::to_string(n));
        job.idempotency_key = "key-" + std::to_string(round);
        job.request_hash = "h";
        job.idempotency_expires_at = kT0 + kNanosPerDay;
        ++ready;
        while (ready.load() < kNodes) std::this_thread::yield();
        InsertResult result = nodes[n]->jobs().InsertJob(job);
        if (result.created) ++created;
        EXPECT_FALSE(result.key_conflict);
        owners[n] = result.job.id;
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(created.load(), 1) << "round " << round;
    EXPECT_EQ(std::set<std::string>(owners.begin(), owners.end()).size(), 1u) << "round " << round;
  }
  EXPECT_EQ(nodes[0]->jobs().ListJobs({{}, 25, 0, kT0}).total, 10);
}

TEST(PostgresJobStoreTest, AClientsLimitHoldsAcrossNodes) {
  const std::string location = testing::FreshPostgresSchema();
  constexpr int kNodes = 4;
  constexpr int kLimit = 5;
  std::vector<std::unique_ptr<PostgresStore>> nodes;
  for (int n = 0; n < kNodes; ++n) nodes.push_back(Open(location, 3));
  std::atomic<int> created{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 4; ++i) {
        NewJob job = MakeJob("t" + std::to_string(t) + "-" + std::to_string(i));
        job.client_id = "alice";
        job.max_active_for_client = kLimit;
        InsertResult result = nodes[t % kNodes]->jobs().InsertJob(job);
        (result.created ? created : refused)++;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(created.load(), kLimit);
  EXPECT_EQ(refused.load(), 48 - kLimit);
  EXPECT_EQ(nodes[0]->jobs().CountByStatus(kT0).at(JobStatus::kPending), kLimit);
}

// Batches of many completions go through one statement per kind; a batch
// naming a job twice is applied in order, the second finding the token spent.
TEST(PostgresJobStoreTest, ABatchNamingAJobTwiceAppliesOnlyTheFirst) {
  auto store = Open(testing::FreshPostgresSchema());
  JobStore& jobs = store->jobs();
  ASSERT_TRUE(jobs.InsertJob(MakeJob("a")).created);
  ASSERT_TRUE(jobs.InsertJob(MakeJob("b")).created);
  auto claimed = jobs.ClaimJobs({"w", 2, kT0, kT0 + kNanosPerSecond});
  ASSERT_EQ(claimed.size(), 2u);
  using Kind = JobCompletion::Kind;
  std::vector<JobCompletion> completions = {
      {"a", claimed[0].claim_token, Kind::kFailed, {}, "first", 0},
      {"b", claimed[1].claim_token, Kind::kRelease, {}, "", 0},
      {"a", claimed[0].claim_token, Kind::kRetry, {}, "second", kT0},
  };
  EXPECT_EQ(jobs.FinishJobs(completions, kT0 + 1), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(jobs.FindJob("a", kT0)->status, JobStatus::kFailed);
  EXPECT_EQ(jobs.FindJob("a", kT0)->error, "first");
  EXPECT_EQ(jobs.FindJob("b", kT0)->status, JobStatus::kPending);
}

}  // namespace
}  // namespace jobsd::storage
