// Every command's --help as a newcomer reads it: options wrapped to fit a
// terminal, examples included, and examples that are real (their commands
// exist, their options and filters are accepted).
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace jobsd {
namespace {

using testing::JobsdBinary;
using testing::RunResult;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class HelpTest : public ::testing::Test {
 protected:
  RunResult Jobsd(std::vector<std::string> args) {
    args.insert(args.begin(), JobsdBinary());
    return testing::Run(args, Env());
  }
  std::map<std::string, std::string> Env() const {
    return {{"JOBSD_DB", (dir_.path() / "store.db").string()},
            {"JOBSD_EXPORTS", (dir_.path() / "exports").string()}};
  }

  // The commands `jobsd --help` lists, e.g. "orders import".
  std::vector<std::string> Commands() {
    RunResult top = Jobsd({"--help"});
    EXPECT_EQ(top.exit_code, 0);
    std::vector<std::string> commands;
    bool in_list = false;
    for (const std::string& line : Lines(top.out)) {
      if (line == "Commands:") {
        in_list = true;
      } else if (in_list && line.empty()) {
        break;
      } else if (in_list) {
        std::smatch m;
        if (std::regex_match(line, m, std::regex("  ([a-z]+(?: [a-z]+)?) {2,}.*"))) {
          commands.push_back(m[1]);
        }
      }
    }
    return commands;
  }

  testing::TempDir dir_;
};

TEST_F(HelpTest, EveryCommandHasExamplesAndFitsATerminal) {
  const std::vector<std::string> commands = Commands();
  ASSERT_GE(commands.size(), 16u);
  for (const std::string& command : commands) {
    std::vector<std::string> args;
    std::istringstream words(command);
    for (std::string word; words >> word;) args.push_back(word);
    args.push_back("--help");
    RunResult help = Jobsd(args);
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_EQ(help.out.rfind("Usage: jobsd " + command, 0), 0u) << help.out;
    const auto examples = help.out.find("\nExamples:\n  ");
    EXPECT_NE(examples, std::string::npos) << command << " has no examples";
    // Everything before the examples (which show whole command lines) is
    // wrapped to 100 columns.
    for (const std::string& line : Lines(help.out.substr(0, examples))) {
      const std::string text = line.substr(std::min(line.find_first_not_of(' '), line.size()));
      if (text.find(' ') == std::string::npos) continue;  // one word longer than a line
      EXPECT_LE(line.size(), 100u) << command << ": " << line;
    }
  }
}

// Runs every example that needs nothing but a store (no server, no
// placeholder, no pipe): each must get past option and filter checks, so
// an example can never teach an option or a filter that does not exist.
TEST_F(HelpTest, ExamplesUseRealCommandsOptionsAndFilters) {
  std::set<std::string> known;
  for (const std::string& command : Commands()) known.insert(command);
  std::vector<std::string> commands = Commands();
  commands.push_back("");  // jobsd --help's own examples
  int ran = 0;
  for (const std::string& command : commands) {
    std::vector<std::string> args;
    std::istringstream words(command);
    for (std::string word; words >> word;) args.push_back(word);
    args.push_back("--help");
    const std::string out = Jobsd(args).out;
    const auto examples = out.find("\nExamples:\n");
    if (examples == std::string::npos) continue;
    for (const std::string& line : Lines(out.substr(examples + 11))) {
      if (line.rfind("  jobsd ", 0) != 0) continue;
      const std::string example = line.substr(2);
      std::smatch m;
      ASSERT_TRUE(std::regex_search(example, m, std::regex("^jobsd ([a-z]+(?: [a-z]+)?)")));
      std::string name = m[1];
      if (!known.count(name)) name = name.substr(0, name.find(' '));
      EXPECT_TRUE(known.count(name)) << "unknown command in an example: " << example;
      if (example.find_first_of("<$|&") != std::string::npos || name == "serve" ||
          example.find("postgresql://") != std::string::npos || name == "orders import") {
        continue;
      }
      RunResult result = testing::Run({"/bin/sh", "-c", JobsdBinary() + example.substr(5)}, Env());
      EXPECT_NE(result.exit_code, 2) << example << "\n" << result.err;
      ++ran;
    }
  }
  EXPECT_GE(ran, 15) << "examples actually run";
}

}  // namespace
}  // namespace jobsd
