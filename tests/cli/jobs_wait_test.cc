// `jobsd jobs wait` as a real process, its standard output a pipe (not a
// terminal): plain lines, and the exit codes of the README's "Following a job".
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/live_jobsd.h"

namespace jobsd {
namespace {

using testing::RunResult;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t at = 0;
  for (std::size_t end = text.find('\n'); end != std::string::npos; end = text.find('\n', at)) {
    lines.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return lines;
}

class JobsWaitTest : public ::testing::Test {
 protected:
  std::string Submit(const std::string& filter) {
    RunResult submitted =
        jobsd_.Jobsd({"jobs", "submit", "--type", "order_export", "--filter", filter});
    EXPECT_EQ(submitted.exit_code, 0) << submitted.err;
    return Lines(submitted.out).at(0);
  }

  testing::LiveJobsd jobsd_;
};

TEST_F(JobsWaitTest, ASuccessIsExitZeroWithItsRowCountOnThePlainLastLine) {
  ASSERT_EQ(jobsd_.Jobsd({"orders", "seed", "--count", "30"}).exit_code, 0);
  const std::string id = Submit("");
  ASSERT_TRUE(jobsd_.Start());
  RunResult waited = jobsd_.Jobsd({"jobs", "wait", id, "--timeout", "60s"});
  EXPECT_EQ(waited.exit_code, 0) << waited.err;
  const std::vector<std::string> lines = Lines(waited.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), id + " success (30 rows)");
  for (const std::string& line : lines) {
    EXPECT_EQ(line.rfind(id + " ", 0), 0u) << line;
    EXPECT_EQ(line.find_first_of("\r\033"), std::string::npos) << "no terminal codes in a pipe";
  }
}

TEST_F(JobsWaitTest, AFailureIsExitOneWithItsError) {
  const std::string id = Submit("eq(payment,paid)");  // no orders: nothing matches
  ASSERT_TRUE(jobsd_.Start());
  RunResult waited = jobsd_.Jobsd({"jobs", "wait", id});
  EXPECT_EQ(waited.exit_code, 1) << waited.err;
  ASSERT_FALSE(Lines(waited.out).empty());
  EXPECT_EQ(Lines(waited.out).back(), id + " failed: No results matched the supplied filter");
}

TEST_F(JobsWaitTest, ATimeoutIsExitThreeAfterOneLinePerState) {
  const std::string id = Submit("");  // no serve runs: it stays pending
  RunResult waited = jobsd_.Jobsd({"jobs", "wait", id, "--timeout", "1s"});
  EXPECT_EQ(waited.exit_code, 3) << waited.err;
  EXPECT_EQ(waited.out, id + " pending\n");
  EXPECT_EQ(Lines(waited.err).size(), 1u) << waited.err;
  EXPECT_NE(waited.err.find("timed out after 1s"), std::string::npos) << waited.err;
}

TEST_F(JobsWaitTest, AnUnknownJobIsExitOneWithOneLine) {
  RunResult waited =
      jobsd_.Jobsd({"jobs", "wait", "00000000-0000-4000-8000-000000000000", "--timeout", "5s"});
  EXPECT_EQ(waited.exit_code, 1);
  EXPECT_TRUE(waited.out.empty()) << waited.out;
  EXPECT_EQ(Lines(waited.err).size(), 1u) << waited.err;
  EXPECT_NE(waited.err.find("no job with id 00000000-0000-4000-8000-000000000000"),
            std::string::npos)
      << waited.err;
}

TEST_F(JobsWaitTest, ABadTimeoutIsBadUsage) {
  RunResult waited = jobsd_.Jobsd({"jobs", "wait", "x", "--timeout", "soon"});
  EXPECT_EQ(waited.exit_code, 2);
  EXPECT_NE(waited.err.find("--timeout"), std::string::npos) << waited.err;
}

}  // namespace
}  // namespace jobsd
