// Every verb of engine/webhooks/webhook_store.h, against every backend built.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/storage/conformance/backend.h"
#include "tests/support/temp_dir.h"

namespace jobsd::conformance {
namespace {

constexpr Nanos kT0 = 1'700'000'000 * kNanosPerSecond;

WebhookEndpoint Endpoint(std::string id, bool succeeded, bool failed, Nanos created_at) {
  return WebhookEndpoint{id,     "https://example.com/hooks/" + id, succeeded,
                         failed, "whsec_secret-of-" + id,           created_at};
}

WebhookAttempt Attempt(std::string webhook_id, int attempt, Nanos at, std::optional<int> status,
                       std::string error) {
  return WebhookAttempt{webhook_id, "wh_e1", "job-1", WebhookEvent::kJobFailed,
                        attempt,    at,      status,  std::move(error),
                        1'500'000};
}

std::vector<std::string> Ids(const auto& endpoints) {
  std::vector<std::string> ids;
  for (const auto& e : endpoints) ids.push_back(e.id);
  return ids;
}

class WebhookStoreConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  WebhookStoreConformanceTest()
      : store_(GetParam().open(dir_.path())), webhooks_(store_->webhooks()) {}

  testing::TempDir dir_;
  std::unique_ptr<OpenBackend> store_;
  WebhookStore& webhooks_;
};

TEST_P(WebhookStoreConformanceTest, EndpointsRoundTripWithTheirSecretsOnlyForSending) {
  EXPECT_TRUE(webhooks_.ListEndpoints().empty());
  webhooks_.AddEndpoint(Endpoint("wh_b", true, false, kT0));
  webhooks_.AddEndpoint(Endpoint("wh_a", true, true, kT0));       // same instant: by id
  webhooks_.AddEndpoint(Endpoint("wh_c", false, true, kT0 - 1));  // oldest

  const std::vector<WebhookEndpointSummary> listed = webhooks_.ListEndpoints();
  EXPECT_EQ(Ids(listed), (std::vector<std::string>{"wh_c", "wh_a", "wh_b"}));
  EXPECT_EQ(listed[0].url, "https://example.com/hooks/wh_c");
  EXPECT_FALSE(listed[0].on_succeeded);
  EXPECT_TRUE(listed[0].on_failed);
  EXPECT_EQ(listed[0].created_at, kT0 - 1);
  EXPECT_TRUE(listed[2].on_succeeded);
  EXPECT_FALSE(listed[2].on_failed);

  const std::vector<WebhookEndpoint> succeeded =
      webhooks_.EndpointsFor(WebhookEvent::kJobSucceeded);
  EXPECT_EQ(Ids(succeeded), (std::vector<std::string>{"wh_a", "wh_b"}));
  EXPECT_EQ(succeeded[0].secret, "whsec_secret-of-wh_a");
  EXPECT_EQ(succeeded[1].url, "https://example.com/hooks/wh_b");
  EXPECT_EQ(Ids(webhooks_.EndpointsFor(WebhookEvent::kJobFailed)),
            (std::vector<std::string>{"wh_c", "wh_a"}));

  std::optional<WebhookEndpoint> found = webhooks_.FindEndpoint("wh_c");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->secret, "whsec_secret-of-wh_c");
  EXPECT_EQ(found->created_at, kT0 - 1);
  EXPECT_FALSE(webhooks_.FindEndpoint("wh_nobody").has_value());
  EXPECT_FALSE(webhooks_.FindEndpoint(std::string("wh_c\0x", 6)).has_value());
}

TEST_P(WebhookStoreConformanceTest, ADuplicateIdIsRefusedAndTheFirstStays) {
  webhooks_.AddEndpoint(Endpoint("wh_a", true, true, kT0));
  WebhookEndpoint again = Endpoint("wh_a", false, true, kT0 + 1);
  again.secret = "whsec_other";
  EXPECT_THROW(webhooks_.AddEndpoint(again), StoreError);
  EXPECT_EQ(webhooks_.FindEndpoint("wh_a")->secret, "whsec_secret-of-wh_a");
  EXPECT_EQ(webhooks_.ListEndpoints().size(), 1u);
}

TEST_P(WebhookStoreConformanceTest, RemoveDeletesTheEndpointButKeepsItsAttempts) {
  webhooks_.AddEndpoint(Endpoint("wh_e1", true, true, kT0));
  webhooks_.AddEndpoint(Endpoint("wh_e2", true, true, kT0 + 1));
  webhooks_.RecordAttempt(Attempt("msg_1", 1, kT0 + 5, 500, "HTTP 500"));
  EXPECT_TRUE(webhooks_.RemoveEndpoint("wh_e1"));
  EXPECT_FALSE(webhooks_.RemoveEndpoint("wh_e1")) << "already gone";
  EXPECT_FALSE(webhooks_.RemoveEndpoint("wh_nobody"));
  EXPECT_FALSE(webhooks_.FindEndpoint("wh_e1").has_value());
  EXPECT_EQ(Ids(webhooks_.ListEndpoints()), (std::vector<std::string>{"wh_e2"}));
  EXPECT_EQ(Ids(webhooks_.EndpointsFor(WebhookEvent::kJobFailed)),
            (std::vector<std::string>{"wh_e2"}));
  ASSERT_EQ(webhooks_.RecentAttempts(10).size(), 1u);
  EXPECT_EQ(webhooks_.RecentAttempts(10)[0].endpoint_id, "wh_e1");
}

TEST_P(WebhookStoreConformanceTest, AttemptsRoundTripNewestFirst) {
  EXPECT_TRUE(webhooks_.RecentAttempts(10).empty());
  webhooks_.RecordAttempt(Attempt("msg_1", 1, kT0, std::nullopt, "connect: Connection refused"));
  WebhookAttempt ok = Attempt("msg_1", 2, kT0 + 10, 204, "");
  ok.event = WebhookEvent::kJobSucceeded;
  ok.job_id = "job-2";
  ok.endpoint_id = "wh_e9";
  webhooks_.RecordAttempt(ok);
  webhooks_.RecordAttempt(Attempt("msg_2", 1, kT0 + 10, 500, "HTTP 500"));  // same instant, later

  const std::vector<WebhookAttempt> recent = webhooks_.RecentAttempts(10);
  ASSERT_EQ(recent.size(), 3u);
  EXPECT_EQ(recent[0].webhook_id, "msg_2") << "of two at one instant, the later recorded first";
  EXPECT_EQ(recent[0].http_status, 500);
  EXPECT_EQ(recent[1].webhook_id, "msg_1");
  EXPECT_EQ(recent[1].attempt, 2);
  EXPECT_EQ(recent[1].endpoint_id, "wh_e9");
  EXPECT_EQ(recent[1].job_id, "job-2");
  EXPECT_EQ(recent[1].event, WebhookEvent::kJobSucceeded);
  EXPECT_EQ(recent[1].attempted_at, kT0 + 10);
  EXPECT_EQ(recent[1].http_status, 204);
  EXPECT_EQ(recent[1].error, "");
  EXPECT_EQ(recent[1].duration, 1'500'000);
  EXPECT_EQ(recent[2].http_status, std::nullopt);
  EXPECT_EQ(recent[2].error, "connect: Connection refused");
  EXPECT_EQ(recent[2].event, WebhookEvent::kJobFailed);

  EXPECT_EQ(webhooks_.RecentAttempts(1).size(), 1u);
  EXPECT_EQ(webhooks_.RecentAttempts(1)[0].webhook_id, "msg_2");
  EXPECT_TRUE(webhooks_.RecentAttempts(0).empty());
  EXPECT_TRUE(webhooks_.RecentAttempts(-3).empty());
}

TEST_P(WebhookStoreConformanceTest, DeleteAttemptsBeforeForgetsOnlyOlderOnes) {
  webhooks_.RecordAttempt(Attempt("old", 1, kT0 - 1, 500, "HTTP 500"));
  webhooks_.RecordAttempt(Attempt("edge", 1, kT0, 200, ""));
  webhooks_.RecordAttempt(Attempt("new", 1, kT0 + 1, 200, ""));
  EXPECT_EQ(webhooks_.DeleteAttemptsBefore(kT0), 1);
  EXPECT_EQ(webhooks_.DeleteAttemptsBefore(kT0), 0);
  const std::vector<WebhookAttempt> left = webhooks_.RecentAttempts(10);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].webhook_id, "new");
  EXPECT_EQ(left[1].webhook_id, "edge");
}

// Over the backends several processes share: another handle on the same
// store, as another process (or node) has.
class SharedWebhookStoreConformanceTest : public WebhookStoreConformanceTest {};

TEST_P(SharedWebhookStoreConformanceTest, AnotherHandleSeesEveryChangeAtOnce) {
  auto other = GetParam().open(dir_.path());
  webhooks_.AddEndpoint(Endpoint("wh_a", true, true, kT0));
  EXPECT_EQ(other->webhooks().FindEndpoint("wh_a")->secret, "whsec_secret-of-wh_a");
  other->webhooks().RecordAttempt(Attempt("msg_1", 1, kT0, 200, ""));
  EXPECT_EQ(webhooks_.RecentAttempts(5).size(), 1u);
  EXPECT_TRUE(other->webhooks().RemoveEndpoint("wh_a"));
  EXPECT_TRUE(webhooks_.ListEndpoints().empty());
}

INSTANTIATE_TEST_SUITE_P(AllBackends, WebhookStoreConformanceTest,
                         ::testing::ValuesIn(AllBackends()), BackendName);
INSTANTIATE_TEST_SUITE_P(SharedBackends, SharedWebhookStoreConformanceTest,
                         ::testing::ValuesIn(SharedBackends()), BackendName);

}  // namespace
}  // namespace jobsd::conformance
