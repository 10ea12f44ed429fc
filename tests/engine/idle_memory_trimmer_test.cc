#include "engine/idle_memory_trimmer.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <vector>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "tests/support/manual_clock.h"

namespace jobsd {
namespace {

using testing::ManualClock;

constexpr Nanos kSecond = kNanosPerSecond;

struct Fixture {
  ManualClock clock;
  std::int64_t activity = 0;
  int releases = 0;
  IdleMemoryTrimmer trimmer{clock, IdleMemoryTrimmerOptions{10 * kSecond, 50},
                            [this] { return activity; }, [this] { ++releases; }};
};

TEST(IdleMemoryTrimmerTest, ReleasesOnceAfterAQuietWindowThenWaitsForTheNextBurst) {
  Fixture f;
  f.clock.Advance(9 * kSecond);
  EXPECT_FALSE(f.trimmer.RunOnce());  // the window has not passed yet
  f.clock.Advance(1 * kSecond);
  EXPECT_TRUE(f.trimmer.RunOnce());  // what start-up freed
  EXPECT_EQ(f.releases, 1);
  for (int i = 0; i < 5; ++i) {
    f.clock.Advance(10 * kSecond);
    EXPECT_FALSE(f.trimmer.RunOnce());  // still quiet: nothing new to give back
  }
  EXPECT_EQ(f.releases, 1);
}

TEST(IdleMemoryTrimmerTest, NeverReleasesDuringABurst) {
  Fixture f;
  for (int i = 0; i < 10; ++i) {
    f.activity += 51;
    f.clock.Advance(10 * kSecond);
    EXPECT_FALSE(f.trimmer.RunOnce());
  }
  EXPECT_EQ(f.releases, 0);
  // The first quiet window after it releases.
  f.clock.Advance(10 * kSecond);
  EXPECT_TRUE(f.trimmer.RunOnce());
  EXPECT_EQ(f.releases, 1);
}

TEST(IdleMemoryTrimmerTest, AHealthProbeEverySecondsIsStillQuiet) {
  Fixture f;
  f.activity += 1000;  // a burst
  f.clock.Advance(10 * kSecond);
  EXPECT_FALSE(f.trimmer.RunOnce());
  for (int i = 0; i < 10; ++i) {
    f.activity += 5;  // /readyz every two seconds
    f.clock.Advance(1 * kSecond);
    f.trimmer.RunOnce();
  }
  EXPECT_EQ(f.releases, 1);
}

TEST(IdleMemoryTrimmerTest, EveryBurstIsFollowedByOneRelease) {
  Fixture f;
  f.clock.Advance(10 * kSecond);
  EXPECT_TRUE(f.trimmer.RunOnce());
  for (int burst = 0; burst < 3; ++burst) {
    f.activity += 500;
    f.clock.Advance(10 * kSecond);
    EXPECT_FALSE(f.trimmer.RunOnce());
    f.clock.Advance(10 * kSecond);
    EXPECT_TRUE(f.trimmer.RunOnce());
  }
  EXPECT_EQ(f.releases, 4);
}

[[maybe_unused]] std::int64_t ResidentBytes() {  // unused under sanitizers
  std::ifstream statm("/proc/self/statm");
  std::int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// The release serve does: memory freed in many small blocks, which glibc
// keeps (serve's high trim threshold, set here too) and jemalloc keeps until
// its decay time has passed with allocations going on, goes back to the
// system. Sanitizers replace malloc, so there is nothing of glibc's to trim.
TEST(IdleMemoryTrimmerTest, ReturnFreedMemoryToSystemLowersResidentMemory) {
#if !defined(__GLIBC__) || defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "needs glibc's malloc";
#else
  mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
  constexpr std::size_t kBlock = 4000;
  constexpr std::size_t kBlocks = (96u << 20) / kBlock;
  std::vector<std::unique_ptr<char[]> > blocks(kBlocks);
  for (auto& block : blocks) {
    block = std::make_unique<char[]>(kBlock);
    block[0] = 1;
    block[kBlock - 1] = 1;
  }
  // One block allocated after the others stays, so that no free space is
  // at the heap's top only: trimming must reach the middle of the heap.
  auto pin = std::make_unique<char[]>(kBlock);
  pin[0] = 1;
  blocks.clear();
  blocks.shrink_to_fit();
  const std::int64_t before = ResidentBytes();
  ReturnFreedMemoryToSystem();
  const std::int64_t after = ResidentBytes();
  EXPECT_GT(before - after, std::int64_t{64} << 20) << "before " << before << ", after " << after;
  mallopt(M_TRIM_THRESHOLD, 128 * 1024);
#endif
}

// Built twice (tests/engine/CMakeLists.txt): the release above must go
// through the allocator the executable really has.
TEST(IdleMemoryTrimmerTest, ReleasesThroughTheLinkedAllocator) {
#ifdef JOBSD_TEST_JEMALLOC
  EXPECT_NE(dlsym(RTLD_DEFAULT, "mallctl"), nullptr) << "jemalloc is not linked";
#else
  EXPECT_EQ(dlsym(RTLD_DEFAULT, "mallctl"), nullptr) << "a test executable linked jemalloc";
#endif
}

}  // namespace
}  // namespace jobsd
