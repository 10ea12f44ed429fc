// POST /v2/jobs/{id}/cancel (docs/jobs.md) and meta.progress (section
// 10) over real sockets, on the API world's store (SQLite, or PostgreSQL in
// the postgres: run).
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "engine/queue/worker_pool.h"
#include "tests/api/server_fixture.h"

namespace jobsd::api {
namespace {

using testing::Reply;
using testing::S;
using V = http::verb;

using CancelTest = testing::ServerFixture;

boost::json::value Json(const Reply& reply) { return boost::json::parse(reply.body()); }

// The one error of an error envelope.
boost::json::object ErrorOf(const Reply& reply) {
  return Json(reply).at("errors").at(0).as_object();
}

// Starts writing its artifact, reports 250 of 1,000 rows, then waits to be
// told to stop (the artifact, never committed, is removed).
class ReportAndWaitJob final : public JobHandler {
 public:
  void ValidateParams(std::string_view) const override {}
  JobOutcome Run(const JobContext& context) override {
    std::unique_ptr<ArtifactWriter> writer =
        context.artifacts.Begin({context.job.id, "text/csv; charset=utf-8", "x.csv"});
    writer->Write("id\r\n");
    context.report_progress(250, 1000);
    while (!context.stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    stopped.store(true);
    return JobOutcome::Retry("interrupted");
  }
  std::atomic<bool> stopped{false};
};

template <typename Predicate>
bool WaitFor(Predicate predicate, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return predicate();
}

// A worker pool beside the server, as jobsd serve has, running a job that
// reports progress and waits: the progress shows, and a cancel reaches the
// run through its lease renewal (as it would on another node: the pool is
// not told), which stops it; no file stays behind.
TEST_F(CancelTest, ARunningJobShowsProgressAndACancelStopsItWithoutAFile) {
  auto* handler = new ReportAndWaitJob;
  world_.registry.Register("wait", std::unique_ptr<JobHandler>(handler));
  StartServer();
  WorkerPoolOptions options;
  options.workers = 1;
  options.artifacts = &world_.artifacts;
  options.poll_interval = 20'000'000;
  WorkerPool pool(world_.database->jobs(), world_.registry, world_.clock, options);
  pool.Start();

  const Reply created =
      SendAuthed(V::post, "/v2/jobs", R"({"data":{"job_type":"wait"}})", "application/json");
  ASSERT_EQ(created.result(), http::status::accepted) << created.body();
  const std::string id(Json(created).at("data").at("id").as_string());
  pool.Wake();
  Reply running;
  ASSERT_TRUE(WaitFor(
      [&] {
        running = SendAuthed(V::get, "/v2/jobs/" + id);
        return running.body().find("\"progress\"") != std::string::npos;
      },
      std::chrono::seconds(10)))
      << running.body();
  EXPECT_EQ(Json(running).at("data").at("status"), "started");
  EXPECT_NE(
      running.body().find(
          R"("meta":{"attempts":1,"progress":{"rows_written":250,"rows_total":1000,"percent":25}}})"),
      std::string::npos)
      << running.body();

  const Reply cancelled = SendAuthed(V::post, "/v2/jobs/" + id + "/cancel");
  ASSERT_EQ(cancelled.result(), http::status::accepted) << cancelled.body();
  EXPECT_EQ(Json(cancelled).at("data").at("status"), "failed");
  EXPECT_TRUE(WaitFor([&] { return handler->stopped.load(); }, std::chrono::seconds(5)))
      << "the run did not see the cancel";
  pool.Shutdown(kNanosPerSecond);

  const Reply after = SendAuthed(V::get, "/v2/jobs/" + id);
  EXPECT_EQ(after.body(), cancelled.body()) << "the stopped run recorded nothing";
  EXPECT_EQ(SendAuthed(V::get, "/v2/jobs/" + id + "/file").result(),
            http::status::unprocessable_entity);
  EXPECT_TRUE(world_.database->jobs().ReferencedArtifacts().empty());
  EXPECT_TRUE(world_.artifacts.ListOrphans({}).empty()) << "the partial file was kept";
  if (world_.local_artifacts) {
    EXPECT_TRUE(std::filesystem::is_empty(world_.artifacts.Location()))
        << "a temporary file was left in " << world_.artifacts.Location();
  }
}

TEST_F(CancelTest, APendingJobIsFailedAtOnceWith202AndTheJob) {
  StartServer();
  const Job job = world_.CreateJob();
  world_.clock.Advance(1000);
  const Reply reply = SendAuthed(V::post, "/v2/jobs/" + job.id + "/cancel");
  ASSERT_EQ(reply.result(), http::status::accepted) << reply.body();
  EXPECT_EQ(reply[http::field::content_type], "application/json");
  const auto data = Json(reply).at("data").as_object();
  EXPECT_EQ(S(data.at("id")), job.id);
  EXPECT_EQ(data.at("status"), "failed");
  EXPECT_EQ(data.at("error"), "Cancelled by request");
  EXPECT_EQ(data.at("link").at("href"), "");
  EXPECT_NE(data.at("timestamps").at("updated_at"), data.at("timestamps").at("created_at"));

  // The answer is what GET /v2/jobs/{id} says from now on, byte for byte.
  const Reply got = SendAuthed(V::get, "/v2/jobs/" + job.id);
  EXPECT_EQ(got.body(), reply.body());
  EXPECT_EQ(world_.jobs->Get(job.id)->error, std::string(kCancelledError));
}

TEST_F(CancelTest, AStartedJobIsFailedAndItsClaimDies) {
  StartServer();
  const Job job = world_.CreateJob();
  auto claimed = world_.database->jobs().ClaimJobs(
      {"test-worker", 1, world_.clock.Now(), world_.clock.Now() + 60 * kNanosPerSecond});
  ASSERT_EQ(claimed.size(), 1u);
  const Reply reply = SendAuthed(V::post, "/v2/jobs/" + job.id + "/cancel", "{}",
                                 "application/json");  // a body is not needed, nor read
  ASSERT_EQ(reply.result(), http::status::accepted) << reply.body();
  EXPECT_EQ(Json(reply).at("data").at("status"), "failed");
  EXPECT_EQ(world_.database->jobs().RenewLeases(
                {LeaseRenewal{job.id, claimed[0].claim_token, JobProgress{1, 2}}},
                world_.clock.Now() + kNanosPerSecond),
            std::vector<bool>{false})
      << "the worker's next renewal finds its claim gone";
}

TEST_F(CancelTest, AFinishedJobIs409NamingItsStatus) {
  StartServer();
  const Job done = world_.Succeed(world_.CreateJob(), "id\r\nA\r\n");
  const Reply conflict = SendAuthed(V::post, "/v2/jobs/" + done.id + "/cancel");
  ASSERT_EQ(conflict.result(), http::status::conflict) << conflict.body();
  EXPECT_EQ(conflict[http::field::content_type], "application/json");
  const auto error = ErrorOf(conflict);
  EXPECT_EQ(error.at("status"), 409);
  EXPECT_EQ(error.at("title"), "Conflict");
  EXPECT_EQ(error.at("detail"), "Job has already finished. Job status: success");
  EXPECT_EQ(S(error.at("request_id")), std::string(conflict["X-Request-Id"]));
  EXPECT_EQ(world_.jobs->Get(done.id)->status, JobStatus::kSuccess) << "unchanged";

  const Job failed = world_.Fail(world_.CreateJob(), "no luck");
  EXPECT_EQ(ErrorOf(SendAuthed(V::post, "/v2/jobs/" + failed.id + "/cancel")).at("detail"),
            "Job has already finished. Job status: failed");
  EXPECT_EQ(world_.jobs->Get(failed.id)->error, "no luck");

  // Cancelling twice: the second finds it finished.
  const Job pending = world_.CreateJob();
  ASSERT_EQ(SendAuthed(V::post, "/v2/jobs/" + pending.id + "/cancel").result(),
            http::status::accepted);
  const Reply again = SendAuthed(V::post, "/v2/jobs/" + pending.id + "/cancel");
  EXPECT_EQ(again.result(), http::status::conflict);
  EXPECT_EQ(ErrorOf(again).at("detail"), "Job has already finished. Job status: failed");
}

TEST_F(CancelTest, UnknownOrExpiredIs404AndNoTokenIs401) {
  StartServer();
  const Reply unknown = SendAuthed(V::post, "/v2/jobs/974c9db4-38da-4dbf-90c2-33eed5f3e77c/cancel");
  ASSERT_EQ(unknown.result(), http::status::not_found);
  EXPECT_EQ(ErrorOf(unknown).at("title"), "Resource Not Found");
  EXPECT_EQ(ErrorOf(unknown).at("detail"), "The resource you are requesting does not exist");
  EXPECT_EQ(SendAuthed(V::post, "/v2/jobs/not-a-uuid/cancel").result(), http::status::not_found);

  const Job job = world_.CreateJob();
  const Reply anonymous = Send(testing::MakeRequest(V::post, "/v2/jobs/" + job.id + "/cancel"));
  EXPECT_EQ(anonymous.result(), http::status::unauthorized);
  EXPECT_EQ(ErrorOf(anonymous).at("title"), "Unable to validate access token");
  EXPECT_EQ(world_.jobs->Get(job.id)->status, JobStatus::kPending) << "401 cancels nothing";

  world_.clock.Advance(8 * kNanosPerDay);  // past the retention
  const std::string token = world_.NewToken();
  const Reply expired =
      Send(testing::Authed(testing::MakeRequest(V::post, "/v2/jobs/" + job.id + "/cancel"), token));
  EXPECT_EQ(expired.result(), http::status::not_found);
}

TEST_F(CancelTest, OtherMethodsAre405WithAllow) {
  StartServer();
  const Job job = world_.CreateJob();
  for (V method : {V::get, V::put, V::delete_}) {
    const Reply reply = SendAuthed(method, "/v2/jobs/" + job.id + "/cancel");
    EXPECT_EQ(reply.result(), http::status::method_not_allowed) << http::to_string(method);
    EXPECT_EQ(reply[http::field::allow], "POST");
    EXPECT_EQ(ErrorOf(reply).at("title"), "Method Not Allowed");
  }
  EXPECT_EQ(world_.jobs->Get(job.id)->status, JobStatus::kPending);
}

TEST_F(CancelTest, TheListShowsTheCancelAtOnceAndMetricsCountIt) {
  StartServer();
  const Job job = world_.CreateJob();
  const Reply before = SendAuthed(V::get, "/v2/jobs");
  ASSERT_EQ(Json(before).at("data").at(0).at("status"), "pending");
  ASSERT_EQ(SendAuthed(V::post, "/v2/jobs/" + job.id + "/cancel").result(), http::status::accepted);
  const Reply after = SendAuthed(V::get, "/v2/jobs");
  EXPECT_EQ(Json(after).at("data").at(0).at("status"), "failed") << "no stale cached page";
  EXPECT_EQ(Json(after).at("data").at(0).at("error"), "Cancelled by request");

  const Reply metrics = Send(testing::MakeRequest(V::get, "/metrics"));
  EXPECT_NE(metrics.body().find("\njobsd_jobs_cancelled_total 1\n"), std::string::npos)
      << metrics.body();
}

TEST_F(CancelTest, AStartedJobShowsItsStoredProgressAndOnlyWhileStarted) {
  StartServer();
  const Job job = world_.CreateJob();
  const Reply pending = SendAuthed(V::get, "/v2/jobs/" + job.id);
  EXPECT_FALSE(Json(pending).at("data").at("meta").as_object().contains("progress"));

  auto claimed = world_.database->jobs().ClaimJobs(
      {"test-worker", 1, world_.clock.Now(), world_.clock.Now() + 60 * kNanosPerSecond});
  ASSERT_EQ(claimed.size(), 1u);
  const Reply started = SendAuthed(V::get, "/v2/jobs/" + job.id);
  EXPECT_FALSE(Json(started).at("data").at("meta").as_object().contains("progress"))
      << "nothing reported yet";

  ASSERT_EQ(world_.database->jobs().RenewLeases(
                {LeaseRenewal{job.id, claimed[0].claim_token, JobProgress{2, 3}}},
                world_.clock.Now() + 60 * kNanosPerSecond),
            std::vector<bool>{true});
  const Reply reporting = SendAuthed(V::get, "/v2/jobs/" + job.id);
  EXPECT_NE(
      reporting.body().find(R"(,"progress":{"rows_written":2,"rows_total":3,"percent":66}}})"),
      std::string::npos)
      << reporting.body();
  const Reply listed = SendAuthed(V::get, "/v2/jobs");
  EXPECT_EQ(Json(listed).at("data").at(0).at("meta").at("progress").at("percent"), 66);

  ASSERT_EQ(SendAuthed(V::post, "/v2/jobs/" + job.id + "/cancel").result(), http::status::accepted);
  const Reply cancelled = SendAuthed(V::get, "/v2/jobs/" + job.id);
  EXPECT_FALSE(Json(cancelled).at("data").at("meta").as_object().contains("progress"));
}

}  // namespace
}  // namespace jobsd::api
