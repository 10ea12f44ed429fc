// The storage port for completion webhooks (the README's "Completion webhooks"): the
// endpoints registered with `jobsd webhooks add`, and a record of every
// delivery attempt for `jobsd webhooks deliveries`.
//
// A signing secret cannot be hashed (the sender needs the key itself), so
// the store keeps it as given. Only AddEndpoint takes one and only
// EndpointsFor and FindEndpoint (for sending) give it back; ListEndpoints
// never does. No verb puts a secret in an error message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/time.h"
#include "engine/webhooks/webhook_event.h"

namespace jobsd {

struct WebhookEndpoint {
  std::string id;            // "wh_" + 32 hex digits
  std::string url;           // http:// or https://, checked before it is stored
  bool on_succeeded = true;  // subscribed to job.succeeded
  bool on_failed = true;     // subscribed to job.failed
  std::string secret;        // whsec_<base64>
  Nanos created_at = 0;

  bool Wants(WebhookEvent event) const {
    return event == WebhookEvent::kJobSucceeded ? on_succeeded : on_failed;
  }
};

// What `webhooks list` shows of an endpoint: everything but the secret.
struct WebhookEndpointSummary {
  std::string id;
  std::string url;
  bool on_succeeded = true;
  bool on_failed = true;
  Nanos created_at = 0;
};

// One try at delivering one event to one endpoint.
struct WebhookAttempt {
  std::string webhook_id;   // the webhook-id header: one per event and endpoint
  std::string endpoint_id;  // may name an endpoint removed since
  std::string job_id;
  WebhookEvent event = WebhookEvent::kJobSucceeded;
  int attempt = 1;  // 1 for the first try of this webhook_id
  Nanos attempted_at = 0;
  std::optional<int> http_status;  // nullopt when no answer came
  std::string error;               // "" when the endpoint answered 2xx
  Nanos duration = 0;              // from connecting to the end of the answer
};

// Each call is one transaction, visible to every later call from any thread
// or process sharing the store; every method may be called from any thread.
// Failures of the store throw StoreError.
class WebhookStore {
 public:
  virtual ~WebhookStore() = default;

  // An id already stored is a StoreError (ids are random: never in practice).
  virtual void AddEndpoint(const WebhookEndpoint& endpoint) = 0;
  // Every endpoint, oldest first (created_at, then id), without secrets.
  virtual std::vector<WebhookEndpointSummary> ListEndpoints() = 0;
  // The endpoints subscribed to `event`, with their secrets, oldest first.
  virtual std::vector<WebhookEndpoint> EndpointsFor(WebhookEvent event) = 0;
  // One endpoint with its secret (a retry looks its endpoint up again:
  // nullopt once it was removed).
  virtual std::optional<WebhookEndpoint> FindEndpoint(std::string_view id) = 0;
  // Deletes the endpoint and its secret for good; false when there was
  // none. Its attempts stay in the record.
  virtual bool RemoveEndpoint(std::string_view id) = 0;

  virtual void RecordAttempt(const WebhookAttempt& attempt) = 0;
  // The newest `limit` attempts (attempted_at descending; of two at the
  // same instant, the later recorded first). limit <= 0 gives none.
  virtual std::vector<WebhookAttempt> RecentAttempts(int limit) = 0;
  // Forgets attempts made before `cutoff`; returns how many went.
  virtual std::int64_t DeleteAttemptsBefore(Nanos cutoff) = 0;
};

}  // namespace jobsd
