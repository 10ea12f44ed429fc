#include "api/job_json.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/api/api_world.h"
#include "tests/api/job_json_oracle.h"

namespace jobsd::api {
namespace {

using testing::S;

constexpr std::string_view kBase = "http://127.0.0.1:8080";

// The job object of JobDocument, parsed.
boost::json::object JobToJson(const Job& job, std::string_view public_url) {
  return boost::json::parse(JobDocument(job, public_url)).at("data").as_object();
}

boost::json::object JobListToJson(const JobPage& page, const ListJobsRequest& request,
                                  std::string_view public_url) {
  return boost::json::parse(JobListDocument(page, request, public_url)).as_object();
}

Job SampleJob(JobStatus status) {
  Job job;
  job.id = "974c9db4-38da-4dbf-90c2-33eed5f3e77c";
  job.job_type = "order_export";
  job.status = status;
  job.created_at = 1538651329156490335;
  job.updated_at = 1538651329162867081;
  job.attempts = 1;
  return job;
}

TEST(JobToJsonTest, FailedJobMatchesTheContractExample) {
  Job job = SampleJob(JobStatus::kFailed);
  job.error = "No results matched the supplied filter";
  boost::json::object json = JobToJson(job, kBase);
  json.erase("meta");  // an allowed addition, checked below
  const auto expected = boost::json::parse(R"({
    "id": "974c9db4-38da-4dbf-90c2-33eed5f3e77c",
    "type": "job",
    "job_type": "order_export",
    "status": "failed",
    "error": "No results matched the supplied filter",
    "link": { "href": "" },
    "links": { "self": "http://127.0.0.1:8080/v2/jobs/974c9db4-38da-4dbf-90c2-33eed5f3e77c" },
    "timestamps": {
      "created_at": "2018-10-04T11:08:49.156490335Z",
      "updated_at": "2018-10-04T11:08:49.162867081Z"
    }
  })");
  EXPECT_EQ(boost::json::value(json), expected);
}

TEST(JobToJsonTest, ErrorIsAbsentUnlessFailed) {
  for (JobStatus status : {JobStatus::kPending, JobStatus::kStarted, JobStatus::kSuccess}) {
    Job job = SampleJob(status);
    job.error = "a retryable error from an earlier attempt";
    EXPECT_FALSE(JobToJson(job, kBase).contains("error")) << ToString(status);
  }
}

TEST(JobToJsonTest, LinkHrefIsTheExportUrlOnlyOnSuccess) {
  Job job = SampleJob(JobStatus::kStarted);
  job.artifact = Artifact{"/e/x.csv", "abc123", "text/csv; charset=utf-8", "x.csv", 5};
  EXPECT_EQ(JobToJson(job, kBase).at("link").at("href"), "");
  job.status = JobStatus::kSuccess;
  job.result = "{\"row_count\":42}";
  const boost::json::object json = JobToJson(job, kBase);
  EXPECT_EQ(json.at("link").at("href"), "http://127.0.0.1:8080/exports/abc123.csv");
  EXPECT_EQ(json.at("meta").at("row_count"), 42);
  EXPECT_EQ(json.at("meta").at("attempts"), 1);
}

TEST(JobListToJsonTest, PageArithmetic) {
  static const struct {
    std::int64_t total;
    int limit;
    std::int64_t offset;
    std::int64_t current, pages, last_offset;
    std::optional<std::int64_t> next, prev;
  } kCases[] = {
      {0, 25, 0, 1, 1, 0, std::nullopt, std::nullopt},
      {88, 25, 0, 1, 4, 75, 25, std::nullopt},
      {88, 25, 75, 4, 4, 75, std::nullopt, 50},
      {100, 25, 75, 4, 4, 75, std::nullopt, 50},  // exact multiple
      {100, 25, 50, 3, 4, 75, 75, 25},
      {10, 25, 500, 21, 1, 0, std::nullopt, 0},  // past the end: prev is the last page
      {10, 3, 4, 2, 4, 9, 7, 1},                 // offset not a multiple of the limit
      {3, 1, 2, 3, 3, 2, std::nullopt, 1},
  };
  for (const auto& c : kCases) {
    JobPage page;
    page.total = c.total;
    const ListJobsRequest request{"", c.limit, c.offset};
    const boost::json::object json = JobListToJson(page, request, kBase);
    const std::string name = "total " + std::to_string(c.total) + " limit " +
                             std::to_string(c.limit) + " offset " + std::to_string(c.offset);
    const auto& meta_page = json.at("meta").at("page");
    EXPECT_EQ(meta_page.at("current"), c.current) << name;
    EXPECT_EQ(meta_page.at("total"), c.pages) << name;
    EXPECT_EQ(meta_page.at("limit"), c.limit) << name;
    EXPECT_EQ(meta_page.at("offset"), c.offset) << name;
    EXPECT_EQ(json.at("meta").at("results").at("total"), c.total) << name;
    const auto& links = json.at("links");
    auto url = [&](std::int64_t offset) {
      return "http://127.0.0.1:8080/v2/jobs?page[limit]=" + std::to_string(c.limit) +
             "&page[offset]=" + std::to_string(offset);
    };
    EXPECT_EQ(S(links.at("current")), url(c.offset)) << name;
    EXPECT_EQ(S(links.at("first")), url(0)) << name;
    EXPECT_EQ(S(links.at("last")), url(c.last_offset)) << name;
    EXPECT_EQ(links.at("next"),
              boost::json::value(c.next ? boost::json::value(url(*c.next)) : nullptr))
        << name;
    EXPECT_EQ(links.at("prev"),
              boost::json::value(c.prev ? boost::json::value(url(*c.prev)) : nullptr))
        << name;
    EXPECT_TRUE(json.at("data").as_array().empty());
  }
}

TEST(JobListToJsonTest, LinksCarryTheFilterEncoded) {
  const ListJobsRequest request{"eq(status,success):gt(created_at,2024-01-01T00:00:00+02:00)", 25,
                                0};
  const boost::json::object json = JobListToJson(JobPage{}, request, kBase);
  EXPECT_EQ(S(json.at("links").at("first")),
            "http://127.0.0.1:8080/v2/jobs?page[limit]=25&page[offset]=0&filter="
            "eq%28status%2Csuccess%29%3Agt%28created_at%2C2024-01-01T00%3A00%3A00%2B02%3A00%29");
}

}  // namespace
}  // namespace jobsd::api
