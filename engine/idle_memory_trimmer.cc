#include "engine/idle_memory_trimmer.h"

#include <dlfcn.h>

#include <cstddef>
#include <utility>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace jobsd {

IdleMemoryTrimmer::IdleMemoryTrimmer(const Clock& clock, IdleMemoryTrimmerOptions options,
                                     std::function<std::int64_t()> activity,
                                     std::function<void()> release)
    : clock_(clock),
      options_(options),
      activity_(std::move(activity)),
      release_(std::move(release)),
      window_start_(clock_.Now()),
      window_activity_(activity_()) {}

bool IdleMemoryTrimmer::RunOnce() {
  const Nanos now = clock_.Now();
  if (now - window_start_ < options_.quiet_for) return false;
  const std::int64_t activity = activity_();
  const std::int64_t events = activity - window_activity_;
  window_start_ = now;
  window_activity_ = activity;
  if (events > options_.max_quiet_events) {
    released_ = false;  // a burst: what it freed is worth releasing after it
    return false;
  }
  if (released_) return false;
  release_();
  released_ = true;
  return true;
}

namespace {

// jemalloc's control call, when the executable links jemalloc (the jobsd
// binary does, see CMakeLists.txt); looked up rather than linked, so that
// this library serves executables with either allocator.
using Mallctl = int (*)(const char* name, void* old, std::size_t* old_size, void* value,
                        std::size_t size);

Mallctl JemallocControl() {
  static const Mallctl mallctl = reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl"));
  return mallctl;
}

}  // namespace

void ReturnFreedMemoryToSystem() {
  if (Mallctl mallctl = JemallocControl()) {
    // Every arena (4096 is jemalloc.h's MALLCTL_ARENAS_ALL) gives back its
    // free pages now, rather than after its decay time, which only runs
    // while something allocates: a quiet serve would otherwise keep them.
    mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
    return;
  }
#ifdef __GLIBC__
  // Unlike the automatic trim at free(), this also hands back the free pages
  // in the middle of every arena's heaps (madvise), not only at their top.
  malloc_trim(0);
#endif
}

}  // namespace jobsd
