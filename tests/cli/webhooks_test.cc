// jobsd webhooks add|list|remove|deliveries, run as a user would run them,
// on a SQLite store and on a PostgreSQL one (scripts/with-postgres.sh).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <regex>

#include "engine/base64.h"
#include "storage/open_store.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_postgres.h"

namespace jobsd {
namespace {

using testing::JobsdBinary;
using testing::RunResult;

class WebhooksCliTest : public ::testing::TestWithParam<std::string> {
 protected:
  WebhooksCliTest()
      : db_(GetParam() == "Postgres" ? testing::FreshPostgresSchema()
                                     : (dir_ / "store.db").string()) {}

  RunResult Jobsd(std::vector<std::string> args) {
    args.insert(args.begin(), JobsdBinary());
    return testing::Run(args, {{"JOBSD_DB", db_}, {"JOBSD_EXPORTS", (dir_ / "exports").string()}});
  }

  // Adds an endpoint and returns {id, secret} from the two lines printed.
  std::pair<std::string, std::string> Add(std::vector<std::string> args) {
    args.insert(args.begin(), {"webhooks", "add"});
    RunResult added = Jobsd(args);
    EXPECT_EQ(added.exit_code, 0) << added.err;
    std::smatch match;
    static const std::regex kPrinted("id: (wh_[0-9a-f]{32})\nsecret: (whsec_[A-Za-z0-9+/=]{44})\n");
    EXPECT_TRUE(std::regex_match(added.out, match, kPrinted)) << added.out;
    if (match.empty()) return {};
    return {match[1], match[2]};
  }

  testing::TempDir dir_;
  std::string db_;
};

TEST_P(WebhooksCliTest, AddPrintsTheSecretOnceAndNothingElseEverShowsIt) {
  const auto [id, secret] = Add({"https://example.com/hooks?a=1"});
  std::optional<std::string> key = Base64Decode(secret.substr(6));
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->size(), 32u);
  const auto [other_id, other_secret] = Add({"http://127.0.0.1:9/x"});
  EXPECT_NE(other_id, id);
  EXPECT_NE(other_secret, secret);

  RunResult list = Jobsd({"webhooks", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  std::regex line(id +
                  "  https://example\\.com/hooks\\?a=1  job\\.succeeded,job\\.failed  created "
                  "\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\n" +
                  other_id +
                  "  http://127\\.0\\.0\\.1:9/x  job\\.succeeded,job\\.failed  created "
                  "\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\n");
  EXPECT_TRUE(std::regex_match(list.out, line)) << list.out;

  RunResult json = Jobsd({"webhooks", "list", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const boost::json::array data = boost::json::parse(json.out).at("data").as_array();
  ASSERT_EQ(data.size(), 2u);
  const boost::json::object& first = data[0].as_object();
  EXPECT_EQ(first.size(), 4u) << json.out;
  EXPECT_EQ(first.at("id"), id.c_str());
  EXPECT_EQ(first.at("url"), "https://example.com/hooks?a=1");
  EXPECT_EQ(first.at("events"), (boost::json::array{"job.succeeded", "job.failed"}));
  EXPECT_TRUE(first.at("created_at").is_string());

  for (const RunResult& shown : {list, json, Jobsd({"webhooks", "deliveries"}),
                                 Jobsd({"webhooks", "deliveries", "--json"})}) {
    EXPECT_EQ(shown.out.find(secret.substr(6)), std::string::npos) << shown.out;
    EXPECT_EQ(shown.err.find(secret.substr(6)), std::string::npos) << shown.err;
  }
}

TEST_P(WebhooksCliTest, AddWithEventsAndJsonPrintsTheEndpoint) {
  RunResult failed_only =
      Jobsd({"webhooks", "add", "--json", "--event", "job.failed", "https://example.com/f"});
  ASSERT_EQ(failed_only.exit_code, 0) << failed_only.err;
  const boost::json::object created = boost::json::parse(failed_only.out).as_object();
  EXPECT_EQ(created.size(), 4u);
  EXPECT_TRUE(created.at("id").as_string().starts_with("wh_"));
  EXPECT_EQ(created.at("url"), "https://example.com/f");
  EXPECT_EQ(created.at("events"), (boost::json::array{"job.failed"}));
  EXPECT_TRUE(created.at("secret").as_string().starts_with("whsec_"));

  Add({"--event=job.succeeded", "http://example.com/s"});
  Add({"--event", "job.failed", "--event", "job.succeeded", "http://example.com/both"});
  RunResult list = Jobsd({"webhooks", "list"});
  EXPECT_NE(list.out.find("  https://example.com/f  job.failed  created"), std::string::npos)
      << list.out;
  EXPECT_NE(list.out.find("  http://example.com/s  job.succeeded  created"), std::string::npos);
  EXPECT_NE(list.out.find("  http://example.com/both  job.succeeded,job.failed  created"),
            std::string::npos);
}

TEST_P(WebhooksCliTest, BadUsageExitsTwoAndStoresNothing) {
  const struct {
    std::vector<std::string> args;
    std::string expected;
  } cases[] = {
      {{"webhooks", "add"}, "missing argument URL"},
      {{"webhooks", "add", "ftp://example.com/"}, "invalid URL 'ftp://example.com/': the scheme"},
      {{"webhooks", "add", "example.com/hook"}, "not an absolute URL"},
      {{"webhooks", "add", "http://user:pw@example.com/"}, "user information"},
      {{"webhooks", "add", "--event", "job.started", "http://example.com/"},
       "unknown --event 'job.started' (job.succeeded or job.failed)"},
      {{"webhooks", "add", "--event"}, "--event needs a value"},
      {{"webhooks", "add", "http://a.example/", "http://b.example/"}, "unexpected argument"},
      {{"webhooks", "remove"}, "missing argument ID"},
      {{"webhooks", "deliveries", "--limit", "0"}, "--limit"},
      {{"webhooks", "deliveries", "--limit", "1001"}, "--limit"},
      {{"webhooks", "list", "--colour"}, "unknown option --colour"},
      {{"webhooks", "frobnicate"}, "unknown command 'webhooks frobnicate'"},
  };
  for (const auto& c : cases) {
    RunResult result = Jobsd(c.args);
    EXPECT_EQ(result.exit_code, 2) << c.expected << "\n" << result.err;
    EXPECT_NE(result.err.find(c.expected), std::string::npos) << result.err;
  }
  RunResult list = Jobsd({"webhooks", "list", "--json"});
  EXPECT_EQ(list.out, "{\"data\":[]}\n") << list.err;
}

TEST_P(WebhooksCliTest, RemoveDeletesTheEndpointOnceAndAnUnknownIdFails) {
  const auto [id, secret] = Add({"https://example.com/a"});
  const auto [kept, kept_secret] = Add({"https://example.com/b"});
  RunResult removed = Jobsd({"webhooks", "remove", id});
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(removed.out, "removed webhook endpoint " + id + "\n");
  RunResult again = Jobsd({"webhooks", "remove", id});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("no webhook endpoint has id '" + id + "'"), std::string::npos)
      << again.err;
  RunResult list = Jobsd({"webhooks", "list"});
  EXPECT_EQ(list.out.find(id), std::string::npos);
  EXPECT_NE(list.out.find(kept), std::string::npos);
  Jobsd({"webhooks", "remove", kept});
  EXPECT_EQ(Jobsd({"webhooks", "list"}).out,
            "no webhook endpoints (jobsd webhooks add URL registers one)\n");
}

TEST_P(WebhooksCliTest, DeliveriesShowTheRecentAttemptsNewestFirst) {
  EXPECT_EQ(Jobsd({"webhooks", "deliveries"}).out, "no webhook deliveries yet\n");
  EXPECT_EQ(Jobsd({"webhooks", "deliveries", "--json"}).out, "{\"data\":[]}\n");
  {
    auto store = storage::OpenStore({db_});
    const Nanos t0 = 1'700'000'000 * kNanosPerSecond;
    store->webhooks().RecordAttempt({"msg_a", "wh_e", "job-1", WebhookEvent::kJobSucceeded, 1, t0,
                                     std::nullopt, "connect: Connection refused", 3'000'000});
    store->webhooks().RecordAttempt({"msg_a", "wh_e", "job-1", WebhookEvent::kJobSucceeded, 2,
                                     t0 + kNanosPerSecond, 200, "", 12'500'000});
    store->webhooks().RecordAttempt({"msg_b", "wh_e", "job-2", WebhookEvent::kJobFailed, 1,
                                     t0 + 2 * kNanosPerSecond, 500, "HTTP 500", 7'000'000});
  }
  RunResult text = Jobsd({"webhooks", "deliveries"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out,
            "2023-11-14T22:13:22Z  job.failed  job job-2  endpoint wh_e  attempt 1  500  7 ms"
            "  HTTP 500  (msg_b)\n"
            "2023-11-14T22:13:21Z  job.succeeded  job job-1  endpoint wh_e  attempt 2  200  12 ms"
            "  (msg_a)\n"
            "2023-11-14T22:13:20Z  job.succeeded  job job-1  endpoint wh_e  attempt 1  -  3 ms"
            "  connect: Connection refused  (msg_a)\n");

  RunResult json = Jobsd({"webhooks", "deliveries", "--json", "--limit", "2"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(boost::json::parse(json.out), boost::json::parse(R"({"data":[
      {"webhook_id":"msg_b","endpoint_id":"wh_e","job_id":"job-2","type":"job.failed",
       "attempt":1,"attempted_at":"2023-11-14T22:13:22Z","status":500,"error":"HTTP 500",
       "duration_ms":7},
      {"webhook_id":"msg_a","endpoint_id":"wh_e","job_id":"job-1","type":"job.succeeded",
       "attempt":2,"attempted_at":"2023-11-14T22:13:21Z","status":200,"error":null,
       "duration_ms":12}]})"));
}

TEST_P(WebhooksCliTest, HelpOnEveryWebhooksCommandExitsZero) {
  for (const char* command : {"add", "list", "remove", "deliveries"}) {
    RunResult result = Jobsd({"webhooks", command, "--help"});
    EXPECT_EQ(result.exit_code, 0) << command << result.err;
    EXPECT_EQ(result.out.rfind("Usage: jobsd webhooks " + std::string(command), 0), 0u)
        << result.out;
  }
  RunResult group = Jobsd({"webhooks", "--help"});
  EXPECT_EQ(group.exit_code, 0);
  EXPECT_NE(group.out.find("webhooks deliveries"), std::string::npos) << group.out;
}

INSTANTIATE_TEST_SUITE_P(Stores, WebhooksCliTest, ::testing::Values("Sqlite", "Postgres"),
                         [](const auto& info) { return info.param; });

// SQLite keeps the secret in the store file: once it holds one, only the
// file's owner may read it.
TEST(WebhooksCliSqliteTest, AddingAnEndpointLeavesTheStoreReadableByItsOwnerOnly) {
  testing::TempDir dir;
  const std::string db = (dir / "store.db").string();
  ASSERT_EQ(testing::Run({JobsdBinary(), "migrate"}, {{"JOBSD_DB", db}}).exit_code, 0);
  ::chmod(db.c_str(), 0644);
  RunResult added =
      testing::Run({JobsdBinary(), "webhooks", "add", "http://example.com/"}, {{"JOBSD_DB", db}});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  struct stat info {};
  ASSERT_EQ(::stat(db.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace jobsd
