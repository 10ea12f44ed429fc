// engine/webhooks/webhook_store.h on PostgreSQL: every node sees every
// endpoint. The secrets are readable by the role jobsd connects as (the
// tables' owner) and superusers only (migrations/postgres/0006_webhooks.sql).
#pragma once

#include "engine/webhooks/webhook_store.h"
#include "storage/postgres/pg_pool.h"

namespace jobsd::storage {

class PostgresWebhookStore final : public WebhookStore {
 public:
  explicit PostgresWebhookStore(pg::Pool& pool) : pool_(pool) {}

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

 private:
  pg::Pool& pool_;
};

}  // namespace jobsd::storage
