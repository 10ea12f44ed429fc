// A failure that repeats while its cause lasts (a store that stays locked,
// read-only or full): logged once when it starts and once when it ends
// rather than on every retry, with a growing delay between retries.
//
// Before, a read-only store made the workers and the maintenance loop log
// about a hundred lines a second, each with a whole SQL statement.
//
// Thread-safe: several workers may share one episode.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

namespace jobsd {

class FailureEpisode {
 public:
  // `what` names the task in the log ("claiming jobs"); delays double from
  // `first_delay` up to `max_delay`.
  FailureEpisode(std::string what, std::chrono::milliseconds first_delay,
                 std::chrono::milliseconds max_delay);

  // Records a failure (logged with `detail` when it starts an episode) and
  // returns how long to wait before the next try.
  std::chrono::milliseconds Failed(std::string_view detail);
  // Records a success; logs the end of an episode, if one was open.
  void Succeeded();
  bool failing() const;

 private:
  const std::string what_;
  const std::chrono::milliseconds first_delay_;
  const std::chrono::milliseconds max_delay_;
  mutable std::mutex mutex_;
  int failures_ = 0;                 // guarded by mutex_: in the current episode
  std::chrono::milliseconds delay_;  // guarded by mutex_
};

}  // namespace jobsd
