#include "api/byte_range.h"

#include <gtest/gtest.h>

namespace jobsd::api {
namespace {

using Kind = RangeRequest::Kind;

TEST(ParseRangeTest, FollowsRfc9110ForOneRange) {
  static const struct {
    std::optional<std::string_view> header;
    std::uint64_t size;
    Kind kind;
    std::uint64_t first, length;
  } kCases[] = {
      {std::nullopt, 100, Kind::kWholeFile, 0, 0},
      {"bytes=0-9", 100, Kind::kRange, 0, 10},
      {"bytes=10-", 100, Kind::kRange, 10, 90},
      {"bytes=-10", 100, Kind::kRange, 90, 10},
      {"bytes=-1000", 100, Kind::kRange, 0, 100},
      {"bytes=90-1000", 100, Kind::kRange, 90, 10},
      {"bytes=99-99", 100, Kind::kRange, 99, 1},
      {" bytes=5-6 ", 100, Kind::kRange, 5, 2},
      {"bytes=100-", 100, Kind::kUnsatisfiable, 0, 0},
      {"bytes=100-200", 100, Kind::kUnsatisfiable, 0, 0},
      {"bytes=-0", 100, Kind::kUnsatisfiable, 0, 0},
      {"bytes=0-", 0, Kind::kUnsatisfiable, 0, 0},
      {"bytes=9-5", 100, Kind::kWholeFile, 0, 0},      // invalid: ignored
      {"bytes=0-1,5-6", 100, Kind::kWholeFile, 0, 0},  // several: whole file
      {"items=0-1", 100, Kind::kWholeFile, 0, 0},
      {"bytes=a-b", 100, Kind::kWholeFile, 0, 0},
      {"bytes=", 100, Kind::kWholeFile, 0, 0},
  };
  for (const auto& c : kCases) {
    const RangeRequest got = ParseRange(c.header, c.size);
    const std::string name(c.header.value_or("<none>"));
    EXPECT_EQ(got.kind, c.kind) << name;
    if (c.kind == Kind::kRange) {
      EXPECT_EQ(got.range.first, c.first) << name;
      EXPECT_EQ(got.range.length, c.length) << name;
    }
  }
}

}  // namespace
}  // namespace jobsd::api
