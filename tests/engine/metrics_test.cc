#include "engine/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace jobsd {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST(MetricsTest, RendersEveryFamilyInPrometheusTextFormat) {
  Metrics metrics;
  metrics.JobStarted("order_export");
  metrics.JobStarted("order_export");
  metrics.JobStarted("order_export");
  metrics.JobFinished("order_export", JobStatus::kSuccess, 3 * kNanosPerSecond / 1000);
  metrics.JobFinished("order_export", JobStatus::kFailed, 2 * kNanosPerSecond);
  metrics.JobFinished("order_export", JobStatus::kPending, 100 * kNanosPerSecond);
  metrics.RowsExported(120);
  metrics.RowsExported(3);
  metrics.HttpRequest("/v2/jobs/{id}", 200, kNanosPerSecond / 1000);
  metrics.HttpRequest("/v2/jobs/{id}", 404, kNanosPerSecond / 1000);
  metrics.HttpRequest("/v2/jobs/{id}", 200, kNanosPerSecond / 100);

  const std::string text =
      metrics.RenderPrometheus({{JobStatus::kPending, 4}, {JobStatus::kSuccess, 2}});
  for (const char* line : {
           "# TYPE jobsd_jobs gauge\n",
           "jobsd_jobs{status=\"pending\"} 4\n",
           "jobsd_jobs{status=\"started\"} 0\n",
           "jobsd_jobs{status=\"success\"} 2\n",
           "jobsd_jobs{status=\"failed\"} 0\n",
           "# TYPE jobsd_queue_depth gauge\njobsd_queue_depth 4\n",
           "# TYPE jobsd_jobs_started_total counter\n",
           "jobsd_jobs_started_total{job_type=\"order_export\"} 3\n",
           "jobsd_jobs_succeeded_total{job_type=\"order_export\"} 1\n",
           "jobsd_jobs_failed_total{job_type=\"order_export\"} 1\n",
           "jobsd_jobs_retried_total{job_type=\"order_export\"} 1\n",
           "# TYPE jobsd_job_duration_seconds histogram\n",
           "jobsd_job_duration_seconds_bucket{job_type=\"order_export\",le=\"0.005\"} 1\n",
           "jobsd_job_duration_seconds_bucket{job_type=\"order_export\",le=\"2.5\"} 2\n",
           "jobsd_job_duration_seconds_bucket{job_type=\"order_export\",le=\"60\"} 2\n",
           "jobsd_job_duration_seconds_bucket{job_type=\"order_export\",le=\"+Inf\"} 3\n",
           "jobsd_job_duration_seconds_sum{job_type=\"order_export\"} 102.003\n",
           "jobsd_job_duration_seconds_count{job_type=\"order_export\"} 3\n",
           "# TYPE jobsd_exported_rows_total counter\njobsd_exported_rows_total 123\n",
           "# TYPE jobsd_http_requests_total counter\n",
           "jobsd_http_requests_total{route=\"/v2/jobs/{id}\",status=\"200\"} 2\n",
           "jobsd_http_requests_total{route=\"/v2/jobs/{id}\",status=\"404\"} 1\n",
           "# TYPE jobsd_http_request_duration_seconds histogram\n",
           "jobsd_http_request_duration_seconds_bucket{route=\"/v2/jobs/{id}\",le=\"0.001\"} 2\n",
           "jobsd_http_request_duration_seconds_bucket{route=\"/v2/jobs/{id}\",le=\"0.01\"} 3\n",
           "jobsd_http_request_duration_seconds_count{route=\"/v2/jobs/{id}\"} 3\n",
       }) {
    EXPECT_TRUE(Has(text, line)) << line << "\n---\n" << text;
  }
}

TEST(MetricsTest, CountersStartAtZeroBeforeAnyJob) {
  const std::string text = Metrics().RenderPrometheus({});
  EXPECT_TRUE(Has(text, "jobsd_jobs_started_total 0\n")) << text;
  EXPECT_TRUE(Has(text, "jobsd_exported_rows_total 0\n")) << text;
  EXPECT_TRUE(Has(text, "jobsd_queue_depth 0\n")) << text;
}

TEST(MetricsTest, ConcurrentUpdatesAreAllCounted) {
  Metrics metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        metrics.HttpRequest(t % 2 ? "/healthz" : "/metrics", 200, 1000);
        metrics.JobStarted("order_export");
        if (i % 100 == 0) metrics.RenderPrometheus({});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const std::string text = metrics.RenderPrometheus({});
  EXPECT_TRUE(Has(text, "jobsd_http_requests_total{route=\"/healthz\",status=\"200\"} 2000\n"));
  EXPECT_TRUE(Has(text, "jobsd_jobs_started_total{job_type=\"order_export\"} 4000\n"));
}

}  // namespace
}  // namespace jobsd
