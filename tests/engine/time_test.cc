#include "engine/time.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace jobsd {
namespace {

constexpr Nanos kSec = kNanosPerSecond;

struct FormatCase {
  Nanos at;
  const char* text;
};

TEST(FormatRfc3339NanoTest, FormatsUtcAndTrimsTrailingZeros) {
  const FormatCase cases[] = {
      {0, "1970-01-01T00:00:00Z"},
      {1, "1970-01-01T00:00:00.000000001Z"},
      {1'538'651'329'156'490'335, "2018-10-04T11:08:49.156490335Z"},
      {1'538'651'329'162'867'081, "2018-10-04T11:08:49.162867081Z"},
      {1'538'651'329'100'000'000, "2018-10-04T11:08:49.1Z"},
      {1'538'651'329'120'000'000, "2018-10-04T11:08:49.12Z"},
      {1'538'651'329'000'001'000, "2018-10-04T11:08:49.000001Z"},
      {1'538'651'329 * kSec, "2018-10-04T11:08:49Z"},
      {951'782'400 * kSec, "2000-02-29T00:00:00Z"},    // leap day of a 400-year
      {4'107'542'400 * kSec, "2100-03-01T00:00:00Z"},  // 2100 is not a leap year
      {-1, "1969-12-31T23:59:59.999999999Z"},
      {-kSec, "1969-12-31T23:59:59Z"},
      {-kSec / 2, "1969-12-31T23:59:59.5Z"},
      {-86'400 * kSec, "1969-12-31T00:00:00Z"},
      {-2'208'988'800 * kSec, "1900-01-01T00:00:00Z"},
      {std::numeric_limits<Nanos>::max(), "2262-04-11T23:47:16.854775807Z"},
      {std::numeric_limits<Nanos>::min(), "1677-09-21T00:12:43.145224192Z"},
  };
  for (const FormatCase& c : cases) {
    EXPECT_EQ(FormatRfc3339Nano(c.at), c.text) << c.at;
  }
}

TEST(FormatRfc3339NanoTest, AppendKeepsExistingText) {
  std::string out = "created=";
  AppendRfc3339Nano(out, 1'538'651'329'156'490'335);
  out += ",";
  AppendRfc3339Nano(out, 0);
  EXPECT_EQ(out, "created=2018-10-04T11:08:49.156490335Z,1970-01-01T00:00:00Z");
}

TEST(FormatRfc3339NanoTest, RoundTripsThroughParse) {
  // Every day from 1900 to 2100 at an odd time, plus a spread of fractions.
  for (Nanos day = -25'567; day < 47'482; day += 13) {
    const Nanos at = day * kNanosPerDay + 12'345 * kSec + (day % 1000) * 1'000'003;
    std::string reason;
    const std::optional<Nanos> parsed = ParseRfc3339(FormatRfc3339Nano(at), &reason);
    ASSERT_TRUE(parsed.has_value()) << FormatRfc3339Nano(at) << ": " << reason;
    EXPECT_EQ(*parsed, at) << FormatRfc3339Nano(at);
  }
}

struct ParseCase {
  const char* text;
  Nanos at;
};

TEST(ParseRfc3339Test, AcceptsAndNormalisesToUtc) {
  const Nanos base = 1'538'651'329 * kSec;  // 2018-10-04T11:08:49Z
  const ParseCase cases[] = {
      {"2018-10-04T11:08:49Z", base},
      {"2018-10-04t11:08:49z", base},
      {"2018-10-04T11:08:49.156490335Z", base + 156'490'335},
      {"2018-10-04T11:08:49.1Z", base + 100'000'000},
      {"2018-10-04T11:08:49.000000001Z", base + 1},
      {"2018-10-04T13:08:49+02:00", base},
      {"2018-10-04T06:38:49-04:30", base},
      {"2018-10-05T11:07:49+23:59", base},
      {"2018-10-04T11:08:49+00:00", base},
      {"2018-10-04T11:08:49-00:00", base},
      {"2024-02-29T00:00:00Z", 1'709'164'800 * kSec},
      {"2000-02-29T00:00:00Z", 951'782'400 * kSec},
      {"1969-12-31T23:59:59.5Z", -kSec / 2},
      {"1678-01-01T00:00:00Z", -9'214'560'000 * kSec},
      {"2261-12-31T23:59:59.999999999Z", 9'214'646'399 * kSec + 999'999'999},
  };
  for (const ParseCase& c : cases) {
    std::string reason;
    const std::optional<Nanos> at = ParseRfc3339(c.text, &reason);
    ASSERT_TRUE(at.has_value()) << c.text << ": " << reason;
    EXPECT_EQ(*at, c.at) << c.text;
  }
}

struct RejectCase {
  const char* text;
  const char* reason_contains;
};

TEST(ParseRfc3339Test, RejectsWithSpecificReason) {
  const RejectCase cases[] = {
      {"", "YYYY-MM-DD"},
      {"2018-10-04", "missing time"},
      {"2018-10-04 11:08:49Z", "'T'"},
      {"2018-10-04T11:08Z", "hh:mm:ss"},
      {"2018-10-04T11:08:49", "missing time zone (Z or ±hh:mm)"},
      {"2018-10-04T11:08:49.Z", "digits after '.'"},
      {"2018-10-04T11:08:49.1234567891Z", "more than 9 fractional digits"},
      {"2018-10-04T11:08:49+0200", "±hh:mm"},
      {"2018-10-04T11:08:49+02", "±hh:mm"},
      {"2018-10-04T11:08:49+24:00", "at most ±23:59"},
      {"2018-10-04T11:08:49+02:60", "at most ±23:59"},
      {"2018-10-04T11:08:49ZZ", "after the time zone"},
      {"2018-10-04T11:08:49 Z", "missing time zone"},
      {"2018-13-04T11:08:49Z", "month 13"},
      {"2018-00-04T11:08:49Z", "month 00"},
      {"2024-02-30T00:00:00Z", "invalid date 2024-02-30: February 2024 has 29 days"},
      {"2023-02-29T00:00:00Z", "invalid date 2023-02-29: February 2023 has 28 days"},
      {"1900-02-29T00:00:00Z", "February 1900 has 28 days"},
      {"2024-04-31T00:00:00Z", "April 2024 has 30 days"},
      {"2024-01-00T00:00:00Z", "January 2024 has 31 days"},
      {"2018-10-04T24:00:00Z", "hour 24"},
      {"2018-10-04T11:60:00Z", "minute 60"},
      {"2018-10-04T23:59:60Z", "leap seconds"},
      {"1677-12-31T00:00:00Z", "year 1677 is out of range"},
      {"2262-01-01T00:00:00Z", "year 2262 is out of range"},
      {"18-10-04T11:08:49Z", "YYYY-MM-DD"},
      {"2018/10/04T11:08:49Z", "YYYY-MM-DD"},
  };
  for (const RejectCase& c : cases) {
    std::string reason;
    EXPECT_FALSE(ParseRfc3339(c.text, &reason).has_value()) << c.text;
    EXPECT_NE(reason.find(c.reason_contains), std::string::npos)
        << c.text << " gave reason: " << reason;
  }
  EXPECT_FALSE(ParseRfc3339("nonsense", nullptr).has_value());  // reason is optional
}

TEST(ParseFilterTimeTest, AcceptsDatesTimestampsAndEpochMillis) {
  struct Case {
    const char* text;
    Nanos at;
    TimeForm form;
  };
  const Case cases[] = {
      {"2018-09-01", 1'535'760'000 * kSec, TimeForm::kDate},
      {"2024-02-29", 1'709'164'800 * kSec, TimeForm::kDate},
      {"1969-12-31", -86'400 * kSec, TimeForm::kDate},
      {"2018-10-04T11:08:49.5Z", 1'538'651'329 * kSec + 500'000'000, TimeForm::kTimestamp},
      {"2018-10-04T13:08:49+02:00", 1'538'651'329 * kSec, TimeForm::kTimestamp},
      {"1538651329156", 1'538'651'329'156'000'000, TimeForm::kEpochMillis},
      {"0", 0, TimeForm::kEpochMillis},
      {"-1000", -kSec, TimeForm::kEpochMillis},
      {"9223372036854", 9'223'372'036'854'000'000, TimeForm::kEpochMillis},
      {"-9223372036854", -9'223'372'036'854'000'000, TimeForm::kEpochMillis},
  };
  for (const Case& c : cases) {
    std::string reason;
    const std::optional<ParsedTime> parsed = ParseFilterTime(c.text, &reason);
    ASSERT_TRUE(parsed.has_value()) << c.text << ": " << reason;
    EXPECT_EQ(parsed->at, c.at) << c.text;
    EXPECT_EQ(parsed->form, c.form) << c.text;
  }
}

TEST(ParseFilterTimeTest, RejectsWithSpecificReason) {
  const RejectCase cases[] = {
      {"", "empty"},
      {"2024-02-30", "invalid date 2024-02-30: February 2024 has 29 days"},
      {"2024-13-01", "month 13"},
      {"9223372036855", "out of range"},
      {"99999999999999999999999", "out of range"},
      {"-", "epoch milliseconds"},
      {"12.5", "epoch milliseconds"},
      {"yesterday", "epoch milliseconds"},
      {"2024-1-1", "epoch milliseconds"},
      {"2024-01-01T00:00:00", "missing time zone"},
      {"2024-01-01x", "'T'"},
      {"3000-01-01", "out of range"},
  };
  for (const RejectCase& c : cases) {
    std::string reason;
    EXPECT_FALSE(ParseFilterTime(c.text, &reason).has_value()) << c.text;
    EXPECT_NE(reason.find(c.reason_contains), std::string::npos)
        << c.text << " gave reason: " << reason;
  }
}

TEST(ParseDurationTest, AcceptsUnits) {
  const ParseCase cases[] = {
      {"30s", 30 * kSec},
      {"15m", 15 * 60 * kSec},
      {"36h", 36 * 3600 * kSec},
      {"7d", 7 * kNanosPerDay},
      {"1s", kSec},
      {"106751d", 106'751 * kNanosPerDay},
  };
  for (const ParseCase& c : cases) {
    std::string reason;
    const std::optional<Nanos> d = ParseDuration(c.text, &reason);
    ASSERT_TRUE(d.has_value()) << c.text << ": " << reason;
    EXPECT_EQ(*d, c.at) << c.text;
  }
}

TEST(ParseDurationTest, RejectsWithSpecificReason) {
  const RejectCase cases[] = {
      {"", "unit"},
      {"s", "unit"},
      {"30", "unit must be"},
      {"30x", "unit must be"},
      {"0s", "positive"},
      {"-5s", "positive integer"},
      {"1.5h", "positive integer"},
      {" 5s", "positive integer"},
      {"5 s", "positive integer"},
      {"106752d", "too large"},
      {"99999999999999999999s", "too large"},
      {"30S", "unit must be"},
  };
  for (const RejectCase& c : cases) {
    std::string reason;
    EXPECT_FALSE(ParseDuration(c.text, &reason).has_value()) << c.text;
    EXPECT_NE(reason.find(c.reason_contains), std::string::npos)
        << c.text << " gave reason: " << reason;
    EXPECT_NE(reason.find(std::string("[") + c.text + "]"), std::string::npos) << reason;
  }
}

TEST(SystemClockTest, IsNearWallClock) {
  const SystemClock clock;
  const Nanos before = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  const Nanos now = clock.Now();
  EXPECT_GE(now, before);
  EXPECT_LT(now - before, 60 * kSec);
}

TEST(SystemClockTest, StrictlyIncreasingAcrossThreadsAndInstances) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20'000;
  std::vector<std::vector<Nanos>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&seen, t] {
      const SystemClock clock;  // separate instances share one sequence
      seen[t].reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) seen[t].push_back(clock.Now());
    });
  }
  for (std::thread& th : threads) th.join();

  std::vector<Nanos> all;
  for (const std::vector<Nanos>& values : seen) {
    // Within one thread each value is later than the one before.
    EXPECT_TRUE(std::adjacent_find(values.begin(), values.end(), std::greater_equal<>()) ==
                values.end());
    all.insert(all.end(), values.begin(), values.end());
  }
  // Across threads no value was handed out twice.
  std::sort(all.begin(), all.end());
  EXPECT_TRUE(std::adjacent_find(all.begin(), all.end()) == all.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace jobsd
