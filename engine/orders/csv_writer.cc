#include "engine/orders/csv_writer.h"

#include <errno.h>
#include <unistd.h>

#include <charconv>
#include <system_error>
#include <utility>

#include "engine/orders/order.h"
#include "engine/time.h"

namespace jobsd {
namespace {

// One pass of plain comparisons: find_first_of calls memchr on the set for
// every character, which was the export's largest single cost.
bool NeedsQuotes(std::string_view text) {
  for (const char c : text) {
    if (c == ',' || c == '"' || c == '\r' || c == '\n') return true;
  }
  return false;
}

// Spreadsheets run a cell that starts with one of these as a formula.
bool LooksLikeFormula(std::string_view text) {
  if (text.empty()) return false;
  switch (text.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
      return true;
    default:
      return false;
  }
}

void AppendInteger(std::string& out, std::int64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  (void)ec;  // 24 chars always hold an int64
  out.append(digits, end);
}

}  // namespace

CsvWriter::CsvWriter(int fd, std::size_t buffer_size) : fd_(fd), threshold_(buffer_size) {}

CsvWriter::CsvWriter(std::function<void(std::string_view)> output, std::size_t buffer_size)
    : output_(std::move(output)), threshold_(buffer_size) {}

void CsvWriter::AppendText(std::string& out, std::string_view text, bool guard_formula) {
  const bool quote = NeedsQuotes(text);
  if (quote) out.push_back('"');
  if (guard_formula && LooksLikeFormula(text)) out.push_back('\'');
  if (!quote) {
    out.append(text);
  } else {
    for (char c : text) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
  }
}

void CsvWriter::WriteHeader() {
  for (std::size_t i = 0; i < kOrderColumnCount; ++i) {
    if (i > 0) buffer_.push_back(',');
    buffer_.append(kOrderColumns[i].name);
  }
  EndRecord();
}

void CsvWriter::WriteRow(const ColumnValue* values) {
  // Room for the threshold plus a typical row, so the string does not grow;
  // only a single row larger than the slack makes it reallocate. Taken at
  // the first row, not before: an export that matches nothing (failed at
  // once) allocates, maps and unmaps no megabyte.
  if (buffer_.capacity() < threshold_) buffer_.reserve(threshold_ + 64 * 1024);
  for (std::size_t i = 0; i < kOrderColumnCount; ++i) {
    if (i > 0) buffer_.push_back(',');
    const ColumnValue& v = values[i];
    if (v.is_null) continue;  // an absent value is an empty field
    switch (kOrderColumns[i].kind) {
      case ColumnKind::kText:
        AppendText(buffer_, v.text, /*guard_formula=*/true);
        break;
      case ColumnKind::kInteger:
        AppendInteger(buffer_, v.number);
        break;
      case ColumnKind::kBoolean:
        buffer_.append(v.number != 0 ? "true" : "false");
        break;
      case ColumnKind::kTimestamp:
        AppendRfc3339Nano(buffer_, v.number);
        break;
    }
  }
  EndRecord();
}

void CsvWriter::EndRecord() {
  buffer_.append("\r\n");
  if (buffer_.size() >= threshold_) Flush();
}

void CsvWriter::Flush() {
  if (output_) {
    if (!buffer_.empty()) output_(buffer_);
    flushed_ += static_cast<std::int64_t>(buffer_.size());
    buffer_.clear();
    return;
  }
  const char* data = buffer_.data();
  std::size_t left = buffer_.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "write");
    }
    data += n;
    left -= static_cast<std::size_t>(n);
    flushed_ += n;
  }
  buffer_.clear();  // keeps the capacity
}

}  // namespace jobsd
