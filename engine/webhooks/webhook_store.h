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

// One event still to deliver to one endpoint: a row of the outbox. The
// store queues them itself, in the transaction that moves a job to
// `success` or `failed` (one per endpoint subscribed to that event then),
// whatever path finished the job; nothing else creates them.
struct WebhookDelivery {
  std::string webhook_id;  // "msg_" + 32 hex digits: the webhook-id header
  std::string endpoint_id;
  std::string job_id;
  WebhookEvent event = WebhookEvent::kJobSucceeded;
  Nanos created_at = 0;       // the job's finish time: the body's timestamp
  Nanos next_attempt_at = 0;  // due from then on
  int attempts = 0;           // tries made before this claim
  std::string claim_token;    // set by ClaimDueDeliveries: fences the verbs below
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

  // Takes up to `limit` due deliveries (next_attempt_at <= now, and
  // unclaimed or their lease lapsed: lease_until <= now), oldest due first
  // (next_attempt_at, then webhook_id), each under a fresh claim token held
  // until `lease_until`. Atomic: two callers, in this process or another
  // (several PostgreSQL nodes), never hold the same delivery at once; a
  // caller that dies leaves its deliveries due again when the lease lapses.
  // limit <= 0 takes none.
  virtual std::vector<WebhookDelivery> ClaimDueDeliveries(Nanos now, int limit,
                                                          Nanos lease_until) = 0;
  // Delivered or given up: deletes the delivery if `claim_token` still
  // holds it; false (and nothing changes) when another claim took it since.
  virtual bool CompleteDelivery(std::string_view webhook_id, std::string_view claim_token) = 0;
  // Tried and failed: attempts + 1, unclaimed, due again at
  // `next_attempt_at`; fenced by `claim_token` like CompleteDelivery.
  virtual bool RetryDelivery(std::string_view webhook_id, std::string_view claim_token,
                             Nanos next_attempt_at) = 0;
  // Every delivery still queued, claimed or not, oldest first (created_at,
  // then webhook_id): for tests and inspection.
  virtual std::vector<WebhookDelivery> QueuedDeliveries() = 0;
};

}  // namespace jobsd
