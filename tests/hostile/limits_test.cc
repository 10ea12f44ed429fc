// Limits against clients that take too much (issue 9, the README's "Security and limits"):
// active jobs per client, throttled secret guessing, a token cap, free disk
// kept by exports, and credentials an operator can list and revoke. Each
// runs the real `jobsd serve` over real sockets.
#include <gtest/gtest.h>
#include <sys/statvfs.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/live_jobsd.h"

namespace jobsd {
namespace {

using namespace std::chrono_literals;
using testing::HttpResponse;
using testing::LiveJobsd;

boost::json::object ParseObject(const std::string& text) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) return {};
  return value.as_object();
}

// The one error of an error envelope (docs/errors.md), or an empty object.
boost::json::object FirstError(const HttpResponse& response) {
  boost::json::object body = ParseObject(response.body);
  if (!body.contains("errors") || !body["errors"].is_array() || body["errors"].as_array().empty()) {
    return {};
  }
  return body["errors"].as_array()[0].as_object();
}

std::string StringField(const boost::json::object& object, const char* key) {
  const boost::json::value* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : "";
}

std::string ExportBody(const std::string& filter) {
  boost::json::object data{{"type", "job"}, {"job_type", "order_export"}, {"filter", filter}};
  return boost::json::serialize(boost::json::object{{"data", data}});
}

HttpResponse RequestToken(LiveJobsd& jobsd, const std::string& client_id,
                          const std::string& secret) {
  return jobsd.Post(
      "/oauth/access_token",
      "grant_type=client_credentials&client_id=" + client_id + "&client_secret=" + secret,
      {"Content-Type: application/x-www-form-urlencoded"});
}

std::string TokenOf(const HttpResponse& granted) {
  return StringField(ParseObject(granted.body), "access_token");
}

// A second API client made with `jobsd credentials create --json`.
struct Client {
  std::string id, secret;
};
Client CreateClient(const LiveJobsd& jobsd) {
  testing::RunResult created = jobsd.Jobsd({"credentials", "create", "--json"});
  EXPECT_EQ(created.exit_code, 0) << created.err;
  boost::json::object parsed = ParseObject(created.out);
  return {StringField(parsed, "client_id"), StringField(parsed, "client_secret")};
}

// Polls GET /v2/jobs/{id} until the job leaves pending/started; its data.
boost::json::object WaitForOutcome(LiveJobsd& jobsd, const std::string& id) {
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline) {
    HttpResponse got = jobsd.Get("/v2/jobs/" + id, {jobsd.AuthHeader()});
    boost::json::object data = ParseObject(got.body)["data"].as_object();
    const std::string status = StringField(data, "status");
    if (status == "success" || status == "failed") return data;
    std::this_thread::sleep_for(50ms);
  }
  ADD_FAILURE() << "job " << id << " did not finish";
  return {};
}

// Section 15: at most --max-active-jobs jobs pending or started per
// client. The exports directory is replaced by a file once serve runs, so
// every export fails in a retryable way and its job goes back to pending
// with a backoff: the jobs stay active for the whole test. There are orders
// to export: an export that matches none fails at once, before it writes.
TEST(LimitsTest, OneJobMoreThanMaxActiveJobsAnswers429WithRetryAfter) {
  LiveJobsd jobsd;
  ASSERT_TRUE(jobsd.Start({"--max-active-jobs", "3", "--workers", "1"}));
  std::filesystem::remove_all(jobsd.exports());
  testing::WriteFile(jobsd.exports(), "not a directory");
  testing::RunResult seeded = jobsd.Jobsd({"orders", "seed", "--count", "5"});
  ASSERT_EQ(seeded.exit_code, 0) << seeded.err;

  // Jobs of the command line belong to no client and count for none.
  for (int i = 0; i < 3; ++i) {
    testing::RunResult submitted = jobsd.Jobsd({"jobs", "submit", "--type", "order_export"});
    ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  }
  std::string first_id;
  for (int i = 0; i < 3; ++i) {
    HttpResponse created = jobsd.Post("/v2/jobs", ExportBody(""),
                                      {jobsd.AuthHeader(), "Content-Type: application/json",
                                       "Idempotency-Key: key-" + std::to_string(i)});
    ASSERT_EQ(created.status, 202) << created.body;
    if (i == 0) first_id = StringField(ParseObject(created.body)["data"].as_object(), "id");
  }

  HttpResponse refused = jobsd.PostExport("");
  EXPECT_EQ(refused.status, 429) << refused.body;
  const boost::json::object error = FirstError(refused);
  EXPECT_EQ(error.at("status").as_int64(), 429);
  EXPECT_EQ(StringField(error, "title"), "Too Many Requests");
  EXPECT_NE(StringField(error, "detail").find("3"), std::string::npos) << refused.body;
  EXPECT_NE(StringField(error, "detail").find("--max-active-jobs"), std::string::npos);
  EXPECT_FALSE(StringField(error, "request_id").empty());
  ASSERT_TRUE(refused.headers.contains("retry-after"));
  EXPECT_GT(std::stoi(refused.headers["retry-after"]), 0);

  // A repeat of an Idempotency-Key is the same job, not a new one.
  HttpResponse repeat =
      jobsd.Post("/v2/jobs", ExportBody(""),
                 {jobsd.AuthHeader(), "Content-Type: application/json", "Idempotency-Key: key-0"});
  EXPECT_EQ(repeat.status, 202) << repeat.body;
  EXPECT_EQ(StringField(ParseObject(repeat.body)["data"].as_object(), "id"), first_id);

  // Another client has its own allowance.
  const Client other = CreateClient(jobsd);
  const std::string token = TokenOf(RequestToken(jobsd, other.id, other.secret));
  HttpResponse theirs =
      jobsd.Post("/v2/jobs", ExportBody(""),
                 {"Authorization: Bearer " + token, "Content-Type: application/json"});
  EXPECT_EQ(theirs.status, 202) << theirs.body;
}

// The count and the insert are one write transaction: a burst of POSTs at
// the limit lets exactly the allowance through.
TEST(LimitsTest, ConcurrentPostsAtTheLimitCreateNoMoreThanMaxActiveJobs) {
  LiveJobsd jobsd;
  ASSERT_TRUE(jobsd.Start({"--max-active-jobs", "5", "--workers", "1"}));
  std::filesystem::remove_all(jobsd.exports());
  testing::WriteFile(jobsd.exports(), "not a directory");
  // Orders to export, so that every export fails retryably and its job
  // stays active (an export that matches nothing fails for good at once).
  testing::RunResult seeded = jobsd.Jobsd({"orders", "seed", "--count", "5"});
  ASSERT_EQ(seeded.exit_code, 0) << seeded.err;
  const std::string auth = jobsd.AuthHeader();

  std::atomic<int> accepted{0}, limited{0}, other{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 16; ++i) {
    clients.emplace_back([&] {
      HttpResponse response =
          testing::Http(jobsd.port(), "POST", "/v2/jobs", {auth, "Content-Type: application/json"},
                        ExportBody(""));
      (response.status == 202 ? accepted : response.status == 429 ? limited : other)++;
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(accepted.load(), 5);
  EXPECT_EQ(limited.load(), 11);
  EXPECT_EQ(other.load(), 0);
}

// Section 15: after 10 failed attempts for one client_id within a minute,
// further attempts for it answer 429 with Retry-After, even with the right
// secret; other clients are not affected.
TEST(LimitsTest, TenWrongSecretsWithinAMinuteThrottleThatClientIdOnly) {
  LiveJobsd jobsd;
  ASSERT_TRUE(jobsd.Start());
  const Client other = CreateClient(jobsd);
  const std::string issued_before = jobsd.AuthHeader();

  for (int i = 0; i < 10; ++i) {
    HttpResponse wrong = RequestToken(jobsd, jobsd.client_id(), "wrong-secret");
    ASSERT_EQ(wrong.status, 401) << "attempt " << i + 1 << ": " << wrong.body;
  }
  HttpResponse throttled = RequestToken(jobsd, jobsd.client_id(), jobsd.client_secret());
  EXPECT_EQ(throttled.status, 429) << throttled.body;
  EXPECT_EQ(StringField(FirstError(throttled), "title"), "Too Many Requests");
  ASSERT_TRUE(throttled.headers.contains("retry-after"));
  const int retry_after = std::stoi(throttled.headers["retry-after"]);
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 60);
  EXPECT_EQ(RequestToken(jobsd, jobsd.client_id(), "wrong-again").status, 429);

  // Another client: its right secret works, its wrong one is a plain 401.
  EXPECT_EQ(RequestToken(jobsd, other.id, other.secret).status, 200);
  EXPECT_EQ(RequestToken(jobsd, other.id, "wrong-secret").status, 401);
  // Tokens issued before keep working: only new guesses are refused.
  EXPECT_EQ(jobsd.Get("/v2/jobs", {issued_before}).status, 200);
}

// Section 15: a client holds at most 100 live tokens; one more retires its
// oldest, which answers 401 at once.
TEST(LimitsTest, TheHundredAndFirstTokenRetiresTheOldest) {
  LiveJobsd jobsd;
  ASSERT_TRUE(jobsd.Start());
  std::vector<std::string> tokens;
  for (int i = 0; i < 100; ++i) {
    tokens.push_back(TokenOf(RequestToken(jobsd, jobsd.client_id(), jobsd.client_secret())));
    ASSERT_FALSE(tokens.back().empty());
  }
  // Used (and so remembered by the server) before it is retired.
  EXPECT_EQ(jobsd.Get("/v2/jobs", {"Authorization: Bearer " + tokens[0]}).status, 200);

  const std::string newest = TokenOf(RequestToken(jobsd, jobsd.client_id(), jobsd.client_secret()));
  EXPECT_EQ(jobsd.Get("/v2/jobs", {"Authorization: Bearer " + tokens[0]}).status, 401);
  EXPECT_EQ(jobsd.Get("/v2/jobs", {"Authorization: Bearer " + tokens[1]}).status, 200);
  EXPECT_EQ(jobsd.Get("/v2/jobs", {"Authorization: Bearer " + newest}).status, 200);

  testing::RunResult listed = jobsd.Jobsd({"credentials", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  boost::json::array clients = ParseObject(listed.out)["data"].as_array();
  ASSERT_EQ(clients.size(), 1u) << listed.out;
  EXPECT_EQ(clients[0].as_object()["live_tokens"].as_int64(), 100);
}

// Section 15: --min-free-disk is kept free on the exports' file system. Set
// above what is free now, any export would cross it: the job fails saying
// so (no path), leaves no file, and the API keeps answering.
TEST(LimitsTest, ExportThatWouldCrossMinFreeDiskFailsAndLeavesNoFile) {
  LiveJobsd jobsd;
  std::filesystem::create_directories(jobsd.exports());
  struct statvfs stats {};
  ASSERT_EQ(::statvfs(jobsd.exports().c_str(), &stats), 0);
  const auto free_bytes = static_cast<long long>(stats.f_bavail) * stats.f_frsize;
  // Well above: other processes on this machine free space too.
  const std::string reserve = std::to_string(free_bytes + (8LL << 30));
  ASSERT_TRUE(jobsd.Start({"--min-free-disk", reserve}));
  testing::RunResult seeded = jobsd.Jobsd({"orders", "seed", "--count", "50"});
  ASSERT_EQ(seeded.exit_code, 0) << seeded.err;

  HttpResponse created = jobsd.PostExport("");
  ASSERT_EQ(created.status, 202) << created.body;
  const std::string id = StringField(ParseObject(created.body)["data"].as_object(), "id");
  const boost::json::object job = WaitForOutcome(jobsd, id);
  EXPECT_EQ(StringField(job, "status"), "failed");
  const std::string error = StringField(job, "error");
  EXPECT_NE(error.find("disk is full"), std::string::npos) << error;
  EXPECT_NE(error.find("--min-free-disk"), std::string::npos) << error;
  EXPECT_EQ(error.find('/'), std::string::npos) << "a path in: " << error;

  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::directory_iterator(jobsd.exports())) {
    left.push_back(entry.path().filename().string());
  }
  EXPECT_TRUE(left.empty()) << ::testing::PrintToString(left);
  EXPECT_EQ(jobsd.Get("/healthz").status, 200);
  EXPECT_EQ(jobsd.Get("/v2/jobs", {jobsd.AuthHeader()}).status, 200);
}

TEST(LimitsTest, MinFreeDiskThatIsNotASizeStopsServeWithExitCodeTwo) {
  LiveJobsd jobsd;
  testing::RunResult bad = jobsd.Jobsd({"serve", "--min-free-disk", "1GB"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--min-free-disk"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("1GB"), std::string::npos) << bad.err;
  // A store that cannot be opened, so that a serve which let the value
  // through would stop anyway instead of serving until the test times out.
  testing::WriteFile(jobsd.dir() / "plain-file", "");
  jobsd.env()["JOBSD_DB"] = (jobsd.dir() / "plain-file" / "store.db").string();
  jobsd.env()["JOBSD_MAX_ACTIVE_JOBS"] = "lots";
  testing::RunResult env = jobsd.Jobsd({"serve"});
  EXPECT_EQ(env.exit_code, 2);
  EXPECT_NE(env.err.find("JOBSD_MAX_ACTIVE_JOBS"), std::string::npos) << env.err;
}

// Section 15: `credentials list` shows clients and their live tokens, never
// secrets; `credentials revoke` makes a running serve refuse the client's
// tokens within a second.
TEST(LimitsTest, RevokedClientsTokensStopWorkingWithinASecond) {
  LiveJobsd jobsd;
  ASSERT_TRUE(jobsd.Start());
  const Client other = CreateClient(jobsd);
  const std::string auth =
      "Authorization: Bearer " + TokenOf(RequestToken(jobsd, other.id, other.secret));
  ASSERT_EQ(jobsd.Get("/v2/jobs", {auth}).status, 200);  // now remembered by the server

  testing::RunResult listed = jobsd.Jobsd({"credentials", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find(other.id), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find(jobsd.client_id()), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find(other.secret), std::string::npos) << "a secret is shown";
  EXPECT_EQ(listed.out.find(jobsd.client_secret()), std::string::npos) << "a secret is shown";

  testing::RunResult revoked = jobsd.Jobsd({"credentials", "revoke", other.id});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  const auto revoked_at = std::chrono::steady_clock::now();
  int status = 200;
  while (status == 200 && std::chrono::steady_clock::now() - revoked_at < 3s) {
    status = jobsd.Get("/v2/jobs", {auth}).status;
    if (status == 200) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(status, 401);
  EXPECT_LT(std::chrono::steady_clock::now() - revoked_at, 1s);
  // The other client is untouched; the revoked one cannot get a new token.
  EXPECT_EQ(jobsd.Get("/v2/jobs", {jobsd.AuthHeader()}).status, 200);
  EXPECT_EQ(RequestToken(jobsd, other.id, other.secret).status, 401);

  testing::RunResult unknown = jobsd.Jobsd({"credentials", "revoke", other.id});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find(other.id), std::string::npos) << unknown.err;
}

}  // namespace
}  // namespace jobsd
