#include "cli/webhook_settings.h"

#include <optional>
#include <string>

namespace jobsd::cli {
namespace {

// A positive duration no longer than `longest` (the retry arithmetic and
// the steady clock's deadlines must not overflow).
Nanos ParsePositiveDuration(const std::string& text, const std::string& source, Nanos longest,
                            const std::string& longest_text) {
  std::string reason;
  std::optional<Nanos> value = ParseDuration(text, &reason);
  if (!value) {
    throw UsageError("invalid duration '" + text + "' for " + source + ": " + reason +
                     " (use a whole number with s, m, h or d, e.g. 30s, 7d)");
  }
  if (*value <= 0) {
    throw UsageError("invalid duration '" + text + "' for " + source + ": must be more than 0");
  }
  if (*value > longest) {
    throw UsageError("invalid duration '" + text + "' for " + source + ": too long (at most " +
                     longest_text + ")");
  }
  return *value;
}

}  // namespace

OptionSpec WebhookRetryForOption() {
  return {"webhook-retry-for", "DURATION", "JOBSD_WEBHOOK_RETRY_FOR", "24h",
          "how long a completion webhook is retried, from the job's end, before it is given up"};
}
OptionSpec WebhookFirstRetryOption() {
  return {"webhook-first-retry", "DURATION", "JOBSD_WEBHOOK_FIRST_RETRY", "5s",
          "wait before a failed webhook's first retry; each later one waits twice as long"};
}
OptionSpec WebhookTimeoutOption() {
  return {"webhook-timeout", "DURATION", "JOBSD_WEBHOOK_TIMEOUT", "10s",
          "how long a webhook attempt may take (connect, send, answer) before it fails"};
}

WebhookSettings ResolveWebhookSettings(const ParsedArgs& args) {
  WebhookSettings settings;
  constexpr Nanos kLongest = 36500 * kNanosPerDay;
  if (auto value = args.Get("webhook-retry-for")) {
    settings.retry_for =
        ParsePositiveDuration(*value, args.SourceOf("webhook-retry-for"), kLongest, "36500d");
  }
  if (auto value = args.Get("webhook-first-retry")) {
    settings.first_retry =
        ParsePositiveDuration(*value, args.SourceOf("webhook-first-retry"), kLongest, "36500d");
  }
  if (auto value = args.Get("webhook-timeout")) {
    settings.timeout = ParsePositiveDuration(*value, args.SourceOf("webhook-timeout"),
                                             3600 * kNanosPerSecond, "1h");
  }
  return settings;
}

}  // namespace jobsd::cli
