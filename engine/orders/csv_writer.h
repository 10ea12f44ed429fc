// Writes the order export as RFC 4180 CSV (docs/export-csv.md) to a file
// descriptor or an output function, through one large buffer and with no allocation per row, so
// that an export of millions of rows runs in constant memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "engine/orders/order_store.h"

namespace jobsd {

class CsvWriter {
 public:
  static constexpr std::size_t kDefaultBufferSize = 1 << 20;

  // Does not own `fd`. Nothing is written before the buffer fills or Flush().
  explicit CsvWriter(int fd, std::size_t buffer_size = kDefaultBufferSize);
  // Hands each full buffer to `output` (an artifact writer), which throws
  // on errors.
  explicit CsvWriter(std::function<void(std::string_view)> output,
                     std::size_t buffer_size = kDefaultBufferSize);
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;

  // The kOrderColumns names.
  void WriteHeader();
  // `values` has kOrderColumnCount entries, formatted by kOrderColumns kinds.
  void WriteRow(const ColumnValue* values);
  // Writes out the buffer. Errors of write(2) throw std::system_error with
  // the errno (ENOSPC, EIO...), so the caller can tell what went wrong.
  void Flush();

  // Bytes handed to write(2) so far plus those still buffered.
  std::int64_t bytes() const { return flushed_ + static_cast<std::int64_t>(buffer_.size()); }

  // One field as the export writes it, appended to `out`. Exposed for
  // anything else that must produce the same bytes.
  static void AppendText(std::string& out, std::string_view text, bool guard_formula);

 private:
  void EndRecord();

  int fd_ = -1;
  std::function<void(std::string_view)> output_;  // instead of fd_ when set
  std::size_t threshold_;
  std::string buffer_;
  std::int64_t flushed_ = 0;
};

}  // namespace jobsd
