// The engine's port for sending one webhook (the README's "Completion
// webhooks"): what api/webhook_sender.h implements with Beast. The engine
// knows no HTTP beyond this: a URL, headers and a body out, a status or an
// error back.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/time.h"

namespace jobsd {

struct WebhookRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // the webhook-* headers
  std::string body;                                          // JSON
};

struct WebhookResponse {
  std::optional<int> status;  // nullopt when no answer came
  std::string error;          // "" when 2xx; else why not ("HTTP 500", "timed out ...")
  Nanos duration = 0;

  bool delivered() const { return status && *status >= 200 && *status < 300; }
};

// Thread-safe: Send is called from several threads at once. It blocks until
// the answer, an error or its own timeout, and never throws for what the
// network or the receiver does.
class WebhookSender {
 public:
  virtual ~WebhookSender() = default;
  virtual WebhookResponse Send(const WebhookRequest& request) = 0;
};

}  // namespace jobsd
