// The hand-written job documents against the Boost.JSON DOM they replaced
// (tests/api/job_json_oracle.h): the same bytes for every job, including
// the awkward ones: escapes, non-ASCII text, ill-formed UTF-8, absent
// fields, failed jobs, odd public URLs and filters.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cstdint>
#include <random>
#include <vector>

#include "api/job_json.h"
#include "tests/api/job_json_oracle.h"

namespace jobsd::api {
namespace {

using namespace std::string_literals;  // "...\0..."s keeps the NUL

// Text that exercises every escaping rule and every kind of ill-formed
// UTF-8 the repair knows.
const std::vector<std::string> kTrickyTexts = {
    "",
    "plain ascii",
    "quote \" backslash \\ slash / ",
    "controls \b\f\n\r\t \x01\x1f and DEL \x7f",
    "nul \0 inside"s,
    "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9D\x84\x9E \xE4\xB8\xAD\xE6\x96\x87",  // é € 𝄞 中文
    "\xEF\xBF\xBD already a replacement character",
    "lone \xFF and \xFE bytes",
    "lone continuation \x80\xBF",
    "truncated \xE2\x82",
    "truncated at the end \xF0\x9F\x98",
    "\xC3",
    "overlong \xC0\xAF \xE0\x80\xAF \xF0\x80\x80\xAF",
    "surrogate \xED\xA0\x80 and \xED\xBF\xBF",
    "above U+10FFFF \xF4\x90\x80\x80 and \xF5\x80\x80\x80",
    "largest \xF4\x8F\xBF\xBF and \xEF\xBF\xBF",
    "mixed \"\xC3\xA9\xFF\n\xE2\x82\xAC\\",
};

const std::vector<std::string> kPublicUrls = {
    "http://127.0.0.1:8080",
    "",
    "https://jobs.example.com/base path",
    "http://h\xC3\xA9st.example:1/\"quoted\"\\",
    "http://bad\xFF.example",
};

Job BaseJob() {
  Job job;
  job.id = "974c9db4-38da-4dbf-90c2-33eed5f3e77c";
  job.job_type = "order_export";
  job.created_at = 1538651329156490335;
  job.updated_at = 1538651329162867081;
  job.attempts = 1;
  return job;
}

// Jobs in every status, with every optional field absent or present.
std::vector<Job> Jobs() {
  std::vector<Job> jobs;
  for (JobStatus status : kAllJobStatuses) {
    Job job = BaseJob();
    job.status = status;
    jobs.push_back(job);  // nothing optional set: a failed job without an error
    job.error = "No results matched the supplied filter";
    job.artifact = Artifact{"/exports/a.csv", "0f3c9a", "text/csv; charset=utf-8", "a.csv", 1};
    job.result = "{\"row_count\":0}";
    jobs.push_back(job);
    job.result = "{\"row_count\":1234567890123}";
    job.interruptions = 3;
    job.attempts = 5;
    job.created_at = 0;  // the epoch: no fraction
    job.updated_at = 1700000000100000000;
    jobs.push_back(job);
    // Progress shows on started jobs only (docs/jobs.md).
    job.progress = JobProgress{2, 3};
    jobs.push_back(job);
  }
  // The percent's edges: a total of 0, a done run, rounding down, totals
  // where 100 * written overflows 64 bits.
  for (const JobProgress progress :
       {JobProgress{0, 0}, JobProgress{0, 1}, JobProgress{999, 1000}, JobProgress{1000, 1000},
        JobProgress{1, 3}, JobProgress{std::int64_t{1} << 61, (std::int64_t{1} << 62) - 1},
        JobProgress{(std::int64_t{1} << 62) - 2, (std::int64_t{1} << 62) - 1}}) {
    Job job = BaseJob();
    job.status = JobStatus::kStarted;
    job.progress = progress;
    jobs.push_back(job);
  }
  for (const std::string& text : kTrickyTexts) {
    Job job = BaseJob();
    job.status = JobStatus::kFailed;
    job.error = text;
    job.job_type = text;
    jobs.push_back(job);
    job.status = JobStatus::kSuccess;
    job.id = text;
    job.artifact = Artifact{"k", text, "text/plain", "f", std::nullopt};
    jobs.push_back(job);
  }
  // Results of other job types: any members, in the type's order; an empty
  // object adds none.
  for (const std::string result : {"{}", "{\"delivered\":true,\"status\":204,\"to\":\"a\\\"b\"}",
                                   "{\"nested\":{\"a\":[1,2]}}"}) {
    Job job = BaseJob();
    job.status = JobStatus::kSuccess;
    job.result = result;
    job.interruptions = 2;
    jobs.push_back(job);
  }
  return jobs;
}

TEST(JobJsonBytesTest, OneJobMatchesTheDomSerializer) {
  for (const std::string& url : kPublicUrls) {
    for (const Job& job : Jobs()) {
      EXPECT_EQ(JobDocument(job, url), oracle::JobDocumentBytes(job, url))
          << "url [" << url << "] id [" << job.id << "] error [" << job.error.value_or("-") << "]";
    }
  }
}

TEST(JobJsonBytesTest, ListMatchesTheDomSerializer) {
  const std::vector<Job> jobs = Jobs();
  static const struct {
    std::size_t count;
    std::int64_t total;
    int limit;
    std::int64_t offset;
  } kPages[] = {
      {0, 0, 25, 0},
      {1, 1, 25, 0},
      {3, 88, 25, 75},
      {10, 100, 10, 50},
      {0, 10, 25, 500},
      {4, 10, 3, 4},
      {0, 5, 0, 0},  // limit 0 counts as 1
      {jobs.size(), 1000000, 100, 999900},
  };
  const std::vector<std::string> filters = {
      "", "eq(status,success):gt(created_at,2024-01-01T00:00:00+02:00)",
      "eq(job_type,h\xC3\xA9llo \"x\" \xFF)"};
  for (const std::string& url : kPublicUrls) {
    for (const std::string& filter : filters) {
      for (const auto& p : kPages) {
        JobPage page;
        page.total = p.total;
        page.jobs.assign(jobs.begin(), jobs.begin() + static_cast<std::ptrdiff_t>(p.count));
        const ListJobsRequest request{filter, p.limit, p.offset};
        EXPECT_EQ(JobListDocument(page, request, url),
                  oracle::JobListDocumentBytes(page, request, url))
            << "url [" << url << "] filter [" << filter << "] limit " << p.limit << " offset "
            << p.offset;
      }
    }
  }
}

// Random bytes, weighted towards the ones that need care, in every string
// field: what the tables above did not think of.
TEST(JobJsonBytesTest, RandomTextMatchesTheDomSerializer) {
  std::mt19937 random(20261128);  // fixed: a failure can be replayed
  const std::string alphabet = "aZ09-/\"\\\b\f\n\r\t\x01\x1f\x7f"s + "\0"s +
                               "\x80\xBF\xC0\xC2\xC3\xA9\xDF\xE0\xE2\x82\xAC\xED\xA0\xEF\xF0\x90"
                               "\x9F\xF4\x8F\xF5\xFF";
  auto text = [&] {
    std::string out(random() % 12, ' ');
    for (char& c : out) c = alphabet[random() % alphabet.size()];
    return out;
  };
  for (int i = 0; i < 2000; ++i) {
    Job job = BaseJob();
    job.status = kAllJobStatuses[random() % kAllJobStatuses.size()];
    job.id = text();
    job.job_type = text();
    job.error = text();
    job.artifact = Artifact{"k", text(), "text/csv; charset=utf-8", "f.csv", std::nullopt};
    const std::string url = text();
    const std::string written = JobDocument(job, url);
    ASSERT_EQ(written, oracle::JobDocumentBytes(job, url)) << "case " << i;
    boost::system::error_code ec;
    boost::json::parse(written, ec);
    ASSERT_FALSE(ec) << "case " << i << ": not JSON: " << written;
  }
}

}  // namespace
}  // namespace jobsd::api
