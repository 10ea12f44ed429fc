#include "api/request_target.h"

#include <gtest/gtest.h>

namespace jobsd::api {
namespace {

TEST(ParseRequestTargetTest, SplitsAndDecodes) {
  const auto target = ParseRequestTarget(
      "/v2/jobs?page[limit]=5&page%5Boffset%5D=10&filter=eq(status%2Cfailed)+&empty&=x");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->path, "/v2/jobs");
  EXPECT_EQ(target->segments, (std::vector<std::string>{"v2", "jobs"}));
  EXPECT_EQ(target->query.Find("page[limit]"), "5");
  EXPECT_EQ(target->query.Find("page[offset]"), "10");
  EXPECT_EQ(target->query.Find("filter"), "eq(status,failed) ");
  EXPECT_EQ(target->query.Find("empty"), "");
  EXPECT_FALSE(target->query.Find("missing"));
}

TEST(ParseRequestTargetTest, EncodedSlashStaysInItsSegment) {
  const auto target = ParseRequestTarget("/exports/a%2Fb.csv");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->segments, (std::vector<std::string>{"exports", "a/b.csv"}));
  EXPECT_EQ(ParseRequestTarget("/v2/jobs/")->segments,
            (std::vector<std::string>{"v2", "jobs", ""}));
}

TEST(ParseRequestTargetTest, RejectsMalformedTargets) {
  for (const char* bad :
       {"", "v2/jobs", "*", "ftp://host/v2", "http:///v2", "http://:80/v2", "http://user@host/v2",
        "http:/v2", "http://host#frag", "/a%zz", "/a%2", "/a?b=%"}) {
    EXPECT_FALSE(ParseRequestTarget(bad)) << bad;
  }
}

TEST(ParseRequestTargetTest, AbsoluteFormIsReadByItsPathAndQuery) {
  // RFC 9112 section 3.2.2: a server must accept the absolute form.
  auto target = ParseRequestTarget("http://127.0.0.1:8080/v2/jobs?page[limit]=5");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->path, "/v2/jobs");
  EXPECT_EQ(target->segments, (std::vector<std::string>{"v2", "jobs"}));
  EXPECT_EQ(target->query.Find("page[limit]"), "5");
  target = ParseRequestTarget("HTTPS://example.com");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->path, "/");
  target = ParseRequestTarget("http://example.com?filter=x");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->path, "/");
  EXPECT_EQ(target->query.Find("filter"), "x");
  EXPECT_EQ(OriginForm("/a?b"), "/a?b");
}

TEST(ParseQueryTest, FormEncodingTurnsPlusIntoSpace) {
  const auto form = ParseQuery("grant_type=client_credentials&client_secret=a+b%2Bc", true);
  ASSERT_TRUE(form);
  EXPECT_EQ(form->Find("client_secret"), "a b+c");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
}

}  // namespace
}  // namespace jobsd::api
