// Job types and a wait helper shared by the queue's tests.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "engine/queue/job_type.h"

namespace jobsd::testing {

// What the jobs below publish: a one-line CSV artifact, {"row_count":1}.
inline JobOutcome WriteSmallArtifact(const JobContext& context) {
  std::unique_ptr<ArtifactWriter> writer =
      context.artifacts.Begin({context.job.id, "text/csv; charset=utf-8", "x.csv"});
  writer->Write("id\r\n");
  return JobOutcome::Success("{\"row_count\":1}", writer->Commit(), 1);
}

// Writes a small artifact per run and counts runs per job id.
class CountingJob final : public JobHandler {
 public:
  void ValidateParams(std::string_view) const override {}
  JobOutcome Run(const JobContext& context) override {
    {
      std::lock_guard lock(mutex_);
      ++runs_[context.job.id];
    }
    return WriteSmallArtifact(context);
  }
  std::map<std::string, int> runs() {
    std::lock_guard lock(mutex_);
    return runs_;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, int> runs_;
};

// Fails with a passing error every time.
class FlakyJob final : public JobHandler {
 public:
  void ValidateParams(std::string_view) const override {}
  JobOutcome Run(const JobContext&) override { return JobOutcome::Retry("disk on fire"); }
};

// Runs until told to stop (shutdown, lost claim) or released by the test.
class BlockingJob final : public JobHandler {
 public:
  void ValidateParams(std::string_view) const override {}
  JobOutcome Run(const JobContext& context) override {
    started_.store(true);
    while (!release_.load()) {
      if (context.stop_requested()) return JobOutcome::Retry("interrupted by shutdown");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return WriteSmallArtifact(context);
  }
  std::atomic<bool> started_{false};
  std::atomic<bool> release_{false};
};

template <typename Predicate>
bool WaitFor(Predicate predicate,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(30'000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return predicate();
}

}  // namespace jobsd::testing
