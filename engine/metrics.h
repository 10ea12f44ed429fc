// Process metrics in the Prometheus text format (docs/jobs.md,
// GET /metrics). The worker pool and the HTTP server record into one
// Metrics object; /metrics renders it.
//
// Thread-safe: counters and histogram buckets are atomics; the maps that
// find a series by its labels are guarded by a mutex held only for the
// lookup, never while rendering numbers another thread is updating.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "engine/queue/job.h"
#include "engine/time.h"

namespace jobsd {

// A histogram with fixed upper bounds in seconds (plus +Inf).
class Histogram {
 public:
  static constexpr std::array<double, 12> kBoundsSeconds = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                            0.25,  0.5,   1,    2.5,   10,   60};

  void Observe(Nanos duration);
  // Appends the _bucket, _sum and _count lines of series `name{labels}`.
  void Render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::array<std::atomic<std::int64_t>, kBoundsSeconds.size() + 1> buckets_{};  // last: +Inf
  std::atomic<std::int64_t> count_{0};
  std::atomic<std::int64_t> sum_nanos_{0};
};

class Metrics {
 public:
  // Called by the worker pool.
  void JobStarted(std::string_view job_type);
  // `status` is success, failed, or pending when the job goes back to the
  // queue for a retry.
  void JobFinished(std::string_view job_type, JobStatus status, Nanos duration);
  void RowsExported(std::int64_t rows);
  // Called by the API and the command line when a cancel applied.
  void JobCancelled();

  // Called by the webhook dispatcher once per attempt that ended a try:
  // delivered (2xx), retried (tried again later) or abandoned (given up,
  // or dropped because its endpoint or job is gone).
  enum class WebhookOutcome { kDelivered, kRetried, kAbandoned };
  void WebhookDelivery(WebhookOutcome outcome);

  // Called by the HTTP server once per request. `route` is a template such
  // as /v2/jobs/{id}, never a raw path, so the series stay few.
  void HttpRequest(std::string_view route, int status, Nanos duration);

  // Called by the HTTP server as an event stream (GET /v2/jobs/{id}/events)
  // opens and ends: the gauge jobsd_event_streams_open.
  void EventStreamOpened();
  void EventStreamClosed();
  std::int64_t open_event_streams() const;

  // A count that grows with every request served and every job started or
  // finished: how serve's IdleMemoryTrimmer tells a quiet process. Not
  // exposed to Prometheus.
  std::int64_t activity() const;

  // The whole exposition; `jobs_by_status` comes from the store.
  std::string RenderPrometheus(const std::map<JobStatus, std::int64_t>& jobs_by_status) const;

 private:
  struct JobTypeSeries {
    std::atomic<std::int64_t> started{0};
    std::atomic<std::int64_t> succeeded{0};
    std::atomic<std::int64_t> failed{0};
    std::atomic<std::int64_t> retried{0};
    Histogram duration;
  };
  struct RouteSeries {
    std::map<int, std::atomic<std::int64_t>> requests_by_status;  // guarded by mutex_
    Histogram duration;
  };

  JobTypeSeries& JobType(std::string_view job_type);

  mutable std::mutex mutex_;
  // Guarded by mutex_ (the maps; std::map nodes never move, so a series
  // found under the lock can be updated after it is released).
  std::map<std::string, JobTypeSeries, std::less<>> job_types_;
  std::map<std::string, RouteSeries, std::less<>> routes_;

  std::atomic<std::int64_t> exported_rows_{0};
  std::atomic<std::int64_t> cancelled_{0};
  std::array<std::atomic<std::int64_t>, 3> webhook_deliveries_{};  // by WebhookOutcome
  std::atomic<std::int64_t> open_event_streams_{0};
  std::atomic<std::int64_t> activity_{0};
};

}  // namespace jobsd
