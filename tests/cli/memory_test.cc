// Peak memory of the commands that write many orders (issue 14): an import
// session (here through `orders seed`, which writes through the same staged
// import as `orders import`) stays under 128 MiB however many orders it
// writes, because its SQLite caches are bounded and its temporary files are
// on disk. Memory, not time, is asserted.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace jobsd {
namespace {

using testing::JobsdBinary;
using testing::TempDir;

struct ChildRun {
  int exit_code = -1;
  long peak_rss_kib = 0;  // this child's own, from wait4
};

// Runs `argv` and reports its own peak resident set size: wait4 gives the
// rusage of that one child, unlike RUSAGE_CHILDREN, which would also count
// the children of other tests in this process.
ChildRun RunMeasured(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  const int spawned = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ChildRun run;
  if (spawned != 0) return run;
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  run.peak_rss_kib = usage.ru_maxrss;  // KiB on Linux
  return run;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

TEST(MemoryTest, SeedingManyOrdersPeaksUnder128MiB) {
  if (kSanitized) GTEST_SKIP() << "sanitizers' shadow memory is not the program's";
  TempDir dir;
  // Enough that the store and the staging database are each far bigger
  // than their page caches (before the caches were bounded, this peaked
  // near 400 MB).
  const ChildRun run = RunMeasured(
      {JobsdBinary(), "orders", "seed", "--count", "100000", "--db", (dir / "store.db").string()});
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_GT(run.peak_rss_kib, 0);
  EXPECT_LT(run.peak_rss_kib, 128 * 1024) << "peak RSS " << run.peak_rss_kib << " KiB";
}

}  // namespace
}  // namespace jobsd
