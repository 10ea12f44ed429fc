#include "engine/webhooks/webhook_signature.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "engine/base64.h"

namespace jobsd {
namespace {

// The specification's published example, from the reference libraries'
// own tests: standard-webhooks/standard-webhooks,
// libraries/python/tests/test_webhooks.py, test_sign_function (commit
// 33d368b2); the PHP, Go and JavaScript libraries' tests use the same values.
constexpr std::string_view kSpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view kSpecId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::int64_t kSpecTimestamp = 1614265330;
constexpr std::string_view kSpecBody = R"({"test": 2432232314})";
constexpr std::string_view kSpecSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
// The same file's test_invalid_signature_raises_error: the last character changed.
constexpr std::string_view kSpecInvalidSignature =
    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=";

WebhookSignedHeaders SpecHeaders(std::string_view signature) {
  static const std::string timestamp = std::to_string(kSpecTimestamp);
  return {kSpecId, timestamp, signature};
}

TEST(WebhookSignatureTest, SignReproducesTheSpecificationsPublishedExample) {
  EXPECT_EQ(SignWebhook(kSpecSecret, kSpecId, kSpecTimestamp, kSpecBody), kSpecSignature);
  // The prefix is optional, as in the reference libraries.
  EXPECT_EQ(SignWebhook(kSpecSecret.substr(6), kSpecId, kSpecTimestamp, kSpecBody), kSpecSignature);
}

TEST(WebhookSignatureTest, VerifyAcceptsThePublishedExampleAndRefusesItsInvalidTwin) {
  EXPECT_EQ(VerifyWebhook(kSpecSecret, SpecHeaders(kSpecSignature), kSpecBody, kSpecTimestamp),
            WebhookVerdict::kValid);
  EXPECT_EQ(
      VerifyWebhook(kSpecSecret, SpecHeaders(kSpecInvalidSignature), kSpecBody, kSpecTimestamp),
      WebhookVerdict::kNoMatch);
}

TEST(WebhookSignatureTest, VerifyTakesOneValidV1AmongSeveralSignatures) {
  // As the reference libraries' test_multi_sig_payload_is_valid.
  const std::string several =
      "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= "
      "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= " +
      std::string(kSpecSignature) + " v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
  EXPECT_EQ(VerifyWebhook(kSpecSecret, SpecHeaders(several), kSpecBody, kSpecTimestamp),
            WebhookVerdict::kValid);
  const std::string other_version = "v2," + std::string(kSpecSignature.substr(3));
  EXPECT_EQ(VerifyWebhook(kSpecSecret, SpecHeaders(other_version), kSpecBody, kSpecTimestamp),
            WebhookVerdict::kNoMatch);
  EXPECT_EQ(VerifyWebhook(kSpecSecret, SpecHeaders(""), kSpecBody, kSpecTimestamp),
            WebhookVerdict::kNoMatch);
}

TEST(WebhookSignatureTest, VerifyRefusesATamperedIdTimestampBodyOrSecret) {
  const std::string timestamp = std::to_string(kSpecTimestamp);
  EXPECT_EQ(VerifyWebhook(kSpecSecret, {"msg_other", timestamp, kSpecSignature}, kSpecBody,
                          kSpecTimestamp),
            WebhookVerdict::kNoMatch);
  EXPECT_EQ(VerifyWebhook(kSpecSecret, SpecHeaders(kSpecSignature), R"({"test": 2432232315})",
                          kSpecTimestamp),
            WebhookVerdict::kNoMatch);
  const std::string later = std::to_string(kSpecTimestamp + 1);
  EXPECT_EQ(VerifyWebhook(kSpecSecret, {kSpecId, later, kSpecSignature}, kSpecBody, kSpecTimestamp),
            WebhookVerdict::kNoMatch);
  EXPECT_EQ(
      VerifyWebhook(NewWebhookSecret(), SpecHeaders(kSpecSignature), kSpecBody, kSpecTimestamp),
      WebhookVerdict::kNoMatch);
}

TEST(WebhookSignatureTest, VerifyChecksTheTimestampAgainstTheTolerance) {
  const std::int64_t five_minutes = 300;
  EXPECT_EQ(VerifyWebhook(kSpecSecret, SpecHeaders(kSpecSignature), kSpecBody,
                          kSpecTimestamp + five_minutes),
            WebhookVerdict::kValid);
  EXPECT_EQ(VerifyWebhook(kSpecSecret, SpecHeaders(kSpecSignature), kSpecBody,
                          kSpecTimestamp + five_minutes + 1),
            WebhookVerdict::kTimestampOutOfRange);
  EXPECT_EQ(VerifyWebhook(kSpecSecret, SpecHeaders(kSpecSignature), kSpecBody,
                          kSpecTimestamp - five_minutes - 1),
            WebhookVerdict::kTimestampOutOfRange);
  for (const char* bad : {"", "hello", "1614265330.5", " 1614265330", "99999999999999999999"}) {
    EXPECT_EQ(VerifyWebhook(kSpecSecret, {kSpecId, bad, kSpecSignature}, kSpecBody, kSpecTimestamp),
              WebhookVerdict::kBadTimestamp)
        << bad;
  }
}

TEST(WebhookSignatureTest, NewSecretsAreWhsecAnd32RandomBytes) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const std::string secret = NewWebhookSecret();
    ASSERT_TRUE(secret.starts_with("whsec_")) << secret;
    std::optional<std::string> key = WebhookSigningKey(secret);
    ASSERT_TRUE(key.has_value()) << secret;
    EXPECT_EQ(key->size(), 32u);
    EXPECT_EQ(Base64Encode(*key), secret.substr(6));
    seen.insert(secret);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(WebhookSignatureTest, AMalformedSecretSignsNothing) {
  for (const char* bad : {"whsec_", "whsec_not base64!", "whsec_Zg", ""}) {
    EXPECT_EQ(WebhookSigningKey(bad), std::nullopt) << bad;
    EXPECT_THROW(SignWebhook(bad, kSpecId, kSpecTimestamp, kSpecBody), std::invalid_argument);
    EXPECT_EQ(VerifyWebhook(bad, SpecHeaders(kSpecSignature), kSpecBody, kSpecTimestamp),
              WebhookVerdict::kBadSecret);
  }
}

}  // namespace
}  // namespace jobsd
