#include "storage/memory/memory_webhook_store.h"

#include <algorithm>
#include <tuple>

#include "engine/random.h"
#include "engine/store_error.h"

namespace jobsd::storage {

void MemoryWebhookStore::AddEndpoint(const WebhookEndpoint& endpoint) {
  std::lock_guard lock(mutex_);
  for (const WebhookEndpoint& existing : endpoints_) {
    if (existing.id == endpoint.id) {
      throw StoreError("webhook endpoint [" + endpoint.id + "] already exists",
                       /*transient=*/false);
    }
  }
  auto at = std::upper_bound(endpoints_.begin(), endpoints_.end(), endpoint,
                             [](const WebhookEndpoint& a, const WebhookEndpoint& b) {
                               return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
                             });
  endpoints_.insert(at, endpoint);
}

std::vector<WebhookEndpointSummary> MemoryWebhookStore::ListEndpoints() {
  std::lock_guard lock(mutex_);
  std::vector<WebhookEndpointSummary> summaries;
  for (const WebhookEndpoint& e : endpoints_) {
    summaries.push_back({e.id, e.url, e.on_succeeded, e.on_failed, e.created_at});
  }
  return summaries;
}

std::vector<WebhookEndpoint> MemoryWebhookStore::EndpointsFor(WebhookEvent event) {
  std::lock_guard lock(mutex_);
  std::vector<WebhookEndpoint> wanted;
  for (const WebhookEndpoint& e : endpoints_) {
    if (e.Wants(event)) wanted.push_back(e);
  }
  return wanted;
}

std::optional<WebhookEndpoint> MemoryWebhookStore::FindEndpoint(std::string_view id) {
  std::lock_guard lock(mutex_);
  for (const WebhookEndpoint& e : endpoints_) {
    if (e.id == id) return e;
  }
  return std::nullopt;
}

bool MemoryWebhookStore::RemoveEndpoint(std::string_view id) {
  std::lock_guard lock(mutex_);
  return std::erase_if(endpoints_, [&](const WebhookEndpoint& e) { return e.id == id; }) > 0;
}

void MemoryWebhookStore::RecordAttempt(const WebhookAttempt& attempt) {
  std::lock_guard lock(mutex_);
  attempts_.push_back(attempt);
}

std::vector<WebhookAttempt> MemoryWebhookStore::RecentAttempts(int limit) {
  std::lock_guard lock(mutex_);
  std::vector<WebhookAttempt> newest(attempts_.rbegin(), attempts_.rend());
  // Stable: of two at the same instant, the later recorded stays first.
  std::stable_sort(newest.begin(), newest.end(),
                   [](const auto& a, const auto& b) { return a.attempted_at > b.attempted_at; });
  newest.resize(std::min(newest.size(), static_cast<std::size_t>(std::max(limit, 0))));
  return newest;
}

std::int64_t MemoryWebhookStore::DeleteAttemptsBefore(Nanos cutoff) {
  std::lock_guard lock(mutex_);
  return static_cast<std::int64_t>(
      std::erase_if(attempts_, [&](const WebhookAttempt& a) { return a.attempted_at < cutoff; }));
}

}  // namespace jobsd::storage

namespace jobsd::storage {

void MemoryWebhookStore::QueueDeliveries(const std::string& job_id, JobStatus status,
                                         Nanos finished_at) {
  if (!IsFinal(status)) return;
  const WebhookEvent event =
      status == JobStatus::kSuccess ? WebhookEvent::kJobSucceeded : WebhookEvent::kJobFailed;
  std::lock_guard lock(mutex_);
  for (const WebhookEndpoint& e : endpoints_) {
    if (!e.Wants(event)) continue;
    WebhookDelivery delivery;
    delivery.webhook_id = "msg_" + RandomHex(16);
    delivery.endpoint_id = e.id;
    delivery.job_id = job_id;
    delivery.event = event;
    delivery.created_at = finished_at;
    delivery.next_attempt_at = finished_at;
    deliveries_.push_back(std::move(delivery));
  }
}

std::vector<WebhookDelivery> MemoryWebhookStore::ClaimDueDeliveries(Nanos now, int limit,
                                                                    Nanos lease_until) {
  std::vector<WebhookDelivery> claimed;
  if (limit <= 0) return claimed;
  std::lock_guard lock(mutex_);
  std::vector<WebhookDelivery*> due;
  for (WebhookDelivery& d : deliveries_) {
    auto lease = lease_until_.find(d.webhook_id);
    const bool free = lease == lease_until_.end() || lease->second <= now;
    if (d.next_attempt_at <= now && free) due.push_back(&d);
  }
  std::sort(due.begin(), due.end(), [](const WebhookDelivery* a, const WebhookDelivery* b) {
    return std::tie(a->next_attempt_at, a->webhook_id) <
           std::tie(b->next_attempt_at, b->webhook_id);
  });
  if (due.size() > static_cast<std::size_t>(limit)) due.resize(static_cast<std::size_t>(limit));
  const std::string token_prefix = RandomHex(16) + ":";
  for (WebhookDelivery* d : due) {
    d->claim_token = token_prefix + d->webhook_id;
    lease_until_.insert_or_assign(d->webhook_id, lease_until);
    claimed.push_back(*d);
  }
  return claimed;
}

bool MemoryWebhookStore::CompleteDelivery(std::string_view webhook_id,
                                          std::string_view claim_token) {
  std::lock_guard lock(mutex_);
  const auto held = [&](const WebhookDelivery& d) {
    return d.webhook_id == webhook_id && !d.claim_token.empty() && d.claim_token == claim_token;
  };
  if (std::erase_if(deliveries_, held) == 0) return false;
  lease_until_.erase(lease_until_.find(webhook_id));
  return true;
}

bool MemoryWebhookStore::RetryDelivery(std::string_view webhook_id, std::string_view claim_token,
                                       Nanos next_attempt_at) {
  std::lock_guard lock(mutex_);
  for (WebhookDelivery& d : deliveries_) {
    if (d.webhook_id != webhook_id || d.claim_token.empty() || d.claim_token != claim_token) {
      continue;
    }
    ++d.attempts;
    d.next_attempt_at = next_attempt_at;
    d.claim_token.clear();
    lease_until_.erase(lease_until_.find(webhook_id));
    return true;
  }
  return false;
}

std::vector<WebhookDelivery> MemoryWebhookStore::QueuedDeliveries() {
  std::lock_guard lock(mutex_);
  std::vector<WebhookDelivery> queued = deliveries_;
  std::stable_sort(queued.begin(), queued.end(), [](const auto& a, const auto& b) {
    return std::tie(a.created_at, a.webhook_id) < std::tie(b.created_at, b.webhook_id);
  });
  return queued;
}

}  // namespace jobsd::storage
