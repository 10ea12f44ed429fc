#include "engine/byte_size.h"

#include <gtest/gtest.h>

namespace jobsd {
namespace {

TEST(ByteSizeTest, ParsesBytesAndBinaryUnits) {
  EXPECT_EQ(ParseByteSize("0", nullptr), 0);
  EXPECT_EQ(ParseByteSize("4096", nullptr), 4096);
  EXPECT_EQ(ParseByteSize("512B", nullptr), 512);
  EXPECT_EQ(ParseByteSize("8K", nullptr), 8 << 10);
  EXPECT_EQ(ParseByteSize("8KiB", nullptr), 8 << 10);
  EXPECT_EQ(ParseByteSize("512MiB", nullptr), std::int64_t{512} << 20);
  EXPECT_EQ(ParseByteSize("1GiB", nullptr), std::int64_t{1} << 30);
  EXPECT_EQ(ParseByteSize("3G", nullptr), std::int64_t{3} << 30);
  EXPECT_EQ(ParseByteSize("2TiB", nullptr), std::int64_t{2} << 40);
}

TEST(ByteSizeTest, RefusesWhatItCannotReadWithAReason) {
  for (const char* bad : {"", "GiB", "-1", "+1", "1.5GiB", "1GB", "1gib", "1 GiB", "1GiBs",
                          "99999999999999999999", "9000000TiB"}) {
    std::string reason;
    EXPECT_FALSE(ParseByteSize(bad, &reason)) << bad;
    EXPECT_FALSE(reason.empty()) << bad;
  }
  std::string reason;
  ParseByteSize("1GB", &reason);
  EXPECT_NE(reason.find("[GB]"), std::string::npos) << reason;
}

TEST(ByteSizeTest, FormatsWithTheLargestExactUnit) {
  EXPECT_EQ(FormatByteSize(std::int64_t{1} << 30), "1GiB");
  EXPECT_EQ(FormatByteSize(std::int64_t{1536} << 20), "1536MiB");
  EXPECT_EQ(FormatByteSize(100), "100");
  EXPECT_EQ(FormatByteSize(0), "0");
}

}  // namespace
}  // namespace jobsd
