// `jobsd orders import`: JSON Lines in, one OrderImport session out.
// All-or-nothing by default (docs/orders-input.md): any bad line and nothing is
// imported; with skip_invalid the valid lines are imported anyway. Every bad
// line is reported with its 1-based number and the reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <vector>

#include "engine/orders/order_store.h"

namespace jobsd {

// How far an import is, for a progress display.
struct ImportProgress {
  std::int64_t orders = 0;      // valid lines read so far
  std::int64_t bytes_read = 0;  // of the input
  bool committing = false;      // every line is read; the commit runs
};

struct ImportOptions {
  bool skip_invalid = false;
  // A longer line is reported as bad without being held in memory whole.
  std::size_t max_line_bytes = 1 << 20;
  // Reasons kept for the report; beyond this only the count grows, so a
  // file of millions of bad lines cannot exhaust memory either.
  std::size_t max_reported_bad_lines = 10'000;
  // Called every kProgressEveryLines lines and once before the commit;
  // empty: no progress reported.
  std::function<void(const ImportProgress&)> on_progress = {};
};

inline constexpr std::int64_t kProgressEveryLines = 4096;

struct BadOrderLine {
  std::int64_t line_number = 0;  // 1-based, blank lines counted
  std::string reason;
};

struct ImportReport {
  std::int64_t valid_lines = 0;  // lines that parsed into an order
  std::int64_t imported = 0;     // orders committed: valid_lines, or 0 when rolled back
  std::int64_t bad_line_count = 0;
  std::vector<BadOrderLine> bad_lines;  // the first max_reported_bad_lines of them
  bool committed = false;
  // How long the commit took: the only part of an import that holds the
  // store's write lock (job writes wait for it), so worth showing.
  double commit_seconds = 0;
};

// Streams `in` line by line (constant memory). Store failures propagate as
// StoreError, and a read error of `in` as std::runtime_error, with the
// session rolled back: nothing imported.
ImportReport ImportOrders(std::istream& in, OrderStore& store, const ImportOptions& options);

}  // namespace jobsd
