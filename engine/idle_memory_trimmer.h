// Gives memory freed after a burst back to the system once the process has
// been quiet for a while.
//
// glibc keeps what a burst freed: its arenas (one per thread that ever
// allocated, up to 8 per core) keep their free chunks for the next burst,
// and serve sets a high trim threshold on purpose (KeepFreedMemoryForReuse)
// so that steady load does not give memory back and fetch it again at every
// request. Without this, `jobsd serve` stays at its peak RSS forever after a
// burst of POSTs or big list pages. Trimming while the process works would
// fight that threshold (memory freed, then asked for again), so the trimmer
// releases only after a whole window with next to no activity (a health
// probe every few seconds is still quiet), and not again before a busy
// window has come and gone.
#pragma once

#include <cstdint>
#include <functional>

#include "engine/time.h"

namespace jobsd {

struct IdleMemoryTrimmerOptions {
  // The window: activity is counted over at least this long.
  Nanos quiet_for = 10 * kNanosPerSecond;
  // A window with at most this many events is quiet.
  std::int64_t max_quiet_events = 50;
};

class IdleMemoryTrimmer {
 public:
  // `activity` returns a count that grows with what the process does
  // (requests served, jobs started and finished); `release` gives freed
  // memory back. Both are called only from the constructor and RunOnce.
  IdleMemoryTrimmer(const Clock& clock, IdleMemoryTrimmerOptions options,
                    std::function<std::int64_t()> activity, std::function<void()> release);

  // Called periodically (more often than quiet_for). Once a window has
  // passed, closes it and releases, returning true, when it was quiet and
  // nothing was released since the last busy window.
  bool RunOnce();

 private:
  const Clock& clock_;
  IdleMemoryTrimmerOptions options_;
  std::function<std::int64_t()> activity_;
  std::function<void()> release_;
  Nanos window_start_;
  std::int64_t window_activity_;
  // Nothing was released yet (start-up's allocations count as a burst).
  bool released_ = false;
};

// Returns the free memory of every malloc arena to the system: jemalloc's
// purge of all arenas when the executable links jemalloc, else glibc's
// malloc_trim(0); does nothing with another C library.
void ReturnFreedMemoryToSystem();

}  // namespace jobsd
