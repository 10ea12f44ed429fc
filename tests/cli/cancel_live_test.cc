// Progress and cancellation on the real binary (docs/jobs.md):
// a running export shows meta.progress, `jobsd jobs cancel` works on the
// store, and a cancel survives a kill -9 of the node that ran the job. On SQLite, and on PostgreSQL
// in the postgres: run (LiveJobsd reads JOBSD_TEST_STORE).
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

// Enough orders that an export runs for a while (a second or more), so
// that it is seen running and cancelled (by `jobs cancel`, a process of its
// own, slow to start under a sanitizer) before it ends.
#if defined(__SANITIZE_THREAD__)
constexpr int kOrders = 20'000;  // the TSan build (Debug) is many times slower
#else
constexpr int kOrders = 80'000;
#endif

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

// One test, as seeding orders is the slow part: the export is seen running
// with its progress, cancelled from the command line, and the node killed
// with SIGKILL before it may even have noticed; after a restart the job is
// failed with no file, the temporary removed, and it is never run again.
TEST_F(CancelLiveTest, ARunningExportCancelledThenKillNineStaysFailedWithNoFile) {
  const std::string id = SubmitExport();
  boost::json::object seen;
  ASSERT_TRUE(WaitUntil(
      [&] {
        seen = JobOf(GetJob(id));
        return seen.at("meta").as_object().contains("progress") || seen.at("status") == "success";
      },
      20s))
      << boost::json::serialize(seen);
  ASSERT_EQ(seen.at("status"), "started") << "the export ended before it was seen running";
  const auto& progress = seen.at("meta").at("progress").as_object();
  EXPECT_EQ(progress.at("rows_total"), kOrders) << "counted before the first row";
  EXPECT_LT(progress.at("rows_written").as_int64(), kOrders);
  EXPECT_EQ(progress.at("percent").as_int64(),
            100 * progress.at("rows_written").as_int64() / kOrders);
  EXPECT_EQ(progress.size(), 3u);

  const RunResult cancelled = jobsd_.Jobsd({"jobs", "cancel", id, "--json"});
  ASSERT_EQ(cancelled.exit_code, 0) << cancelled.err;
  const auto printed = boost::json::parse(cancelled.out).at("data").as_object();
  EXPECT_EQ(printed.at("status"), "failed");
  EXPECT_EQ(printed.at("error"), "Cancelled by request");
  EXPECT_FALSE(printed.at("meta").as_object().contains("progress"));

  jobsd_.process()->Signal(SIGKILL);
  ASSERT_TRUE(jobsd_.process()->Wait(10s).has_value());
  ASSERT_TRUE(jobsd_.Start(kServeOptions));

  // The start-up sweep removes the dead run's temporary file; the job is
  // neither rescued nor run again.
  EXPECT_TRUE(WaitUntil([&] { return FilesIn(jobsd_.exports()) == 0; }, 10s))
      << FilesIn(jobsd_.exports()) << " file(s) left in the exports directory";
  std::this_thread::sleep_for(1500ms);  // a rescue pass and a retention pass
  const boost::json::object after = JobOf(GetJob(id));
  EXPECT_EQ(after.at("status"), "failed");
  EXPECT_EQ(after.at("error"), "Cancelled by request");
  EXPECT_EQ(after.at("link").at("href"), "");
  EXPECT_EQ(after.at("meta").at("attempts"), 1);
  EXPECT_EQ(jobsd_.Get("/v2/jobs/" + id + "/file", {jobsd_.AuthHeader()}).status, 422);
  EXPECT_EQ(FilesIn(jobsd_.exports()), 0);

  // Through the API now: already finished, 409.
  const HttpResponse refused = Cancel(id);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("Job has already finished. Job status: failed"), std::string::npos);

  // And from the command line: exit 1 with the reason, nothing on
  // standard output; unknown: exit 1; no id: bad usage.
  const RunResult again = jobsd_.Jobsd({"jobs", "cancel", id});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.out, "");
  EXPECT_NE(again.err.find("has already finished"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("Job status: failed"), std::string::npos) << again.err;
  const RunResult unknown = jobsd_.Jobsd({"jobs", "cancel", "no-such-job"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no job with id no-such-job"), std::string::npos) << unknown.err;
  EXPECT_EQ(jobsd_.Jobsd({"jobs", "cancel"}).exit_code, 2) << "the id is required";

  // A pending job cancelled from the command line, in text.
  ASSERT_EQ(jobsd_.Stop().exit_code, 0);
  const RunResult submitted = jobsd_.Jobsd({"jobs", "submit", "--type", "order_export"});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  std::string pending = submitted.out.substr(0, submitted.out.find('\n'));
  const RunResult text = jobsd_.Jobsd({"jobs", "cancel", pending});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("status:     failed\n"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("error:      Cancelled by request\n"), std::string::npos) << text.out;
}

}  // namespace
}  // namespace jobsd::testing
