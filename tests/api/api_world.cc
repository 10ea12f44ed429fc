#include "tests/api/api_world.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string_view>

#include "engine/orders/order_export.h"
#include "storage/open_store.h"
#include "tests/support/test_postgres.h"

namespace jobsd::api::testing {

namespace {

std::unique_ptr<storage::Store> OpenWorldStore(const std::string& location, int busy_timeout_ms) {
  storage::StoreOptions options;
  options.location = location;
  options.busy_timeout_ms = busy_timeout_ms;
  return storage::OpenStore(options);
}

std::unique_ptr<storage::LocalArtifactStore> LocalArtifactsUnlessKept(
    storage::Store& store, const std::filesystem::path& dir) {
  if (store.own_artifacts() != nullptr) return nullptr;
  return std::make_unique<storage::LocalArtifactStore>(dir, /*min_free_disk=*/0);
}

}  // namespace

bool ApiWorld::OnPostgres() {
  const char* store = std::getenv("JOBSD_TEST_STORE");
  return store != nullptr && std::string_view(store) == "postgres";
}

ApiWorld::ApiWorld(int busy_timeout_ms)
    : location(OnPostgres() ? jobsd::testing::FreshPostgresSchema() : (dir / "jobsd.db").string()),
      database(OpenWorldStore(location, busy_timeout_ms)),
      local_artifacts(LocalArtifactsUnlessKept(*database, dir / "exports")),
      artifacts(database->own_artifacts() != nullptr ? *database->own_artifacts()
                                                     : *local_artifacts) {
  registry.Register(std::string(kOrderExportType),
                    std::make_unique<OrderExportJob>(database->orders()));
  // No worker runs here, so every job posted stays pending: the suites post
  // hundreds from one client. The per-client limit is tested against the
  // real binary (tests/hostile/limits_test.cc).
  JobServiceOptions options;
  options.max_active_jobs_per_client = 0;
  jobs = std::make_unique<JobService>(database->jobs(), registry, clock, options);
  auth = std::make_unique<Authenticator>(database->credentials(), clock);
}

ApiServices ApiWorld::services() {
  return ApiServices{*jobs, *auth, metrics, artifacts, [this] { return ready; }};
}

std::string ApiWorld::NewToken() {
  const ClientCredentials client = auth->CreateClient();
  return auth->IssueToken(client.client_id, client.client_secret).value().access_token;
}

Job ApiWorld::CreateJob(std::string filter) {
  clock.Advance(1000);  // distinct created_at, newest first is then well defined
  return jobs->Create({std::string(kOrderExportType), std::move(filter), std::nullopt}).job;
}

std::string ApiWorld::Claim(const Job& job) {
  clock.Advance(1000);
  auto claimed = database->jobs().ClaimJobs(
      {"test-worker", 1, clock.Now(), clock.Now() + 60 * kNanosPerSecond});
  EXPECT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed.at(0).job.id, job.id) << "claim the oldest pending job only";
  return claimed.at(0).claim_token;
}

Job ApiWorld::Succeed(const Job& job, const std::string& csv) {
  const std::string token = Claim(job);
  std::unique_ptr<ArtifactWriter> writer =
      artifacts.Begin({job.id, std::string(kOrderExportContentType), "orders-" + job.id + ".csv"});
  writer->Write(csv);
  SuccessResult result{"{\"row_count\":1}", writer->Commit()};
  clock.Advance(1000);
  JobCompletion success{job.id, token, JobCompletion::Kind::kSucceeded, result, "", 0};
  EXPECT_TRUE(database->jobs().FinishJobs({success}, clock.Now()).front());
  return jobs->Get(job.id).value();
}

Job ApiWorld::Fail(const Job& job, const std::string& error) {
  const std::string token = Claim(job);
  clock.Advance(1000);
  JobCompletion failure{job.id, token, JobCompletion::Kind::kFailed, {}, error, 0};
  EXPECT_TRUE(database->jobs().FinishJobs({failure}, clock.Now()).front());
  return jobs->Get(job.id).value();
}

Request MakeRequest(http::verb method, std::string target, std::string body,
                    std::string content_type) {
  Request request{method, target, 11};
  request.set(http::field::host, "jobsd.test");
  if (!content_type.empty()) request.set(http::field::content_type, content_type);
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

Request Authed(Request request, const std::string& token) {
  request.set(http::field::authorization, "Bearer " + token);
  return request;
}

}  // namespace jobsd::api::testing
