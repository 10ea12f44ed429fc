#include "engine/metrics.h"

#include <cstdio>

namespace jobsd {
namespace {

void AppendNumber(std::string& out, double value) {
  char buffer[32];
  const int n = std::snprintf(buffer, sizeof buffer, "%.9g", value);
  out.append(buffer, static_cast<std::size_t>(n));
}

// Label values are route templates, job types and statuses; escape anyway,
// as the format requires.
std::string EscapeLabel(std::string_view value) {
  std::string escaped;
  for (char c : value) {
    if (c == '\\' || c == '"') escaped.push_back('\\');
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped.push_back(c);
  }
  return escaped;
}

void AppendHeader(std::string& out, std::string_view name, std::string_view type,
                  std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void AppendSample(std::string& out, std::string_view name, std::string_view labels,
                  std::int64_t value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(std::to_string(value)).append("\n");
}

}  // namespace

void Histogram::Observe(Nanos duration) {
  const double seconds = static_cast<double>(duration) / kNanosPerSecond;
  std::size_t i = 0;
  while (i < kBoundsSeconds.size() && seconds > kBoundsSeconds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(duration, std::memory_order_relaxed);
}

void Histogram::Render(std::string& out, std::string_view name, std::string_view labels) const {
  const std::string prefix = labels.empty() ? std::string() : std::string(labels) + ",";
  std::int64_t cumulative = 0;
  for (std::size_t i = 0; i <= kBoundsSeconds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out.append(name).append("_bucket{").append(prefix).append("le=\"");
    if (i < kBoundsSeconds.size()) {
      AppendNumber(out, kBoundsSeconds[i]);
    } else {
      out.append("+Inf");
    }
    out.append("\"} ").append(std::to_string(cumulative)).append("\n");
  }
  // Built by appending: GCC 12 at -O3 misreads `"{" + std::string(...)` as
  // an overlapping memcpy (-Wrestrict).
  std::string braces;
  if (!labels.empty()) braces.append("{").append(labels).append("}");
  out.append(name).append("_sum").append(braces).append(" ");
  AppendNumber(out,
               static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / kNanosPerSecond);
  out.append("\n");
  // The +Inf bucket is the count; use it so that count and buckets agree
  // even while another thread is observing.
  out.append(name).append("_count").append(braces).append(" ");
  out.append(std::to_string(cumulative)).append("\n");
}

Metrics::JobTypeSeries& Metrics::JobType(std::string_view job_type) {
  std::lock_guard lock(mutex_);
  auto it = job_types_.find(job_type);
  if (it == job_types_.end()) it = job_types_.try_emplace(std::string(job_type)).first;
  return it->second;
}

void Metrics::JobStarted(std::string_view job_type) {
  activity_.fetch_add(1, std::memory_order_relaxed);
  JobType(job_type).started.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::JobFinished(std::string_view job_type, JobStatus status, Nanos duration) {
  activity_.fetch_add(1, std::memory_order_relaxed);
  JobTypeSeries& series = JobType(job_type);
  switch (status) {
    case JobStatus::kSuccess:
      series.succeeded.fetch_add(1, std::memory_order_relaxed);
      break;
    case JobStatus::kFailed:
      series.failed.fetch_add(1, std::memory_order_relaxed);
      break;
    case JobStatus::kPending:
    case JobStatus::kStarted:
      series.retried.fetch_add(1, std::memory_order_relaxed);
      break;
  }
  series.duration.Observe(duration);
}

void Metrics::RowsExported(std::int64_t rows) {
  exported_rows_.fetch_add(rows, std::memory_order_relaxed);
}

void Metrics::JobCancelled() { cancelled_.fetch_add(1, std::memory_order_relaxed); }

void Metrics::WebhookDelivery(WebhookOutcome outcome) {
  webhook_deliveries_[static_cast<std::size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::HttpRequest(std::string_view route, int status, Nanos duration) {
  activity_.fetch_add(1, std::memory_order_relaxed);
  RouteSeries* series = nullptr;
  std::atomic<std::int64_t>* counter = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto it = routes_.find(route);
    if (it == routes_.end()) it = routes_.try_emplace(std::string(route)).first;
    series = &it->second;
    counter = &series->requests_by_status[status];
  }
  counter->fetch_add(1, std::memory_order_relaxed);
  series->duration.Observe(duration);
}

void Metrics::EventStreamOpened() { open_event_streams_.fetch_add(1, std::memory_order_relaxed); }

void Metrics::EventStreamClosed() { open_event_streams_.fetch_sub(1, std::memory_order_relaxed); }

std::int64_t Metrics::activity() const { return activity_.load(std::memory_order_relaxed); }

std::int64_t Metrics::open_event_streams() const {
  return open_event_streams_.load(std::memory_order_relaxed);
}

std::string Metrics::RenderPrometheus(
    const std::map<JobStatus, std::int64_t>& jobs_by_status) const {
  std::string out;
  auto count_of = [&](JobStatus status) {
    auto it = jobs_by_status.find(status);
    return it == jobs_by_status.end() ? std::int64_t{0} : it->second;
  };

  AppendHeader(out, "jobsd_jobs", "gauge", "Jobs in the store by status (expired jobs excluded).");
  for (JobStatus status : kAllJobStatuses) {
    AppendSample(out, "jobsd_jobs", "status=\"" + std::string(ToString(status)) + "\"",
                 count_of(status));
  }
  AppendHeader(out, "jobsd_queue_depth", "gauge", "Jobs waiting for a worker (pending).");
  AppendSample(out, "jobsd_queue_depth", "", count_of(JobStatus::kPending));

  std::lock_guard lock(mutex_);
  struct Counter {
    const char* name;
    const char* help;
    std::atomic<std::int64_t> JobTypeSeries::*field;
  };
  static constexpr Counter kJobCounters[] = {
      {"jobsd_jobs_started_total", "Jobs claimed by a worker.", &JobTypeSeries::started},
      {"jobsd_jobs_succeeded_total", "Jobs that finished with success.", &JobTypeSeries::succeeded},
      {"jobsd_jobs_failed_total", "Jobs that finished failed.", &JobTypeSeries::failed},
      {"jobsd_jobs_retried_total", "Runs that sent their job back to the queue.",
       &JobTypeSeries::retried},
  };
  for (const Counter& counter : kJobCounters) {
    AppendHeader(out, counter.name, "counter", counter.help);
    if (job_types_.empty()) AppendSample(out, counter.name, "", 0);
    for (const auto& [job_type, series] : job_types_) {
      AppendSample(out, counter.name, "job_type=\"" + EscapeLabel(job_type) + "\"",
                   (series.*counter.field).load(std::memory_order_relaxed));
    }
  }
  AppendHeader(out, "jobsd_job_duration_seconds", "histogram", "Time a worker spent on a run.");
  for (const auto& [job_type, series] : job_types_) {
    series.duration.Render(out, "jobsd_job_duration_seconds",
                           "job_type=\"" + EscapeLabel(job_type) + "\"");
  }

  AppendHeader(out, "jobsd_exported_rows_total", "counter", "Order rows written to export files.");
  AppendSample(out, "jobsd_exported_rows_total", "",
               exported_rows_.load(std::memory_order_relaxed));

  AppendHeader(out, "jobsd_jobs_cancelled_total", "counter",
               "Jobs cancelled by request (pending or started ones; docs/jobs.md).");
  AppendSample(out, "jobsd_jobs_cancelled_total", "", cancelled_.load(std::memory_order_relaxed));

  AppendHeader(out, "jobsd_webhook_deliveries_total", "counter",
               "Completion webhook attempts by outcome: delivered (2xx), retried (tried again "
               "later), abandoned (given up, or its endpoint or job gone).");
  constexpr std::array<std::string_view, 3> kOutcomes = {"delivered", "retried", "abandoned"};
  for (std::size_t i = 0; i < kOutcomes.size(); ++i) {
    AppendSample(out, "jobsd_webhook_deliveries_total",
                 "outcome=\"" + std::string(kOutcomes[i]) + "\"",
                 webhook_deliveries_[i].load(std::memory_order_relaxed));
  }

  AppendHeader(out, "jobsd_http_requests_total", "counter", "HTTP requests by route and status.");
  for (const auto& [route, series] : routes_) {
    for (const auto& [status, count] : series.requests_by_status) {
      AppendSample(out, "jobsd_http_requests_total",
                   "route=\"" + EscapeLabel(route) + "\",status=\"" + std::to_string(status) + "\"",
                   count.load(std::memory_order_relaxed));
    }
  }
  AppendHeader(out, "jobsd_http_request_duration_seconds", "histogram",
               "HTTP request latency by route.");
  for (const auto& [route, series] : routes_) {
    series.duration.Render(out, "jobsd_http_request_duration_seconds",
                           "route=\"" + EscapeLabel(route) + "\"");
  }
  AppendHeader(out, "jobsd_event_streams_open", "gauge",
               "Event streams (GET /v2/jobs/{id}/events) open now.");
  AppendSample(out, "jobsd_event_streams_open", "", open_event_streams());
  return out;
}

}  // namespace jobsd
