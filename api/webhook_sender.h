// engine/webhooks/webhook_sender.h over api/webhook_client.h: the
// dispatcher's deliveries go out through Beast, with its timeouts, TLS
// verification, no redirects and a bounded answer.
#pragma once

#include "api/webhook_client.h"
#include "engine/webhooks/webhook_sender.h"

namespace jobsd::api {

class BeastWebhookSender final : public WebhookSender {
 public:
  explicit BeastWebhookSender(WebhookClientOptions options = {}) : client_(std::move(options)) {}

  WebhookResponse Send(const WebhookRequest& request) override {
    const WebhookPostResult result = client_.Post({request.url, request.headers, request.body});
    return WebhookResponse{result.status, result.error, result.duration.count()};
  }

 private:
  WebhookClient client_;
};

}  // namespace jobsd::api
