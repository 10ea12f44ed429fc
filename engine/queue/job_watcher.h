// Follows the jobs that someone is watching (the event streams of
// GET /v2/jobs/{id}/events) and tells each watcher when what it would show
// of its job changed. One per process, however many streams are open: a
// change costs one read of the job, not one per stream.
//
// While anyone is subscribed, a thread checks the store's ChangeVersion
// every poll_interval (250 ms: at most 4 notifications a second per job).
// Only when it moved (a commit by this process, another process on the
// SQLite file, or any node of a PostgreSQL store) does it read each watched
// job once, render it with `render` (what a watcher shows, e.g. the JSON of
// GET /v2/jobs/{id}), and call the subscribers whose last view differs.
// Comparing the rendered views, not the rows, means a write the watcher
// cannot see (a lease renewal) notifies nobody, and a field added to the
// rendering later (progress) notifies without this class knowing of it.
//
// Thread-safe. Callbacks run on the watcher's thread, one at a time, and
// must not block (post to your own executor) nor call into the watcher.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "engine/queue/job_service.h"

namespace jobsd {

// A job as its watchers see it. Shared by every subscriber of the job.
struct JobSnapshot {
  Job job;
  std::string view;  // render(job)
};

struct JobWatcherOptions {
  std::chrono::milliseconds poll_interval{250};
  // Tests: no thread; they call RunOnce themselves.
  bool manual = false;
};

class JobWatcher {
 public:
  // The snapshot when the job's view changed; nullptr when the job is gone
  // (unknown or expired now) or the watcher stopped: no call follows.
  using Callback = std::function<void(std::shared_ptr<const JobSnapshot>)>;
  using Render = std::function<std::string(const Job&)>;

  // Unsubscribes when destroyed, waiting for a call of its callback in
  // progress on the watcher's thread (so the callback's captures may die
  // right after). Never destroy one from inside its callback.
  class Subscription {
   public:
    Subscription(JobWatcher& watcher, std::uint64_t id) : watcher_(watcher), id_(id) {}
    ~Subscription() { watcher_.Unsubscribe(id_); }
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

   private:
    JobWatcher& watcher_;
    std::uint64_t id_;
  };

  JobWatcher(const JobService& jobs, Render render, JobWatcherOptions options = {});
  ~JobWatcher();  // Stop()
  JobWatcher(const JobWatcher&) = delete;
  JobWatcher& operator=(const JobWatcher&) = delete;

  // Follows `job_id` for `callback`, which has seen `seen_view` (what it
  // showed of the job last, e.g. the first event of a stream): the next
  // poll reads the job and calls back if its view is not that any more, so
  // a change between the caller's own read and this call is not lost.
  // After Stop, calls back nullptr at once.
  std::unique_ptr<Subscription> Subscribe(std::string job_id, std::string seen_view,
                                          Callback callback);

  // One poll, as the thread does it (tests call it directly, without
  // starting anything): reads the watched jobs when the store changed (or a
  // subscription is new) and calls back the subscribers whose view differs.
  void RunOnce();

  // Ends the thread and calls back nullptr to every subscriber left.
  // Idempotent.
  void Stop();

  std::size_t subscriber_count() const;
  // How many times a watched job was read from the store (tests: a change
  // costs one read per job, whatever the number of subscribers).
  std::uint64_t job_reads() const { return job_reads_.load(std::memory_order_relaxed); }

 private:
  struct Subscriber {
    std::string job_id;
    // What this subscriber saw last; compared by pointer first (the
    // watcher shares one snapshot per change), then by content.
    std::shared_ptr<const std::string> seen;
    Callback callback;
  };
  struct Delivery {
    std::uint64_t subscriber;
    std::shared_ptr<const JobSnapshot> snapshot;
  };

  void Unsubscribe(std::uint64_t id);
  void Loop();
  // Calls back `deliveries` on this thread with in_callback_ set.
  void Deliver(std::vector<Delivery> deliveries);

  const JobService& jobs_;
  const Render render_;
  const JobWatcherOptions options_;
  std::atomic<std::uint64_t> job_reads_{0};

  // RunOnce is not reentrant: the thread or a test, one at a time.
  std::mutex run_mutex_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;  // a subscriber came or left, or Stop
  // Guarded by mutex_.
  std::map<std::uint64_t, Subscriber> subscribers_;
  std::uint64_t next_subscriber_ = 1;
  std::uint64_t in_callback_ = 0;  // the subscriber being called back, 0: none
  bool read_all_ = true;           // a new subscription: read even if the store did not move
  std::uint64_t last_version_ = 0;
  bool stopped_ = false;
  std::thread thread_;  // started by the first Subscribe
};

}  // namespace jobsd
