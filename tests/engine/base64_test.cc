#include "engine/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace jobsd {
namespace {

TEST(Base64Test, EncodesTheRfc4648TestVectors) {
  // RFC 4648 section 10.
  const struct {
    const char* bytes;
    const char* text;
  } cases[] = {{"", ""},
               {"f", "Zg=="},
               {"fo", "Zm8="},
               {"foo", "Zm9v"},
               {"foob", "Zm9vYg=="},
               {"fooba", "Zm9vYmE="},
               {"foobar", "Zm9vYmFy"}};
  for (const auto& c : cases) {
    EXPECT_EQ(Base64Encode(c.bytes), c.text) << c.bytes;
    EXPECT_EQ(Base64Decode(c.text), std::optional<std::string>(c.bytes)) << c.text;
  }
}

TEST(Base64Test, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n <= all.size(); n += 37) {
    const std::string bytes = all.substr(0, n) + std::string("\0\xff", 2);
    EXPECT_EQ(Base64Decode(Base64Encode(bytes)), bytes);
  }
}

TEST(Base64Test, DecodeRefusesAnythingButCanonicalPaddedBase64) {
  for (const char* bad : {"Zg", "Zg=", "Zg===", "Z===", "Zm9v\n", " Zm9v", "Zm 9v", "Zm9-", "Zm9_",
                          "Zh==", "Zm9=Zm9v", "=Zm9", "Zm8=Zm8=", "****"}) {
    EXPECT_EQ(Base64Decode(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(Base64Decode(std::string("Zm9v\0\0\0\0", 8)), std::nullopt);
}

}  // namespace
}  // namespace jobsd
