// Wake-ups by LISTEN/NOTIFY: one thread with a connection of its own
// LISTENs on channel jobsd_jobs (notified by the jobs triggers of migration
// 0004 when a job becomes pending) and calls back when a notification names
// this store's schema. A lost connection (a restart, pg_terminate_backend, a
// pooler that drops LISTEN) is reopened by itself with growing pauses, and
// each reopening calls back once, for what was missed meanwhile.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "engine/queue/cluster.h"
#include "storage/postgres/pg_pool.h"

namespace jobsd::storage {

class PostgresWakeups final : public WakeupSubscription {
 public:
  PostgresWakeups(pg::Pool& pool, std::function<void()> on_wakeup);
  // Stops the thread: at once, even while it waits for the server.
  ~PostgresWakeups() override;
  PostgresWakeups(const PostgresWakeups&) = delete;
  PostgresWakeups& operator=(const PostgresWakeups&) = delete;

 private:
  void Loop();
  // Connects and LISTENs; nullptr (and a log line, once per outage) when it
  // cannot.
  std::unique_ptr<pg::Connection> Listen();
  // Waits up to `ms` for the stop pipe; true when stopping.
  bool StopRequestedWithin(int ms);

  pg::Pool& pool_;
  std::function<void()> on_wakeup_;
  std::string schema_;
  int stop_pipe_[2] = {-1, -1};
  std::atomic<bool> stopping_ = false;
  bool outage_logged_ = false;
  std::thread thread_;  // last: starts once the rest exists
};

}  // namespace jobsd::storage
