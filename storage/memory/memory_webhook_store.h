// engine/webhooks/webhook_store.h held in memory: the reference
// implementation of the port, for tests. One mutex makes each call one
// transaction.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/queue/job.h"
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
  std::vector<WebhookDelivery> ClaimDueDeliveries(Nanos now, int limit, Nanos lease_until) override;
  bool CompleteDelivery(std::string_view webhook_id, std::string_view claim_token) override;
  bool RetryDelivery(std::string_view webhook_id, std::string_view claim_token,
                     Nanos next_attempt_at) override;
  std::vector<WebhookDelivery> QueuedDeliveries() override;

  // What the SQL stores' trigger does when a job reaches success or failed
  // (MemoryJobStore calls it): one delivery per endpoint subscribed to the
  // event, created at `finished_at`. Other statuses queue nothing.
  void QueueDeliveries(const std::string& job_id, JobStatus status, Nanos finished_at);

 private:
  std::mutex mutex_;
  std::vector<WebhookEndpoint> endpoints_;  // oldest first (created_at, id)
  std::vector<WebhookAttempt> attempts_;    // in the order recorded
  // The outbox; a claimed one has claim_token set and lease_until_ an entry.
  std::vector<WebhookDelivery> deliveries_;                // in the order queued
  std::map<std::string, Nanos, std::less<>> lease_until_;  // by webhook_id
};

}  // namespace jobsd::storage
