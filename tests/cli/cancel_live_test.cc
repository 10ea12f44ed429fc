// Progress and cancellation on the real binary (API.md sections 10 and 12):
// a running export shows meta.progress, a cancel stops it and publishes no
// file, `jobsd jobs cancel` works on the store, and a cancel survives a
// kill -9 of the node that ran the job. On SQLite, and on PostgreSQL in the
// postgres: run (LiveJobsd reads JOBSD_TEST_STORE).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

#include "tests/support/live_jobsd.h"

namespace jobsd::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// Enough orders that an export runs for a while (a few seconds here), so
// that it is seen running and cancelled before it ends.
constexpr int kOrders = 400'000;

// One worker; a stop does not wait for a running export.
const std::vector<std::string> kServeOptions = {"--workers", "1", "--shutdown-grace", "1s"};

boost::json::object JobOf(const HttpResponse& response) {
  return boost::json::parse(response.body).at("data").as_object();
}

// The files (temporaries included) in the exports directory.
int FilesIn(const std::filesystem::path& dir) {
  if (!std::filesystem::exists(dir)) return 0;
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) ++files;
  }
  return files;
}

template <typename Predicate>
bool WaitUntil(Predicate predicate, std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (SteadyClock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return predicate();
}

class CancelLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(jobsd_.Jobsd({"orders", "seed", "--count", std::to_string(kOrders), "--seed", "9"})
                  .exit_code,
              0);
    ASSERT_TRUE(jobsd_.Start(kServeOptions));
  }

  // Submits an export of every order; its id.
  std::string SubmitExport() {
    const HttpResponse created = jobsd_.PostExport("");
    EXPECT_EQ(created.status, 202) << created.body;
    return std::string(JobOf(created).at("id").as_string());
  }

  HttpResponse GetJob(const std::string& id) {
    return jobsd_.Get("/v2/jobs/" + id, {jobsd_.AuthHeader()});
  }

  HttpResponse Cancel(const std::string& id) {
    return jobsd_.Post("/v2/jobs/" + id + "/cancel", "", {jobsd_.AuthHeader()});
  }

  LiveJobsd jobsd_;
};

TEST_F(CancelLiveTest, ARunningExportShowsProgressAndACancelStopsItWithoutAFile) {
  const std::string id = SubmitExport();
  boost::json::object seen;
  ASSERT_TRUE(WaitUntil(
      [&] {
        seen = JobOf(GetJob(id));
        return seen.at("meta").as_object().contains("progress");
      },
      20s))
      << boost::json::serialize(seen);
  EXPECT_EQ(seen.at("status"), "started");
  const auto& progress = seen.at("meta").at("progress").as_object();
  EXPECT_EQ(progress.at("rows_total"), kOrders) << "counted before the first row";
  EXPECT_LT(progress.at("rows_written").as_int64(), kOrders);
  EXPECT_EQ(progress.at("percent").as_int64(),
            100 * progress.at("rows_written").as_int64() / kOrders);
  EXPECT_EQ(progress.size(), 3u);

  const HttpResponse cancelled = Cancel(id);
  ASSERT_EQ(cancelled.status, 202) << cancelled.body;
  EXPECT_EQ(JobOf(cancelled).at("status"), "failed");
  EXPECT_EQ(JobOf(cancelled).at("error"), "Cancelled by request");
  EXPECT_FALSE(JobOf(cancelled).at("meta").as_object().contains("progress"));

  // The worker stops and removes its temporary file; nothing is published.
  EXPECT_TRUE(WaitUntil([&] { return FilesIn(jobsd_.exports()) == 0; }, 10s))
      << FilesIn(jobsd_.exports()) << " file(s) left in the exports directory";
  const boost::json::object after = JobOf(GetJob(id));
  EXPECT_EQ(after.at("status"), "failed");
  EXPECT_EQ(after.at("error"), "Cancelled by request");
  EXPECT_EQ(after.at("link").at("href"), "");
  EXPECT_EQ(jobsd_.Get("/v2/jobs/" + id + "/file", {jobsd_.AuthHeader()}).status, 422);

  // The worker is free again: the next job runs (one that matches nothing,
  // so it ends soon), and once it has ended a cancel is refused.
  const HttpResponse nothing = jobsd_.PostExport("eq(order_number,no-such-order)");
  ASSERT_EQ(nothing.status, 202) << nothing.body;
  const std::string next(JobOf(nothing).at("id").as_string());
  ASSERT_TRUE(WaitUntil([&] { return JobOf(GetJob(next)).at("status") == "failed"; }, 60s));
  const HttpResponse refused = Cancel(next);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("Job has already finished. Job status: failed"), std::string::npos);
  EXPECT_EQ(JobOf(GetJob(id)).at("status"), "failed") << "a cancelled job stays failed";
  const HttpResponse metrics = jobsd_.Get("/metrics");
  EXPECT_NE(metrics.body.find("\njobsd_jobs_cancelled_total 1\n"), std::string::npos);
}

TEST_F(CancelLiveTest, JobsCancelOnTheCommandLineThenKillNineLeavesItFailedWithNoFile) {
  const std::string id = SubmitExport();
  ASSERT_TRUE(WaitUntil([&] { return JobOf(GetJob(id)).at("status") == "started"; }, 20s));

  const RunResult cancelled = jobsd_.Jobsd({"jobs", "cancel", id, "--json"});
  ASSERT_EQ(cancelled.exit_code, 0) << cancelled.err;
  const auto printed = boost::json::parse(cancelled.out).at("data").as_object();
  EXPECT_EQ(printed.at("status"), "failed");
  EXPECT_EQ(printed.at("error"), "Cancelled by request");

  // kill -9 before the node may even have noticed.
  jobsd_.process()->Signal(SIGKILL);
  ASSERT_TRUE(jobsd_.process()->Wait(10s).has_value());
  ASSERT_TRUE(jobsd_.Start(kServeOptions));

  // The start-up sweep removes the dead run's temporary file; the job is
  // never run again nor rescued.
  EXPECT_TRUE(WaitUntil([&] { return FilesIn(jobsd_.exports()) == 0; }, 10s))
      << FilesIn(jobsd_.exports()) << " file(s) left in the exports directory";
  std::this_thread::sleep_for(1500ms);  // a rescue pass and a retention pass
  const boost::json::object after = JobOf(GetJob(id));
  EXPECT_EQ(after.at("status"), "failed");
  EXPECT_EQ(after.at("error"), "Cancelled by request");
  EXPECT_EQ(after.at("link").at("href"), "");
  EXPECT_EQ(FilesIn(jobsd_.exports()), 0);

  // Again: already finished, exit 1 with the reason; unknown: exit 1.
  const RunResult again = jobsd_.Jobsd({"jobs", "cancel", id});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.out, "");
  EXPECT_NE(again.err.find("has already finished"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("Job status: failed"), std::string::npos) << again.err;
  const RunResult unknown = jobsd_.Jobsd({"jobs", "cancel", "no-such-job"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no job with id no-such-job"), std::string::npos) << unknown.err;
  EXPECT_EQ(jobsd_.Jobsd({"jobs", "cancel"}).exit_code, 2) << "the id is required";
}

}  // namespace
}  // namespace jobsd::testing
