// A user clones the repository alone: nothing it builds or tests may read a
// file outside it (issue 9: tests read the reference data of the shared
// folder beside the checkout, so a lone clone
// failed 16 of its own tests).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace jobsd {
namespace {

namespace fs = std::filesystem;

// Directories that hold no source: build trees, git's, npm's.
bool Skipped(const fs::path& directory) {
  const std::string name = directory.filename().string();
  return name.starts_with("build") || name == ".git" || name == "node_modules" || name == ".ccache";
}

TEST(RepositoryTest, NoBuildOrTestFileReadsOutsideTheRepository) {
  const fs::path root = JOBSD_SOURCE_DIR;
  std::vector<std::string> offenders;
  // Markdown may mention the shared folder in prose; code and build files may not.
  const std::set<std::string> checked = {".cc", ".h",   ".txt",  ".cmake", ".sh",
                                         ".js", ".mjs", ".json", ".sql",   ""};
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    if (it->is_directory() && Skipped(it->path())) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || !checked.contains(it->path().extension().string())) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const std::string contents = text.str();
    // Spelt in two parts so that this file does not match itself.
    if (contents.find(std::string("..") + "/shared") != std::string::npos ||
        contents.find(std::string("shared") + "/reference") != std::string::npos) {
      offenders.push_back(fs::relative(it->path(), root).string());
    }
  }
  EXPECT_TRUE(offenders.empty()) << "files that read outside the repository: "
                                 << ::testing::PrintToString(offenders);
}

TEST(RepositoryTest, TestDataLivesInTheRepository) {
  const fs::path data = testing::TestDataFile("orders.example.jsonl");
  const fs::path root = fs::weakly_canonical(JOBSD_SOURCE_DIR);
  EXPECT_TRUE(fs::exists(data)) << data;
  const std::string canonical = fs::weakly_canonical(data).string();
  EXPECT_EQ(canonical.rfind(root.string() + "/", 0), 0u) << canonical << " is outside " << root;
}

}  // namespace
}  // namespace jobsd
