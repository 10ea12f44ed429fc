// serve's settings for sending completion webhooks (the README's
// "Completion webhooks"), apart from cli/settings.h: only serve sends.
#pragma once

#include "cli/args.h"
#include "engine/time.h"

namespace jobsd::cli {

struct WebhookSettings {
  Nanos retry_for = kNanosPerDay;           // give up once the next try would be later
  Nanos first_retry = 5 * kNanosPerSecond;  // doubling from there
  Nanos timeout = 10 * kNanosPerSecond;     // per attempt: connect to the end of the answer
};

OptionSpec WebhookRetryForOption();
OptionSpec WebhookFirstRetryOption();
OptionSpec WebhookTimeoutOption();

// Reads the options above. Throws UsageError naming the option or variable.
WebhookSettings ResolveWebhookSettings(const ParsedArgs& args);

}  // namespace jobsd::cli
