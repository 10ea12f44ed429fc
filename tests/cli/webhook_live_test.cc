// Completion webhooks on the real binary (README, "Completion webhooks"):
// an endpoint registered with `jobsd webhooks add`, an export finished by
// `jobsd serve`, a real receiver on 127.0.0.1 that gets a signed POST whose
// data is exactly GET /v2/jobs/{id}'s, `webhooks deliveries --json` showing
// the attempt; and docs/examples/webhook-receiver.mjs run with node as the
// receiver. On SQLite, and on PostgreSQL in the postgres: run (LiveJobsd
// reads JOBSD_TEST_STORE).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "engine/time.h"
#include "engine/webhooks/webhook_signature.h"
#include "tests/support/http_client.h"
#include "tests/support/live_jobsd.h"
#include "tests/support/process.h"
#include "tests/support/webhook_receiver.h"

namespace jobsd::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

const std::vector<std::string> kServeOptions = {
    "--workers",         "1", "--shutdown-grace", "1s", "--webhook-first-retry", "1s",
    "--webhook-timeout", "2s"};

template <typename Predicate>
bool WaitUntil(Predicate predicate, std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (SteadyClock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return predicate();
}

// A port free on 127.0.0.1 now (bound, read, closed).
int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

std::int64_t NowSeconds() { return SystemClock().Now() / kNanosPerSecond; }

// `node` on PATH, or "" (Run and Background do not search PATH).
std::string NodeBinary() {
  std::istringstream path(std::getenv("PATH") ? std::getenv("PATH") : "");
  for (std::string dir; std::getline(path, dir, ':');) {
    const std::filesystem::path candidate = std::filesystem::path(dir) / "node";
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

class WebhookLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(jobsd_.Jobsd({"orders", "seed", "--count", "40", "--seed", "3"}).exit_code, 0);
  }

  // `jobsd webhooks add URL --json`: {id, secret}.
  std::pair<std::string, std::string> AddEndpoint(const std::string& url) {
    const RunResult added = jobsd_.Jobsd({"webhooks", "add", url, "--json"});
    EXPECT_EQ(added.exit_code, 0) << added.err;
    const boost::json::object printed = boost::json::parse(added.out).as_object();
    return {std::string(printed.at("id").as_string()),
            std::string(printed.at("secret").as_string())};
  }

  std::string SubmitExport() {
    const HttpResponse created = jobsd_.PostExport("");
    EXPECT_EQ(created.status, 202) << created.body;
    return std::string(boost::json::parse(created.body).at("data").at("id").as_string());
  }

  boost::json::array Deliveries() {
    const RunResult listed = jobsd_.Jobsd({"webhooks", "deliveries", "--json", "--limit", "100"});
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    return boost::json::parse(listed.out).at("data").as_array();
  }

  LiveJobsd jobsd_;
};

TEST_F(WebhookLiveTest, AFinishedExportIsDeliveredSignedWithExactlyGetsJob) {
  WebhookReceiver receiver(WebhookReceiver::Answer(200));
  const auto [endpoint_id, secret] = AddEndpoint(receiver.Url("/hooks/jobsd"));
  ASSERT_TRUE(jobsd_.Start(kServeOptions));
  const std::string job_id = SubmitExport();

  ASSERT_TRUE(WaitUntil([&] { return !receiver.Requests().empty(); }, 15s)) << "no delivery";
  const ReceivedRequest request = receiver.Requests().at(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/hooks/jobsd");
  EXPECT_EQ(request.headers.at("content-type"), "application/json");
  EXPECT_EQ(
      VerifyWebhook(secret,
                    {request.headers.at("webhook-id"), request.headers.at("webhook-timestamp"),
                     request.headers.at("webhook-signature")},
                    request.body, NowSeconds()),
      WebhookVerdict::kValid);

  const HttpResponse got = jobsd_.Get("/v2/jobs/" + job_id, {jobsd_.AuthHeader()});
  ASSERT_EQ(got.status, 200);
  const boost::json::object job = boost::json::parse(got.body).at("data").as_object();
  ASSERT_EQ(job.at("status"), "success");
  EXPECT_EQ(request.body, "{\"type\":\"job.succeeded\",\"timestamp\":\"" +
                              std::string(job.at("timestamps").at("updated_at").as_string()) +
                              "\",\"data\":" + got.body.substr(8, got.body.size() - 9) + "}")
      << "data is byte for byte GET /v2/jobs/{id}'s";

  boost::json::array attempts;
  ASSERT_TRUE(WaitUntil([&] { return !(attempts = Deliveries()).empty(); }, 5s));
  ASSERT_EQ(attempts.size(), 1u);
  const boost::json::object& attempt = attempts[0].as_object();
  EXPECT_EQ(attempt.at("webhook_id"), request.headers.at("webhook-id").c_str());
  EXPECT_EQ(attempt.at("endpoint_id"), endpoint_id.c_str());
  EXPECT_EQ(attempt.at("job_id"), job_id.c_str());
  EXPECT_EQ(attempt.at("type"), "job.succeeded");
  EXPECT_EQ(attempt.at("attempt"), 1);
  EXPECT_EQ(attempt.at("status"), 200);
  EXPECT_TRUE(attempt.at("error").is_null());

  const HttpResponse metrics = jobsd_.Get("/metrics");
  EXPECT_NE(metrics.body.find("\njobsd_webhook_deliveries_total{outcome=\"delivered\"} 1\n"),
            std::string::npos)
      << metrics.body;
  // Sent once: nothing more arrives.
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(receiver.Requests().size(), 1u);
  EXPECT_EQ(jobsd_.Stop().exit_code, 0);
}

TEST_F(WebhookLiveTest, TheNodeReceiverExampleAcceptsARealDeliveryAndRefusesATamperedOne) {
  const std::string node = NodeBinary();
  if (node.empty()) GTEST_SKIP() << "node is not on PATH";
  // The example needs the endpoint's secret to start, and the endpoint its
  // URL: a free port first, then both.
  const std::string port = std::to_string(FreeLoopbackPort());
  const std::string url = "http://127.0.0.1:" + port + "/hooks/jobsd";
  const auto [endpoint_id, secret] = AddEndpoint(url);
  Background receiver({node, std::string(JOBSD_SOURCE_DIR) + "/docs/examples/webhook-receiver.mjs"},
                      "webhook-receiver.mjs", {{"WEBHOOK_SECRET", secret}, {"PORT", port}});
  ASSERT_TRUE(receiver.WaitForOutput("listening on http://127.0.0.1:" + port + "/\n", 10s))
      << receiver.Stderr();
  ASSERT_TRUE(jobsd_.Start(kServeOptions));
  const std::string job_id = SubmitExport();

  boost::json::array attempts;
  ASSERT_TRUE(WaitUntil([&] { return !(attempts = Deliveries()).empty(); }, 15s))
      << receiver.Stdout() << receiver.Stderr();
  const boost::json::object& attempt = attempts[0].as_object();
  EXPECT_EQ(attempt.at("status"), 204) << boost::json::serialize(attempt);
  const std::string webhook_id(attempt.at("webhook_id").as_string());
  EXPECT_TRUE(receiver.WaitForOutput(
      "accepted " + webhook_id + " job.succeeded " + job_id + " success\n", 5s))
      << receiver.Stdout();

  // Signed as jobsd signs: accepted; the same with one byte changed: 401.
  const std::string body =
      "{\"type\":\"job.failed\",\"data\":{\"id\":\"x\",\"status\":\"failed\"}}";
  const std::string timestamp = std::to_string(NowSeconds());
  const std::vector<std::string> headers = {
      "Content-Type: application/json", "webhook-id: msg_test", "webhook-timestamp: " + timestamp,
      "webhook-signature: " + SignWebhook(secret, "msg_test", NowSeconds(), body)};
  EXPECT_EQ(Http(std::stoi(port), "POST", "/hooks/jobsd", headers, body).status, 204);
  std::string tampered = body;
  tampered[tampered.find("failed")] = 'F';
  EXPECT_EQ(Http(std::stoi(port), "POST", "/hooks/jobsd", headers, tampered).status, 401);
  EXPECT_TRUE(receiver.WaitForOutput("refused msg_test\n", 5s)) << receiver.Stdout();
  EXPECT_EQ(jobsd_.Stop().exit_code, 0);
}

// A bad value of a webhook option or its variable is bad usage: exit 2
// with one line naming it, before the store is touched.
TEST_F(WebhookLiveTest, BadWebhookOptionsAreExitTwoWithOneLine) {
  const RunResult zero = jobsd_.Jobsd({"serve", "--webhook-timeout", "0s"});
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_EQ(zero.out, "");
  EXPECT_EQ(std::count(zero.err.begin(), zero.err.end(), '\n'), 1) << zero.err;
  EXPECT_NE(zero.err.find("'0s' for --webhook-timeout"), std::string::npos) << zero.err;

  const RunResult bad = jobsd_.Jobsd({"serve", "--webhook-first-retry", "soon"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("'soon' for --webhook-first-retry"), std::string::npos) << bad.err;

  jobsd_.env()["JOBSD_WEBHOOK_RETRY_FOR"] = "1y";
  const RunResult from_env = jobsd_.Jobsd({"serve"});
  EXPECT_EQ(from_env.exit_code, 2);
  EXPECT_NE(from_env.err.find("JOBSD_WEBHOOK_RETRY_FOR"), std::string::npos) << from_env.err;
}

// Several nodes on one PostgreSQL store: every node polls the outbox, and
// FOR UPDATE SKIP LOCKED with the claim token keeps two from sending the
// same delivery at once. Each delivery fails twice, then succeeds: every
// attempt number of a webhook-id is recorded once, and the receiver got
// exactly as many requests for it as were recorded.
TEST_F(WebhookLiveTest, TwoNodesNeverSendTheSameDeliveryTwiceAtOnce) {
  if (!jobsd_.on_postgres()) GTEST_SKIP() << "several nodes share a PostgreSQL store only";
  std::mutex mutex;
  std::map<std::string, int> answered;  // by webhook-id
  WebhookReceiver receiver([&](int fd, const ReceivedRequest& request) {
    int seen = 0;
    {
      std::lock_guard lock(mutex);
      seen = ++answered[request.headers.at("webhook-id")];
    }
    WebhookReceiver::Answer(seen <= 2 ? 500 : 200)(fd, request);
  });
  AddEndpoint(receiver.Url());
  AddEndpoint(receiver.Url("/second"));
  ASSERT_TRUE(jobsd_.Start(kServeOptions));
  LiveJobsd other;
  other.env()["JOBSD_DB"] = jobsd_.store();
  ASSERT_TRUE(other.Start(kServeOptions));
  other.UseCredentials(jobsd_.client_id(), jobsd_.client_secret());
  for (int i = 0; i < 3; ++i) {
    const HttpResponse created = (i % 2 == 0 ? jobsd_ : other).PostExport("");
    ASSERT_EQ(created.status, 202) << created.body;
  }

  // 3 jobs x 2 endpoints, 3 attempts each.
  boost::json::array attempts;
  ASSERT_TRUE(WaitUntil([&] { return (attempts = Deliveries()).size() >= 18; }, 18s))
      << attempts.size() << " attempts recorded";
  std::map<std::string, std::set<std::int64_t>> numbers;
  for (const auto& value : attempts) {
    const boost::json::object& attempt = value.as_object();
    const std::string id(attempt.at("webhook_id").as_string());
    EXPECT_TRUE(numbers[id].insert(attempt.at("attempt").as_int64()).second)
        << "attempt " << attempt.at("attempt").as_int64() << " of " << id << " recorded twice";
  }
  EXPECT_EQ(numbers.size(), 6u);
  std::lock_guard lock(mutex);
  for (const auto& [id, seen] : numbers) {
    EXPECT_EQ(seen, (std::set<std::int64_t>{1, 2, 3})) << id;
    EXPECT_EQ(answered[id], 3) << id;
  }
  EXPECT_EQ(other.Stop().exit_code, 0);
  EXPECT_EQ(jobsd_.Stop().exit_code, 0);
}

}  // namespace
}  // namespace jobsd::testing
