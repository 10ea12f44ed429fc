// The outbox of completion webhooks (engine/webhooks/webhook_store.h:
// WebhookDelivery and the verbs that claim, complete and retry one),
// against every backend built: a job that reaches success or failed, by
// whatever path, queues one delivery per subscribed endpoint in the same
// transaction; nothing else does.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/storage/conformance/backend.h"
#include "tests/storage/conformance/success_result.h"
#include "tests/support/temp_dir.h"

namespace jobsd::conformance {
namespace {

constexpr Nanos kT0 = 1'700'000'000 * kNanosPerSecond;
constexpr Nanos kRetention = 7 * kNanosPerDay;
constexpr Nanos kLease = 30 * kNanosPerSecond;

using Kind = JobCompletion::Kind;

class WebhookDeliveryConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  WebhookDeliveryConformanceTest()
      : store_(GetParam().open(dir_.path())), jobs_(store_->jobs()), webhooks_(store_->webhooks()) {
    // Both events, successes only, failures only.
    webhooks_.AddEndpoint({"wh_both", "http://127.0.0.1:1/a", true, true, "whsec_AAAA", kT0 - 3});
    webhooks_.AddEndpoint({"wh_ok", "http://127.0.0.1:1/b", true, false, "whsec_AAAA", kT0 - 2});
    webhooks_.AddEndpoint({"wh_bad", "http://127.0.0.1:1/c", false, true, "whsec_AAAA", kT0 - 1});
  }

  void Insert(std::string id, Nanos created_at = kT0) {
    NewJob job;
    job.id = std::move(id);
    job.job_type = "order_export";
    job.created_at = created_at;
    job.expires_at = created_at + kRetention;
    job.max_attempts = 3;
    ASSERT_TRUE(jobs_.InsertJob(job).created);
  }

  ClaimedJob ClaimOne(Nanos now) {
    auto claimed = jobs_.ClaimJobs({"w1", 1, now, now + kLease});
    EXPECT_EQ(claimed.size(), 1u);
    return claimed.empty() ? ClaimedJob{} : claimed.front();
  }

  // The queued deliveries of `job_id`, as "endpoint event" strings, sorted.
  std::vector<std::string> QueuedFor(const std::string& job_id) {
    std::vector<std::string> found;
    for (const WebhookDelivery& d : webhooks_.QueuedDeliveries()) {
      if (d.job_id == job_id) {
        found.push_back(d.endpoint_id + " " + std::string(WebhookEventName(d.event)));
      }
    }
    std::sort(found.begin(), found.end());
    return found;
  }

  testing::TempDir dir_;
  std::unique_ptr<OpenBackend> store_;
  JobStore& jobs_;
  WebhookStore& webhooks_;
};

const std::vector<std::string> kSucceeded = {"wh_both job.succeeded", "wh_ok job.succeeded"};
const std::vector<std::string> kFailed = {"wh_bad job.failed", "wh_both job.failed"};

TEST_P(WebhookDeliveryConformanceTest, ASuccessQueuesEverySubscribedEndpointOnce) {
  Insert("a");
  const ClaimedJob a = ClaimOne(kT0 + 10);
  EXPECT_TRUE(webhooks_.QueuedDeliveries().empty()) << "pending -> started queues nothing";
  ASSERT_TRUE(jobs_.FinishJobs({Succeeded(a, "a")}, kT0 + 20).front());
  EXPECT_EQ(QueuedFor("a"), kSucceeded);

  const Job finished = jobs_.FindJob("a", kT0 + 20).value();
  std::set<std::string> ids;
  for (const WebhookDelivery& d : webhooks_.QueuedDeliveries()) {
    EXPECT_EQ(d.created_at, finished.updated_at) << "created at the job's finish time";
    EXPECT_EQ(d.next_attempt_at, finished.updated_at) << "due at once";
    EXPECT_EQ(d.attempts, 0);
    EXPECT_EQ(d.claim_token, "") << "unclaimed";
    ASSERT_EQ(d.webhook_id.size(), 4u + 32u) << d.webhook_id;
    EXPECT_EQ(d.webhook_id.substr(0, 4), "msg_");
    EXPECT_EQ(d.webhook_id.find_first_not_of("0123456789abcdef", 4), std::string::npos);
    ids.insert(d.webhook_id);
  }
  EXPECT_EQ(ids.size(), 2u) << "one id per event and endpoint";

  // Later writes to the finished job (retention, expiry) queue nothing more.
  jobs_.ApplyRetention(kNanosPerDay);
  jobs_.DeleteExpiredJobs(kT0 + 2 * kNanosPerDay, 100);
  EXPECT_EQ(jobs_.FindJob("a", kT0 + 2 * kNanosPerDay), std::nullopt);
  EXPECT_EQ(QueuedFor("a"), kSucceeded) << "queued once, and kept after the job is gone";
}

TEST_P(WebhookDeliveryConformanceTest, EveryPathToFailedQueuesTheFailureEndpoints) {
  Insert("failed", kT0);  // claimed in this order
  Insert("cancelled-started", kT0 + 1);
  Insert("retried", kT0 + 2);
  Insert("cancelled-pending", kT0 + 5);
  const ClaimedJob failed = ClaimOne(kT0 + 10);
  const ClaimedJob cancelled = ClaimOne(kT0 + 10);
  const ClaimedJob retried = ClaimOne(kT0 + 10);
  ASSERT_TRUE(
      jobs_
          .FinishJobs({{failed.job.id, failed.claim_token, Kind::kFailed, {}, "no", 0},
                       {retried.job.id, retried.claim_token, Kind::kRetry, {}, "later", kT0 + 100}},
                      kT0 + 20)
          .front());
  EXPECT_EQ(QueuedFor("failed"), kFailed);
  EXPECT_TRUE(QueuedFor("retried").empty()) << "started -> pending is no final change";

  ASSERT_EQ(jobs_.CancelJob(cancelled.job.id, kT0 + 30).kind, CancelResult::Kind::kCancelled);
  EXPECT_EQ(QueuedFor(cancelled.job.id), kFailed);
  ASSERT_EQ(jobs_.CancelJob("cancelled-pending", kT0 + 30).kind, CancelResult::Kind::kCancelled);
  EXPECT_EQ(QueuedFor("cancelled-pending"), kFailed) << "pending -> failed goes by started once";
  EXPECT_EQ(jobs_.CancelJob("cancelled-pending", kT0 + 40).kind,
            CancelResult::Kind::kAlreadyFinished);
  EXPECT_EQ(QueuedFor("cancelled-pending"), kFailed) << "a second cancel queues nothing";
  EXPECT_EQ(webhooks_.QueuedDeliveries().size(), 6u);
}

TEST_P(WebhookDeliveryConformanceTest, TheRescuerGivingUpQueuesTheFailure) {
  Insert("lost");
  Nanos now = kT0;
  for (int i = 0; i < kMaxInterruptions; ++i) {
    now += 10;
    const ClaimedJob claim = ClaimOne(now);
    ASSERT_EQ(claim.job.id, "lost");
    now += kLease + 1;
    ASSERT_EQ(jobs_.RescueExpiredLeases(now), 1);
    if (i + 1 < kMaxInterruptions) {
      ASSERT_TRUE(QueuedFor("lost").empty()) << i;
    }
  }
  EXPECT_EQ(jobs_.FindJob("lost", now).value().status, JobStatus::kFailed);
  EXPECT_EQ(QueuedFor("lost"), kFailed);
}

TEST_P(WebhookDeliveryConformanceTest, NoEndpointNoDeliveryAndARemovedEndpointLeavesItsRows) {
  Insert("a");
  ASSERT_TRUE(jobs_.FinishJobs({Succeeded(ClaimOne(kT0 + 10), "a")}, kT0 + 20).front());
  ASSERT_TRUE(webhooks_.RemoveEndpoint("wh_ok"));
  EXPECT_EQ(QueuedFor("a"), kSucceeded) << "queued rows outlive their endpoint";

  for (const char* id : {"wh_both", "wh_bad"}) ASSERT_TRUE(webhooks_.RemoveEndpoint(id));
  Insert("b", kT0 + 1);
  ASSERT_TRUE(jobs_.FinishJobs({Succeeded(ClaimOne(kT0 + 30), "b")}, kT0 + 40).front());
  EXPECT_TRUE(QueuedFor("b").empty()) << "no endpoint, nothing queued";
}

TEST_P(WebhookDeliveryConformanceTest, ClaimsAreExclusiveFencedAndLapse) {
  Insert("a");
  ASSERT_TRUE(jobs_.FinishJobs({Succeeded(ClaimOne(kT0 + 10), "a")}, kT0 + 20).front());
  const Nanos due = webhooks_.QueuedDeliveries().front().next_attempt_at;

  EXPECT_TRUE(webhooks_.ClaimDueDeliveries(due - 1, 10, due + kLease).empty()) << "not yet due";
  EXPECT_TRUE(webhooks_.ClaimDueDeliveries(due, 0, due + kLease).empty()) << "limit 0";
  const std::vector<WebhookDelivery> first = webhooks_.ClaimDueDeliveries(due, 1, due + kLease);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_FALSE(first[0].claim_token.empty());
  const std::vector<WebhookDelivery> second = webhooks_.ClaimDueDeliveries(due, 10, due + kLease);
  ASSERT_EQ(second.size(), 1u) << "the held one is not taken again";
  EXPECT_NE(second[0].webhook_id, first[0].webhook_id);
  EXPECT_TRUE(webhooks_.ClaimDueDeliveries(due + 1, 10, due + kLease).empty());

  // The first lapses and is claimed again: the old token no longer holds it.
  const std::vector<WebhookDelivery> again =
      webhooks_.ClaimDueDeliveries(due + kLease, 10, due + 2 * kLease);
  ASSERT_EQ(again.size(), 2u) << "both leases lapsed";
  const WebhookDelivery& retaken = again[0].webhook_id == first[0].webhook_id ? again[0] : again[1];
  EXPECT_NE(retaken.claim_token, first[0].claim_token);
  EXPECT_FALSE(webhooks_.CompleteDelivery(first[0].webhook_id, first[0].claim_token));
  EXPECT_FALSE(webhooks_.RetryDelivery(first[0].webhook_id, first[0].claim_token, due));
  EXPECT_FALSE(webhooks_.CompleteDelivery(first[0].webhook_id, ""));
  EXPECT_FALSE(webhooks_.CompleteDelivery("msg_missing", retaken.claim_token));

  // Retry: attempts + 1, unclaimed, due at the given time.
  ASSERT_TRUE(webhooks_.RetryDelivery(retaken.webhook_id, retaken.claim_token, due + 5000));
  EXPECT_FALSE(webhooks_.RetryDelivery(retaken.webhook_id, retaken.claim_token, due + 5000))
      << "a retried delivery is no longer held by that token";
  const std::vector<WebhookDelivery> later =
      webhooks_.ClaimDueDeliveries(due + 2 * kLease, 10, due + 3 * kLease);
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[1].webhook_id, retaken.webhook_id) << "oldest due first";
  EXPECT_EQ(later[1].attempts, 1);
  EXPECT_EQ(later[1].next_attempt_at, due + 5000);
  EXPECT_EQ(later[0].attempts, 0);
  EXPECT_EQ(later[0].next_attempt_at, due);

  for (const WebhookDelivery& d : later) {
    EXPECT_TRUE(webhooks_.CompleteDelivery(d.webhook_id, d.claim_token));
    EXPECT_FALSE(webhooks_.CompleteDelivery(d.webhook_id, d.claim_token)) << "gone";
  }
  EXPECT_TRUE(webhooks_.QueuedDeliveries().empty());
}

TEST_P(WebhookDeliveryConformanceTest, AFinishRefusedForItsTokenQueuesNothing) {
  Insert("a");
  const ClaimedJob a = ClaimOne(kT0 + 10);
  EXPECT_FALSE(
      jobs_.FinishJobs({{a.job.id, "wrong-token", Kind::kFailed, {}, "x", 0}}, kT0 + 20).front());
  EXPECT_TRUE(webhooks_.QueuedDeliveries().empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhookDeliveryConformanceTest,
                         ::testing::ValuesIn(AllBackends()), BackendName);

}  // namespace
}  // namespace jobsd::conformance
