#include "cli/args.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "cli/settings.h"

namespace jobsd::cli {
namespace {

const CommandSpec& Spec() {
  static const CommandSpec spec{"demo",
                                "FILE",
                                "A demo command.",
                                {DbOption(),
                                 WorkersOption(),
                                 RetentionOption(),
                                 ListenOption(),
                                 PublicUrlOption(),
                                 {"json", "", "", "", "as JSON"}},
                                0,
                                1};
  return spec;
}

TEST(ArgsTest, ReadsOptionsInBothFormsFlagsAndPositionals) {
  ParsedArgs args = Parse(Spec(), {"--db", "a.db", "--workers=3", "--json", "file.jsonl"});
  EXPECT_EQ(args.Get("db"), "a.db");
  EXPECT_EQ(args.Get("workers"), "3");
  EXPECT_TRUE(args.Flag("json"));
  EXPECT_EQ(args.positionals, std::vector<std::string>{"file.jsonl"});
  EXPECT_FALSE(args.help);
}

TEST(ArgsTest, HelpAnywhereWins) {
  EXPECT_TRUE(Parse(Spec(), {"--db", "x", "--help"}).help);
  EXPECT_TRUE(Parse(Spec(), {"-h"}).help);
}

TEST(ArgsTest, BadUsageIsAUsageErrorNamingTheProblem) {
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  } cases[] = {
      {{"--colour", "red"}, "unknown option --colour"},
      {{"-x"}, "unknown option -x"},
      {{"--db"}, "--db needs a value"},
      {{"--json=yes"}, "--json takes no value"},
      {{"--db", "a", "--db", "b"}, "--db given more than once"},
      {{"one", "two"}, "unexpected argument 'two'"},
  };
  for (const Case& c : cases) {
    try {
      Parse(Spec(), c.args);
      ADD_FAILURE() << "accepted: " << c.expected;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos) << e.what();
    }
  }
}

TEST(ArgsTest, ARepeatableOptionKeepsEveryValueInOrder) {
  const CommandSpec spec{
      "demo",
      "",
      "A demo command.",
      {{"event", "EVENT", "", "", "an event", true}, {"json", "", "", "", "JSON"}}};
  ParsedArgs args = Parse(spec, {"--event", "a", "--event=b", "--json", "--event", "a"});
  EXPECT_EQ(args.GetAll("event"), (std::vector<std::string>{"a", "b", "a"}));
  EXPECT_EQ(args.Get("event"), "a");
  EXPECT_TRUE(args.GetAll("json").size() == 1 && args.GetAll("json")[0].empty());
  EXPECT_TRUE(Parse(spec, {}).GetAll("event").empty());
  EXPECT_THROW(Parse(spec, {"--json", "--json"}), UsageError) << "others still refuse a repeat";
}

TEST(SettingsTest, AnOptionWinsOverItsVariable) {
  setenv("JOBSD_DB", "from-env.db", 1);
  setenv("JOBSD_WORKERS", "7", 1);
  Settings settings = ResolveSettings(Parse(Spec(), {"--db", "from-option.db"}));
  EXPECT_EQ(settings.db, "from-option.db");
  EXPECT_EQ(settings.workers, 7);
  unsetenv("JOBSD_DB");
  unsetenv("JOBSD_WORKERS");
}

TEST(SettingsTest, DefaultsFollowTheContract) {
  Settings settings = ResolveSettings(Parse(Spec(), {}));
  EXPECT_EQ(settings.db, "./var/jobsd.db");
  EXPECT_EQ(settings.listen_host, "127.0.0.1");
  EXPECT_EQ(settings.listen_port, 8080);
  EXPECT_EQ(PublicUrl(settings), "http://127.0.0.1:8080");
  EXPECT_EQ(settings.retention, 7 * kNanosPerDay);
  EXPECT_GE(settings.workers, 1);
}

TEST(SettingsTest, ParsesListenRetentionAndPublicUrl) {
  Settings settings = ResolveSettings(Parse(Spec(), {"--listen", "0.0.0.0:9000", "--retention",
                                                     "36h", "--public-url", "https://x.test/"}));
  EXPECT_EQ(settings.listen_host, "0.0.0.0");
  EXPECT_EQ(settings.listen_port, 9000);
  EXPECT_EQ(settings.retention, 36 * 3600 * kNanosPerSecond);
  EXPECT_EQ(PublicUrl(settings), "https://x.test");
}

TEST(SettingsTest, PublicUrlKeepsPathAndPortAndDropsTrailingSlashes) {
  struct Case {
    std::string given, kept;
  } cases[] = {
      {"https://jobs.example.com", "https://jobs.example.com"},
      {"http://127.0.0.1:9000/", "http://127.0.0.1:9000"},
      {"https://example.com/jobsd//", "https://example.com/jobsd"},
      {"HTTPS://[::1]:8443", "HTTPS://[::1]:8443"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(PublicUrl(ResolveSettings(Parse(Spec(), {"--public-url", c.given}))), c.kept);
  }
}

TEST(SettingsTest, TheLongestRetentionStillExpiresBeforeTheLastStorableInstant) {
  Settings settings = ResolveSettings(Parse(Spec(), {"--retention", "36500d"}));
  EXPECT_EQ(settings.retention, 36500 * kNanosPerDay);
  EXPECT_LT(SystemClock().Now(), kLatestTime - settings.retention);
}

TEST(SettingsTest, BadValuesNameTheirSource) {
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  } cases[] = {
      {{"--workers", "0"}, "--workers"},
      {{"--workers", "two"}, "--workers"},
      {{"--retention", "7 days"}, "--retention"},
      {{"--retention", "7w"}, "--retention"},
      {{"--listen", "8080"}, "HOST:PORT"},
      {{"--listen", "127.0.0.1:99999"}, "--listen"},
      {{"--public-url", "ftp://x"}, "--public-url"},
      {{"--public-url", "http://"}, "no host"},
      {{"--public-url", "https:/x.test"}, "no host"},
      {{"--public-url", "x.test"}, "not an absolute URL"},
      {{"--public-url", "http://x.test\r\nSet-Cookie: a=b"}, "control character at byte 14"},
      {{"--public-url", "http://x.test/\n"}, "control character"},
      {{"--public-url", "http://x.test/?a=b"}, "query"},
      {{"--public-url", "http://user:pw@x.test"}, "user or password"},
      {{"--public-url", "http://x test"}, "not an absolute URL"},
      {{"--retention", "100000d"}, "too long, a job created now would expire after 2262"},
      {{"--retention", "9223372036s"}, "--retention"},
      {{"--shutdown-grace", "106751d"}, "--shutdown-grace"},
      {{"--retention", "99999999999999999999d"}, "--retention"},
      {{"--db", ""}, "--db"},
  };
  for (const Case& c : cases) {
    try {
      ResolveSettings(Parse(Spec(), c.args));
      ADD_FAILURE() << "accepted " << c.args[0] << " " << c.args[1];
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos) << e.what();
    }
  }
  setenv("JOBSD_WORKERS", "many", 1);
  try {
    ResolveSettings(Parse(Spec(), {}));
    ADD_FAILURE() << "accepted JOBSD_WORKERS=many";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("JOBSD_WORKERS"), std::string::npos) << e.what();
  }
  unsetenv("JOBSD_WORKERS");
}

}  // namespace
}  // namespace jobsd::cli
