// Signing secrets and signatures of the Standard Webhooks specification
// (https://www.standardwebhooks.com/, the README's "Completion webhooks"):
//   secret     whsec_<base64 of the key>; ours are 32 random bytes
//   signature  v1,<base64 of HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")>
// sent as the webhook-signature header beside webhook-id and
// webhook-timestamp (epoch seconds). Pure functions, safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/time.h"

namespace jobsd {

inline constexpr std::string_view kWebhookSecretPrefix = "whsec_";

// A new secret: whsec_ + base64 of 32 bytes from OpenSSL's RAND_bytes.
// Throws std::runtime_error if the system generator fails.
std::string NewWebhookSecret();

// The HMAC key a secret stands for: the base64-decoded part after whsec_
// (the prefix is optional, as the specification's libraries allow).
// nullopt when that part is not canonical base64 or is empty.
std::optional<std::string> WebhookSigningKey(std::string_view secret);

// "v1,<base64 HMAC-SHA256>" over "<id>.<timestamp>.<body>". Throws
// std::invalid_argument when `secret` is not a valid secret.
std::string SignWebhook(std::string_view secret, std::string_view webhook_id,
                        std::int64_t timestamp_seconds, std::string_view body);

// The three headers a receiver reads, as received.
struct WebhookSignedHeaders {
  std::string_view id;         // webhook-id
  std::string_view timestamp;  // webhook-timestamp
  std::string_view signature;  // webhook-signature
};

enum class WebhookVerdict {
  kValid,
  kBadSecret,            // the secret itself is malformed
  kBadTimestamp,         // not a whole number of seconds
  kTimestampOutOfRange,  // further than `tolerance` from `now`
  kNoMatch,              // no v1 signature in the header matches
};

// What a receiver does (tests/ use it as one): the header may carry
// several space-separated signatures ("v1,<sig> v1,<sig>"), of which one
// valid v1 suffices; other versions are ignored. Signatures are compared in
// constant time. `now_seconds`: the receiver's clock; the timestamp must be
// within `tolerance` of it (the specification's libraries use 5 minutes).
WebhookVerdict VerifyWebhook(std::string_view secret, const WebhookSignedHeaders& headers,
                             std::string_view body, std::int64_t now_seconds,
                             std::chrono::seconds tolerance = std::chrono::minutes(5));

}  // namespace jobsd
