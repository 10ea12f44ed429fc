#include "engine/queue/maintenance/periodic_runner.h"

#include <algorithm>
#include <utility>

namespace jobsd {

PeriodicRunner::PeriodicRunner(std::string what, std::vector<PeriodicTask> tasks)
    : tasks_(std::move(tasks)),
      failures_(std::move(what), std::chrono::seconds(1), std::chrono::seconds(30)),
      soon_(tasks_.size(), false) {}

PeriodicRunner::~PeriodicRunner() { Join(); }

void PeriodicRunner::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void PeriodicRunner::Drain() {
  std::lock_guard lock(mutex_);
  draining_ = true;
}

void PeriodicRunner::RunSoon(std::size_t index) {
  {
    std::lock_guard lock(mutex_);
    if (index >= soon_.size()) return;
    soon_[index] = true;
    any_soon_ = true;
  }
  stop_requested_.notify_all();
}

void PeriodicRunner::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  stop_requested_.notify_all();
}

void PeriodicRunner::Join() {
  Stop();
  if (thread_.joinable()) thread_.join();
}

void PeriodicRunner::Loop() {
  const auto start = SteadyClock::now();
  std::vector<SteadyClock::time_point> next_run;
  for (const PeriodicTask& task : tasks_) {
    next_run.push_back(task.runs_at_start ? start
                                          : start + std::chrono::nanoseconds(task.interval));
  }
  for (;;) {
    bool draining;
    const auto now = SteadyClock::now();
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
      draining = draining_;
      for (std::size_t i = 0; i < soon_.size(); ++i) {
        if (soon_[i]) next_run[i] = std::min(next_run[i], now);
        soon_[i] = false;
      }
      any_soon_ = false;
    }
    try {
      for (std::size_t i = 0; i < tasks_.size(); ++i) {
        if (draining && !tasks_[i].runs_while_draining) continue;
        if (now < next_run[i]) continue;
        tasks_[i].run();
        next_run[i] = now + std::chrono::nanoseconds(tasks_[i].interval);
      }
      failures_.Succeeded();
    } catch (const std::exception& e) {
      // Whichever task failed left its time in the past: without a delay
      // it would run again at once, and fail, a hundred times a second.
      const auto retry_at = SteadyClock::now() + failures_.Failed(e.what());
      for (auto& next : next_run) {
        if (next <= now) next = retry_at;
      }
    }
    std::unique_lock lock(mutex_);
    const auto wake_at = next_run.empty() ? SteadyClock::time_point::max()
                                          : *std::min_element(next_run.begin(), next_run.end());
    stop_requested_.wait_until(
        lock, std::max(wake_at, SteadyClock::now() + std::chrono::milliseconds(10)),
        [&] { return stop_ || any_soon_; });
  }
}

}  // namespace jobsd
