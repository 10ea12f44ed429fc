// The order_export job type: the orders matching the job's filter, as one
// CSV file (API.md section 4) in the exports directory.
//
// The file is written under a temporary name, flushed to disk and renamed
// into place (and the directory synced) before Run returns success, so a
// reader never sees it half-written and a crash leaves only a temporary
// file, which the start-up sweep removes.
//
// An export keeps `min_free_disk` bytes free on the exports' file system
// (API.md section 15): it looks at the free space before it starts and
// after every kFreeDiskCheckBytes it writes, and fails, its partial file
// removed, when going on would leave less.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/queue/job_type.h"
#include "engine/limits.h"
#include "engine/orders/order_store.h"

namespace jobsd {

inline constexpr std::string_view kOrderExportType = "order_export";
inline constexpr std::string_view kNoResultsError = "No results matched the supplied filter";

class OrderExportJob final : public JobHandler {
 public:
  // min_free_disk 0: no free-space check.
  explicit OrderExportJob(OrderStore& store, std::int64_t min_free_disk = kDefaultMinFreeDiskBytes)
      : store_(store), min_free_disk_(min_free_disk) {}

  void ValidateFilter(std::string_view filter) const override;
  JobOutcome Run(const JobContext& context) override;

  // stop_requested() is polled every this many rows.
  static constexpr std::int64_t kStopCheckRows = 10'000;

 private:
  OrderStore& store_;
  std::int64_t min_free_disk_;
};

}  // namespace jobsd
