#include "engine/queue/job_store.h"

namespace jobsd {

std::string_view DescribeStoreFault(StoreFault fault) {
  switch (fault) {
    case StoreFault::kBusy:
      return "the job store is busy (another process holds its write lock)";
    case StoreFault::kDiskFull:
      return "the disk is full (no space left for the job store)";
    case StoreFault::kReadOnly:
      return "the job store cannot be written (read-only file or directory)";
    case StoreFault::kIo:
      return "the job store could not be read or written (I/O error)";
    case StoreFault::kMoved:
      return "the job store file was removed or replaced while jobsd was running";
    case StoreFault::kStopping:
      return "jobsd is shutting down";
    case StoreFault::kOther:
      break;
  }
  return "the job store failed";
}

}  // namespace jobsd
