#include "engine/orders/order_export.h"

#include <errno.h>

#include <memory>
#include <string>
#include <system_error>

#include "engine/byte_size.h"
#include "engine/filter.h"
#include "engine/orders/csv_writer.h"
#include "engine/queue/artifact_store.h"
#include "engine/store_error.h"

namespace jobsd {
namespace {

// Thrown from inside the scan when shutdown asks the job to stop.
struct Interrupted {};

class CsvSink final : public OrderRowSink {
 public:
  CsvSink(CsvWriter& writer, const JobContext& context) : writer_(writer), context_(context) {}

  void OnTotal(std::int64_t rows) override {
    total_ = rows;
    Report();
  }

  void OnRow(const ColumnValue* values) override {
    writer_.WriteRow(values);
    ++rows_;
    if (rows_ % OrderExportJob::kProgressRows == 0) Report();
    if (rows_ % OrderExportJob::kStopCheckRows == 0 && context_.stop_requested &&
        context_.stop_requested()) {
      throw Interrupted{};
    }
  }

 private:
  // Nothing to report until the store tells the total, nor when it is 0:
  // the job fails at once, and the first progress report would cost a
  // store write (the lease renewal that carries it comes at once).
  void Report() const {
    if (context_.report_progress && total_ > 0) context_.report_progress(rows_, total_);
  }

  CsvWriter& writer_;
  const JobContext& context_;
  std::int64_t rows_ = 0;
  std::int64_t total_ = -1;  // until the store tells
};

std::string RowCountResult(std::int64_t rows) {
  return "{\"row_count\":" + std::to_string(rows) + "}";
}

}  // namespace

void OrderExportJob::ValidateParams(std::string_view params) const {
  (void)filter::Parse(params, filter::OrderFields());
}

JobOutcome OrderExportJob::Run(const JobContext& context) {
  try {
    // A filter that was valid at submission stays valid; if the catalog has
    // changed since, the job cannot succeed on any retry.
    filter::Filter parsed;
    try {
      parsed = filter::Parse(context.job.params, filter::OrderFields());
    } catch (const filter::FilterError& e) {
      return JobOutcome::Failed("Could not parse the supplied filter: " + std::string(e.what()));
    }

    // The artifact is begun by the first bytes that leave the buffer, so an
    // export that matches nothing creates no file. Destroyed uncommitted
    // (any throw), the writer removes its partial artifact.
    std::unique_ptr<ArtifactWriter> artifact;
    auto begun = [&]() -> ArtifactWriter& {
      if (artifact == nullptr) {
        artifact = context.artifacts.Begin(ArtifactSpec{context.job.id,
                                                        std::string(kOrderExportContentType),
                                                        "orders-" + context.job.id + ".csv"});
      }
      return *artifact;
    };
    CsvWriter writer([&begun](std::string_view bytes) { begun().Write(bytes); });
    writer.WriteHeader();
    CsvSink sink(writer, context);
    const std::int64_t rows = store_.ScanOrders(parsed, sink);
    if (rows == 0) return JobOutcome::Failed(std::string(kNoResultsError));
    writer.Flush();
    return JobOutcome::Success(RowCountResult(rows), begun().Commit(), rows);
  } catch (const FreeSpaceReserveReached& e) {
    // Not retried: the space is taken by something other than this job,
    // and an operator has to make room. No path: clients see this.
    const std::string reserve = FormatByteSize(e.reserve());
    return JobOutcome::Failed(
        "Export stopped: the exports disk is full down to its reserve (going on "
        "would leave less than " +
        reserve + " free, --min-free-disk " + reserve +
        "); free some space, then submit the job again");
  } catch (const Interrupted&) {
    return JobOutcome::Retry("interrupted by shutdown");
  } catch (const std::system_error& e) {
    // The job's error is shown to clients: it says what went wrong, the
    // log gets where (the location is an internal of this host).
    const std::string detail =
        "cannot write the export file in " + context.artifacts.Location() + ": " + e.what();
    const bool disk_full =
        e.code() == std::errc::no_space_on_device ||
        (e.code().category() == std::generic_category() && e.code().value() == EDQUOT);
    if (disk_full) {
      // Retrying would fill the disk again, and an export must never fill
      // it (the README's "Security and limits"): fail, the partial artifact already removed.
      JobOutcome outcome = JobOutcome::Failed("The export could not be written: the disk is full");
      outcome.detail = detail;
      return outcome;
    }
    // Other I/O errors (EIO, even permissions being fixed by an operator)
    // may pass; the attempt limit bounds the retries.
    JobOutcome outcome =
        JobOutcome::Retry("The export could not be written: " + e.code().message());
    outcome.detail = detail;
    return outcome;
  } catch (const StoreError& e) {
    const std::string message =
        "The orders could not be read: " + std::string(DescribeStoreFault(e.fault()));
    JobOutcome outcome = e.transient() ? JobOutcome::Retry(message) : JobOutcome::Failed(message);
    outcome.detail = e.what();
    return outcome;
  } catch (const std::exception& e) {
    JobOutcome outcome = JobOutcome::Failed("The export failed unexpectedly");
    outcome.detail = e.what();
    return outcome;
  }
}

}  // namespace jobsd
