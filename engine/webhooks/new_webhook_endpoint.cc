#include "engine/webhooks/new_webhook_endpoint.h"

#include "engine/random.h"
#include "engine/webhooks/webhook_signature.h"

namespace jobsd {

WebhookEndpoint NewWebhookEndpoint(std::string url, bool on_succeeded, bool on_failed, Nanos now) {
  WebhookEndpoint endpoint;
  endpoint.id = "wh_" + RandomHex(16);
  endpoint.url = std::move(url);
  endpoint.on_succeeded = on_succeeded;
  endpoint.on_failed = on_failed;
  endpoint.secret = NewWebhookSecret();
  endpoint.created_at = now;
  return endpoint;
}

}  // namespace jobsd
