// The PostgreSQL side of the Cluster port (engine/queue/cluster.h) on a real
// server: the maintenance lead is held by one node at a time and passes on
// when its lease lapses or its node steps down or leaves; live nodes are
// listed; wake-ups arrive for jobs made pending by any handle, only for
// this store's schema, and again after the listening connection was killed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "engine/queue/cluster.h"
#include "storage/postgres/pg.h"
#include "storage/postgres/postgres_store.h"
#include "tests/support/test_postgres.h"

namespace jobsd::storage {
namespace {

using namespace std::chrono_literals;
using testing::FreshPostgresSchema;

constexpr Nanos kLease = 5 * kNanosPerSecond;

NodeBeat Node(const std::string& id) { return NodeBeat{id, "host", 42, 1'000}; }

// Waits up to `timeout` for `done`.
template <typename Done>
bool WaitFor(Done done, std::chrono::milliseconds timeout = 10s) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

class PostgresClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    location_ = FreshPostgresSchema();
    store_ = PostgresStore::Open({location_});
    other_ = PostgresStore::Open({location_});  // another node's handle
    sql_ = pg::Connection::Open(location_);
  }

  // A pending job, inserted with plain SQL as any writer could.
  void InsertPendingJob(pg::Connection& connection, const std::string& id) {
    connection.RunOnce(
        "INSERT INTO jobs (id, job_type, max_attempts, created_at, updated_at, run_after,"
        " expires_at) VALUES ($1, 'order_export', 5, 1, 1, 1, 9000000000000000000)",
        pg::Params().Add(id));
  }

  std::string location_;
  std::unique_ptr<PostgresStore> store_, other_;
  std::unique_ptr<pg::Connection> sql_;
};

TEST_F(PostgresClusterTest, OneNodeLeadsUntilItsLeaseLapses) {
  Cluster& a = *store_->cluster();
  Cluster& b = *other_->cluster();
  EXPECT_TRUE(a.Beat(Node("a"), 1'000, kLease, true));
  EXPECT_FALSE(b.Beat(Node("b"), 1'001, kLease, true));
  EXPECT_TRUE(a.Beat(Node("a"), 2'000, kLease, true));  // kept, extended
  // a stops beating: b takes over once a's lease (from its last beat) lapses.
  EXPECT_FALSE(b.Beat(Node("b"), 2'000 + kLease - 1, kLease, true));
  EXPECT_TRUE(b.Beat(Node("b"), 2'000 + kLease, kLease, true));
  EXPECT_FALSE(a.Beat(Node("a"), 2'000 + kLease + 1, kLease, true));
}

TEST_F(PostgresClusterTest, SteppingDownOrLeavingHandsTheLeadOnAtOnce) {
  Cluster& a = *store_->cluster();
  Cluster& b = *other_->cluster();
  ASSERT_TRUE(a.Beat(Node("a"), 1'000, kLease, true));
  EXPECT_FALSE(a.Beat(Node("a"), 1'100, kLease, /*seek_lead=*/false));
  EXPECT_TRUE(b.Beat(Node("b"), 1'200, kLease, true));
  b.Leave("b");
  EXPECT_TRUE(a.Beat(Node("a"), 1'300, kLease, true));
}

TEST_F(PostgresClusterTest, LiveNodesAreThoseThatBeatRecently) {
  Cluster& a = *store_->cluster();
  ASSERT_TRUE(a.Beat(Node("a"), 1'000, kLease, true));
  ASSERT_FALSE(a.Beat(Node("b"), 5'000, kLease, true));
  auto live = a.LiveNodes(6'000, 2'000);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].node.node_id, "b");
  EXPECT_FALSE(live[0].maintenance_leader);
  live = a.LiveNodes(6'000, 10'000);
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[0].node.node_id, "a");
  EXPECT_TRUE(live[0].maintenance_leader);
  EXPECT_EQ(live[0].last_beat, 1'000);
  a.Leave("a");
  EXPECT_EQ(a.LiveNodes(6'000, 10'000).size(), 1u);
}

TEST_F(PostgresClusterTest, AJobMadePendingAnywhereWakesEverySubscriber) {
  std::atomic<int> woken_a = 0, woken_b = 0;
  auto a = store_->cluster()->SubscribeWakeups([&] { ++woken_a; });
  auto b = other_->cluster()->SubscribeWakeups([&] { ++woken_b; });
  // Each subscription calls back once when it starts listening.
  ASSERT_TRUE(WaitFor([&] { return woken_a >= 1 && woken_b >= 1; }));
  const int before_a = woken_a, before_b = woken_b;
  InsertPendingJob(*sql_, "job-1");
  EXPECT_TRUE(WaitFor([&] { return woken_a > before_a && woken_b > before_b; }));

  // A job in another store (schema) of the same database wakes nobody here.
  const int settled_a = woken_a;
  const std::string other_location = FreshPostgresSchema();
  auto other_store = PostgresStore::Open({other_location});  // migrates that schema
  auto elsewhere = pg::Connection::Open(other_location);
  InsertPendingJob(*elsewhere, "job-elsewhere");
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(woken_a.load(), settled_a);
}

TEST_F(PostgresClusterTest, WakeUpsComeBackAfterTheListeningConnectionIsKilled) {
  std::atomic<int> woken = 0;
  auto subscription = store_->cluster()->SubscribeWakeups([&] { ++woken; });
  ASSERT_TRUE(WaitFor([&] { return woken >= 1; }));
  // Kill this store's listener (named after its schema: tests running
  // beside this one listen on the same server).
  const auto killed = sql_->RunOnce(
      "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
      " WHERE application_name = 'jobsd wake-ups ' || current_schema()) t");
  ASSERT_EQ(killed.Int64(0, 0), 1);
  // Reconnecting calls back once (for what was missed) ...
  const int after_kill = woken;
  ASSERT_TRUE(WaitFor([&] { return woken > after_kill; }, 15s));
  // ... and notifications flow again.
  const int reconnected = woken;
  InsertPendingJob(*sql_, "job-after-kill");
  EXPECT_TRUE(WaitFor([&] { return woken > reconnected; }));
}

TEST_F(PostgresClusterTest, DestroyingASubscriptionStopsItPromptly) {
  std::atomic<int> woken = 0;
  auto subscription = store_->cluster()->SubscribeWakeups([&] { ++woken; });
  ASSERT_TRUE(WaitFor([&] { return woken >= 1; }));
  const auto started = std::chrono::steady_clock::now();
  subscription.reset();
  // Not a timing benchmark: a listener stuck in its 15 s idle wait would fail.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  const int final_count = woken;
  InsertPendingJob(*sql_, "job-unheard");
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(woken.load(), final_count);
}

}  // namespace
}  // namespace jobsd::storage
