#include "engine/queue/failure_episode.h"

#include <algorithm>

#include "engine/log.h"

namespace jobsd {

FailureEpisode::FailureEpisode(std::string what, std::chrono::milliseconds first_delay,
                               std::chrono::milliseconds max_delay)
    : what_(std::move(what)),
      first_delay_(first_delay),
      max_delay_(std::max(first_delay, max_delay)),
      delay_(first_delay) {}

std::chrono::milliseconds FailureEpisode::Failed(std::string_view detail) {
  std::lock_guard lock(mutex_);
  if (failures_++ == 0) {
    delay_ = first_delay_;
    LogError("worker: " + what_ + " failed: " + std::string(detail) +
             " (retrying with backoff; logged again when it works)");
    return delay_;
  }
  delay_ = std::min(delay_ * 2, max_delay_);
  return delay_;
}

void FailureEpisode::Succeeded() {
  std::lock_guard lock(mutex_);
  if (failures_ == 0) return;
  LogInfo("worker: " + what_ + " works again after " + std::to_string(failures_) +
          " failed attempt(s)");
  failures_ = 0;
  delay_ = first_delay_;
}

bool FailureEpisode::failing() const {
  std::lock_guard lock(mutex_);
  return failures_ > 0;
}

}  // namespace jobsd
