// A new endpoint for WebhookStore::AddEndpoint: a random id and a fresh
// signing secret (engine/webhooks/webhook_signature.h).
#pragma once

#include <string>

#include "engine/time.h"
#include "engine/webhooks/webhook_store.h"

namespace jobsd {

// REQUIRES: `url` was checked (http/https), and at least one event is on.
WebhookEndpoint NewWebhookEndpoint(std::string url, bool on_succeeded, bool on_failed, Nanos now);

}  // namespace jobsd
