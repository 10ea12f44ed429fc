#include "engine/log.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

namespace jobsd {
namespace {

constexpr Nanos kNoon = 1'764'417'600'123'456'789;  // 2025-11-29T12:00:00.123456789Z

TEST(LogTest, TextLinesKeepTheMessageAndAppendFields) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, kNoon, LogLevel::kError, "store error: disk I/O",
                          {{"request_id", std::string_view("r-1")}, {"rows", std::int64_t{42}}}),
            "jobsd: store error: disk I/O request_id=r-1 rows=42\n");
  EXPECT_EQ(FormatLogLine(LogFormat::kText, kNoon, LogLevel::kInfo, "stopped"), "jobsd: stopped\n");
}

TEST(LogTest, JsonLinesAreOneObjectWithTimeLevelMessageAndFields) {
  const std::string line =
      FormatLogLine(LogFormat::kJson, kNoon, LogLevel::kWarning, "second signal",
                    {{"request_id", std::string_view("r-1")}, {"rows", std::int64_t{-7}}});
  EXPECT_EQ(line,
            R"({"time":"2025-11-29T12:00:00.123456Z","level":"warning","msg":"second signal",)"
            R"("request_id":"r-1","rows":-7})"
            "\n");
  const boost::json::object parsed = boost::json::parse(line).as_object();
  EXPECT_EQ(parsed.at("rows").as_int64(), -7);
}

TEST(LogTest, JsonStringsEscapeWhatWouldBreakTheLine) {
  std::string out;
  AppendJsonString(out, std::string_view("a\"b\\c\nd\te\x01\x7f", 11));
  EXPECT_EQ(out, R"("a\"b\\c\nd\te\u0001\u007f")");
  // The escaped text parses back to the original.
  EXPECT_EQ(boost::json::parse(out).as_string(), std::string_view("a\"b\\c\nd\te\x01\x7f", 11));
}

TEST(LogTest, JsonStringsKeepValidUtf8AndReplaceEveryInvalidByte) {
  std::string out;
  AppendJsonString(out, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(out, "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");

  // A lone continuation byte, a truncated sequence, an overlong '/', a
  // surrogate and a byte no UTF-8 uses: each becomes U+FFFD, the rest stays.
  out.clear();
  AppendJsonString(out,
                   "a\x80"
                   "b\xE2\x82"
                   "c\xC0\xAF"
                   "d\xED\xA0\x80"
                   "e\xFF");
  EXPECT_EQ(out, R"("a\ufffdb\ufffd\ufffdc\ufffd\ufffdd\ufffd\ufffd\ufffde\ufffd")");
  EXPECT_NO_THROW(boost::json::parse(out));
}

TEST(LogTest, ParsesOnlyTheTwoFormats) {
  LogFormat format = LogFormat::kText;
  EXPECT_TRUE(ParseLogFormat("json", &format));
  EXPECT_EQ(format, LogFormat::kJson);
  EXPECT_TRUE(ParseLogFormat("text", &format));
  EXPECT_EQ(format, LogFormat::kText);
  EXPECT_FALSE(ParseLogFormat("JSON", &format));
  EXPECT_FALSE(ParseLogFormat("", &format));
  EXPECT_EQ(format, LogFormat::kText) << "unchanged by a refused value";
}

}  // namespace
}  // namespace jobsd
