#include "engine/webhooks/webhook_event.h"

namespace jobsd {

std::string_view WebhookEventName(WebhookEvent event) {
  switch (event) {
    case WebhookEvent::kJobSucceeded:
      return "job.succeeded";
    case WebhookEvent::kJobFailed:
      return "job.failed";
  }
  return "job.failed";  // not reached: every enumerator is handled above
}

std::optional<WebhookEvent> ParseWebhookEvent(std::string_view name) {
  for (WebhookEvent event : kAllWebhookEvents) {
    if (WebhookEventName(event) == name) return event;
  }
  return std::nullopt;
}

}  // namespace jobsd
