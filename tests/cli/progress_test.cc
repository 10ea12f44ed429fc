// `orders seed` and `orders import` show their progress on a terminal, and
// print nothing extra when their output is not one. The terminal is a real
// pseudo-terminal: util-linux's `script` runs the command inside one.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace jobsd {
namespace {

using testing::JobsdBinary;
using testing::RunResult;
using testing::TestDataFile;

class ProgressTest : public ::testing::Test {
 protected:
  // `command` (after "jobsd") run on a pseudo-terminal; what it drew.
  RunResult OnTerminal(const std::string& command) {
    const std::string line = JobsdBinary() + " " + command + " --db " + Db();
    return testing::Run({"/usr/bin/script", "--quiet", "--return", "--command", line, "/dev/null"});
  }
  RunResult Piped(std::vector<std::string> args) {
    args.insert(args.begin(), JobsdBinary());
    args.push_back("--db");
    args.push_back(Db());
    return testing::Run(args);
  }
  std::string Db() const { return (dir_ / "store.db").string(); }

  testing::TempDir dir_;
};

TEST_F(ProgressTest, SeedDrawsABarOnATerminalAndErasesIt) {
  const RunResult result = OnTerminal("orders seed --count 9000");
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("\rseeding: ["), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("9,000/9,000 orders; committing..."), std::string::npos) << result.out;
  // Erased before the summary, which starts on a clean line.
  EXPECT_NE(result.out.find("\r\x1b[Kseeded 9000 orders"), std::string::npos) << result.out;
}

TEST_F(ProgressTest, ImportDrawsOnATerminal) {
  const RunResult result =
      OnTerminal("orders import " + TestDataFile("orders.example.jsonl").string());
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("\rimporting: "), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("orders read; committing..."), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("imported "), std::string::npos) << result.out;
}

TEST_F(ProgressTest, NothingExtraWhenNotATerminal) {
  const RunResult seed = Piped({"orders", "seed", "--count", "9000"});
  ASSERT_EQ(seed.exit_code, 0) << seed.err;
  EXPECT_EQ(seed.err, "");
  EXPECT_EQ(seed.out.find('\r'), std::string::npos) << seed.out;
  EXPECT_EQ(seed.out.rfind("seeded 9000 orders in ", 0), 0u) << seed.out;

  const RunResult import =
      Piped({"orders", "import", TestDataFile("orders.example.jsonl").string()});
  ASSERT_EQ(import.exit_code, 0) << import.err;
  EXPECT_EQ(import.err, "");
  EXPECT_EQ(import.out.find('\r'), std::string::npos) << import.out;
}

}  // namespace
}  // namespace jobsd
