#include "engine/webhooks/webhook_dispatcher.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <stdexcept>
#include <utility>

#include "engine/webhooks/webhook_event.h"
#include "engine/webhooks/webhook_signature.h"

namespace jobsd {
namespace {

using Outcome = Metrics::WebhookOutcome;

std::chrono::milliseconds Millis(Nanos nanos) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(nanos));
}

std::string DurationText(Nanos nanos) {
  if (nanos % kNanosPerDay == 0) return std::to_string(nanos / kNanosPerDay) + "d";
  if (nanos % (3600 * kNanosPerSecond) == 0) {
    return std::to_string(nanos / (3600 * kNanosPerSecond)) + "h";
  }
  if (nanos % (60 * kNanosPerSecond) == 0) {
    return std::to_string(nanos / (60 * kNanosPerSecond)) + "m";
  }
  return std::to_string(nanos / kNanosPerSecond) + "s";
}

}  // namespace

WebhookDispatcher::WebhookDispatcher(WebhookStore& store, WebhookSender& sender,
                                     WebhookJobRenderer render_job, const Clock& clock,
                                     WebhookDispatcherOptions options, Metrics* metrics)
    : store_(store),
      sender_(sender),
      render_job_(std::move(render_job)),
      clock_(clock),
      options_(options),
      metrics_(metrics),
      claim_failures_("claiming webhook deliveries", std::chrono::seconds(1),
                      std::chrono::seconds(30)),
      send_failures_("recording webhook deliveries", std::chrono::seconds(1),
                     std::chrono::seconds(30)) {}

WebhookDispatcher::~WebhookDispatcher() { Stop(); }

std::string WebhookDispatcher::Body(const WebhookDelivery& delivery, const std::string& job_json) {
  std::string body;
  body.reserve(job_json.size() + 80);
  body.append("{\"type\":\"").append(WebhookEventName(delivery.event));
  body.append("\",\"timestamp\":\"");
  AppendRfc3339Nano(body, delivery.created_at);
  body.append("\",\"data\":").append(job_json).append("}");
  return body;
}

Nanos WebhookDispatcher::NextAttemptAt(Nanos now, Nanos first_retry, int failed_attempts) {
  Nanos delay = first_retry;
  for (int i = 1; i < failed_attempts && delay < kLatestTime; ++i) {
    delay = delay > kLatestTime / 2 ? kLatestTime : delay * 2;
  }
  return AddClamped(now, delay);
}

int WebhookDispatcher::RunOnce(Nanos now, int limit) {
  const std::vector<WebhookDelivery> due = store_.ClaimDueDeliveries(
      now, limit, AddClamped(now, options_.send_timeout + options_.lease_margin));
  for (const WebhookDelivery& delivery : due) Attempt(delivery, now);
  return static_cast<int>(due.size());
}

void WebhookDispatcher::Count(Outcome outcome) {
  if (metrics_ != nullptr) metrics_->WebhookDelivery(outcome);
}

void WebhookDispatcher::Finish(const WebhookDelivery& delivery, WebhookAttempt attempt,
                               Outcome outcome) {
  store_.RecordAttempt(attempt);
  // False when the lease lapsed and another claim took it: that claim
  // tries it again (at least once) and counts its own outcome.
  if (store_.CompleteDelivery(delivery.webhook_id, delivery.claim_token)) Count(outcome);
}

void WebhookDispatcher::Attempt(const WebhookDelivery& delivery, Nanos now) {
  WebhookAttempt attempt;
  attempt.webhook_id = delivery.webhook_id;
  attempt.endpoint_id = delivery.endpoint_id;
  attempt.job_id = delivery.job_id;
  attempt.event = delivery.event;
  attempt.attempt = delivery.attempts + 1;
  attempt.attempted_at = now;

  // Looked up on every try: a removed endpoint gets nothing more.
  const std::optional<WebhookEndpoint> endpoint = store_.FindEndpoint(delivery.endpoint_id);
  if (!endpoint) {
    attempt.error = "not sent: the endpoint was removed; delivery dropped";
    return Finish(delivery, std::move(attempt), Outcome::kAbandoned);
  }
  const std::optional<std::string> job = render_job_(delivery.job_id);
  if (!job) {
    attempt.error = "not sent: the job no longer exists (expired); delivery dropped";
    return Finish(delivery, std::move(attempt), Outcome::kAbandoned);
  }
  const std::string body = Body(delivery, *job);
  const std::int64_t timestamp = now / kNanosPerSecond;
  std::string signature;
  try {
    signature = SignWebhook(endpoint->secret, delivery.webhook_id, timestamp, body);
  } catch (const std::invalid_argument&) {
    attempt.error =
        "not sent: the endpoint's secret is not a valid whsec_ secret; delivery dropped";
    return Finish(delivery, std::move(attempt), Outcome::kAbandoned);
  }

  const WebhookResponse response = sender_.Send({endpoint->url,
                                                 {{"webhook-id", delivery.webhook_id},
                                                  {"webhook-timestamp", std::to_string(timestamp)},
                                                  {"webhook-signature", signature}},
                                                 body});
  attempt.http_status = response.status;
  attempt.duration = response.duration;
  if (response.delivered()) return Finish(delivery, std::move(attempt), Outcome::kDelivered);
  attempt.error = !response.error.empty() ? response.error
                  : response.status       ? "HTTP " + std::to_string(*response.status)
                                          : "no answer";

  const Nanos next =
      NextAttemptAt(AddClamped(now, response.duration), options_.first_retry, attempt.attempt);
  if (next > AddClamped(delivery.created_at, options_.retry_for)) {
    attempt.error += "; given up after " + std::to_string(attempt.attempt) +
                     " attempt(s): the next would fall after the retry window (" +
                     DurationText(options_.retry_for) + " from the job's end)";
    return Finish(delivery, std::move(attempt), Outcome::kAbandoned);
  }
  store_.RecordAttempt(attempt);
  if (store_.RetryDelivery(delivery.webhook_id, delivery.claim_token, next)) {
    Count(Outcome::kRetried);
  }
}

void WebhookDispatcher::Start() {
  std::lock_guard lock(mutex_);
  if (started_) return;
  started_ = true;
  const int senders = std::max(1, options_.senders);
  for (int i = 0; i < senders; ++i) senders_.emplace_back([this] { Send(); });
  loop_ = std::thread([this] { Loop(); });
}

void WebhookDispatcher::WakeSoon() {
  {
    std::lock_guard lock(mutex_);
    wake_ = true;
  }
  changed_.notify_all();
}

void WebhookDispatcher::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stop_ && !loop_.joinable()) return;
    stop_ = true;
  }
  changed_.notify_all();
  if (loop_.joinable()) loop_.join();
  for (std::thread& sender : senders_) {
    if (sender.joinable()) sender.join();
  }
  senders_.clear();
}

void WebhookDispatcher::PruneAttempts() {
  try {
    const Nanos now = clock_.Now();
    store_.DeleteAttemptsBefore(now > options_.keep_attempts_for ? now - options_.keep_attempts_for
                                                                 : 0);
  } catch (const std::exception& e) {
    claim_failures_.Failed(e.what());  // tried again at the next prune
  }
}

void WebhookDispatcher::Loop() {
  PruneAttempts();
  auto next_prune = std::chrono::steady_clock::now() + Millis(options_.prune_interval);
  std::unique_lock lock(mutex_);
  // True when the last claim took all it asked for: more may be due, so a
  // sender coming free claims again at once rather than at the next tick.
  bool backlog = false;
  while (!stop_) {
    auto delay = Millis(options_.poll_interval);
    const int wanted = idle_senders_ - static_cast<int>(claimed_.size());
    if (wanted > 0) {
      lock.unlock();
      std::vector<WebhookDelivery> got;
      try {
        const Nanos now = clock_.Now();
        got = store_.ClaimDueDeliveries(
            now, wanted, AddClamped(now, options_.send_timeout + options_.lease_margin));
        claim_failures_.Succeeded();
      } catch (const std::exception& e) {
        delay = claim_failures_.Failed(e.what());
      }
      lock.lock();
      backlog = static_cast<int>(got.size()) == wanted;
      for (WebhookDelivery& delivery : got) claimed_.push_back(std::move(delivery));
      if (!got.empty()) changed_.notify_all();
    }
    changed_.wait_for(lock, delay, [&] {
      return stop_ || wake_ || (backlog && idle_senders_ > static_cast<int>(claimed_.size()));
    });
    wake_ = false;
    if (std::chrono::steady_clock::now() >= next_prune) {
      lock.unlock();
      PruneAttempts();
      next_prune = std::chrono::steady_clock::now() + Millis(options_.prune_interval);
      lock.lock();
    }
  }
}

void WebhookDispatcher::Send() {
  std::unique_lock lock(mutex_);
  ++idle_senders_;
  changed_.notify_all();
  while (true) {
    changed_.wait(lock, [&] { return stop_ || !claimed_.empty(); });
    // At shutdown, deliveries claimed but not begun stay claimed: their
    // leases lapse and they come due again (here after a restart, or on
    // another node).
    if (stop_) break;
    WebhookDelivery delivery = std::move(claimed_.front());
    claimed_.pop_front();
    --idle_senders_;
    lock.unlock();
    try {
      Attempt(delivery, clock_.Now());
      send_failures_.Succeeded();
    } catch (const std::exception& e) {
      send_failures_.Failed(e.what());  // its lease lapses and it is tried again
    }
    lock.lock();
    ++idle_senders_;
    changed_.notify_all();
  }
}

}  // namespace jobsd
