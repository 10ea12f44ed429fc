#include "engine/queue/maintenance/startup_sweep.h"

#include <set>
#include <string>
#include <system_error>
#include <utility>

namespace jobsd {

StartupSweep::StartupSweep(JobStore& store, std::filesystem::path exports_dir)
    : store_(store), exports_dir_(std::move(exports_dir)) {}

int StartupSweep::RunOnce() {
  std::error_code ec;
  if (!std::filesystem::is_directory(exports_dir_, ec)) return 0;
  std::set<std::string> referenced;
  for (std::string& path : store_.ReferencedFiles()) {
    referenced.insert(std::filesystem::weakly_canonical(path, ec).string());
  }
  int removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(exports_dir_, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    const std::string name = entry.path().filename().string();
    const bool temporary = name.rfind(".tmp-", 0) == 0;
    const bool export_file = name.size() > 4 && name.compare(name.size() - 4, 4, ".csv") == 0;
    if (!temporary && !export_file) continue;  // not ours
    if (!temporary &&
        referenced.count(std::filesystem::weakly_canonical(entry.path(), ec).string()) > 0) {
      continue;
    }
    // A temporary left by a crash mid-export, or a file whose job is gone.
    if (std::filesystem::remove(entry.path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace jobsd
