// The order_export job type: the orders matching the job's filter (its
// params), as one CSV artifact (docs/export-csv.md), and {"row_count":N} as
// its result. While it runs it reports rows written of the rows the scan
// will write (docs/jobs.md).
//
// The CSV goes through the job's ArtifactStore, which publishes it only
// once it is complete and durable, before Run returns success: a reader
// never sees it half-written and a crash leaves only a temporary, which the
// start-up sweep removes. When the store's free-space reserve is reached
// (--min-free-disk, the README's "Security and limits") the export fails, its partial
// artifact removed.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/orders/order_store.h"
#include "engine/queue/job_type.h"

namespace jobsd {

inline constexpr std::string_view kOrderExportType = "order_export";
inline constexpr std::string_view kNoResultsError = "No results matched the supplied filter";
inline constexpr std::string_view kOrderExportContentType = "text/csv; charset=utf-8";

class OrderExportJob final : public JobHandler {
 public:
  explicit OrderExportJob(OrderStore& store) : store_(store) {}

  void ValidateParams(std::string_view params) const override;
  JobOutcome Run(const JobContext& context) override;

  // stop_requested() is polled every this many rows (a few milliseconds of
  // work), so that a cancel stops the export within a second of reaching it.
  static constexpr std::int64_t kStopCheckRows = 1'000;
  // Progress (rows written of the total the scan counted first) is
  // reported every this many rows: two atomic stores, the lease keeper
  // takes the latest to the store.
  static constexpr std::int64_t kProgressRows = 1'000;

 private:
  OrderStore& store_;
};

}  // namespace jobsd
