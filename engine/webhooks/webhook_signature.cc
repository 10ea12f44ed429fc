#include "engine/webhooks/webhook_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <stdexcept>

#include "engine/base64.h"
#include "engine/random.h"

namespace jobsd {
namespace {

constexpr std::size_t kSecretBytes = 32;

std::string HmacSha256(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
           &length) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string SignedContent(std::string_view id, std::string_view timestamp, std::string_view body) {
  std::string content;
  content.reserve(id.size() + timestamp.size() + body.size() + 2);
  content.append(id).append(".").append(timestamp).append(".").append(body);
  return content;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string NewWebhookSecret() {
  return std::string(kWebhookSecretPrefix) + Base64Encode(RandomBytes(kSecretBytes));
}

std::optional<std::string> WebhookSigningKey(std::string_view secret) {
  if (secret.starts_with(kWebhookSecretPrefix)) secret.remove_prefix(kWebhookSecretPrefix.size());
  std::optional<std::string> key = Base64Decode(secret);
  if (!key || key->empty()) return std::nullopt;
  return key;
}

std::string SignWebhook(std::string_view secret, std::string_view webhook_id,
                        std::int64_t timestamp_seconds, std::string_view body) {
  std::optional<std::string> key = WebhookSigningKey(secret);
  if (!key) throw std::invalid_argument("not a webhook secret (whsec_<base64>)");
  const std::string timestamp = std::to_string(timestamp_seconds);
  return "v1," + Base64Encode(HmacSha256(*key, SignedContent(webhook_id, timestamp, body)));
}

WebhookVerdict VerifyWebhook(std::string_view secret, const WebhookSignedHeaders& headers,
                             std::string_view body, std::int64_t now_seconds,
                             std::chrono::seconds tolerance) {
  std::optional<std::string> key = WebhookSigningKey(secret);
  if (!key) return WebhookVerdict::kBadSecret;
  std::int64_t timestamp = 0;
  const char* end = headers.timestamp.data() + headers.timestamp.size();
  auto [parsed_to, error] = std::from_chars(headers.timestamp.data(), end, timestamp);
  if (headers.timestamp.empty() || error != std::errc() || parsed_to != end) {
    return WebhookVerdict::kBadTimestamp;
  }
  // Compared as a difference that cannot overflow: both are int64 seconds.
  const long double skew = static_cast<long double>(now_seconds) - timestamp;
  if (skew > tolerance.count() || -skew > tolerance.count()) {
    return WebhookVerdict::kTimestampOutOfRange;
  }
  const std::string expected =
      Base64Encode(HmacSha256(*key, SignedContent(headers.id, headers.timestamp, body)));
  std::string_view rest = headers.signature;
  bool matched = false;
  while (!rest.empty()) {
    const std::size_t space = rest.find(' ');
    const std::string_view one = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    if (!one.starts_with("v1,")) continue;
    // Every candidate is compared, so the time taken says nothing about
    // which one matched.
    matched = ConstantTimeEqual(one.substr(3), expected) || matched;
  }
  return matched ? WebhookVerdict::kValid : WebhookVerdict::kNoMatch;
}

}  // namespace jobsd
