// The order_export job type: the orders matching the job's filter, as one
// CSV file (API.md section 4) in the exports directory.
//
// The file is written under a temporary name, flushed to disk and renamed
// into place (and the directory synced) before Run returns success, so a
// reader never sees it half-written and a crash leaves only a temporary
// file, which the start-up sweep removes.
#pragma once

#include <string_view>

#include "engine/job_type.h"
#include "engine/order_store.h"

namespace jobsd {

inline constexpr std::string_view kOrderExportType = "order_export";
inline constexpr std::string_view kNoResultsError = "No results matched the supplied filter";

class OrderExportJob final : public JobHandler {
 public:
  explicit OrderExportJob(OrderStore& store) : store_(store) {}

  void ValidateFilter(std::string_view filter) const override;
  JobOutcome Run(const JobContext& context) override;

  // stop_requested() is polled every this many rows.
  static constexpr std::int64_t kStopCheckRows = 10'000;

 private:
  OrderStore& store_;
};

}  // namespace jobsd
