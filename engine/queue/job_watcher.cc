#include "engine/queue/job_watcher.h"

#include <set>
#include <vector>

namespace jobsd {

JobWatcher::JobWatcher(const JobService& jobs, Render render, JobWatcherOptions options)
    : jobs_(jobs), render_(std::move(render)), options_(options) {}

JobWatcher::~JobWatcher() { Stop(); }

std::unique_ptr<JobWatcher::Subscription> JobWatcher::Subscribe(std::string job_id,
                                                                std::string seen_view,
                                                                Callback callback) {
  std::unique_lock lock(mutex_);
  if (stopped_) {
    lock.unlock();
    callback(nullptr);
    return std::make_unique<Subscription>(*this, 0);
  }
  const std::uint64_t id = next_subscriber_++;
  subscribers_.emplace(
      id, Subscriber{std::move(job_id), std::make_shared<const std::string>(std::move(seen_view)),
                     std::move(callback)});
  read_all_ = true;
  if (!options_.manual && !thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  changed_.notify_all();
  return std::make_unique<Subscription>(*this, id);
}

void JobWatcher::Unsubscribe(std::uint64_t id) {
  if (id == 0) return;  // made after Stop: never registered
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return in_callback_ != id; });
  subscribers_.erase(id);
}

std::size_t JobWatcher::subscriber_count() const {
  std::lock_guard lock(mutex_);
  return subscribers_.size();
}

void JobWatcher::Loop() {
  std::unique_lock lock(mutex_);
  while (!stopped_) {
    if (subscribers_.empty()) {
      changed_.wait(lock, [&] { return stopped_ || !subscribers_.empty(); });
      continue;
    }
    lock.unlock();
    try {
      RunOnce();
    } catch (const std::exception&) {
      // The store failed this once (a dropped PostgreSQL connection, an
      // I/O error): RunOnce left everything to read again, and the next
      // poll does. The streams stay open meanwhile.
    }
    lock.lock();
    changed_.wait_for(lock, options_.poll_interval, [&] { return stopped_; });
  }
}

void JobWatcher::RunOnce() {
  std::lock_guard run(run_mutex_);
  // Read before the jobs: a commit landing after this read moves the
  // version for the next poll, so it is never missed.
  const std::uint64_t version = jobs_.ListVersion();
  std::set<std::string> job_ids;
  {
    std::lock_guard lock(mutex_);
    if (!read_all_ && version == last_version_) return;
    read_all_ = false;
    for (const auto& [id, subscriber] : subscribers_) job_ids.insert(subscriber.job_id);
  }

  std::map<std::string, std::shared_ptr<const JobSnapshot>> fresh;
  try {
    for (const std::string& job_id : job_ids) {
      std::optional<Job> job = jobs_.Get(job_id);
      job_reads_.fetch_add(1, std::memory_order_relaxed);
      if (!job) {
        fresh.emplace(job_id, nullptr);
        continue;
      }
      std::string view = render_(*job);
      fresh.emplace(job_id, std::make_shared<const JobSnapshot>(
                                JobSnapshot{*std::move(job), std::move(view)}));
    }
  } catch (...) {
    std::lock_guard lock(mutex_);
    read_all_ = true;
    throw;
  }

  std::vector<Delivery> deliveries;
  {
    std::lock_guard lock(mutex_);
    last_version_ = version;
    for (auto& [id, subscriber] : subscribers_) {
      // A subscription made while the jobs were read waits for the next
      // poll (it set read_all_).
      auto found = fresh.find(subscriber.job_id);
      if (found == fresh.end()) continue;
      const std::shared_ptr<const JobSnapshot>& snapshot = found->second;
      if (!snapshot) {
        deliveries.push_back({id, nullptr});
        continue;
      }
      if (*subscriber.seen == snapshot->view) continue;
      subscriber.seen = std::shared_ptr<const std::string>(snapshot, &snapshot->view);
      deliveries.push_back({id, snapshot});
    }
  }
  Deliver(std::move(deliveries));
}

void JobWatcher::Deliver(std::vector<Delivery> deliveries) {
  for (Delivery& delivery : deliveries) {
    std::unique_lock lock(mutex_);
    auto it = subscribers_.find(delivery.subscriber);
    if (it == subscribers_.end()) continue;  // unsubscribed meanwhile
    // Unsubscribe waits while in_callback_ names its subscriber, so the
    // entry (std::map nodes do not move) outlives the call.
    in_callback_ = delivery.subscriber;
    lock.unlock();
    it->second.callback(delivery.snapshot);
    lock.lock();
    in_callback_ = 0;
    // A subscriber told its job is gone hears nothing more.
    if (!delivery.snapshot) subscribers_.erase(it);
    changed_.notify_all();
  }
}

void JobWatcher::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<Delivery> farewells;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, subscriber] : subscribers_) farewells.push_back({id, nullptr});
  }
  std::lock_guard run(run_mutex_);
  Deliver(std::move(farewells));
}

}  // namespace jobsd
