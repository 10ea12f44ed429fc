// One thread that runs the maintenance tasks (lease renewal, rescue,
// retention), each at its own interval, so that every service is a small
// class with a RunOnce and none has a loop of its own.
//
// A task that throws is retried after a delay that grows while failures
// last (one FailureEpisode for all: one log line per episode, not a
// hundred a second), instead of at once.
//
// Thread-safe: Drain and Stop may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/queue/failure_episode.h"
#include "engine/time.h"

namespace jobsd {

struct PeriodicTask {
  Nanos interval = kNanosPerSecond;
  // False: the first run comes one interval after Start.
  bool runs_at_start = true;
  // True: goes on after Drain, until Stop (renewing the leases of running
  // jobs while a shutdown waits for them).
  bool runs_while_draining = false;
  std::function<void()> run;
};

class PeriodicRunner {
 public:
  // `what` names the tasks in the log ("maintenance (...)").
  PeriodicRunner(std::string what, std::vector<PeriodicTask> tasks);
  ~PeriodicRunner();
  PeriodicRunner(const PeriodicRunner&) = delete;
  PeriodicRunner& operator=(const PeriodicRunner&) = delete;

  void Start();
  // From now on only the tasks that run while draining run.
  void Drain();
  // Runs task `index` (its position in the constructor's list) as soon as
  // the thread is free, then at its interval from then on. Cheap: callable
  // from any thread, e.g. a worker with news for the store.
  void RunSoon(std::size_t index);
  // Ends the loop after the task running now, if any; does not wait.
  void Stop();
  // Stop, then waits for the thread.
  void Join();

 private:
  using SteadyClock = std::chrono::steady_clock;
  void Loop();

  std::vector<PeriodicTask> tasks_;
  FailureEpisode failures_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable stop_requested_;
  bool draining_ = false;   // guarded by mutex_
  bool stop_ = false;       // guarded by mutex_
  std::vector<bool> soon_;  // guarded by mutex_, by task: RunSoon asked
  bool any_soon_ = false;   // guarded by mutex_
};

}  // namespace jobsd
