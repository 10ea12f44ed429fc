#include "storage/postgres/postgres_wakeups.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <system_error>

#include "engine/log.h"

namespace jobsd::storage {
namespace {

// With no notification for this long, the listener asks the server
// something: a connection that died without a word (a network cut) is found
// and reopened.
constexpr int kIdleCheckMs = 15'000;
constexpr int kFirstRetryMs = 100;
constexpr int kMaxRetryMs = 5'000;

}  // namespace

PostgresWakeups::PostgresWakeups(pg::Pool& pool, std::function<void()> on_wakeup)
    : pool_(pool), on_wakeup_(std::move(on_wakeup)) {
  if (::pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::system_error(errno, std::generic_category(), "wake-up listener: pipe");
  }
  thread_ = std::thread([this] { Loop(); });
}

PostgresWakeups::~PostgresWakeups() {
  stopping_.store(true);
  const char byte = 1;
  [[maybe_unused]] const ssize_t written = ::write(stop_pipe_[1], &byte, 1);
  if (thread_.joinable()) thread_.join();
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
}

bool PostgresWakeups::StopRequestedWithin(int ms) {
  pollfd stop{stop_pipe_[0], POLLIN, 0};
  ::poll(&stop, 1, ms);
  return stopping_.load();
}

std::unique_ptr<pg::Connection> PostgresWakeups::Listen() {
  try {
    auto connection = pool_.OpenDetached();
    // Named for operators (and tests) reading pg_stat_activity.
    schema_ = connection
                  ->Run(
                      "SELECT current_schema(), set_config('application_name',"
                      " 'jobsd wake-ups ' || current_schema(), false)")
                  .String(0, 0);
    connection->Exec("LISTEN jobsd_jobs");
    if (outage_logged_) LogInfo("wake-up listener: connected again");
    outage_logged_ = false;
    return connection;
  } catch (const std::exception& e) {
    if (!outage_logged_) {
      LogWarning(std::string("wake-up listener: ") + e.what() +
                 " (retrying; workers poll meanwhile)");
      outage_logged_ = true;
    }
    return nullptr;
  }
}

void PostgresWakeups::Loop() {
  int retry_ms = kFirstRetryMs;
  std::unique_ptr<pg::Connection> connection;
  while (!stopping_.load()) {
    if (connection == nullptr) {
      connection = Listen();
      if (connection == nullptr) {
        if (StopRequestedWithin(retry_ms)) break;
        retry_ms = std::min(retry_ms * 2, kMaxRetryMs);
        continue;
      }
      retry_ms = kFirstRetryMs;
      on_wakeup_();  // whatever was created while we were not listening
    }
    pollfd fds[2] = {{PQsocket(connection->get()), POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    const int ready = ::poll(fds, 2, kIdleCheckMs);
    if (stopping_.load()) break;
    if (ready == 0) {
      try {
        connection->Run("SELECT 1");  // still there?
      } catch (const std::exception&) {
        connection.reset();
      }
      continue;
    }
    if (ready < 0 || PQconsumeInput(connection->get()) == 0 || !connection->healthy()) {
      connection.reset();  // lost: reopen (and call back) on the next turn
      continue;
    }
    bool ours = false;
    while (PGnotify* notification = PQnotifies(connection->get())) {
      ours = ours || schema_ == notification->extra;
      PQfreemem(notification);
    }
    if (ours) on_wakeup_();
  }
}

}  // namespace jobsd::storage
