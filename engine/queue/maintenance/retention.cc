#include "engine/queue/maintenance/retention.h"

#include <filesystem>
#include <iostream>
#include <system_error>
#include <vector>

namespace jobsd {
namespace {

constexpr int kBatch = 500;

// The job rows are gone: their files go too (a failure is logged, and the
// start-up sweep removes what is left).
void DeleteFilesOf(const std::vector<ExpiredJob>& expired) {
  for (const ExpiredJob& job : expired) {
    if (!job.file_path) continue;
    std::error_code ec;
    std::filesystem::remove(*job.file_path, ec);
    if (ec) {
      std::cerr << "jobsd: worker: cannot delete expired export " << *job.file_path << ": "
                << ec.message() << '\n';
    }
  }
}

}  // namespace

Retention::Retention(JobStore& store) : store_(store) {}

int Retention::RunOnce(Nanos now) {
  int deleted = 0;
  for (;;) {
    const std::vector<ExpiredJob> expired = store_.DeleteExpiredJobs(now, kBatch);
    DeleteFilesOf(expired);
    deleted += static_cast<int>(expired.size());
    if (expired.size() < kBatch) return deleted;
  }
}

}  // namespace jobsd
