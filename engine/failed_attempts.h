// Remembers failed token requests per client_id so that guessing a client's
// secret is slow (the README's "Security and limits"): after kMaxFailedTokenAttempts failures
// within kFailedTokenAttemptWindow, further attempts for that client_id are
// refused until the oldest failure leaves the window.
//
// In memory and per process: a restart forgets, and two serve processes on
// one store count apart (nodes on a shared PostgreSQL store also count in
// the store: Authenticator::CountFailuresInStore). The table is bounded: past kMaxThrottledClientIds
// client_ids the one that failed least recently is forgotten, so inventing
// client_ids costs the attacker the throttle of old ones, not our memory.
//
// Thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/limits.h"
#include "engine/time.h"

namespace jobsd {

class FailedAttempts {
 public:
  explicit FailedAttempts(std::size_t max_client_ids = kMaxThrottledClientIds)
      : max_client_ids_(max_client_ids) {}

  // How long `client_id` must wait before its next attempt, or nullopt when
  // it may try now.
  std::optional<Nanos> WaitBeforeAttempt(std::string_view client_id, Nanos now);
  void RecordFailure(std::string_view client_id, Nanos now);
  // A right secret: the earlier failures were the owner's typos.
  void Forget(std::string_view client_id);

  std::size_t TrackedClientIds();

 private:
  // The last kMaxFailedTokenAttempts failure times, a ring.
  struct Failures {
    std::array<Nanos, kMaxFailedTokenAttempts> at{};
    std::size_t count = 0;  // up to at.size()
    std::size_t next = 0;   // where the next failure goes (the oldest when full)
    std::list<std::string>::iterator in_order;
  };

  std::size_t max_client_ids_;
  std::mutex mutex_;
  // Guarded by mutex_. by_client_ maps to rings; order_ holds the client_ids
  // by last failure, least recent first (the eviction order).
  std::unordered_map<std::string, Failures> by_client_;
  std::list<std::string> order_;
};

}  // namespace jobsd
