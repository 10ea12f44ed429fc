#include "storage/memory/memory_webhook_store.h"

#include <algorithm>
#include <tuple>

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
