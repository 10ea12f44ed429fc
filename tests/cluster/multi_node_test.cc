// Several real `jobsd serve` processes on one PostgreSQL store (the README's "Running several
// nodes"): jobs submitted through every node each run to their end once, a node killed with SIGKILL
// loses nothing, every file downloads through every node, maintenance moves to another node when
// its leader dies, and pick-up survives the loss of the LISTEN connection.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/postgres/pg.h"
#include "tests/support/event_stream_client.h"
#include "tests/support/http_client.h"
#include "tests/support/http_connection.h"
#include "tests/support/live_jobsd.h"
#include "tests/support/test_postgres.h"

namespace jobsd::testing {
namespace {

using namespace std::chrono_literals;
using storage::pg::Connection;
using storage::pg::Params;

std::string ExportBody(const std::string& filter) {
  boost::json::object data{{"type", "job"}, {"job_type", "order_export"}, {"filter", filter}};
  return boost::json::serialize(boost::json::object{{"data", data}});
}

std::string PostRequest(int port, const std::string& auth, const std::string& body,
                        const std::string& extra_header = "") {
  return "POST /v2/jobs HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n" + auth +
         "\r\nContent-Type: application/json\r\n" + extra_header +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string JobId(const HttpResponse& response) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(response.body, ec);
  if (ec || !parsed.is_object()) return "";
  const auto* data = parsed.as_object().if_contains("data");
  if (data == nullptr || !data->is_object()) return "";
  const auto* id = data->as_object().if_contains("id");
  return id != nullptr && id->is_string() ? std::string(id->as_string()) : "";
}

std::string LinkPath(const HttpResponse& job) {
  const boost::json::value parsed = boost::json::parse(job.body);
  const auto& data = parsed.as_object().at("data").as_object();
  const auto* link = data.if_contains("link");
  if (link == nullptr || !link->is_object()) return "";
  return UrlPath(std::string(link->as_object().at("href").as_string()));
}

class MultiNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    location_ = FreshPostgresSchema();
    sql_ = Connection::Open(location_);
  }

  // Starts `count` nodes on the store; the first one's first-run
  // credentials serve for all (the store is one).
  void StartNodes(int count, const std::vector<std::string>& extra = {}) {
    for (int i = 0; i < count; ++i) {
      auto node = std::make_unique<LiveJobsd>();
      node->env()["JOBSD_DB"] = location_;
      std::vector<std::string> args = {"--workers", "2", "--max-active-jobs", "100000"};
      args.insert(args.end(), extra.begin(), extra.end());
      ASSERT_TRUE(node->Start(args)) << "node " << i;
      if (i > 0) node->UseCredentials(nodes_[0]->client_id(), nodes_[0]->client_secret());
      nodes_.push_back(std::move(node));
    }
  }

  std::int64_t Count(const std::string& sql) { return sql_->RunOnce(sql).Int64(0, 0); }

  // Waits until `sql` (a count) gives `expected`; the last value.
  std::int64_t WaitForCount(const std::string& sql, std::int64_t expected,
                            std::chrono::seconds timeout) {
    const auto give_up = std::chrono::steady_clock::now() + timeout;
    std::int64_t value = Count(sql);
    while (value != expected && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(100ms);
      value = Count(sql);
    }
    return value;
  }

  std::string location_;
  std::unique_ptr<Connection> sql_;
  std::vector<std::unique_ptr<LiveJobsd>> nodes_;
};

TEST_F(MultiNodeTest, JobsThroughEveryNodeRunOnceAndSurviveAKilledNode) {
  StartNodes(3);
  ASSERT_EQ(nodes_.size(), 3u);
  ASSERT_EQ(nodes_[0]->Jobsd({"orders", "seed", "--count", "400"}).exit_code, 0);

  const std::vector<std::string> filters = {"eq(status,complete)", "eq(currency,EUR)",
                                            "eq(payment,paid)", "gt(with_tax,10000)", ""};
  constexpr int kJobs = 1500;
  std::vector<std::string> ids;
  std::vector<HttpConnection> connections;
  std::vector<std::string> auth;
  for (auto& node : nodes_) {
    connections.emplace_back(node->port());
    auth.push_back(node->AuthHeader());
  }
  bool killed = false;
  for (int i = 0; i < kJobs; ++i) {
    if (i == kJobs / 2) {
      // Mid-run: node 1 dies without a word, with exports started.
      ASSERT_EQ(::kill(nodes_[1]->process()->pid(), SIGKILL), 0);
      killed = true;
    }
    int n = i % 3;
    if (killed && n == 1) n = (i / 3) % 2 == 0 ? 0 : 2;
    const HttpResponse accepted = connections[n].Exchange(
        PostRequest(nodes_[n]->port(), auth[n], ExportBody(filters[i % filters.size()])));
    ASSERT_EQ(accepted.status, 202) << "job " << i << " via node " << n << ": " << accepted.body;
    ids.push_back(JobId(accepted));
  }
  ASSERT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), static_cast<size_t>(kJobs));

  // Every job ends, on the survivors, once the dead node's beat lapsed.
  EXPECT_EQ(WaitForCount("SELECT count(*) FROM jobs WHERE status = 'success'", kJobs, 120s), kJobs);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs"), kJobs);
  // No job failed an attempt: a run cut short by the kill is an
  // interruption, and none ran twice otherwise.
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE attempts <> 1"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE artifact_key IS NULL"), 0);

  // Files: through both survivors, byte for byte, whole and by range,
  // including those of jobs the dead node had started.
  const auto sample = sql_->RunOnce(
      "(SELECT id FROM jobs WHERE interruptions > 0 ORDER BY id LIMIT 15)"
      " UNION (SELECT id FROM jobs ORDER BY md5(id) LIMIT 25)");
  ASSERT_GT(sample.rows(), 20);
  for (int row = 0; row < sample.rows(); ++row) {
    const std::string id = sample.String(row, 0);
    const HttpResponse job = nodes_[2]->Get("/v2/jobs/" + id, {nodes_[2]->AuthHeader()});
    ASSERT_EQ(job.status, 200) << job.body;
    const std::string path = LinkPath(job);
    ASSERT_FALSE(path.empty()) << job.body;
    const HttpResponse first = nodes_[0]->Get(path);
    const HttpResponse second = nodes_[2]->Get(path);
    ASSERT_EQ(first.status, 200) << id;
    ASSERT_EQ(second.status, 200) << id;
    EXPECT_EQ(first.body, second.body) << id;
    EXPECT_EQ(first.body.rfind("id,", 0), 0u) << id;  // the CSV header first
    if (first.body.size() > 100) {
      const HttpResponse part = nodes_[2]->Get(path, {"Range: bytes=10-99"});
      EXPECT_EQ(part.status, 206);
      EXPECT_EQ(part.body, first.body.substr(10, 90));
    }
  }
}

TEST_F(MultiNodeTest, RetentionGoesOnWhenTheMaintenanceLeaderDies) {
  StartNodes(2, {"--retention", "3s"});
  ASSERT_EQ(nodes_.size(), 2u);
  ASSERT_EQ(WaitForCount("SELECT count(*) FROM leadership WHERE role = 'maintenance'", 1, 10s), 1);
  const std::string leader =
      sql_->RunOnce("SELECT node_id FROM leadership WHERE role = 'maintenance'").String(0, 0);
  const std::size_t leader_index =
      leader.find(":" + std::to_string(nodes_[0]->process()->pid()) + ":") != std::string::npos ? 0
                                                                                                : 1;
  const std::size_t survivor = 1 - leader_index;
  ASSERT_EQ(::kill(nodes_[leader_index]->process()->pid(), SIGKILL), 0);

  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(nodes_[survivor]->PostExport("eq(status,complete)").status, 202);
  }
  EXPECT_EQ(WaitForCount("SELECT count(*) FROM jobs", 10, 10s), 10);
  // Expired after 3 s, deleted by the survivor once it leads.
  EXPECT_EQ(WaitForCount("SELECT count(*) FROM jobs", 0, 30s), 0);
  const std::string now_leader =
      sql_->RunOnce("SELECT node_id FROM leadership WHERE role = 'maintenance'").String(0, 0);
  EXPECT_NE(now_leader, leader);
  EXPECT_NE(now_leader.find(":" + std::to_string(nodes_[survivor]->process()->pid()) + ":"),
            std::string::npos);
}

TEST_F(MultiNodeTest, PickUpGoesOnWhenTheListenConnectionIsKilled) {
  StartNodes(2);
  ASSERT_EQ(nodes_.size(), 2u);
  // This store's listeners, one per node (named by schema: other tests'
  // nodes listen on the same server).
  const std::string ours =
      " FROM pg_stat_activity WHERE query = 'LISTEN jobsd_jobs'"
      " AND application_name = 'jobsd wake-ups ' || current_schema()";
  ASSERT_EQ(WaitForCount("SELECT count(*)" + ours, 2, 10s), 2);
  sql_->RunOnce("CREATE TEMP TABLE killed AS SELECT pid" + ours);
  const auto killed =
      sql_->RunOnce("SELECT count(*) FROM (SELECT pg_terminate_backend(pid)" + ours + ") t");
  ASSERT_EQ(killed.Int64(0, 0), 2);
  // Both listeners come back by themselves, as new connections.
  EXPECT_EQ(
      WaitForCount("SELECT count(*)" + ours + " AND pid NOT IN (SELECT pid FROM killed)", 2, 20s),
      2);

  ASSERT_EQ(nodes_[0]->Jobsd({"orders", "seed", "--count", "50"}).exit_code, 0);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(nodes_[i % 2]->PostExport("").status, 202);
  }
  EXPECT_EQ(WaitForCount("SELECT count(*) FROM jobs WHERE status = 'success'", 20, 30s), 20);
}

TEST_F(MultiNodeTest, OneStoreSeenThroughEveryNode) {
  StartNodes(2);
  ASSERT_EQ(nodes_.size(), 2u);
  // A token issued by one node is accepted by the other.
  const std::string token = nodes_[0]->Token();
  ASSERT_FALSE(token.empty());
  const std::string auth = "Authorization: Bearer " + token;
  ASSERT_EQ(nodes_[1]->Get("/v2/jobs", {auth}).status, 200);

  // A job created through one node is listed through the other at once (no
  // stale cached page), and readable there.
  for (int round = 0; round < 5; ++round) {
    const HttpResponse created = nodes_[0]->PostExport("eq(status,complete)");
    ASSERT_EQ(created.status, 202) << created.body;
    const std::string id = JobId(created);
    const HttpResponse listed = nodes_[1]->Get("/v2/jobs", {auth});
    ASSERT_EQ(listed.status, 200);
    EXPECT_NE(listed.body.find(id), std::string::npos) << "round " << round;
    EXPECT_EQ(nodes_[1]->Get("/v2/jobs/" + id, {auth}).status, 200);
  }

  // One Idempotency-Key sent to both nodes at the same moment: one job.
  for (int round = 0; round < 5; ++round) {
    const std::string key = "Idempotency-Key: same-" + std::to_string(round) + "\r\n";
    std::vector<std::future<HttpResponse>> answers;
    for (int n = 0; n < 2; ++n) {
      answers.push_back(std::async(std::launch::async, [&, n] {
        HttpConnection connection(nodes_[n]->port());
        return connection.Exchange(
            PostRequest(nodes_[n]->port(), auth, ExportBody("eq(payment,paid)"), key));
      }));
    }
    const HttpResponse a = answers[0].get();
    const HttpResponse b = answers[1].get();
    ASSERT_TRUE(a.status == 202 || a.status == 200) << a.status << " " << a.body;
    ASSERT_TRUE(b.status == 202 || b.status == 200) << b.status << " " << b.body;
    EXPECT_EQ(JobId(a), JobId(b)) << "round " << round;
  }
}

// docs/errors.md: ten failed token requests for one client_id within a
// minute, whichever nodes they went to, and the next one is refused on
// every node (the count is in the store, not in each process).
TEST_F(MultiNodeTest, FailedTokenRequestsCountAcrossNodes) {
  StartNodes(2);
  ASSERT_EQ(nodes_.size(), 2u);
  const auto request = [&](int node, const std::string& secret) {
    return nodes_[node]->Post("/oauth/access_token",
                              "grant_type=client_credentials&client_id=" + nodes_[0]->client_id() +
                                  "&client_secret=" + secret,
                              {"Content-Type: application/x-www-form-urlencoded"});
  };
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(request(0, "wrong").status, 401);
    EXPECT_EQ(request(1, "wrong").status, 401);
  }
  for (int node = 0; node < 2; ++node) {
    const HttpResponse refused = request(node, nodes_[0]->client_secret());
    EXPECT_EQ(refused.status, 429) << "node " << node << ": " << refused.body;
    EXPECT_NE(refused.body.find("Too many failed attempts"), std::string::npos) << refused.body;
  }
  EXPECT_EQ(Count("SELECT count(*) FROM failed_token_attempts"), 10);
}

// docs/jobs.md: a change made through another node shows on a
// stream within a second. The job runs on whichever node claims it, so a
// stream is open on each: the node that did not run it sees the change
// only through the store, and must see it within a second of the other.
TEST_F(MultiNodeTest, EventStreamsOnEveryNodeFollowAJobWhereverItRuns) {
  StartNodes(2);
  ASSERT_EQ(nodes_.size(), 2u);
  ASSERT_EQ(nodes_[0]->Jobsd({"orders", "seed", "--count", "2000"}).exit_code, 0);
  for (int round = 0; round < 3; ++round) {
    const HttpResponse created = nodes_[round % 2]->PostExport("");
    ASSERT_EQ(created.status, 202) << created.body;
    const std::string id = JobId(created);
    std::vector<std::unique_ptr<EventStreamClient>> streams;
    for (auto& node : nodes_) {
      streams.push_back(
          std::make_unique<EventStreamClient>(node->port(), "/v2/jobs/" + id + "/events",
                                              std::vector<std::string>{node->AuthHeader()}));
    }
    std::vector<std::chrono::steady_clock::time_point> ended(2);
    // Read both streams in turn until each has ended.
    const auto give_up = std::chrono::steady_clock::now() + 30s;
    while ((!streams[0]->closed() || !streams[1]->closed()) &&
           std::chrono::steady_clock::now() < give_up) {
      for (int n = 0; n < 2; ++n) {
        if (streams[n]->closed()) continue;
        if (streams[n]->WaitForClose(5ms)) ended[n] = std::chrono::steady_clock::now();
      }
    }
    for (int n = 0; n < 2; ++n) {
      ASSERT_TRUE(streams[n]->closed()) << "node " << n << ": " << streams[n]->body();
      EXPECT_TRUE(streams[n]->ended()) << "node " << n;
      const auto events = streams[n]->events();
      ASSERT_FALSE(events.empty());
      // The last event is what the node's GET answers now: the success.
      const HttpResponse got = nodes_[n]->Get("/v2/jobs/" + id, {nodes_[n]->AuthHeader()});
      EXPECT_EQ(events.back().data, got.body) << "node " << n;
      EXPECT_NE(got.body.find("\"status\":\"success\""), std::string::npos) << got.body;
    }
    const auto apart = ended[0] > ended[1] ? ended[0] - ended[1] : ended[1] - ended[0];
    // The contract's second, with a margin for a loaded test machine.
    EXPECT_LT(apart, 2s) << "round " << round;
  }
}

}  // namespace
}  // namespace jobsd::testing
