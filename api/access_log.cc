#include "api/access_log.h"

#include <algorithm>
#include <charconv>

namespace jobsd::api {
namespace {

// Appends the duration in milliseconds with six decimals, as
// std::to_string(double) printed it before ("0.183417"), from the integer
// nanoseconds: exact, and no locale or floating point.
void AppendMilliseconds(std::string& out, std::chrono::nanoseconds duration) {
  const long long ns = std::max<long long>(0, duration.count());
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, ns / 1'000'000).ptr;
  out.append(digits, end);
  out.push_back('.');
  long long fraction = ns % 1'000'000;
  char six[6];
  for (int i = 5; i >= 0; --i, fraction /= 10) six[i] = static_cast<char>('0' + fraction % 10);
  out.append(six, sizeof six);
}

}  // namespace

AccessLog::AccessLog(std::FILE* out, LogFormat format)
    : out_(out), format_(format), flusher_([this](std::stop_token stop) { Run(stop); }) {}

AccessLog::~AccessLog() {
  flusher_.request_stop();
  flusher_.join();
  Flush();
}

void AccessLog::Write(std::string_view method, std::string_view path, int status,
                      std::chrono::nanoseconds duration, std::string_view request_id) {
  thread_local std::string line;  // keeps its capacity: no allocation per request
  line.clear();
  char number[16];
  const auto end = std::to_chars(number, number + sizeof number, status).ptr;
  if (format_ == LogFormat::kText) {
    line.append("access method=").append(method).append(" path=").append(path);
    line.append(" status=").append(number, end).append(" duration_ms=");
    AppendMilliseconds(line, duration);
    line.append(" request_id=").append(request_id).push_back('\n');
  } else {
    line.append(R"({"time":")");
    const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    AppendRfc3339Nano(line, now - now % 1000);
    line.append(R"(","level":"info","msg":"access","method":)");
    AppendJsonString(line, method);
    line.append(R"(,"path":)");
    AppendJsonString(line, path);
    line.append(R"(,"status":)").append(number, end).append(R"(,"duration_ms":)");
    AppendMilliseconds(line, duration);
    line.append(R"(,"request_id":)");
    AppendJsonString(line, request_id);
    line.append("}\n");
  }

  bool overfull = false;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    pending_ += line;
    wake = pending_.size() >= kFlushBytes;
    overfull = pending_.size() >= kMaxPendingBytes;
  }
  if (overfull) {
    Flush();
  } else if (wake) {
    wake_.notify_one();
  }
}

void AccessLog::Flush() {
  std::lock_guard write_lock(write_mutex_);
  {
    std::lock_guard lock(mutex_);
    writing_.swap(pending_);  // both keep their capacity from batch to batch
  }
  if (writing_.empty()) return;
  std::fwrite(writing_.data(), 1, writing_.size(), out_);
  std::fflush(out_);
  writing_.clear();
}

void AccessLog::Run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, stop, kFlushInterval, [this] { return pending_.size() >= kFlushBytes; });
    }
    Flush();
  }
}

}  // namespace jobsd::api
