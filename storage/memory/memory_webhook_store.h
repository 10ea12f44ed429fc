// engine/webhooks/webhook_store.h held in memory: the reference
// implementation of the port, for tests. One mutex makes each call one
// transaction.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "engine/webhooks/webhook_store.h"

namespace jobsd::storage {

class MemoryWebhookStore final : public WebhookStore {
 public:
  void AddEndpoint(const WebhookEndpoint& endpoint) override;
  std::vector<WebhookEndpointSummary> ListEndpoints() override;
  std::vector<WebhookEndpoint> EndpointsFor(WebhookEvent event) override;
  std::optional<WebhookEndpoint> FindEndpoint(std::string_view id) override;
  bool RemoveEndpoint(std::string_view id) override;
  void RecordAttempt(const WebhookAttempt& attempt) override;
  std::vector<WebhookAttempt> RecentAttempts(int limit) override;
  std::int64_t DeleteAttemptsBefore(Nanos cutoff) override;

 private:
  std::mutex mutex_;
  std::vector<WebhookEndpoint> endpoints_;  // oldest first (created_at, id)
  std::vector<WebhookAttempt> attempts_;    // in the order recorded
};

}  // namespace jobsd::storage
