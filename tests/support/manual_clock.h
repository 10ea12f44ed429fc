// A clock that moves only when the test says so: rescue, retry and
// retention are tested without sleeping.
#pragma once

#include <atomic>

#include "engine/time.h"

namespace jobsd::testing {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(Nanos start = 1'700'000'000 * kNanosPerSecond) : now_(start) {}
  Nanos Now() const override { return now_.load(); }
  void Advance(Nanos by) { now_.fetch_add(by); }
  void Set(Nanos to) { now_.store(to); }

 private:
  std::atomic<Nanos> now_;
};

}  // namespace jobsd::testing
