// The limits jobsd keeps against hostile or careless clients (the README's "Security and limits"),
// with their defaults in one place. The command line's
// --max-active-jobs and --min-free-disk start from the defaults here; the
// others are fixed.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "engine/time.h"

namespace jobsd {

// Jobs pending or started at once per API client (--max-active-jobs);
// 0 turns the limit off.
inline constexpr int kDefaultMaxActiveJobs = 100;
// What a client told "too many active jobs" should wait before trying
// again: jobs take seconds, not milliseconds.
inline constexpr int kActiveJobsRetryAfterSeconds = 5;

// Bytes kept free on the exports' file system (--min-free-disk); 0 turns
// the check off.
inline constexpr std::int64_t kDefaultMinFreeDiskBytes = std::int64_t{1} << 30;  // 1 GiB
// An export looks at the free space again after writing this much.
inline constexpr std::int64_t kFreeDiskCheckBytes = std::int64_t{4} << 20;  // 4 MiB

// POST /oauth/access_token: this many failed attempts for one client_id
// within the window, and further attempts for it are refused until the
// oldest of them leaves the window.
inline constexpr int kMaxFailedTokenAttempts = 10;
inline constexpr Nanos kFailedTokenAttemptWindow = 60 * kNanosPerSecond;
// client_ids whose failures are remembered at once; past it the one that
// failed least recently is forgotten (an attacker can invent any number).
inline constexpr std::size_t kMaxThrottledClientIds = 10'000;

// Live access tokens per client; issuing one more retires its oldest.
inline constexpr int kMaxLiveTokensPerClient = 100;

// A request refused because a limit is reached: the API answers 429 Too
// Many Requests with `what()` as the detail and Retry-After in seconds.
class LimitReached : public std::runtime_error {
 public:
  LimitReached(const std::string& detail, int retry_after_seconds)
      : std::runtime_error(detail), retry_after_seconds_(retry_after_seconds) {}
  int retry_after_seconds() const { return retry_after_seconds_; }

 private:
  int retry_after_seconds_;
};

}  // namespace jobsd
