// At start-up, removes from the exports directory the temporary files a
// crash left mid-export and the files no job refers to any more. Files that
// are not ours (neither temporary nor .csv) are left alone.
#pragma once

#include <filesystem>

#include "engine/queue/job_store.h"

namespace jobsd {

class StartupSweep {
 public:
  StartupSweep(JobStore& store, std::filesystem::path exports_dir);

  // Returns how many files were removed. The sweep depends on no time: it
  // compares the directory with the store.
  int RunOnce();

 private:
  JobStore& store_;
  const std::filesystem::path exports_dir_;
};

}  // namespace jobsd
