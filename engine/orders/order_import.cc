#include "engine/orders/order_import.h"

#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "engine/orders/order_json.h"

namespace jobsd {
namespace {

// Splits a stream into lines through a fixed buffer. A line over the limit
// is consumed to its end but not kept, so memory stays bounded whatever the
// input; a last line without '\n' is still a line.
class LineReader {
 public:
  LineReader(std::istream& in, std::size_t max_line_bytes)
      : in_(in), max_(max_line_bytes), buffer_(64 * 1024) {}

  // False at end of input. Otherwise `line` holds the line without its
  // '\n', or is cleared and `too_long` set when it exceeded the limit.
  bool Next(std::string& line, bool& too_long) {
    line.clear();
    too_long = false;
    bool any = false;
    for (;;) {
      if (pos_ == end_ && !Refill()) return any;
      any = true;
      const char* start = buffer_.data() + pos_;
      const std::size_t available = end_ - pos_;
      const void* nl = std::memchr(start, '\n', available);
      const std::size_t take = nl != nullptr
                                   ? static_cast<std::size_t>(static_cast<const char*>(nl) - start)
                                   : available;
      if (!too_long) {
        if (line.size() + take > max_) {
          too_long = true;
          line.clear();
          line.shrink_to_fit();
        } else {
          line.append(start, take);
        }
      }
      pos_ += take;
      if (nl != nullptr) {
        ++pos_;  // the '\n'
        return true;
      }
    }
  }

  // Bytes taken from the input so far (for progress).
  std::int64_t bytes_read() const { return bytes_read_; }

 private:
  bool Refill() {
    in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    pos_ = 0;
    end_ = static_cast<std::size_t>(in_.gcount());
    bytes_read_ += static_cast<std::int64_t>(end_);
    return end_ > 0;
  }

  std::istream& in_;
  std::size_t max_;
  std::vector<char> buffer_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  std::int64_t bytes_read_ = 0;
};

bool IsBlank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

}  // namespace

ImportReport ImportOrders(std::istream& in, OrderStore& store, const ImportOptions& options) {
  ImportReport report;
  std::unique_ptr<OrderImport> session = store.BeginImport();
  LineReader reader(in, options.max_line_bytes);
  OrderLineParser parser;
  Order order;  // reused from line to line
  std::string line;
  std::string error;
  bool too_long = false;

  auto add_bad = [&](std::int64_t number, std::string reason) {
    ++report.bad_line_count;
    if (report.bad_lines.size() < options.max_reported_bad_lines) {
      report.bad_lines.push_back({number, std::move(reason)});
    }
  };

  std::int64_t number = 0;
  while (reader.Next(line, too_long)) {
    ++number;
    if (options.on_progress && number % kProgressEveryLines == 0) {
      options.on_progress(ImportProgress{report.valid_lines, reader.bytes_read(), false});
    }
    if (too_long) {
      add_bad(number, "line longer than " + std::to_string(options.max_line_bytes) + " bytes");
      continue;
    }
    // Blank lines (an editor's trailing newline, a separator) carry no
    // order; skipping them is kinder than failing a whole import. They are
    // still counted so the numbers of bad lines match the file.
    if (IsBlank(line)) continue;
    if (!parser.Parse(line, order, error)) {
      add_bad(number, std::move(error));
      error.clear();
      continue;
    }
    // After a bad line the import is going to roll back anyway (unless
    // skip_invalid); the remaining lines are still parsed so every bad line
    // is reported, but writing them would be wasted work.
    if (report.bad_line_count == 0 || options.skip_invalid) session->Put(order);
    ++report.valid_lines;
  }

  // A read error looks like the end of input to the line reader; without
  // this check a truncated read would commit half a file.
  if (in.bad()) throw std::runtime_error("cannot read the orders input (I/O error)");

  if (report.bad_line_count == 0 || options.skip_invalid) {
    if (options.on_progress) {
      options.on_progress(ImportProgress{report.valid_lines, reader.bytes_read(), true});
    }
    const auto commit_start = std::chrono::steady_clock::now();
    session->Commit();
    report.commit_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - commit_start).count();
    report.committed = true;
    report.imported = report.valid_lines;
  }
  // Otherwise `session` rolls back when it is destroyed here.
  return report;
}

}  // namespace jobsd
