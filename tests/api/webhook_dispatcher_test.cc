// engine/webhooks/webhook_dispatcher.h on the memory store, sending through
// the real Beast client (api/webhook_sender.h) to real receivers on
// 127.0.0.1: signatures a receiver verifies, the body's data exactly GET's,
// retries with backoff and the same webhook-id, timeouts, giving up, and
// removed endpoints. RunOnce takes the time, so nothing sleeps through a
// backoff.
#include "engine/webhooks/webhook_dispatcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "api/job_json.h"
#include "api/webhook_sender.h"
#include "engine/metrics.h"
#include "engine/webhooks/new_webhook_endpoint.h"
#include "engine/webhooks/webhook_signature.h"
#include "storage/memory/memory_job_store.h"
#include "storage/memory/memory_webhook_store.h"
#include "tests/support/webhook_receiver.h"

namespace jobsd {
namespace {

using namespace std::chrono_literals;
using testing::ReceivedRequest;
using testing::WebhookReceiver;

constexpr std::string_view kPublicUrl = "http://jobsd.test";
constexpr Nanos kSecond = kNanosPerSecond;

// Quick to give up on a receiver that hangs.
api::WebhookClientOptions ClientOptions() {
  api::WebhookClientOptions options;
  options.connect_timeout = 2s;
  options.response_timeout = 500ms;
  return options;
}

WebhookDispatcherOptions Options(Nanos first_retry, Nanos retry_for) {
  WebhookDispatcherOptions options;
  options.first_retry = first_retry;
  options.retry_for = retry_for;
  return options;
}

class WebhookDispatcherTest : public ::testing::Test {
 protected:
  // A job finished `status` at t0_; returns it as stored.
  Job FinishJob(const std::string& id, JobStatus status) {
    NewJob job;
    job.id = id;
    job.job_type = "order_export";
    job.created_at = t0_ - 10 * kSecond;
    job.expires_at = t0_ + kNanosPerDay;
    job.max_attempts = 1;
    EXPECT_TRUE(jobs_.InsertJob(job).created);
    const std::vector<ClaimedJob> claimed = jobs_.ClaimJobs({"w", 1, t0_ - kSecond, t0_});
    EXPECT_EQ(claimed.size(), 1u);
    JobCompletion completion;
    completion.id = id;
    completion.token = claimed.at(0).claim_token;
    completion.kind = status == JobStatus::kSuccess ? JobCompletion::Kind::kSucceeded
                                                    : JobCompletion::Kind::kFailed;
    completion.error = status == JobStatus::kFailed ? "broken" : "";
    if (status == JobStatus::kSuccess) {
      completion.success.result = "{\"row_count\":3}";
      completion.success.artifact =
          Artifact{"/exports/" + id + ".csv", "tok" + id, "text/csv", id + ".csv", 10};
    }
    EXPECT_TRUE(jobs_.FinishJobs({completion}, t0_).front());
    return jobs_.FindJob(id, t0_).value();
  }

  WebhookEndpoint AddEndpoint(const std::string& url, bool succeeded = true, bool failed = true) {
    WebhookEndpoint endpoint = NewWebhookEndpoint(url, succeeded, failed, t0_ - kNanosPerDay);
    webhooks_.AddEndpoint(endpoint);
    return endpoint;
  }

  WebhookDispatcher Dispatcher(WebhookDispatcherOptions options = {}) {
    return WebhookDispatcher(
        webhooks_, sender_,
        [this](const std::string& id) -> std::optional<std::string> {
          std::optional<Job> job = jobs_.FindJob(id, t0_);
          if (!job) return std::nullopt;
          std::string json;
          api::AppendJobJson(json, *job, kPublicUrl);
          return json;
        },
        clock_, options, &metrics_);
  }

  std::string MetricLine(std::string_view outcome) {
    const std::string text = metrics_.RenderPrometheus({});
    const std::string head =
        "jobsd_webhook_deliveries_total{outcome=\"" + std::string(outcome) + "\"} ";
    const auto at = text.find(head);
    if (at == std::string::npos) return "missing";
    return text.substr(at + head.size(), text.find('\n', at) - at - head.size());
  }

  SystemClock clock_;
  const Nanos t0_ = SystemClock().Now();
  storage::MemoryWebhookStore webhooks_;
  storage::MemoryJobStore jobs_{&webhooks_};
  api::BeastWebhookSender sender_{ClientOptions()};
  Metrics metrics_;
};

WebhookVerdict Verify(const std::string& secret, const ReceivedRequest& request, Nanos now) {
  return VerifyWebhook(secret,
                       {request.headers.at("webhook-id"), request.headers.at("webhook-timestamp"),
                        request.headers.at("webhook-signature")},
                       request.body, now / kNanosPerSecond);
}

TEST_F(WebhookDispatcherTest, ASignedPostWhoseDataIsExactlyWhatGetShows) {
  WebhookReceiver receiver(WebhookReceiver::Answer(204));
  const WebhookEndpoint endpoint = AddEndpoint(receiver.Url("/hooks/jobs"));
  const Job job = FinishJob("job-1", JobStatus::kSuccess);
  WebhookDispatcher dispatcher = Dispatcher();

  ASSERT_EQ(dispatcher.RunOnce(t0_), 1);
  const std::vector<ReceivedRequest> requests = receiver.Requests();
  ASSERT_EQ(requests.size(), 1u);
  const ReceivedRequest& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/hooks/jobs");
  EXPECT_EQ(request.headers.at("content-type"), "application/json");
  EXPECT_EQ(Verify(endpoint.secret, request, t0_), WebhookVerdict::kValid);
  EXPECT_EQ(request.headers.at("webhook-timestamp"), std::to_string(t0_ / kNanosPerSecond));
  EXPECT_EQ(request.headers.at("webhook-id").substr(0, 4), "msg_");

  // {"data":<job>} is GET /v2/jobs/{id}'s body: the webhook's data is <job>.
  const std::string get_body = api::JobDocument(job, kPublicUrl);
  EXPECT_EQ(request.body, "{\"type\":\"job.succeeded\",\"timestamp\":\"" +
                              FormatRfc3339Nano(job.updated_at) +
                              "\",\"data\":" + get_body.substr(8, get_body.size() - 9) + "}");

  // Tampering with any byte breaks the signature; another secret too.
  ReceivedRequest tampered = request;
  tampered.body[tampered.body.size() - 2] ^= 1;
  EXPECT_EQ(Verify(endpoint.secret, tampered, t0_), WebhookVerdict::kNoMatch);
  EXPECT_EQ(Verify(NewWebhookSecret(), request, t0_), WebhookVerdict::kNoMatch);

  EXPECT_TRUE(webhooks_.QueuedDeliveries().empty()) << "delivered: no longer queued";
  const std::vector<WebhookAttempt> attempts = webhooks_.RecentAttempts(10);
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].webhook_id, request.headers.at("webhook-id"));
  EXPECT_EQ(attempts[0].endpoint_id, endpoint.id);
  EXPECT_EQ(attempts[0].job_id, "job-1");
  EXPECT_EQ(attempts[0].attempt, 1);
  EXPECT_EQ(attempts[0].http_status, 204);
  EXPECT_EQ(attempts[0].error, "");
  EXPECT_EQ(MetricLine("delivered"), "1");
  EXPECT_EQ(dispatcher.RunOnce(t0_ + kNanosPerDay), 0) << "nothing more to send";
}

TEST_F(WebhookDispatcherTest, FailuresAreRetriedWithBackoffAndTheSameWebhookId) {
  std::atomic<int> answered{0};
  WebhookReceiver receiver([&](int fd, const ReceivedRequest& request) {
    WebhookReceiver::Answer(++answered <= 3 ? 500 : 200)(fd, request);
  });
  const WebhookEndpoint endpoint = AddEndpoint(receiver.Url(), /*succeeded=*/false);
  FinishJob("job-1", JobStatus::kFailed);
  WebhookDispatcher dispatcher = Dispatcher();

  Nanos now = t0_;
  for (int attempt = 1; attempt <= 4; ++attempt) {
    ASSERT_EQ(dispatcher.RunOnce(now), 1) << attempt;
    if (attempt == 4) break;
    const std::vector<WebhookDelivery> queued = webhooks_.QueuedDeliveries();
    ASSERT_EQ(queued.size(), 1u);
    EXPECT_EQ(queued[0].attempts, attempt);
    // 5 s, 10 s, 20 s after the failed attempt (plus its duration).
    const Nanos backoff = (5 * kSecond) << (attempt - 1);
    EXPECT_GE(queued[0].next_attempt_at, now + backoff);
    EXPECT_LT(queued[0].next_attempt_at, now + backoff + kSecond);
    EXPECT_EQ(dispatcher.RunOnce(queued[0].next_attempt_at - 1), 0) << "not due before its time";
    now = queued[0].next_attempt_at;
  }

  const std::vector<ReceivedRequest> requests = receiver.Requests();
  ASSERT_EQ(requests.size(), 4u);
  for (const ReceivedRequest& request : requests) {
    EXPECT_EQ(request.headers.at("webhook-id"), requests[0].headers.at("webhook-id"));
    EXPECT_NE(request.body.find("\"type\":\"job.failed\""), std::string::npos);
  }
  EXPECT_EQ(Verify(endpoint.secret, requests[3], now), WebhookVerdict::kValid);
  EXPECT_TRUE(webhooks_.QueuedDeliveries().empty());

  std::vector<WebhookAttempt> attempts = webhooks_.RecentAttempts(10);
  std::reverse(attempts.begin(), attempts.end());
  ASSERT_EQ(attempts.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(attempts[i].attempt, i + 1);
    EXPECT_EQ(attempts[i].http_status, i < 3 ? 500 : 200);
    EXPECT_EQ(attempts[i].error, i < 3 ? "HTTP 500" : "");
  }
  EXPECT_EQ(MetricLine("retried"), "3");
  EXPECT_EQ(MetricLine("delivered"), "1");
  EXPECT_EQ(MetricLine("abandoned"), "0");
}

TEST_F(WebhookDispatcherTest, GivesUpOnceTheNextTryWouldFallPastTheRetryWindow) {
  WebhookReceiver receiver(WebhookReceiver::Answer(503));
  AddEndpoint(receiver.Url());
  FinishJob("job-1", JobStatus::kSuccess);
  // Tries at 0 s and 5 s; the next would be at 15 s, past 12 s.
  WebhookDispatcher dispatcher = Dispatcher(Options(5 * kSecond, 12 * kSecond));
  ASSERT_EQ(dispatcher.RunOnce(t0_), 1);
  ASSERT_EQ(webhooks_.QueuedDeliveries().size(), 1u);
  ASSERT_EQ(dispatcher.RunOnce(webhooks_.QueuedDeliveries()[0].next_attempt_at), 1);

  EXPECT_TRUE(webhooks_.QueuedDeliveries().empty()) << "given up";
  EXPECT_EQ(receiver.Requests().size(), 2u);
  const std::vector<WebhookAttempt> attempts = webhooks_.RecentAttempts(10);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].attempt, 2);
  EXPECT_EQ(attempts[0].error,
            "HTTP 503; given up after 2 attempt(s): the next would fall after the retry window "
            "(12s from the job's end)");
  EXPECT_EQ(MetricLine("abandoned"), "1");
  EXPECT_EQ(MetricLine("retried"), "1");
}

TEST_F(WebhookDispatcherTest, ARemovedEndpointOrAGoneJobGetsNothingAndIsDropped) {
  WebhookReceiver receiver(WebhookReceiver::Answer(200));
  const WebhookEndpoint removed = AddEndpoint(receiver.Url("/removed"));
  FinishJob("job-1", JobStatus::kSuccess);
  ASSERT_TRUE(webhooks_.RemoveEndpoint(removed.id));
  AddEndpoint(receiver.Url("/kept"));
  FinishJob("job-2", JobStatus::kSuccess);
  ASSERT_EQ(webhooks_.QueuedDeliveries().size(), 2u);
  ASSERT_EQ(jobs_.DeleteExpiredJobs(t0_ + 2 * kNanosPerDay, 10).size(), 2u);  // both jobs gone

  WebhookDispatcher dispatcher = Dispatcher();
  ASSERT_EQ(dispatcher.RunOnce(t0_), 2);
  EXPECT_TRUE(receiver.Requests().empty());
  EXPECT_TRUE(webhooks_.QueuedDeliveries().empty());
  std::vector<std::string> errors;
  for (const WebhookAttempt& a : webhooks_.RecentAttempts(10)) {
    EXPECT_EQ(a.http_status, std::nullopt);
    errors.push_back(a.job_id + ": " + a.error);
  }
  std::sort(errors.begin(), errors.end());
  EXPECT_EQ(errors, (std::vector<std::string>{
                        "job-1: not sent: the endpoint was removed; delivery dropped",
                        "job-2: not sent: the job no longer exists (expired); delivery dropped"}));
  EXPECT_EQ(MetricLine("abandoned"), "2");
}

TEST_F(WebhookDispatcherTest, AHangingEndpointTimesOutIsRetriedAndHoldsUpNoOtherDelivery) {
  WebhookReceiver* hanging_self = nullptr;
  WebhookReceiver hanging([&](int fd, const ReceivedRequest&) { hanging_self->HoldOpen(fd); });
  hanging_self = &hanging;
  WebhookReceiver answering(WebhookReceiver::Answer(200));
  AddEndpoint(hanging.Url());
  AddEndpoint(answering.Url());
  const Job job = FinishJob("job-1", JobStatus::kSuccess);

  WebhookDispatcherOptions options;
  options.senders = 2;
  options.send_timeout = 500 * kNanosPerSecond / 1000;
  options.poll_interval = 50 * kNanosPerSecond / 1000;
  WebhookDispatcher dispatcher = Dispatcher(options);
  dispatcher.Start();
  // The answering endpoint is served while the other one hangs.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (answering.Requests().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(answering.Requests().size(), 1u);
  // The hanging one times out (500 ms) and waits for its retry (5 s).
  while (webhooks_.RecentAttempts(10).size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  dispatcher.Stop();

  const std::vector<WebhookDelivery> queued = webhooks_.QueuedDeliveries();
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].attempts, 1);
  EXPECT_EQ(queued[0].claim_token, "");
  EXPECT_EQ(hanging.Requests().size(), 1u);
  bool timed_out = false;
  for (const WebhookAttempt& a : webhooks_.RecentAttempts(10)) {
    if (a.endpoint_id == queued[0].endpoint_id) {
      timed_out = a.error.find("timed out") != std::string::npos && !a.http_status;
    }
  }
  EXPECT_TRUE(timed_out);
  // The job itself is untouched by its webhooks.
  const Job after = jobs_.FindJob("job-1", t0_).value();
  EXPECT_EQ(after.status, JobStatus::kSuccess);
  EXPECT_EQ(after.updated_at, job.updated_at);
}

TEST_F(WebhookDispatcherTest, BackoffDoublesAndSaturates) {
  EXPECT_EQ(WebhookDispatcher::NextAttemptAt(100, 5, 1), 105);
  EXPECT_EQ(WebhookDispatcher::NextAttemptAt(100, 5, 3), 120);
  EXPECT_EQ(WebhookDispatcher::NextAttemptAt(100, 5 * kSecond, 1000), kLatestTime);
}

}  // namespace
}  // namespace jobsd
