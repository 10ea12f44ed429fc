#include "engine/failed_attempts.h"

namespace jobsd {

std::optional<Nanos> FailedAttempts::WaitBeforeAttempt(std::string_view client_id, Nanos now) {
  std::lock_guard lock(mutex_);
  auto it = by_client_.find(std::string(client_id));
  if (it == by_client_.end() || it->second.count < it->second.at.size()) return std::nullopt;
  // Full ring: `next` is the oldest of the last kMaxFailedTokenAttempts.
  const Nanos free_at = it->second.at[it->second.next] + kFailedTokenAttemptWindow;
  if (now >= free_at) return std::nullopt;
  return free_at - now;
}

void FailedAttempts::RecordFailure(std::string_view client_id, Nanos now) {
  std::lock_guard lock(mutex_);
  std::string key(client_id);
  auto it = by_client_.find(key);
  if (it == by_client_.end()) {
    if (by_client_.size() >= max_client_ids_ && !order_.empty()) {
      by_client_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(key);
    it = by_client_.emplace(std::move(key), Failures{}).first;
    it->second.in_order = std::prev(order_.end());
  } else {
    order_.splice(order_.end(), order_, it->second.in_order);
  }
  Failures& failures = it->second;
  failures.at[failures.next] = now;
  failures.next = (failures.next + 1) % failures.at.size();
  if (failures.count < failures.at.size()) ++failures.count;
}

void FailedAttempts::Forget(std::string_view client_id) {
  std::lock_guard lock(mutex_);
  auto it = by_client_.find(std::string(client_id));
  if (it == by_client_.end()) return;
  order_.erase(it->second.in_order);
  by_client_.erase(it);
}

std::size_t FailedAttempts::TrackedClientIds() {
  std::lock_guard lock(mutex_);
  return by_client_.size();
}

}  // namespace jobsd
