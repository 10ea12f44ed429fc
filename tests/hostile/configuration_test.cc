// Configuration a careless operator gives jobsd, and the retention in force
// (docs/jobs.md and the README's "Security and limits"): bad values stop `serve` at start-up with
// one line, never a service that says ready and then fails or loses jobs.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <thread>

#include "tests/support/live_jobsd.h"

namespace jobsd {
namespace {

using namespace std::chrono_literals;
using testing::HttpResponse;
using testing::LiveJobsd;
using testing::RunResult;

std::size_t Lines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

boost::json::object Data(const HttpResponse& response) {
  return boost::json::parse(response.body).as_object()["data"].as_object();
}

// Polls GET /v2/jobs/{id} until the job ends; its last document.
boost::json::object WaitForEnd(LiveJobsd& live, const std::string& id) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  boost::json::object job;
  while (std::chrono::steady_clock::now() < deadline) {
    HttpResponse got = live.Get("/v2/jobs/" + id, {live.AuthHeader()});
    if (got.status != 200) break;
    job = Data(got);
    if (job["status"] == "success" || job["status"] == "failed") break;
    std::this_thread::sleep_for(50ms);
  }
  return job;
}

std::size_t CsvFiles(const std::filesystem::path& directory) {
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    count += entry.path().extension() == ".csv";
  }
  return count;
}

TEST(ConfigurationTest, ARetentionTooLongForAnExpiryIsRefusedBeforeAnyJobIsTaken) {
  LiveJobsd live;
  RunResult serve = live.Jobsd({"serve", "--retention", "100000d"});
  EXPECT_EQ(serve.exit_code, 2) << serve.err;
  EXPECT_NE(serve.err.find("--retention"), std::string::npos) << serve.err;
  EXPECT_NE(serve.err.find("too long"), std::string::npos) << serve.err;
  EXPECT_EQ(Lines(serve.err), 1u) << serve.err;
  EXPECT_EQ(serve.out.find("listening"), std::string::npos);

  live.env()["JOBSD_RETENTION"] = "100000d";
  RunResult submit = live.Jobsd({"jobs", "submit", "--type", "order_export"});
  EXPECT_EQ(submit.exit_code, 2) << submit.err;
  EXPECT_NE(submit.err.find("JOBSD_RETENTION"), std::string::npos) << submit.err;
  live.env().erase("JOBSD_RETENTION");

  RunResult list = live.Jobsd({"jobs", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(boost::json::parse(list.out).as_object()["data"].as_array().empty()) << list.out;
}

TEST(ConfigurationTest, APublicUrlThatCouldInjectHeadersOrBreakLinksIsRefused) {
  LiveJobsd live;
  for (const std::string url :
       {"http://127.0.0.1:1\r\nSet-Cookie: session=stolen", "http://", "ftp://files.test",
        "jobs.example.com", "http://jobs.example.com?x=1"}) {
    RunResult serve = live.Jobsd({"serve", "--public-url", url});
    EXPECT_EQ(serve.exit_code, 2) << url << ": " << serve.err;
    EXPECT_NE(serve.err.find("--public-url"), std::string::npos) << serve.err;
    EXPECT_EQ(Lines(serve.err), 1u) << serve.err;
  }

  // A good one keeps its path: links and Location are built on it.
  ASSERT_TRUE(live.Start({"--public-url", "https://jobs.example.com/base/"}));
  HttpResponse created = live.PostExport("");
  ASSERT_EQ(created.status, 202) << created.body;
  const std::string id(Data(created)["id"].as_string());
  EXPECT_EQ(created.headers["location"], "https://jobs.example.com/base/v2/jobs/" + id);
  EXPECT_EQ(created.headers.count("set-cookie"), 0u);
}

TEST(RetentionTest, AShorterRetentionExpiresOlderJobsAndTheirFilesAtOnce) {
  LiveJobsd live;
  ASSERT_EQ(live.Jobsd({"orders", "seed", "--count", "20"}).exit_code, 0);
  ASSERT_TRUE(live.Start());
  HttpResponse created = live.PostExport("");
  ASSERT_EQ(created.status, 202) << created.body;
  const std::string id(Data(created)["id"].as_string());
  boost::json::object job = WaitForEnd(live, id);
  ASSERT_EQ(job["status"], "success") << job;
  const std::string href(job["link"].as_object()["href"].as_string());
  EXPECT_EQ(CsvFiles(live.exports()), 1u);
  EXPECT_EQ(live.Stop().exit_code, 0);

  // Served again with a retention shorter than the job's age: the job is
  // gone at once, its link dead, its file deleted within 10 seconds.
  std::this_thread::sleep_for(1100ms);
  ASSERT_TRUE(live.Start({"--retention", "1s"}));
  EXPECT_EQ(live.Get("/v2/jobs/" + id, {live.AuthHeader()}).status, 404);
  HttpResponse list = live.Get("/v2/jobs", {live.AuthHeader()});
  EXPECT_EQ(list.status, 200);
  EXPECT_TRUE(boost::json::parse(list.body).as_object()["data"].as_array().empty()) << list.body;
  EXPECT_EQ(live.Get(testing::UrlPath(href)).status, 404);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (CsvFiles(live.exports()) > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(CsvFiles(live.exports()), 0u);
}

TEST(RetentionTest, ALongerRetentionKeepsJobsThatTheShorterOneWouldHaveExpired) {
  LiveJobsd live;
  ASSERT_TRUE(live.Start({"--retention", "3s"}));
  const auto created_at = std::chrono::steady_clock::now();
  HttpResponse created = live.PostExport("");
  ASSERT_EQ(created.status, 202) << created.body;
  const std::string id(Data(created)["id"].as_string());
  EXPECT_EQ(live.Stop().exit_code, 0);

  ASSERT_TRUE(live.Start({"--retention", "7d"}));
  std::this_thread::sleep_until(created_at + 3500ms);
  EXPECT_EQ(live.Get("/v2/jobs/" + id, {live.AuthHeader()}).status, 200);
}

}  // namespace
}  // namespace jobsd
