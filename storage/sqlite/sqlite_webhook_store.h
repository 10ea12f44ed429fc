// engine/webhooks/webhook_store.h on SQLite.
//
// The signing secrets live in the store file as given (a key cannot be
// hashed), so before the first endpoint is written the file and its -wal
// and -shm companions lose every permission of group and others: only the
// owner of the store (the user jobsd runs as) can read them. Best effort:
// a file this user does not own keeps the modes its owner chose.
#pragma once

#include <filesystem>
#include <functional>

#include "engine/webhooks/webhook_store.h"
#include "storage/sqlite/connection_pool.h"

namespace jobsd::storage {

class SqliteWebhookStore final : public WebhookStore {
 public:
  // `before_write` as in SqliteCredentialStore: may throw to refuse a write.
  SqliteWebhookStore(ConnectionPool& pool, std::filesystem::path file,
                     std::function<void()> before_write = {})
      : pool_(pool), file_(std::move(file)), before_write_(std::move(before_write)) {}

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
  void BeforeWrite() const {
    if (before_write_) before_write_();
  }
  void KeepFileToOwner() const;

  ConnectionPool& pool_;
  std::filesystem::path file_;
  std::function<void()> before_write_;
};

}  // namespace jobsd::storage
