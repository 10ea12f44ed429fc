// The events an endpoint may subscribe to (the README's "Completion webhooks"): a job
// reaching `success` or `failed`.
#pragma once

#include <optional>
#include <string_view>

namespace jobsd {

enum class WebhookEvent { kJobSucceeded, kJobFailed };

inline constexpr WebhookEvent kAllWebhookEvents[] = {WebhookEvent::kJobSucceeded,
                                                     WebhookEvent::kJobFailed};

// "job.succeeded" / "job.failed": the body's `type` and the CLI's --event.
std::string_view WebhookEventName(WebhookEvent event);

// The event of that exact name, or nullopt.
std::optional<WebhookEvent> ParseWebhookEvent(std::string_view name);

}  // namespace jobsd
